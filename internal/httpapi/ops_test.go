package httpapi_test

import (
	"bufio"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
)

// TestMetricsScrape drives some traffic, a throttled login and an index
// batch, then scrapes /metrics and finds every family the issue names.
func TestMetricsScrape(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ent := e.Register(techx.RoleEnterprise)
		id := createNeed(t, e, ent, nil)
		publish(t, e, "needs", id, ent)
		e.WaitIndexed()
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + id}).Want(t, 200)
		// Past the account limit (5 failures) the throttle answers 429.
		var last *apitest.Response
		for i := 0; i < 7; i++ {
			last = e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": ent.Email, "password": "wrong-password-x"}})
		}
		last.Want(t, 429)

		// The follower counts its batch just after the index records the
		// position WaitIndexed waits for: scrape until it shows (bounded).
		var resp *apitest.Response
		for i := 0; i < 100; i++ {
			resp = e.Do(R{Method: "GET", Path: "/metrics"}).Want(t, 200)
			if !strings.Contains(string(resp.Body), "techx_index_batch_entries_total 0\n") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("Content-Type %q", ct)
		}
		body := string(resp.Body)
		for _, fam := range []string{
			"techx_http_request_duration_seconds_bucket", "techx_http_requests_in_flight",
			"techx_db_pool_open_connections", "techx_db_pool_in_use", "techx_db_pool_idle", "techx_db_pool_wait_total",
			"techx_outbox_head_seq", "techx_outbox_depth", "techx_index_applied_seq", "techx_index_lag",
			"techx_index_batch_duration_seconds_bucket", "techx_index_batch_entries_total",
			"techx_login_throttled_total", "go_goroutines", "process_resident_memory_bytes",
		} {
			if !strings.Contains(body, "\n"+fam) {
				t.Errorf("/metrics has no %s", fam)
			}
		}
		for _, want := range []string{
			`route="/api/v1/needs/:id",status="200"`, `route="/api/v1/auth/login",status="429"`,
			`techx_index_lag 0`, `techx_outbox_scrape_ok 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics has no %s", want)
			}
		}
		if strings.Contains(body, `techx_login_throttled_total{scope="login"} 0`) {
			t.Error("the throttled login was not counted")
		}
		if strings.Contains(body, "techx_index_batch_entries_total 0\n") {
			t.Error("no index batch was counted")
		}
	})
}

// TestDocsPage: /docs is the embedded Redoc page under a strict CSP, and
// its script is served from the binary.
func TestDocsPage(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	page := e.Do(R{Method: "GET", Path: "/docs"}).Want(t, 200)
	csp := page.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "worker-src 'self' blob:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, want := range []string{`src="/docs/redoc.standalone.js"`, `spec-url="/api/v1/openapi.yaml"`} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("/docs lacks %s", want)
		}
	}
	if strings.Contains(string(page.Body), "http://") || strings.Contains(string(page.Body), "https://") {
		t.Error("/docs refers to an outside address")
	}
	js := e.Do(R{Method: "GET", Path: "/docs/redoc.standalone.js"}).Want(t, 200)
	if len(js.Body) < 500_000 || !strings.Contains(string(js.Body[:200]), "redoc.standalone.js.LICENSE.txt") {
		t.Fatalf("redoc bundle: %d bytes", len(js.Body))
	}
	e.Do(R{Method: "GET", Path: "/docs/redoc.standalone.js", Header: map[string]string{"If-None-Match": js.Header.Get("ETag")}}).Want(t, 304)
}

// TestLogsHoldNoSecrets runs a full flow — register, login, a failed
// login, refresh, a confidential need, search for its secret text, logout —
// and greps the server's whole log: no password, token or confidential
// text, while every request still has its one JSON line.
func TestLogsHoldNoSecrets(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		const (
			password   = "Pw-Distinct-7Qx!horse"
			wrongPw    = "Wrong-Distinct-3Zr!battery"
			secretText = "机密配方钯铑催化剂XQ7"
			secretWord = "钯铑催化剂XQ7"
		)
		email := "logcheck@example.cn"
		e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{
			"email": email, "password": password, "name": "日志检查", "role": "enterprise",
			"organization": map[string]any{"name": "沧州日志检查有限公司", "kind": "enterprise", "uscc": e.NextUSCC(), "county": "botou"}}}).Want(t, 201)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email, "password": wrongPw}}).Want(t, 401)
		a := e.Login(email, password, nil)
		var p auth.TokenPair
		e.Do(R{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]any{"refresh_token": a.Refresh}}).Want(t, 200).JSON(t, &p)
		id := createNeed(t, e, a, map[string]any{"title": "反应釜密封改进", "confidential": true,
			"description": secretText + " 的回收工艺", "keywords": []string{secretWord}, "industry": "green-chem"})
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + id + "/publish", Token: p.AccessToken}).Want(t, 200)
		e.WaitIndexed()
		got := e.Do(R{Method: "GET", Path: "/api/v1/search?q=" + url.QueryEscape(secretWord), Token: p.AccessToken}).Want(t, 200)
		if !strings.Contains(string(got.Body), id) {
			t.Fatalf("the owner does not find the confidential need: %s", got.Body)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/search?q=" + url.QueryEscape(secretWord)}).Want(t, 200)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + id, Token: p.AccessToken}).Want(t, 200)
		e.Do(R{Method: "POST", Path: "/api/v1/auth/logout", Body: map[string]any{"refresh_token": p.RefreshToken}}).Want(t, 204)

		log := e.LogBuf.String()
		for name, s := range map[string]string{
			"password": password, "wrong password": wrongPw, "access token": a.Token, "refreshed access token": p.AccessToken,
			"refresh token": a.Refresh, "rotated refresh token": p.RefreshToken, "confidential text": secretWord,
			"confidential text (escaped)": jsonEscaped(secretWord), "query string": url.QueryEscape(secretWord),
		} {
			if strings.Contains(log, s) {
				t.Errorf("the log contains the %s", name)
			}
		}
		if strings.Contains(log, "eyJ") {
			t.Error("the log contains something that looks like a JWT")
		}
		// One JSON line per request, with the fields operators need.
		requests, withUser := 0, 0
		sc := bufio.NewScanner(strings.NewReader(log))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("log line is not JSON: %s", sc.Text())
			}
			if m["msg"] != "request" {
				continue
			}
			requests++
			for _, k := range []string{"request_id", "route", "status", "duration_ms", "method"} {
				if _, ok := m[k]; !ok {
					t.Errorf("request line lacks %s: %s", k, sc.Text())
				}
			}
			if m["user_id"] == a.UserID {
				withUser++
			}
		}
		if requests < 10 || withUser < 4 {
			t.Fatalf("request lines: %d (with the user's id: %d)", requests, withUser)
		}
	})
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(strings.ReplaceAll(string(b), `\u`, `\\u`), `"`)
}
