// Command techx is the TechX service and its tools: serve, migrate, seed,
// reindex, eval, gen and admin.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "techx:", err)
		os.Exit(1)
	}
}

const usage = `techx — technology-transfer matchmaking for Cangzhou (京津研发、沧州转化)

Usage:
  techx serve              run the HTTP API (migrates first)
  techx migrate            apply pending schema migrations
  techx seed [--demo]      load demo data (organizations, users, listings)
  techx reindex            rebuild the search index from the database (resumable)
  techx eval matching --dir DIR [--distractors FILE] [--json]
                           relevance benchmark through the product's own path
  techx gen --needs N --results M
                           write synthetic published listings (load tests)
  techx bench search       measure search, matching and indexing on the configured database
  techx admin create --email E --password P --name N
                           create an administrator (the only way to get one)

Run "techx <command> --help" for a command's flags.
`

// run is the whole program; main only gives it the process's context,
// arguments, environment and output streams, so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "seed":
		return runSeed(ctx, args[1:], getenv, stdout, stderr)
	case "reindex":
		return runReindex(ctx, args[1:], getenv, stdout, stderr)
	case "gen":
		return runGen(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	case "eval":
		return runEval(ctx, args[1:], getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
