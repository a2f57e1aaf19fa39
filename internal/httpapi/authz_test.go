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
	otherInstitution                *apitest.Actor
	// Listings of enterprise and institution: drafts and published ones.
	draftNeed, publishedNeed, draftResult, publishedResult string
}

func newFixture(t *testing.T, e *apitest.Env) *fixture {
	f := &fixture{e: e,
		enterprise: e.Register(techx.RoleEnterprise), otherEnterprise: e.Register(techx.RoleEnterprise),
		institution: e.Register(techx.RoleInstitution), otherInstitution: e.Register(techx.RoleInstitution),
		broker: e.Register(techx.RoleBroker), admin: e.Admin()}
	f.draftNeed = createNeed(t, e, f.enterprise, nil)
	f.publishedNeed = createNeed(t, e, f.enterprise, nil)
	e.Do(apitest.Req{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/publish", Token: f.enterprise.Token}).Want(t, 200)
	f.draftResult = createResult(t, e, f.institution, nil)
	f.publishedResult = createResult(t, e, f.institution, nil)
	e.Do(apitest.Req{Method: "POST", Path: "/api/v1/results/" + f.publishedResult + "/publish", Token: f.institution.Token}).Want(t, 200)
	return f
}

// as builds a refusal of method on path (with {need}, {result} …
// placeholders) for the caller picked by who.
func as(method, path string, who func(f *fixture) *apitest.Actor, body any, status int) refusal {
	return refusal{func(f *fixture) apitest.Req {
		p := strings.NewReplacer("{draftNeed}", f.draftNeed, "{need}", f.publishedNeed,
			"{draftResult}", f.draftResult, "{result}", f.publishedResult).Replace(path)
		r := apitest.Req{Method: method, Path: p, Body: body}
		if a := who(f); a != nil {
			r.Token = a.Token
		}
		return r
	}, status}
}

func anon(*fixture) *apitest.Actor            { return nil }
func otherEnt(f *fixture) *apitest.Actor      { return f.otherEnterprise }
func otherInst(f *fixture) *apitest.Actor     { return f.otherInstitution }
func brokerOf(f *fixture) *apitest.Actor      { return f.broker }
func institutionOf(f *fixture) *apitest.Actor { return f.institution }
func enterpriseOf(f *fixture) *apitest.Actor  { return f.enterprise }

// refusal is one caller who must be refused on a route, and how.
type refusal struct {
	req    func(f *fixture) apitest.Req
	status int
}

// public marks routes anyone may call; the reason is the documentation.
var public = map[string]string{
	"GET /healthz":                        "liveness probe",
	"GET /readyz":                         "readiness probe",
	"GET /metrics":                        "operational counters, no personal data; the reverse proxy does not forward it (deployments/)",
	"GET /docs":                           "the API description rendered as a page",
	"GET /docs/redoc.standalone.js":       "the page's embedded script",
	"GET /api/v1/openapi.yaml":            "the API description",
	"GET /api/v1/taxonomy":                "the plan's public codes",
	"POST /api/v1/auth/register":          "anyone may sign up",
	"POST /api/v1/auth/login":             "anyone may log in",
	"POST /api/v1/auth/refresh":           "the refresh token is the credential",
	"POST /api/v1/auth/logout":            "the refresh token is the credential",
	"GET /api/v1/needs":                   "published listings are public; the service filters the rest",
	"GET /api/v1/needs/:id":               "published needs are public (404 otherwise); tested in catalog_test",
	"GET /api/v1/results":                 "published listings are public",
	"GET /api/v1/results/:id":             "published results are public (404 otherwise)",
	"GET /api/v1/needs/import/template":   "an empty template",
	"GET /api/v1/search":                  "searches published listings; confidential text only for who may read it (search_test)",
	"GET /api/v1/results/:id/matches":     "matches of a visible result; confidential needs are redacted (search_test)",
	"GET /api/v1/results/import/template": "an empty template",

	// Contracts, statistics and targets (issue 6): aggregates are public.
	"GET /api/v1/stats/turnover":          "turnover aggregates are public; rows are not (contract_test)",
	"GET /api/v1/targets":                 "targets and official figures are public",
	"GET /api/v1/targets/:code/progress":  "progress toward a target is public",
	"GET /api/v1/targets/:code/chart.svg": "the progress chart is public",
	"GET /api/v1/indicators":              "the plan's indicators are public",

	// Brokering (issue 5).
	"GET /api/v1/challenges":     "challenges of non-draft needs are public; BOLA in challenge_test",
	"GET /api/v1/challenges/:id": "a challenge of a non-draft need is public (404 otherwise; challenge_test)",
}

// refusals lists, for every non-public route, callers who must be refused.
var refusals = map[string][]refusal{
	// Brokering: deals, challenges, saved searches, notifications (issue 5);
	// the fixture's deal, challenge … are made on first use (deal_test.go).
	"POST /api/v1/deals": {
		as("POST", "/api/v1/deals", anon, map[string]any{"need_id": "x", "result_id": "y"}, 401),
		{func(f *fixture) R {
			return R{Method: "POST", Path: "/api/v1/deals", Token: f.otherEnterprise.Token,
				Body: map[string]any{"need_id": f.publishedNeed, "result_id": f.publishedResult}}
		}, 403},
	},
	"GET /api/v1/deals":                        {as("GET", "/api/v1/deals", anon, nil, 401)},
	"GET /api/v1/deals/:id":                    {dealRefusal("GET", "", otherEnt, nil, 404), dealRefusal("GET", "", brokerOf, nil, 404), dealRefusal("GET", "", anon, nil, 401)},
	"POST /api/v1/deals/:id/stage":             {dealRefusal("POST", "/stage", otherInst, map[string]any{"stage": "contacted"}, 404), dealRefusal("POST", "/stage", anon, map[string]any{"stage": "contacted"}, 401)},
	"POST /api/v1/deals/:id/notes":             {dealRefusal("POST", "/notes", otherEnt, map[string]any{"note": "窥探"}, 404)},
	"POST /api/v1/deals/:id/assign":            {dealRefusal("POST", "/assign", brokerOf, map[string]any{"broker_id": "x"}, 404)},
	"GET /api/v1/brokers/me/pipeline":          {as("GET", "/api/v1/brokers/me/pipeline", enterpriseOf, nil, 403), as("GET", "/api/v1/brokers/me/pipeline", adminOf, nil, 403)},
	"POST /api/v1/needs/:id/challenge":         {as("POST", "/api/v1/needs/{need}/challenge", otherEnt, challengeBody(), 403), as("POST", "/api/v1/needs/{need}/challenge", institutionOf, challengeBody(), 403)},
	"POST /api/v1/challenges/:id/applications": {challengeRefusal("POST", "/applications", enterpriseOf, applicationBody(), 403), challengeRefusal("POST", "/applications", anon, applicationBody(), 401)},
	"GET /api/v1/challenges/:id/applications":  {challengeRefusal("GET", "/applications", anon, nil, 401)},
	"POST /api/v1/challenges/:id/award":        {challengeRefusal("POST", "/award", otherEnt, map[string]any{"application_id": "x"}, 403), challengeRefusal("POST", "/award", institutionOf, map[string]any{"application_id": "x"}, 403)},
	"POST /api/v1/saved-searches":              {as("POST", "/api/v1/saved-searches", anon, map[string]any{"q": "焊接"}, 401)},
	"GET /api/v1/saved-searches":               {as("GET", "/api/v1/saved-searches", anon, nil, 401)},
	"DELETE /api/v1/saved-searches/:id":        {savedSearchRefusal(otherEnt, 404), savedSearchRefusal(anon, 401)},
	"GET /api/v1/notifications":                {as("GET", "/api/v1/notifications", anon, nil, 401)},
	"POST /api/v1/notifications/:id/read":      {notificationRefusal(otherInst, 404), notificationRefusal(enterpriseOf, 404), notificationRefusal(anon, 401)},
	"POST /api/v1/notifications/read-all":      {as("POST", "/api/v1/notifications/read-all", anon, nil, 401)},

	// Contracts, statistics and targets (issue 6).
	"POST /api/v1/contracts": {
		as("POST", "/api/v1/contracts", anon, contractBody(), 401),
		as("POST", "/api/v1/contracts", enterpriseOf, contractBody(), 403),
		as("POST", "/api/v1/contracts", institutionOf, contractBody(), 403),
	},
	"GET /api/v1/contracts": {
		as("GET", "/api/v1/contracts", anon, nil, 401),
		as("GET", "/api/v1/contracts", enterpriseOf, nil, 403),
		as("GET", "/api/v1/contracts", institutionOf, nil, 403),
	},
	"GET /api/v1/contracts/export": {
		as("GET", "/api/v1/contracts/export", anon, nil, 401),
		as("GET", "/api/v1/contracts/export", institutionOf, nil, 403),
	},
	"GET /api/v1/contracts/:id": {
		contractRefusal("GET", "", anon, nil, 401),
		contractRefusal("GET", "", otherEnt, nil, 404),
		contractRefusal("GET", "", institutionOf, nil, 404),
	},
	"PATCH /api/v1/contracts/:id": {
		contractRefusal("PATCH", "", enterpriseOf, map[string]any{"title": "篡改合同"}, 403),
		contractRefusal("PATCH", "", anon, map[string]any{"title": "篡改合同"}, 401),
	},
	"POST /api/v1/contracts/:id/verify": {
		contractRefusal("POST", "/verify", brokerOf, nil, 403),
		contractRefusal("POST", "/verify", enterpriseOf, nil, 403),
	},
	"POST /api/v1/contracts/:id/void": {contractRefusal("POST", "/void", brokerOf, map[string]any{"reason": "作废"}, 403)},
	"GET /api/v1/contracts/:id/audit": {contractRefusal("GET", "/audit", brokerOf, nil, 403), contractRefusal("GET", "/audit", anon, nil, 401)},
	"POST /api/v1/targets":            {as("POST", "/api/v1/targets", brokerOf, map[string]any{"code": "x"}, 403), as("POST", "/api/v1/targets", anon, map[string]any{"code": "x"}, 401)},
	"PUT /api/v1/targets/:code/official/:year": {
		as("PUT", "/api/v1/targets/tech_contract_turnover/official/2021", brokerOf, map[string]any{"value_yi": "1"}, 403),
		as("PUT", "/api/v1/targets/tech_contract_turnover/official/2021", anon, map[string]any{"value_yi": "1"}, 401),
	},
	"PUT /api/v1/indicators/:no/values/:year": {
		as("PUT", "/api/v1/indicators/1/values/2023", brokerOf, map[string]any{"value": "1"}, 403),
		as("PUT", "/api/v1/indicators/1/values/2023", enterpriseOf, map[string]any{"value": "1"}, 403),
	},

	"POST /api/v1/needs": {
		as("POST", "/api/v1/needs", anon, map[string]any{"title": "x", "industry": "auto"}, 401),
		as("POST", "/api/v1/needs", institutionOf, map[string]any{"title": "x", "industry": "auto"}, 403),
		as("POST", "/api/v1/needs", brokerOf, map[string]any{"title": "x", "industry": "auto"}, 403),
	},
	"POST /api/v1/needs/import":   {as("POST", "/api/v1/needs/import", institutionOf, "title\nx\n", 403), as("POST", "/api/v1/needs/import", anon, "title\nx\n", 401)},
	"POST /api/v1/results":        {as("POST", "/api/v1/results", enterpriseOf, map[string]any{"title": "x", "industry": "auto"}, 403)},
	"POST /api/v1/results/import": {as("POST", "/api/v1/results/import", enterpriseOf, "title\nx\n", 403)},
	"PATCH /api/v1/needs/:id": {
		as("PATCH", "/api/v1/needs/{draftNeed}", otherEnt, map[string]any{"title": "hijack"}, 404),
		as("PATCH", "/api/v1/needs/{need}", otherEnt, map[string]any{"title": "hijack"}, 403),
		as("PATCH", "/api/v1/needs/{need}", brokerOf, map[string]any{"title": "hijack"}, 403),
		as("PATCH", "/api/v1/needs/{need}", anon, map[string]any{"title": "hijack"}, 401),
	},
	"DELETE /api/v1/needs/:id": {
		as("DELETE", "/api/v1/needs/{draftNeed}", otherEnt, nil, 404),
		as("DELETE", "/api/v1/needs/{need}", otherEnt, nil, 403),
	},
	"POST /api/v1/needs/:id/publish":   {as("POST", "/api/v1/needs/{draftNeed}/publish", otherEnt, nil, 404)},
	"POST /api/v1/needs/:id/close":     {as("POST", "/api/v1/needs/{need}/close", otherEnt, nil, 403), as("POST", "/api/v1/needs/{need}/close", brokerOf, nil, 403)},
	"POST /api/v1/needs/:id/renew":     {as("POST", "/api/v1/needs/{need}/renew", otherEnt, nil, 403)},
	"POST /api/v1/needs/:id/unpublish": {as("POST", "/api/v1/needs/{need}/unpublish", otherEnt, map[string]any{"reason": "x"}, 403), as("POST", "/api/v1/needs/{need}/unpublish", brokerOf, map[string]any{"reason": "x"}, 403)},
	"PATCH /api/v1/results/:id": {
		as("PATCH", "/api/v1/results/{draftResult}", otherInst, map[string]any{"title": "hijack"}, 404),
		as("PATCH", "/api/v1/results/{result}", otherInst, map[string]any{"title": "hijack"}, 403),
	},
	"DELETE /api/v1/results/:id": {
		as("DELETE", "/api/v1/results/{draftResult}", otherInst, nil, 404),
		as("DELETE", "/api/v1/results/{result}", otherInst, nil, 403),
	},
	"POST /api/v1/results/:id/publish":  {as("POST", "/api/v1/results/{draftResult}/publish", otherInst, nil, 404)},
	"POST /api/v1/results/:id/withdraw": {as("POST", "/api/v1/results/{result}/withdraw", otherInst, nil, 403)},
	"POST /api/v1/results/:id/renew":    {as("POST", "/api/v1/results/{result}/renew", otherInst, nil, 403)},
	"GET /api/v1/needs/:id/matches": {
		as("GET", "/api/v1/needs/{draftNeed}/matches", otherEnt, nil, 404),
	},
	"POST /api/v1/needs/:id/matches/:result_id/feedback": {
		as("POST", "/api/v1/needs/{need}/matches/{result}/feedback", otherEnt, map[string]any{"useful": true}, 403),
		as("POST", "/api/v1/needs/{need}/matches/{result}/feedback", institutionOf, map[string]any{"useful": true}, 403),
		as("POST", "/api/v1/needs/{need}/matches/{result}/feedback", anon, map[string]any{"useful": true}, 401),
	},
	"POST /api/v1/results/:id/unpublish": {as("POST", "/api/v1/results/{result}/unpublish", brokerOf, map[string]any{"reason": "x"}, 403)},
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
