// Package apitest runs the real TechX program for HTTP tests: the real
// router, real auth, a real database (SQLite in a temp dir or a fresh
// PostgreSQL schema) and, where wired, a real search index in a temp dir.
// Every response a test sees is validated against api/openapi.yaml.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/techx-cz/techx/api"
	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/config"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/store/storetest"
	"github.com/techx-cz/techx/internal/techx"
)

// CheapArgon2 keeps tests fast; the OWASP parameters are tested in auth.
var CheapArgon2 = auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Secret is the JWT secret of test servers.
const Secret = "test-secret-test-secret-test-secret-0123"

var (
	docOnce sync.Once
	doc     *openapi3.T
	router  routers.Router
	docErr  error
)

// Spec returns the parsed, validated OpenAPI document.
func Spec(tb testing.TB) (*openapi3.T, routers.Router) {
	tb.Helper()
	docOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, docErr = loader.LoadFromData(api.Spec)
		if docErr != nil {
			return
		}
		if docErr = doc.Validate(context.Background()); docErr != nil {
			return
		}
		// Match routes by path alone, whatever host the test server has.
		doc.Servers = nil
		router, docErr = legacy.NewRouter(doc)
	})
	if docErr != nil {
		tb.Fatalf("api/openapi.yaml: %v", docErr)
	}
	return doc, router
}

// Env is one running test server.
type Env struct {
	T       testing.TB
	App     *app.App
	Server  *httptest.Server
	Dialect string
	// LogBuf holds the server's JSON log.
	LogBuf *SyncBuffer
	seq    atomic.Int64
}

// SyncBuffer is a goroutine-safe bytes.Buffer for logs.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Each runs fn once per dialect with a fresh server.
func Each(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, New(t, d, app.Options{})) })
	}
}

// New starts a server on a fresh database of the dialect.
func New(tb testing.TB, dialect string, opt app.Options) *Env {
	tb.Helper()
	cfg := &config.Config{Addr: ":0", DataDir: tb.TempDir(), JWTSecret: []byte(Secret), Env: "test"}
	if dialect == store.Postgres {
		cfg.DatabaseURL = storetest.PostgresURL(tb)
	}
	if opt.Argon2 == nil {
		opt.Argon2 = &CheapArgon2
	}
	buf := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(buf, logSink()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.Open(context.Background(), cfg, log, opt)
	if err != nil {
		tb.Fatalf("open app: %v", err)
	}
	bg, stop := context.WithCancel(context.Background())
	a.Start(bg)
	srv := httptest.NewServer(a.Handler())
	tb.Cleanup(func() {
		srv.Close()
		stop()
		a.Close()
	})
	return &Env{T: tb, App: a, Server: srv, Dialect: dialect, LogBuf: buf}
}

// Response is a response read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %d %s: %v", r.Status, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// Problem decodes a problem+json body.
func (r *Response) Problem(tb testing.TB) map[string]any {
	tb.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		tb.Fatalf("status %d: Content-Type %q, want application/problem+json; body %s", r.Status, ct, r.Body)
	}
	return r.Map(tb)
}

// Req is one request.
type Req struct {
	Method string
	Path   string
	Token  string
	// Body is JSON-encoded unless it is []byte or string (sent as is).
	Body        any
	ContentType string
	Header      map[string]string
}

// Do sends r and validates the response against the OpenAPI document.
func (e *Env) Do(r Req) *Response {
	e.T.Helper()
	var body io.Reader
	ct := r.ContentType
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("encode body: %v", err)
		}
		body = bytes.NewReader(j)
		if ct == "" {
			ct = "application/json"
		}
	}
	if body != nil && ct == "" {
		ct = "application/json"
	}
	req, err := http.NewRequest(r.Method, e.Server.URL+r.Path, body)
	if err != nil {
		e.T.Fatalf("new request: %v", err)
	}
	if ct != "" && ct != "none" {
		req.Header.Set("Content-Type", ct)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatalf("read body: %v", err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	e.validate(req, out)
	return out
}

// validate checks the response against the OpenAPI document: the route,
// the status and the body's schema.
func (e *Env) validate(req *http.Request, r *Response) {
	e.T.Helper()
	_, rt := Spec(e.T)
	vreq := req.Clone(context.Background())
	route, params, err := rt.FindRoute(vreq)
	if err != nil {
		if r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed {
			return // an unknown route is refused, and not documented
		}
		e.T.Errorf("OpenAPI: %s %s (status %d) is not in api/openapi.yaml: %v", req.Method, req.URL.Path, r.Status, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  r.Status,
		Header:  r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.T.Errorf("OpenAPI: response to %s %s (status %d) does not match api/openapi.yaml: %v\nbody: %.600s",
			req.Method, req.URL.Path, r.Status, err, r.Body)
	}
}

// Want fails the test unless the response has the status.
func (r *Response) Want(tb testing.TB, status int) *Response {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	return r
}

// Actor is a registered, logged-in user.
type Actor struct {
	User    map[string]any
	OrgID   string
	UserID  string
	Email   string
	Token   string
	Refresh string
	Role    techx.Role
}

// NextUSCC returns a fresh valid credit code.
func (e *Env) NextUSCC() string {
	n := e.seq.Add(1)
	return MakeUSCC(fmt.Sprintf("91130900MA%07d", n))
}

// MakeUSCC appends the GB 32100-2015 check character to a 17-character body.
func MakeUSCC(body string) string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	w := 1
	sum := 0
	for _, c := range body {
		sum += strings.IndexRune(chars, c) * w
		w = w * 3 % 31
	}
	return body + string(chars[(31-sum%31)%31])
}

// Register creates a user with a new organization fitting role and logs in.
func (e *Env) Register(role techx.Role) *Actor {
	e.T.Helper()
	n := e.seq.Add(1)
	email := fmt.Sprintf("%s%d@example.cn", role, n)
	org := map[string]any{}
	switch role {
	case techx.RoleEnterprise:
		org = map[string]any{"name": fmt.Sprintf("沧州测试企业%d有限公司", n), "kind": "enterprise", "uscc": e.NextUSCC(), "county": "botou"}
	case techx.RoleInstitution:
		org = map[string]any{"name": fmt.Sprintf("测试大学%d", n), "kind": "university", "source_region": "beijing"}
	case techx.RoleBroker:
		org = map[string]any{"name": fmt.Sprintf("技术转移服务机构%d", n), "kind": "agency", "county": "yunhe"}
	case techx.RoleAdmin:
		return e.Admin()
	}
	resp := e.Do(Req{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{
		"email": email, "password": "correct-horse-battery", "name": "测试用户", "role": role, "organization": org}}).Want(e.T, 201)
	m := resp.Map(e.T)
	return e.Login(email, "correct-horse-battery", m)
}

// Login logs an existing user in.
func (e *Env) Login(email, password string, reg map[string]any) *Actor {
	e.T.Helper()
	var p auth.TokenPair
	e.Do(Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email, "password": password}}).Want(e.T, 200).JSON(e.T, &p)
	var me map[string]any
	e.Do(Req{Method: "GET", Path: "/api/v1/me", Token: p.AccessToken}).Want(e.T, 200).JSON(e.T, &me)
	return &Actor{User: me, OrgID: me["org_id"].(string), UserID: me["id"].(string), Email: email,
		Token: p.AccessToken, Refresh: p.RefreshToken, Role: techx.Role(me["role"].(string))}
}

// Admin creates an administrator the way `techx admin create` does and logs in.
func (e *Env) Admin() *Actor {
	e.T.Helper()
	n := e.seq.Add(1)
	email := fmt.Sprintf("admin%d@example.cn", n)
	hash, err := e.App.Auth.Hasher.Hash("admin-password-123")
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.App.Users.CreateAdmin(context.Background(), email, "管理员", hash); err != nil {
		e.T.Fatal(err)
	}
	return e.Login(email, "admin-password-123", nil)
}

// WaitIndexed waits until the search index has applied every outbox entry
// written so far.
func (e *Env) WaitIndexed() {
	e.T.Helper()
	_, hi, err := e.App.Listings.OutboxBounds(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.App.Indexer.WaitApplied(ctx, hi); err != nil {
		e.T.Fatalf("index did not catch up: %v", err)
	}
}
