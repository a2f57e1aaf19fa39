// Command techx-load drives TechX for the load and fault scripts in
// scripts/ (documented in docs/benchmarks.md). Every request goes to the
// base URL given (127.0.0.1 in the scripts); every loop is bounded in count
// and time.
//
//	techx-load mix      fixed-rate realistic mix; per-route p50/p99; verifies writes
//	techx-load hello    a bare gin hello-world server (the throughput yardstick)
//	techx-load slow     slow uploads in flight while the server gets SIGTERM
//	techx-load abuse    login bursts, huge page sizes, bodies, queries, nesting
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: techx-load mix|hello|slow|abuse [flags]   (techx-load CMD -h for flags)`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "mix":
		err = runMix(ctx, os.Args[2:])
	case "hello":
		err = runHello(ctx, os.Args[2:])
	case "slow":
		err = runSlow(ctx, os.Args[2:])
	case "abuse":
		err = runAbuse(ctx, os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "techx-load:", err)
		os.Exit(1)
	}
}
