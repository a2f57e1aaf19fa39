package main

import (
	"context"

	"flag"
	"fmt"
	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/demo"
	"github.com/techx-cz/techx/seeds"
	"io"
)

func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	demo := fs.Bool("demo", false, "load the demo data set")
	if ok, err := parseFlags(fs, args, stderr, "Usage: techx seed --demo\n\nLoads the demo data set (idempotent)."); !ok {
		return err
	}
	if !*demo {
		return fmt.Errorf("nothing to seed: the taxonomy is built in; use --demo for demo data")
	}
	a, err := openApp(ctx, withDevSecret(getenv), stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	return seedDemo(ctx, a, stdout)
}

// seedDemoIfEmpty loads the demo set when the database has no users.
func seedDemoIfEmpty(ctx context.Context, a *app.App, stdout io.Writer) error {
	us, err := a.Users.FindUsers(ctx, "")
	if err != nil {
		return err
	}
	if len(us) > 0 {
		return nil
	}
	return seedDemo(ctx, a, stdout)
}

// seedDemo loads seeds/demo: organizations, users and listings.
func seedDemo(ctx context.Context, a *app.App, stdout io.Writer) error {
	set, err := demo.Load(seeds.Demo())
	if err != nil {
		return err
	}
	rep, err := demo.SeedAccounts(ctx, set, a.Users, a.Taxonomy, a.Auth.Hasher)
	if err != nil {
		return err
	}
	if err := demo.SeedListings(ctx, set, rep, a.Catalog); err != nil {
		return err
	}
	if err := demo.SeedContracts(ctx, set, rep, a.Contracts); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data: %d new users in %d organizations, %d new needs, %d new results, %d new contracts\n",
		rep.Users, len(rep.OrgOf), rep.Needs, rep.Results, rep.Contracts)
	return nil
}
