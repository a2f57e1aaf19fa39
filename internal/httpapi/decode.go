package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

// MaxBodyBytes is the largest JSON body accepted.
const MaxBodyBytes = 1 << 20

// decode reads one JSON object into dst: unknown fields, trailing data,
// bodies over MaxBodyBytes and non-JSON content types are refused.
func decode(c *gin.Context, dst any) error {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return techx.Errorf(techx.EUNSUPPORTED, "Send the body as application/json.")
		}
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return techx.Errorf(techx.EMALFORMED, "The body must hold exactly one JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		te  *techx.Error
	)
	switch {
	case errors.As(err, &mbe):
		return techx.Errorf(techx.ETOOLARGE, "The body is larger than %d bytes.", MaxBodyBytes)
	case errors.As(err, &te):
		return te
	case errors.Is(err, io.EOF):
		return techx.Errorf(techx.EMALFORMED, "The body is empty; a JSON object is expected.")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return techx.Errorf(techx.EMALFORMED, "The body is not valid JSON.")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &techx.Error{Code: techx.EINVALID, Message: "A field has the wrong JSON type.",
			Fields: []techx.FieldError{{Field: field, Message: fmt.Sprintf("must be %s", jsonTypeName(typ.Type.Kind().String()))}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &techx.Error{Code: techx.EINVALID, Message: fmt.Sprintf("Unknown or read-only field %q.", name),
			Fields: []techx.FieldError{{Field: name, Message: "is not accepted (unknown, or set by the server)"}}}
	default:
		// Errors from a field's own UnmarshalJSON (money, dates).
		return &techx.Error{Code: techx.EINVALID, Message: "A field could not be read.",
			Fields: []techx.FieldError{{Field: "(body)", Message: cleanJSONError(err)}}}
	}
}

func cleanJSONError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "json: ")
	return s
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	default:
		return "a number"
	}
}

// jsonEncoder returns an encoder that keeps Chinese text and <> as is.
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// writeJSON renders v with status.
func writeJSON(c *gin.Context, status int, v any) {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(status)
	_ = jsonEncoder(c.Writer).Encode(v)
}
