package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
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
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fieldOf(decodeError(err), body, dst)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return techx.Errorf(techx.EMALFORMED, "The body must hold exactly one JSON object.")
	}
	return nil
}

// fieldOf names the field whose own decoder (money, dates) failed: the
// standard library does not say which it was, so each top-level key is
// tried alone.
func fieldOf(err error, body []byte, dst any) error {
	var te *techx.Error
	if !errors.As(err, &te) || len(te.Fields) != 1 || te.Fields[0].Field != "(body)" {
		return err
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return err
	}
	for k, v := range obj {
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		probe := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
		if e := json.Unmarshal(one, probe); e != nil {
			msg := cleanJSONError(e)
			var fe *techx.Error
			if errors.As(e, &fe) {
				msg = fe.Message
			}
			return &techx.Error{Code: techx.EINVALID, Message: "A field could not be read.",
				Fields: []techx.FieldError{{Field: k, Message: msg}}}
		}
	}
	return err
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
	case errors.As(err, &te) && (len(te.Fields) > 0 || te.Code != techx.EINVALID):
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
		// Errors from a field's own UnmarshalJSON (money, dates); fieldOf
		// finds which field it was.
		msg := cleanJSONError(err)
		if te != nil {
			msg = te.Message
		}
		return &techx.Error{Code: techx.EINVALID, Message: "A field could not be read.",
			Fields: []techx.FieldError{{Field: "(body)", Message: msg}}}
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
