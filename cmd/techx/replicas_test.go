package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/store/storetest"
)

// replica is one `techx serve` process.
type replica struct {
	t    *testing.T
	name string
	bin  string
	env  []string
	args []string
	base string
	cmd  *exec.Cmd
	logs *syncBuf
}

// buildTechx builds this command once into a temp dir.
func buildTechx(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "techx")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func (r *replica) start() {
	r.t.Helper()
	r.logs = &syncBuf{}
	r.cmd = exec.Command(r.bin, append([]string{"serve"}, r.args...)...)
	r.cmd.Env = r.env
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("%s: start: %v", r.name, err)
	}
	cmd := r.cmd
	r.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: not ready within 30s\n%s", r.name, r.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (r *replica) stop() {
	r.t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			r.t.Fatalf("%s: exit: %v\n%s", r.name, err, r.logs.String())
		}
	case <-time.After(40 * time.Second):
		r.cmd.Process.Kill()
		r.t.Fatalf("%s: did not stop within 40s", r.name)
	}
}

// hammer sends requests to base until stop is closed and counts the
// answers that were not 200 (connection errors included).
func hammer(base string, paths []string, stop <-chan struct{}) (ok, bad *atomic.Int64, firstBad *atomic.Value, wg *sync.WaitGroup) {
	ok, bad, firstBad, wg = &atomic.Int64{}, &atomic.Int64{}, &atomic.Value{}, &sync.WaitGroup{}
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 100000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := paths[(i+w)%len(paths)]
				resp, err := client.Get(base + p)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != 200 {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, fmt.Sprintf("GET %s: %v %v", p, err, resp))
				} else {
					ok.Add(1)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}(w)
	}
	return
}

func postJSON(t *testing.T, u, token string, body any, want int) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %s", u, resp.StatusCode, want, rb)
	}
	var m map[string]any
	json.Unmarshal(rb, &m)
	return m
}

func searchFinds(base, q, id string) bool {
	resp, err := http.Get(base + "/api/v1/search?q=" + url.QueryEscape(q))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == 200 && strings.Contains(string(b), id)
}

// TestTwoReplicasOnePostgres runs two `techx serve` processes on one
// PostgreSQL database, each with its own index: a need published through
// one is found by search through the other within 2 s, and each keeps
// answering while the other restarts (and catches up after).
func TestTwoReplicasOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	dbURL := storetest.PostgresURL(t)
	t0 := time.Now()
	bin := buildTechx(t)
	t.Logf("go build: %v", time.Since(t0).Round(time.Millisecond))
	newReplica := func(name string, args ...string) *replica {
		addr := freeAddr(t)
		env := append(os.Environ(), "TECHX_DATABASE_URL="+dbURL, "TECHX_DATA_DIR="+t.TempDir(), "TECHX_ADDR="+addr,
			"TECHX_JWT_SECRET=replica-test-secret-replica-test-secret-0123", "TECHX_ENV=", "TECHX_LOG_LEVEL=warn")
		return &replica{t: t, name: name, bin: bin, env: env, args: args, base: "http://" + addr}
	}
	// a migrates; b only waits for the schema, as replicas behind a Job do.
	a, b := newReplica("a"), newReplica("b", "--no-migrate")
	t0 = time.Now()
	a.start()
	b.start()
	t.Logf("both ready: %v", time.Since(t0).Round(time.Millisecond))

	email := "replica@example.cn"
	postJSON(t, a.base+"/api/v1/auth/register", "", map[string]any{"email": email, "password": "replica-password-1",
		"name": "副本测试", "role": "enterprise", "organization": map[string]any{"name": "沧州副本测试有限公司",
			"kind": "enterprise", "uscc": apitest.MakeUSCC("91130900MA0000001"), "county": "botou"}}, 201)
	tok := postJSON(t, b.base+"/api/v1/auth/login", "", map[string]any{"email": email, "password": "replica-password-1"}, 200)["access_token"].(string)
	publishNeed := func(base, title string) string {
		n := postJSON(t, base+"/api/v1/needs", tok, map[string]any{"title": title, "description": "用于多副本测试的需求。",
			"industry": "pipeline", "keywords": []string{"多副本"}, "budget_wan": "10", "min_trl": 5,
			"cooperation_modes": []string{"transfer"}, "deadline": "2030-12-31"}, 201)
		id := n["id"].(string)
		postJSON(t, base+"/api/v1/needs/"+id+"/publish", tok, nil, 200)
		return id
	}

	id := publishNeed(a.base, "稀土永磁电机退磁检测")
	published := time.Now()
	for !searchFinds(b.base, "永磁电机", id) {
		if time.Since(published) > 2*time.Second {
			t.Fatalf("replica b does not find the need published through a within 2s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("published through a, found through b after %v", time.Since(published).Round(time.Millisecond))

	// Each replica keeps answering while the other restarts; a need
	// published meanwhile is found by the restarted one.
	for _, pair := range [][2]*replica{{a, b}, {b, a}} {
		up, down := pair[0], pair[1]
		stop := make(chan struct{})
		ok, bad, firstBad, wg := hammer(up.base, []string{"/healthz", "/readyz", "/api/v1/needs/" + id, "/api/v1/search?q=" + url.QueryEscape("永磁电机")}, stop)
		down.stop()
		during := publishNeed(up.base, "盐碱地改良剂"+down.name)
		down.start()
		time.Sleep(200 * time.Millisecond)
		close(stop)
		wg.Wait()
		if bad.Load() != 0 || ok.Load() < 20 {
			t.Fatalf("while %s restarted, %s answered %d ok, %d not (first: %v)", down.name, up.name, ok.Load(), bad.Load(), firstBad.Load())
		}
		t.Logf("while %s restarted, %s answered %d requests, all 200", down.name, up.name, ok.Load())
		deadline := time.Now().Add(2 * time.Second)
		for !searchFinds(down.base, "盐碱地改良剂"+down.name, during) {
			if time.Now().After(deadline) {
				t.Fatalf("restarted %s does not find the need published while it was down", down.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	a.stop()
	b.stop()
}
