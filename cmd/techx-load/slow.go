package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// runSlow opens n requests that upload their bodies slowly, sends SIGTERM
// to the server while they are in flight, and checks that every one still
// gets its answer while new connections are refused.
func runSlow(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("slow", flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "TechX base URL")
	pid := fs.Int("pid", 0, "the server's process id (gets SIGTERM)")
	n := fs.Int("n", 8, "slow requests in flight")
	trickle := fs.Duration("trickle", 3*time.Second, "how long each body takes to upload")
	fs.Parse(args)
	if *pid <= 0 || *n <= 0 || *n > 200 {
		return fmt.Errorf("need -pid and 1 <= n <= 200")
	}
	u, err := url.Parse(*base)
	if err != nil {
		return err
	}
	c := newClient(*base, 10*time.Second)
	ent, err := c.register(ctx, "enterprise")
	if err != nil {
		return err
	}
	statuses := make([]int, *n)
	errs := make([]error, *n)
	var started, wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		started.Add(1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body, _ := json.Marshal(needBody(word()))
			conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
			if err != nil {
				errs[i] = err
				started.Done()
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(*trickle + 40*time.Second))
			fmt.Fprintf(conn, "POST /api/v1/needs HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
				u.Host, ent.token, len(body))
			chunks := 10
			step := (len(body) + chunks - 1) / chunks
			for k := 0; k < len(body); k += step {
				conn.Write(body[k:min(k+step, len(body))])
				if k == 0 {
					started.Done()
				}
				time.Sleep(*trickle / time.Duration(chunks))
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}(i)
	}
	started.Wait()
	time.Sleep(*trickle / 5)
	sent := time.Now()
	if err := syscall.Kill(*pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM %d: %w", *pid, err)
	}
	fmt.Printf("slow: %d uploads in flight; SIGTERM sent to %d\n", *n, *pid)
	time.Sleep(300 * time.Millisecond)
	refused := false
	if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err != nil {
		refused = true
		fmt.Printf("slow: a new connection 300 ms after SIGTERM: refused (%v)\n", err)
	} else {
		conn.Close()
		fmt.Println("slow: a new connection 300 ms after SIGTERM was ACCEPTED")
	}
	wg.Wait()
	fmt.Printf("slow: in-flight answers %v (errors %v), last answer %.1fs after SIGTERM\n", statuses, errs, time.Since(sent).Seconds())
	for i := range statuses {
		if statuses[i] != 201 {
			return fmt.Errorf("slow request %d: status %d, error %v", i, statuses[i], errs[i])
		}
	}
	if !refused {
		return fmt.Errorf("new connections were accepted after SIGTERM")
	}
	fmt.Println("slow: ok — every in-flight request finished with 201, new connections refused")
	return nil
}
