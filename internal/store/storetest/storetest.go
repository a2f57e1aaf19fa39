// Package storetest opens migrated test databases: a SQLite file in a temp
// dir, and a fresh schema in the PostgreSQL named by
// TECHX_TEST_DATABASE_URL. Without that variable PostgreSQL tests skip
// with a message, unless CI=true, where they fail.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for schema set-up

	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/store"
)

// EnvURL names the PostgreSQL URL for tests.
const EnvURL = "TECHX_TEST_DATABASE_URL"

var warnOnce sync.Once

// Dialects returns the dialects to test: SQLite always, PostgreSQL too.
func Dialects() []string { return []string{store.SQLite, store.Postgres} }

// Each runs fn as a subtest once per dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a freshly migrated database of the dialect, closed and
// dropped when the test ends.
func Open(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	var dsn, dir string
	if dialect == store.Postgres {
		dsn = PostgresURL(tb)
	} else {
		dir = tb.TempDir()
	}
	db, err := store.Open(ctx, dsn, dir)
	if err != nil {
		tb.Fatalf("open %s: %v", dialect, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// PostgresURL creates an empty schema in the test PostgreSQL and returns a
// URL whose search_path is that schema; the schema is dropped afterwards.
// It skips the test (fails it under CI=true) when PostgreSQL is not there.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		unavailable(tb, EnvURL+" is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		unavailable(tb, err.Error())
	}
	defer admin.Close()
	if err := admin.PingContext(context.Background()); err != nil {
		unavailable(tb, "cannot reach PostgreSQL: "+err.Error())
	}
	schema := "t_" + strings.ToLower(strings.ReplaceAll(auth.RandomToken(9), "-", "_"))
	schema = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return 'x'
	}, schema)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL is required under CI=true: %s", why)
	}
	warnOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "storetest: PostgreSQL tests SKIPPED (%s); set %s to run them\n", why, EnvURL)
	})
	tb.Skipf("PostgreSQL tests skipped: %s (set %s)", why, EnvURL)
}
