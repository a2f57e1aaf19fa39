package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one forward-only schema step. A step is NNNN_name.sql (for
// both dialects, with {{placeholders}} for the few type names that differ)
// plus optional NNNN_name.postgres.sql / NNNN_name.sqlite.sql parts.
type Migration struct {
	Version int
	Name    string
	SQL     map[string]string // dialect → statements
}

// placeholders differ between the dialects.
var placeholders = map[string]map[string]string{
	Postgres: {"{{timestamp}}": "TIMESTAMPTZ", "{{serial}}": "BIGSERIAL PRIMARY KEY", "{{blob}}": "BYTEA"},
	SQLite:   {"{{timestamp}}": "DATETIME", "{{serial}}": "INTEGER PRIMARY KEY AUTOINCREMENT", "{{blob}}": "BLOB"},
}

// Migrations returns every migration in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	// The shared NNNN_name.sql comes before its dialect parts, which may
	// refer to its tables (ReadDir's order would put .postgres.sql first).
	isPart := func(n string) bool {
		return strings.HasSuffix(n, "."+Postgres+".sql") || strings.HasSuffix(n, "."+SQLite+".sql")
	}
	sort.SliceStable(entries, func(i, j int) bool { return !isPart(entries[i].Name()) && isPart(entries[j].Name()) })
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		name := e.Name()
		base := strings.TrimSuffix(name, ".sql")
		dialects := []string{Postgres, SQLite}
		for _, d := range []string{Postgres, SQLite} {
			if strings.HasSuffix(base, "."+d) {
				base = strings.TrimSuffix(base, "."+d)
				dialects = []string{d}
			}
		}
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: label, SQL: map[string]string{}}
			byVersion[v] = m
		} else if m.Name != label {
			return nil, fmt.Errorf("migration %d has two names: %s and %s", v, m.Name, label)
		}
		for _, d := range dialects {
			s := string(b)
			for k, r := range placeholders[d] {
				s = strings.ReplaceAll(s, k, r)
			}
			m.SQL[d] += s + "\n"
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	// Versions are applied in order and each at most once (schema_migrations
	// records which); gaps are allowed so that branches developed side by
	// side can reserve their numbers. A migration missing from a database is
	// applied even when a higher one already was, so they must stay additive.
	return out, nil
}

// LatestVersion is the schema version this binary expects.
func LatestVersion() int {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// SchemaVersion returns the highest applied migration, 0 for an empty database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v *int
	err := db.gorm.WithContext(ctx).Raw("SELECT MAX(version) FROM schema_migrations").Scan(&v).Error
	if err != nil {
		if strings.Contains(err.Error(), "schema_migrations") || strings.Contains(err.Error(), "42P01") {
			return 0, nil
		}
		return 0, dbError(err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions applied. On PostgreSQL an advisory lock makes
// concurrent migrators (several replicas starting at once) take turns.
func (db *DB) Migrate(ctx context.Context) (applied []int, err error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	g := db.gorm.WithContext(ctx)
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` + placeholders[db.dialect]["{{timestamp}}"] + ` NOT NULL)`
	if db.dialect == Postgres {
		// Serialise migrators across processes.
		err = g.Connection(func(c *gorm.DB) error {
			if err := c.Exec("SELECT pg_advisory_lock(7204202611)").Error; err != nil {
				return err
			}
			defer c.Exec("SELECT pg_advisory_unlock(7204202611)")
			if err := c.Exec(create).Error; err != nil {
				return err
			}
			applied, err = db.apply(c, ms)
			return err
		})
		return applied, err
	}
	if err := g.Exec(create).Error; err != nil {
		return nil, err
	}
	return db.apply(g, ms)
}

func (db *DB) apply(g *gorm.DB, ms []Migration) ([]int, error) {
	var done []int
	if err := g.Raw("SELECT version FROM schema_migrations").Scan(&done).Error; err != nil {
		return nil, err
	}
	have := map[int]bool{}
	for _, v := range done {
		have[v] = true
	}
	var applied []int
	for _, m := range ms {
		if have[m.Version] {
			continue
		}
		err := g.Transaction(func(tx *gorm.DB) error {
			for _, stmt := range splitStatements(m.SQL[db.dialect]) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
				}
			}
			return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, time.Now().UTC()).Error
		})
		if err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// splitStatements splits SQL on semicolons at the ends of lines, keeping
// $$-quoted bodies (PostgreSQL functions) whole.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	inDollar := false
	for _, line := range strings.Split(s, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "--") && !inDollar {
			continue
		}
		if strings.Count(line, "$$")%2 == 1 {
			inDollar = !inDollar
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if !inDollar && strings.HasSuffix(trim, ";") {
			if st := strings.TrimSpace(cur.String()); st != ";" {
				out = append(out, st)
			}
			cur.Reset()
		}
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		out = append(out, st)
	}
	return out
}
