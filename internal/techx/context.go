package techx

import "context"

type contextKey int

const (
	userContextKey contextKey = iota
	requestIDContextKey
)

// NewContextWithUser returns a copy of ctx carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey, u)
}

// UserFromContext returns the authenticated user, or nil for anonymous callers.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey).(*User)
	return u
}

// NewContextWithRequestID returns a copy of ctx carrying the request id.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDContextKey, id)
}

// RequestIDFromContext returns the request id, or "".
func RequestIDFromContext(ctx context.Context) string {
	s, _ := ctx.Value(requestIDContextKey).(string)
	return s
}
