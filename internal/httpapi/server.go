// Package httpapi is the JSON API of TechX on gin: every route in
// routes.go, handlers as maker functions, problem+json errors, and the
// middleware for request ids, access logs, panics and authentication.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// Deps are what the API needs; the caller builds them (cmd/techx).
type Deps struct {
	Log     *slog.Logger
	Auth    *auth.Service
	Users   techx.UserService
	Catalog techx.CatalogService
	// Listings loads listings for search hits and stores match feedback.
	Listings techx.ListingStore
	// Index is the search index (search and matching).
	Index    *search.Index
	Taxonomy *techx.Taxonomy

	// Contracts, Targets and Deals serve issue 6; Deals may be nil until
	// deals exist, and then contracts naming a deal_id are refused.
	Contracts techx.ContractService
	Targets   techx.TargetService
	Deals     techx.DealLookup

	// Brokering, Challenges and Notifications serve issue 5 (deals,
	// 揭榜挂帅 challenges, saved searches and the inbox).
	Brokering     techx.DealService
	Challenges    techx.ChallengeService
	Notifications techx.NotificationService

	// OpenAPI is the API description served at /api/v1/openapi.yaml.
	OpenAPI []byte
	// Ready reports readiness details; an error means not ready.
	Ready func(ctx context.Context) (map[string]any, error)
	// Observe, if set, receives every request's route, method, status and
	// duration (metrics).
	Observe func(route, method string, status int, d time.Duration)
	// InFlight, if set, is told +1 when a request starts and -1 when it
	// ends (metrics).
	InFlight func(delta int)
	// Metrics, if set, serves /metrics (Prometheus text format).
	Metrics http.Handler
	// TrustedProxies are reverse proxies whose X-Forwarded-For gives the
	// client IP; nil means the peer address is the client.
	TrustedProxies []string
	// Now is the clock; nil means time.Now in UTC.
	Now func() time.Time
}

// NewServer returns the HTTP handler of the API.
func NewServer(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	r := gin.New()
	r.ContextWithFallback = true
	r.HandleMethodNotAllowed = true
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Log.Warn("bad trusted proxies; trusting none", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(requestID(), inFlight(d.InFlight), accessLog(d.Log, d.Observe), recovery(d.Log))
	r.NoRoute(func(c *gin.Context) { writeError(c, techx.Errorf(techx.ENOTFOUND, "No such route.")) })
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, Problem{Type: ProblemType + "method_not_allowed", Title: "Method not allowed",
			Status: http.StatusMethodNotAllowed, Detail: "This route does not take that method.", Code: "method_not_allowed"})
	})
	routes(r, &d)
	return r
}
