package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

// statusOf is the one table that maps error codes to HTTP statuses.
var statusOf = map[string]int{
	techx.EINVALID:         http.StatusUnprocessableEntity,
	techx.EMALFORMED:       http.StatusBadRequest,
	techx.EUNAUTHORIZED:    http.StatusUnauthorized,
	techx.EFORBIDDEN:       http.StatusForbidden,
	techx.ENOTFOUND:        http.StatusNotFound,
	techx.ECONFLICT:        http.StatusConflict,
	techx.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	techx.EUNSUPPORTED:     http.StatusUnsupportedMediaType,
	techx.ETOOMANYREQUESTS: http.StatusTooManyRequests,
	techx.EINTERNAL:        http.StatusInternalServerError,
	techx.EUNAVAILABLE:     http.StatusServiceUnavailable,
}

// titleOf gives each code a short human title.
var titleOf = map[string]string{
	techx.EINVALID:         "Invalid input",
	techx.EMALFORMED:       "Malformed request",
	techx.EUNAUTHORIZED:    "Unauthorized",
	techx.EFORBIDDEN:       "Forbidden",
	techx.ENOTFOUND:        "Not found",
	techx.ECONFLICT:        "Conflict",
	techx.ETOOLARGE:        "Payload too large",
	techx.EUNSUPPORTED:     "Unsupported media type",
	techx.ETOOMANYREQUESTS: "Too many requests",
	techx.EINTERNAL:        "Internal error",
	techx.EUNAVAILABLE:     "Service unavailable",
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string             `json:"type"`
	Title     string             `json:"title"`
	Status    int                `json:"status"`
	Detail    string             `json:"detail"`
	Code      string             `json:"code"`
	Instance  string             `json:"instance,omitempty"`
	RequestID string             `json:"request_id,omitempty"`
	Errors    []techx.FieldError `json:"errors,omitempty"`
	// Rows lists the failing rows of a refused bulk import.
	Rows []techx.RowError `json:"rows,omitempty"`
}

// ProblemType is the URI prefix of problem types; the code follows it.
const ProblemType = "urn:techx:problem:"

// writeError renders err as problem+json. Internal errors are logged with
// the request id and shown only as "Internal error."
func writeError(c *gin.Context, err error) {
	code := techx.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := Problem{Type: ProblemType + code, Title: titleOf[code], Status: status, Detail: techx.ErrorMessage(err),
		Code: code, Instance: c.Request.URL.Path, RequestID: techx.RequestIDFromContext(c.Request.Context())}
	var e *techx.Error
	if errors.As(err, &e) {
		p.Errors = e.Fields
		if e.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
		}
	} else if code == techx.EINTERNAL {
		slog.ErrorContext(c.Request.Context(), "internal error", "request_id", p.RequestID, "route", c.FullPath(), "err", err)
	}
	if code == techx.EUNAUTHORIZED {
		c.Header("WWW-Authenticate", `Bearer realm="techx"`)
	}
	writeProblem(c, p)
}

func writeProblem(c *gin.Context, p Problem) {
	c.Header("Content-Type", "application/problem+json")
	c.Header("Cache-Control", "no-store")
	c.Status(p.Status)
	c.Error(&techx.Error{Code: p.Code, Message: p.Detail}) // for the access log
	enc := jsonEncoder(c.Writer)
	_ = enc.Encode(p)
	c.Abort()
}
