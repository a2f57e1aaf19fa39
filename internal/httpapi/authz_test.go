package httpapi_test

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
)

// fixture is what the authorization matrix works on: one actor per role,
// each in its own organization, plus things they own.
type fixture struct {
	e                               *apitest.Env
	enterprise, institution, broker *apitest.Actor
	admin, otherEnterprise          *apitest.Actor
}

func newFixture(t *testing.T, e *apitest.Env) *fixture {
	return &fixture{e: e,
		enterprise: e.Register(techx.RoleEnterprise), otherEnterprise: e.Register(techx.RoleEnterprise),
		institution: e.Register(techx.RoleInstitution), broker: e.Register(techx.RoleBroker), admin: e.Admin()}
}

// refusal is one caller who must be refused on a route, and how.
type refusal struct {
	req    func(f *fixture) apitest.Req
	status int
}

// public marks routes anyone may call; the reason is the documentation.
var public = map[string]string{
	"GET /healthz":               "liveness probe",
	"GET /readyz":                "readiness probe",
	"GET /api/v1/openapi.yaml":   "the API description",
	"GET /api/v1/taxonomy":       "the plan's public codes",
	"POST /api/v1/auth/register": "anyone may sign up",
	"POST /api/v1/auth/login":    "anyone may log in",
	"POST /api/v1/auth/refresh":  "the refresh token is the credential",
	"POST /api/v1/auth/logout":   "the refresh token is the credential",
}

// refusals lists, for every non-public route, callers who must be refused.
var refusals = map[string][]refusal{
	"GET /api/v1/me": {
		{func(f *fixture) apitest.Req { return apitest.Req{Method: "GET", Path: "/api/v1/me"} }, 401},
	},
	"GET /api/v1/organizations/:id": {
		{func(f *fixture) apitest.Req {
			return apitest.Req{Method: "GET", Path: "/api/v1/organizations/" + f.enterprise.OrgID}
		}, 401},
	},
	"POST /api/v1/organizations/:id/invitations": {
		{func(f *fixture) apitest.Req {
			return apitest.Req{Method: "POST", Path: "/api/v1/organizations/" + f.enterprise.OrgID + "/invitations", Token: f.otherEnterprise.Token}
		}, 403},
		{func(f *fixture) apitest.Req {
			return apitest.Req{Method: "POST", Path: "/api/v1/organizations/" + f.enterprise.OrgID + "/invitations", Token: f.broker.Token}
		}, 403},
	},
	"POST /api/v1/organizations/:id/verify": {
		{func(f *fixture) apitest.Req {
			return apitest.Req{Method: "POST", Path: "/api/v1/organizations/" + f.enterprise.OrgID + "/verify", Token: f.broker.Token}
		}, 403},
		{func(f *fixture) apitest.Req {
			return apitest.Req{Method: "POST", Path: "/api/v1/organizations/" + f.enterprise.OrgID + "/verify", Token: f.enterprise.Token}
		}, 403},
	},
}

// TestEveryRouteRefusesSomeone walks every route of the router: each is
// either public (with a reason) or has callers who must be refused.
func TestEveryRouteRefusesSomeone(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	f := newFixture(t, e)
	engine := e.App.Handler().(*gin.Engine)
	for _, r := range engine.Routes() {
		key := r.Method + " " + r.Path
		if _, ok := public[key]; ok {
			continue
		}
		rs, ok := refusals[key]
		if !ok || len(rs) == 0 {
			t.Errorf("route %s has no authorization test: add it to refusals (or public, with a reason)", key)
			continue
		}
		for _, rf := range rs {
			req := rf.req(f)
			t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
				got := e.Do(req)
				if got.Status != rf.status {
					t.Fatalf("%s %s (token given: %v): status %d, want %d; %s", req.Method, req.Path, req.Token != "", got.Status, rf.status, got.Body)
				}
				got.Problem(t)
			})
		}
	}
}
