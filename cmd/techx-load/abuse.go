package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// rss reads VmRSS and VmHWM (peak) of pid, in MiB.
func rss(pid int) (cur, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		var kb float64
		if strings.HasPrefix(l, "VmRSS:") {
			fmt.Sscanf(strings.TrimPrefix(l, "VmRSS:"), "%f", &kb)
			cur = kb / 1024
		}
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Sscanf(strings.TrimPrefix(l, "VmHWM:"), "%f", &kb)
			peak = kb / 1024
		}
	}
	return
}

// runAbuse sends what a careless or hostile client sends and checks that
// each gets a 4xx quickly while the server's memory stays bounded.
func runAbuse(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("abuse", flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "TechX base URL")
	pid := fs.Int("pid", 0, "the server's process id (memory readings)")
	rounds := fs.Int("rounds", 20, "how many times each oversized request is sent (4 at a time)")
	quick := fs.Duration("quick", 2*time.Second, "the slowest acceptable refusal")
	fs.Parse(args)
	if *rounds < 1 || *rounds > 1000 {
		return fmt.Errorf("rounds must be 1..1000")
	}
	c := newClient(*base, 30*time.Second)
	ent, err := c.register(ctx, "enterprise")
	if err != nil {
		return err
	}
	var fails []string
	r0, _ := rss(*pid)
	fmt.Printf("abuse: server RSS before %.0f MiB\n", r0)

	// 1. Login bursts: past 5 failures per account, and 20 per IP, 429 with Retry-After.
	counts := map[int]int{}
	retryAfter := ""
	for i := 0; i < 12; i++ {
		r := c.do(ctx, "POST", "/api/v1/auth/login", "", map[string]any{"email": ent.email, "password": "not-the-password"}, nil)
		counts[r.status]++
		if r.status == 429 {
			retryAfter = r.header.Get("Retry-After")
		}
	}
	fmt.Printf("abuse: 12 bad logins to one account: %v, Retry-After %q\n", counts, retryAfter)
	if counts[429] == 0 || retryAfter == "" {
		fails = append(fails, "account burst: no 429 with Retry-After")
	}
	counts = map[int]int{}
	retryAfter = ""
	for i := 0; i < 30; i++ {
		r := c.do(ctx, "POST", "/api/v1/auth/login", "", map[string]any{"email": fmt.Sprintf("nobody%d-%s@example.cn", i, word()), "password": "not-the-password"}, nil)
		counts[r.status]++
		if r.status == 429 {
			retryAfter = r.header.Get("Retry-After")
		}
	}
	fmt.Printf("abuse: 30 bad logins to 30 accounts from one IP: %v, Retry-After %q\n", counts, retryAfter)
	if counts[429] == 0 || retryAfter == "" {
		fails = append(fails, "IP burst: no 429 with Retry-After")
	}

	deep := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"title":"x","industry":"pipeline","keywords":`)
		b.WriteString(strings.Repeat("[", n))
		b.WriteString(strings.Repeat("]", n))
		b.WriteString("}")
		return b.Bytes()
	}
	big := []byte(`{"title":"` + strings.Repeat("焊", 10_000_000/3) + `"}`)
	type probe struct {
		name, method, path string
		body               []byte
		hdr                map[string]string
		// slowOK is the slowest acceptable answer when it differs from -quick
		// (an import under the size limit is parsed, two at a time).
		slowOK time.Duration
	}
	probes := []probe{
		{"page_size=1000000 (needs)", "GET", "/api/v1/needs?page_size=1000000", nil, nil, 0},
		{"page_size=1000000 (results)", "GET", "/api/v1/results?page_size=1000000", nil, nil, 0},
		{"page_size=1000000 (search)", "GET", "/api/v1/search?q=%E7%84%8A&page_size=1000000", nil, nil, 0},
		{"page_size=1000000 (challenges)", "GET", "/api/v1/challenges?page_size=1000000", nil, nil, 0},
		{"10 MB JSON body", "POST", "/api/v1/needs", big, nil, 0},
		{"17 MB import body (limit 16 MiB)", "POST", "/api/v1/needs/import", bytes.Repeat([]byte("x"), 17_000_000), map[string]string{"Content-Type": "text/csv"}, 0},
		{"11 MB import of one bad cell", "POST", "/api/v1/needs/import", bytes.Repeat([]byte("x"), 11_000_000), map[string]string{"Content-Type": "text/csv"}, 10 * time.Second},
		{"100,000-character query", "GET", "/api/v1/search?q=" + strings.Repeat("a", 100_000), nil, nil, 0},
		{"60,000-character query", "GET", "/api/v1/search?q=" + strings.Repeat("ab", 30_000), nil, nil, 0},
		{"20,000 Han characters query", "GET", "/api/v1/search?q=" + strings.Repeat("%E7%84%8A", 6_000), nil, nil, 0},
		{"nested JSON, depth 100,000", "POST", "/api/v1/needs", deep(100_000), nil, 0},
		{"nested JSON, depth 5,000", "POST", "/api/v1/needs", deep(5_000), nil, 0},
	}
	for _, p := range probes {
		var mu sync.Mutex
		st := map[int]int{}
		var slowest time.Duration
		sem := make(chan struct{}, 4)
		var wg sync.WaitGroup
		for i := 0; i < *rounds; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				var body any
				if p.body != nil {
					body = p.body
				}
				r := c.do(ctx, p.method, p.path, ent.token, body, p.hdr)
				mu.Lock()
				st[r.status]++
				slowest = max(slowest, r.dur)
				mu.Unlock()
			}()
		}
		wg.Wait()
		cur, _ := rss(*pid)
		fmt.Printf("abuse: %-30s x%d: statuses %v, slowest %4.0f ms, RSS %.0f MiB\n", p.name, *rounds, st, ms(slowest), cur)
		for s := range st {
			if s < 400 || s >= 500 {
				fails = append(fails, fmt.Sprintf("%s: status %d (want 4xx)", p.name, s))
			}
		}
		limit := *quick
		if p.slowOK > 0 {
			limit = p.slowOK
		}
		if slowest > limit {
			fails = append(fails, fmt.Sprintf("%s: slowest answer %v", p.name, slowest))
		}
	}
	r1, peak := rss(*pid)
	fmt.Printf("abuse: server RSS after %.0f MiB (peak %.0f MiB, before %.0f MiB)\n", r1, peak, r0)
	if *pid > 0 && peak > r0+512 {
		fails = append(fails, fmt.Sprintf("memory grew from %.0f to a peak of %.0f MiB", r0, peak))
	}
	if len(fails) > 0 {
		for _, f := range fails {
			fmt.Println("FAIL:", f)
		}
		return fmt.Errorf("%d abuse check(s) failed", len(fails))
	}
	fmt.Println("abuse: ok")
	return nil
}
