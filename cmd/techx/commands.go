package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"

	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/config"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
)

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, help string) (bool, error) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, help)
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+config.Help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if ok, err := parseFlags(fs, args, stderr, "Usage: techx migrate\n\nApplies pending schema migrations."); !ok {
		return err
	}
	cfg, err := config.Load(withDevSecret(getenv))
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	v, _ := db.SchemaVersion(ctx)
	fmt.Fprintf(stdout, "%s: applied %d migration(s) %v; schema at version %d\n", db.Dialect(), len(applied), applied, v)
	return nil
}

// withDevSecret lets commands that sign nothing run without a JWT secret.
func withDevSecret(getenv func(string) string) func(string) string {
	return func(k string) string {
		if k == "TECHX_JWT_SECRET" && getenv(k) == "" {
			return "not-used-by-this-command-not-used-by-this-command"
		}
		return getenv(k)
	}
}

func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: techx admin create --email E --password P --name N")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	email := fs.String("email", "", "the administrator's e-mail")
	password := fs.String("password", "", "the password (at least 10 characters)")
	name := fs.String("name", "", "the administrator's name")
	if ok, err := parseFlags(fs, args[1:], stderr, "Usage: techx admin create --email E --password P --name N"); !ok {
		return err
	}
	r := techx.Registration{Email: *email, Password: *password, Name: *name, Role: techx.RoleEnterprise, InviteCode: "x"}
	a, err := openApp(ctx, withDevSecret(getenv), stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := r.Validate(a.Taxonomy); err != nil {
		return err
	}
	hash, err := a.Auth.Hasher.Hash(r.Password)
	if err != nil {
		return err
	}
	u, err := a.Users.CreateAdmin(ctx, r.Email, r.Name, hash)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created admin %s (%s) in %s\n", u.Email, u.ID, u.Organization.Name)
	return nil
}

// openApp loads the configuration and opens the wired program; its log
// goes to stderr as JSON.
func openApp(ctx context.Context, getenv func(string) string, stderr io.Writer) (*app.App, error) {
	return openAppWith(ctx, getenv, stderr, app.Options{})
}

// openAppWith is openApp with wiring options (serve --no-migrate).
func openAppWith(ctx context.Context, getenv func(string) string, stderr io.Writer, opt app.Options) (*app.App, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	setGCPercent(getenv)
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if cfg.GeneratedSecret {
		log.Warn("TECHX_JWT_SECRET is not set: generated a random one for this dev run; tokens die with the process")
	}
	return app.Open(ctx, cfg, log, opt)
}

// defaultGCPercent is the collector's target (GOGC) unless GOGC is set:
// the search index keeps a few hundred MiB live (docs/benchmarks.md), and
// Go's default of 100 lets the heap grow to twice that between
// collections; 50 holds a 100,000-listing process under 1 GiB at peak for
// a few per cent more collector CPU.
const defaultGCPercent = 50

func setGCPercent(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
