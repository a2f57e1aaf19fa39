// Package techx holds the TechX domain: the types, their validation rules,
// the service interfaces the rest of the program implements, and the error
// codes every layer speaks. It imports nothing else of ours.
package techx

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each maps to exactly one HTTP status in the httpapi package.
const (
	EINVALID         = "invalid"           // input failed validation (422)
	EMALFORMED       = "malformed"         // the request could not be read (400)
	EUNAUTHORIZED    = "unauthorized"      // no or bad credentials (401)
	EFORBIDDEN       = "forbidden"         // authenticated but not allowed (403)
	ENOTFOUND        = "not_found"         // does not exist or may not be seen (404)
	ECONFLICT        = "conflict"          // clashes with the current state (409)
	ETOOLARGE        = "too_large"         // body over the limit (413)
	EUNSUPPORTED     = "unsupported_media" // wrong content type (415)
	ETOOMANYREQUESTS = "too_many_requests" // throttled (429)
	EINTERNAL        = "internal"          // a bug (500)
	EUNAVAILABLE     = "unavailable"       // a dependency is down (503)
)

// FieldError names one field that failed validation and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type of TechX. Code is machine-readable and stable;
// Message is shown to users. Fields lists validation failures.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter, in seconds, accompanies ETOOMANYREQUESTS and EUNAVAILABLE.
	RetryAfter int
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("techx error: code=%s message=%s", e.Code, e.Message)
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	return fmt.Sprintf("techx error: code=%s message=%s fields=[%s]", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// *Error are internal and render as "Internal error." so no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Validation collects field errors; its Err method returns nil when there
// are none and an EINVALID *Error otherwise.
type Validation struct {
	Fields []FieldError
}

// Add records that field failed with message.
func (v *Validation) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records message for field when ok is false.
func (v *Validation) Check(ok bool, field, format string, args ...any) {
	if !ok {
		v.Add(field, format, args...)
	}
}

// Err returns the collected failures as one EINVALID error, or nil.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The request has invalid fields.", Fields: v.Fields}
}

// Wrap adds context to *errp when it is a non-nil error, keeping its chain
// (pkgsite's derrors.Wrap): defer techx.Wrap(&err, "FindUser(%q)", id).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
