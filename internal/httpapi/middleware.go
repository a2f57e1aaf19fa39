package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/techx"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID takes a well-formed X-Request-ID or makes one, and puts it in
// the context and the response.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			id = auth.RandomToken(12)
		}
		c.Header("X-Request-ID", id)
		c.Request = c.Request.WithContext(techx.NewContextWithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

// accessLog writes one JSON line per request. It never logs bodies, query
// strings or headers, so no password, token or confidential text is logged.
func accessLog(log *slog.Logger, observe func(route, method string, status int, d time.Duration)) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		d := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		status := c.Writer.Status()
		attrs := []any{
			"request_id", techx.RequestIDFromContext(c.Request.Context()),
			"method", c.Request.Method,
			"route", route,
			"status", status,
			"duration_ms", float64(d.Microseconds()) / 1000,
			"bytes", c.Writer.Size(),
		}
		if u := techx.UserFromContext(c.Request.Context()); u != nil {
			attrs = append(attrs, "user_id", u.ID)
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, "error_code", techx.ErrorCode(c.Errors.Last().Err))
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.Log(c.Request.Context(), level, "request", attrs...)
		if observe != nil {
			observe(route, c.Request.Method, status, d)
		}
	}
}

// recovery turns a panic into a 500 problem with no internals, logging the
// stack with the request id.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				log.Error("panic", "request_id", techx.RequestIDFromContext(c.Request.Context()),
					"route", c.FullPath(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if !c.Writer.Written() {
					writeError(c, techx.Errorf(techx.EINTERNAL, "Internal error."))
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// authenticate reads an optional bearer token. A present but bad token is
// refused with 401 even on public routes; no token means anonymous.
func authenticate(svc *auth.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		if h == "" {
			c.Next()
			return
		}
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			writeError(c, techx.Errorf(techx.EUNAUTHORIZED, "Use an Authorization: Bearer <access token> header."))
			return
		}
		u, err := svc.Authenticate(c.Request.Context(), strings.TrimSpace(token))
		if err != nil {
			writeError(c, err)
			return
		}
		c.Request = c.Request.WithContext(techx.NewContextWithUser(c.Request.Context(), u))
		c.Next()
	}
}

// requireUser refuses anonymous callers with 401.
func requireUser() gin.HandlerFunc {
	return func(c *gin.Context) {
		if techx.UserFromContext(c.Request.Context()) == nil {
			writeError(c, techx.Errorf(techx.EUNAUTHORIZED, "Log in first: this route needs a bearer access token."))
			return
		}
		c.Next()
	}
}

// requireRole refuses anonymous callers (401) and users of other roles (403).
func requireRole(roles ...techx.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := techx.UserFromContext(c.Request.Context())
		if u == nil {
			writeError(c, techx.Errorf(techx.EUNAUTHORIZED, "Log in first: this route needs a bearer access token."))
			return
		}
		for _, r := range roles {
			if u.Role == r {
				c.Next()
				return
			}
		}
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		writeError(c, techx.Errorf(techx.EFORBIDDEN, "This route is for the roles: %s.", strings.Join(names, ", ")))
	}
}

// noStore marks responses that must not be cached (tokens, personal data).
func noStore() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.Next()
	}
}
