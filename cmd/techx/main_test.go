package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/store/storetest"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe runs `techx serve` through run() and waits for /healthz.
func startServe(t *testing.T, env map[string]string, args ...string) (base string, stop func() error, logs *syncBuf) {
	t.Helper()
	addr := freeAddr(t)
	env["TECHX_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, logs, logs)
	}()
	base = "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no /healthz within 20s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return base, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(40 * time.Second):
			return fmt.Errorf("serve did not stop")
		}
	}, logs
}

func TestServeEndToEnd(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			env := map[string]string{"TECHX_ENV": "dev", "TECHX_DATA_DIR": t.TempDir()}
			if dialect == "postgres" {
				env["TECHX_DATABASE_URL"] = storetest.PostgresURL(t)
			}
			base, stop, logs := startServe(t, env)
			resp, err := http.Get(base + "/readyz")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("readyz: %v %v", resp, err)
			}
			resp.Body.Close()
			if err := stop(); err != nil {
				t.Fatalf("serve returned %v", err)
			}
			if !strings.Contains(logs.String(), "generated a random one") {
				t.Error("no warning about the generated dev secret")
			}
		})
	}
}

// TestGracefulShutdown: a request in flight when the server is told to
// stop still gets its answer.
func TestGracefulShutdown(t *testing.T) {
	env := map[string]string{"TECHX_ENV": "dev", "TECHX_DATA_DIR": t.TempDir()}
	base, stop, _ := startServe(t, env)
	// Login spends argon2 time; start it, then stop the server at once.
	body := `{"email":"nobody@example.cn","password":"xxxxxxxxxxxx"}`
	res := make(chan int, 1)
	go func() {
		resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(body))
		if err != nil {
			res <- -1
			return
		}
		resp.Body.Close()
		res <- resp.StatusCode
	}()
	time.Sleep(5 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := <-res; got != 401 && got != -1 {
		t.Fatalf("in-flight request got %d", got)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestBadConfigurationIsOneLine(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve"}, func(k string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "TECHX_JWT_SECRET") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}

func TestMigrateAndAdminCreate(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "TECHX_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, env, &out, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"admin", "create", "--email", "boss@bureau.cn", "--password", "admin-pass-123", "--name", "局长"}, env, &out, &out); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"admin", "create", "--email", "x@bureau.cn", "--password", "short", "--name", "x"}, env, &out, &out); err == nil {
		t.Fatal("admin create accepted a short password")
	}
	if !strings.Contains(out.String(), "created admin boss@bureau.cn") {
		t.Fatalf("output: %s", out.String())
	}
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			env := map[string]string{"TECHX_DATA_DIR": t.TempDir()}
			if dialect == "postgres" {
				env["TECHX_DATABASE_URL"] = storetest.PostgresURL(t)
			}
			getenv := func(k string) string { return env[k] }
			var out bytes.Buffer
			for i := 0; i < 2; i++ {
				out.Reset()
				if err := run(context.Background(), []string{"seed", "--demo"}, getenv, &out, &out); err != nil {
					t.Fatalf("seed #%d: %v\n%s", i+1, err, out.String())
				}
			}
			if !strings.Contains(out.String(), "demo data: 0 new users in 62 organizations, 0 new needs, 0 new results, 0 new contracts") {
				t.Fatalf("second seed created users again: %s", out.String())
			}
		})
	}
}
