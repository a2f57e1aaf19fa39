package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
)

type R = apitest.Req

// TestOpenAPIMatchesRouter checks that the router's routes and the
// document's paths are the same set, both ways.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	doc, _ := apitest.Spec(t)
	engine, ok := e.App.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("handler is %T, want *gin.Engine", e.App.Handler())
	}
	router := map[string]bool{}
	for _, r := range engine.Routes() {
		p := r.Path
		parts := strings.Split(p, "/")
		for i, s := range parts {
			if strings.HasPrefix(s, ":") {
				parts[i] = "{" + s[1:] + "}"
			}
		}
		router[r.Method+" "+strings.Join(parts, "/")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range router {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !router[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes not in api/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("api/openapi.yaml paths with no route:\n  %s", strings.Join(extra, "\n  "))
	}
}

func TestAuthFlow(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := e.Register(techx.RoleEnterprise)
		if a.User["organization"] == nil || a.User["role"] != "enterprise" {
			t.Fatalf("/me = %v", a.User)
		}
		// Refresh rotates; the old refresh token is then reuse and kills the family.
		var p auth.TokenPair
		e.Do(R{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": a.Refresh}}).Want(t, 200).JSON(t, &p)
		if p.RefreshToken == a.Refresh || p.TokenType != "Bearer" || p.ExpiresIn != 900 {
			t.Fatalf("refresh = %+v", p)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/me", Token: p.AccessToken}).Want(t, 200)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": a.Refresh}}).Want(t, 401)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": p.RefreshToken}}).Want(t, 401)

		// Logout revokes.
		b := e.Login(a.Email, "correct-horse-battery", nil)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/logout", Body: map[string]any{"refresh_token": b.Refresh}}).Want(t, 204)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": b.Refresh}}).Want(t, 401)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/logout", Body: map[string]any{}}).Want(t, 422)
	})
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	a := e.Register(techx.RoleInstitution)
	wrong := e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": a.Email, "password": "not-the-password"}}).Want(t, 401).Problem(t)
	unknown := e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": "nobody@example.cn", "password": "not-the-password"}}).Want(t, 401).Problem(t)
	if wrong["detail"] != unknown["detail"] || wrong["code"] != unknown["code"] {
		t.Fatalf("wrong password %v and unknown e-mail %v differ", wrong, unknown)
	}
}

func TestLoginThrottled(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	a := e.Register(techx.RoleEnterprise)
	var last *apitest.Response
	for i := 0; i < 6; i++ {
		last = e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": a.Email, "password": "guess-" + fmt.Sprint(i) + "-xxxx"}})
	}
	last.Want(t, 429)
	if last.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// Even the right password waits now.
	e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": a.Email, "password": "correct-horse-battery"}}).Want(t, 429)
	// Per IP: many accounts from one address.
	for i := 0; i < 25; i++ {
		last = e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": fmt.Sprintf("x%d@example.cn", i), "password": "guess-guess-guess"}})
	}
	last.Want(t, 429)
	if !strings.Contains(e.LogBuf.String(), `"status":429`) {
		t.Fatal("throttled requests are not in the access log")
	}
}

func TestRehashOnLogin(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	a := e.Register(techx.RoleEnterprise)
	e.App.Auth.Hasher.Params = auth.OWASPParams
	e.Login(a.Email, "correct-horse-battery", nil)
	u, err := e.App.Users.FindUserByEmail(context.Background(), a.Email)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash not upgraded on login: %s", u.PasswordHash)
	}
}

func TestRegistrationValidation(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	org := func(kv ...any) map[string]any {
		m := map[string]any{"name": "沧州测试企业", "kind": "enterprise", "uscc": "91350100M000100Y43", "county": "botou"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	body := func(kv ...any) map[string]any {
		m := map[string]any{"email": "new@example.cn", "password": "0123456789", "name": "张三", "role": "enterprise", "organization": org()}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"bad email", body("email", "not-an-email"), "email"},
		{"short password", body("password", "short"), "password"},
		{"admin role", body("role", "admin"), "role"},
		{"unknown role", body("role", "king"), "role"},
		{"empty name", body("name", ""), "name"},
		{"no organization", body("organization", nil), "organization"},
		{"both organization and invite", body("invite_code", "abc"), "organization"},
		{"bad uscc check", body("organization", org("uscc", "91350100M000100Y42")), "organization.uscc"},
		{"uscc with O", body("organization", org("uscc", "91350100M0001O0Y43")), "organization.uscc"},
		{"enterprise without uscc", body("organization", org("uscc", nil)), "organization.uscc"},
		{"unknown county", body("organization", org("county", "paris")), "organization.county"},
		{"county and region", body("organization", org("source_region", "beijing")), "organization.county"},
		{"unknown kind", body("organization", org("kind", "club")), "organization.kind"},
		{"role does not fit kind", body("role", "institution"), "role"},
		{"unknown region", body("role", "institution", "organization", org("kind", "university", "uscc", nil, "county", nil, "source_region", "mars")), "organization.source_region"},
		{"bad invite", body("organization", nil, "invite_code", "nope"), "invite_code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: tc.body}).Want(t, 422).Problem(t)
			errs, _ := p["errors"].([]any)
			found := false
			for _, fe := range errs {
				if fe.(map[string]any)["field"] == tc.field {
					found = true
				}
			}
			if !found {
				t.Fatalf("errors %v do not name %s", errs, tc.field)
			}
		})
	}
	// Nothing was created by the refused registrations.
	e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": "new@example.cn", "password": "0123456789"}}).Want(t, 401)
	// A good one works, and its credit code is then taken.
	e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: body()}).Want(t, 201)
	e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: body("email", "again@example.cn")}).Want(t, 409)
	e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: body("organization", org("uscc", apitest.MakeUSCC("91130900MA0000001")))}).Want(t, 409)
}

func TestProblemShapes(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	a := e.Register(techx.RoleEnterprise)
	cases := []struct {
		name   string
		req    R
		status int
		code   string
	}{
		{"malformed JSON", R{Method: "POST", Path: "/api/v1/auth/login", Body: `{"email": "x",`}, 400, "malformed"},
		{"not an object", R{Method: "POST", Path: "/api/v1/auth/login", Body: `[1,2]`}, 422, "invalid"},
		{"trailing data", R{Method: "POST", Path: "/api/v1/auth/login", Body: `{"email":"a@b.cn","password":"x"} {}`}, 400, "malformed"},
		{"empty body", R{Method: "POST", Path: "/api/v1/auth/login", Body: ``, ContentType: "application/json"}, 400, "malformed"},
		{"unknown field", R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": "a@b.cn", "password": "x", "admin": true}}, 422, "invalid"},
		{"wrong type", R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": 5, "password": "x"}}, 422, "invalid"},
		{"oversize body", R{Method: "POST", Path: "/api/v1/auth/login", Body: `{"email":"` + strings.Repeat("a", 2<<20) + `"}`}, 413, "too_large"},
		{"form content type", R{Method: "POST", Path: "/api/v1/auth/login", Body: "email=a", ContentType: "application/x-www-form-urlencoded"}, 415, "unsupported_media"},
		{"missing token", R{Method: "GET", Path: "/api/v1/me"}, 401, "unauthorized"},
		{"bad token", R{Method: "GET", Path: "/api/v1/me", Token: "abc.def.ghi"}, 401, "unauthorized"},
		{"basic auth", R{Method: "GET", Path: "/api/v1/me", Header: map[string]string{"Authorization": "Basic dXNlcjpwdw=="}}, 401, "unauthorized"},
		{"bad token on a public route", R{Method: "GET", Path: "/api/v1/taxonomy", Token: "abc.def.ghi"}, 401, "unauthorized"},
		{"unknown route", R{Method: "GET", Path: "/api/v1/nope", Token: a.Token}, 404, "not_found"},
		{"unknown organization", R{Method: "GET", Path: "/api/v1/organizations/nope", Token: a.Token}, 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.Do(tc.req).Want(t, tc.status)
			p := resp.Problem(t)
			for _, k := range []string{"type", "title", "status", "detail", "code"} {
				if _, ok := p[k]; !ok {
					t.Errorf("problem lacks %q: %v", k, p)
				}
			}
			if p["code"] != tc.code || int(p["status"].(float64)) != tc.status || p["type"] != "urn:techx:problem:"+tc.code {
				t.Errorf("problem = %v; want code %s status %d", p, tc.code, tc.status)
			}
			if tc.code == "invalid" && p["errors"] == nil {
				t.Errorf("validation problem without errors: %v", p)
			}
		})
	}
}

func TestOrganizations(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		owner := e.Register(techx.RoleEnterprise)
		other := e.Register(techx.RoleEnterprise)
		admin := e.Admin()
		orgPath := "/api/v1/organizations/" + owner.OrgID
		e.Do(R{Method: "GET", Path: orgPath, Token: other.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: orgPath}).Want(t, 401)

		// Another tenant may not invite into this organization.
		e.Do(R{Method: "POST", Path: orgPath + "/invitations", Token: other.Token}).Want(t, 403)
		e.Do(R{Method: "POST", Path: orgPath + "/invitations", Token: admin.Token}).Want(t, 403)
		var inv map[string]any
		e.Do(R{Method: "POST", Path: orgPath + "/invitations", Token: owner.Token}).Want(t, 201).JSON(t, &inv)
		code := inv["invite_code"].(string)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{
			"email": "member@example.cn", "password": "member-password", "name": "成员", "role": "enterprise", "invite_code": code}}).Want(t, 201)
		m := e.Login("member@example.cn", "member-password", nil)
		if m.OrgID != owner.OrgID || m.User["org_owner"] != false {
			t.Fatalf("member = %v", m.User)
		}
		// A member who is not the owner may not invite; the code is spent.
		e.Do(R{Method: "POST", Path: orgPath + "/invitations", Token: m.Token}).Want(t, 403)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{
			"email": "late@example.cn", "password": "member-password", "name": "迟到", "role": "enterprise", "invite_code": code}}).Want(t, 422)

		// Only admins verify.
		e.Do(R{Method: "POST", Path: orgPath + "/verify", Token: owner.Token}).Want(t, 403)
		e.Do(R{Method: "POST", Path: orgPath + "/verify"}).Want(t, 401)
		var o map[string]any
		e.Do(R{Method: "POST", Path: orgPath + "/verify", Token: admin.Token}).Want(t, 200).JSON(t, &o)
		if o["verified_at"] == nil {
			t.Fatalf("not verified: %v", o)
		}
		e.Do(R{Method: "POST", Path: "/api/v1/organizations/nope/verify", Token: admin.Token}).Want(t, 404)
	})
}

func TestMetaRoutes(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	e.Do(R{Method: "GET", Path: "/healthz"}).Want(t, 200)
	r := e.Do(R{Method: "GET", Path: "/readyz"}).Want(t, 200).Map(t)
	if r["schema_version"] != r["schema_expected"] {
		t.Fatalf("readyz = %v", r)
	}
	spec := e.Do(R{Method: "GET", Path: "/api/v1/openapi.yaml"}).Want(t, 200)
	if !strings.HasPrefix(string(spec.Body), "openapi: 3.1") {
		t.Fatalf("openapi.yaml starts %.40q", spec.Body)
	}
	var tx map[string][]map[string]any
	e.Do(R{Method: "GET", Path: "/api/v1/taxonomy"}).Want(t, 200).JSON(t, &tx)
	for _, k := range []string{"industries", "counties", "zones", "source_regions", "contract_types", "transfer_modes"} {
		if len(tx[k]) == 0 || tx[k][0]["name"] == "" {
			t.Errorf("taxonomy %s empty", k)
		}
	}
	if got := e.Do(R{Method: "DELETE", Path: "/healthz"}); got.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /healthz = %d", got.Status)
	}
}
