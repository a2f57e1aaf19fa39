package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/config"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "seed the demo data set on first start (an empty catalog)")
	noMigrate := fs.Bool("no-migrate", strings.EqualFold(strings.TrimSpace(getenv("TECHX_MIGRATE")), "false"),
		"do not migrate: wait until `techx migrate` (a Job) has brought the schema current; also TECHX_MIGRATE=false")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: techx serve [--demo] [--no-migrate]\n\nRuns the HTTP API; applies pending migrations first unless --no-migrate.\n"+
			"Replicas should run with --no-migrate and leave the schema to one `techx migrate` (PostgreSQL's advisory lock\n"+
			"serialises concurrent migrations anyway).")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+config.Help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	a, err := openAppWith(ctx, getenv, stderr, app.Options{NoMigrate: *noMigrate})
	if err != nil {
		return err
	}
	defer a.Close()
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	a.Start(bg)
	handler := a.Handler()
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	if *demo {
		// Answer /healthz at once; /readyz says "not ready" until the demo
		// data is in.
		a.SetStarting("loading demo data")
		go func() {
			if err := seedDemoIfEmpty(bg, a, stdout); err != nil {
				a.Log.Error("seed demo data failed", "err", err)
				a.SetStarting("demo data failed to load: " + err.Error())
				return
			}
			a.SetStarting("")
		}()
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	a.Log.Info("listening", "addr", ln.Addr().String(), "database", a.DB.Dialect(), "data_dir", a.Config.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: stop accepting, let in-flight requests finish.
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
