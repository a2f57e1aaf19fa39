// Package store implements the TechX services on gorm, over PostgreSQL (the
// production store) or an embedded pure-Go SQLite file (the zero-set-up
// default). It owns the schema migrations and the outbox.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/techx-cz/techx/internal/techx"
)

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// DB is an open database: gorm plus the dialect and a clock.
type DB struct {
	gorm    *gorm.DB
	dialect string
	// Now returns the current time in UTC, truncated to microseconds (what
	// PostgreSQL keeps); tests may replace it.
	Now func() time.Time
}

// Open connects to url when it is a postgres:// (or postgresql://) URL, or
// opens (creating) techx.db under dataDir when url is empty. It does not
// migrate; call Migrate.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         false,
	}
	var (
		g       *gorm.DB
		err     error
		dialect string
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		dialect = Postgres
		g, err = gorm.Open(postgres.Open(dsn), cfg)
	case dsn == "":
		dialect = SQLite
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		g, err = gorm.Open(sqlite.Open(SQLiteDSN(filepath.Join(dataDir, "techx.db"))), cfg)
	default:
		return nil, fmt.Errorf("database URL must start with postgres:// (or be empty for SQLite)")
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One writer at a time; WAL lets readers go on beside it.
		sqlDB.SetMaxOpenConns(4)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return &DB{gorm: g, dialect: dialect, Now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}, nil
}

// SQLiteDSN is the DSN of the SQLite file at path: WAL, a busy timeout,
// foreign keys, and IMMEDIATE transactions so writers queue rather than
// fail upgrading a read lock.
func SQLiteDSN(path string) string {
	q := url.Values{}
	// busy_timeout first: the pragmas after it (WAL switch included) then
	// wait for a lock instead of failing at once.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Dialect returns Postgres or SQLite.
func (db *DB) Dialect() string { return db.dialect }

// Gorm returns the underlying gorm handle (for tests and tools).
func (db *DB) Gorm() *gorm.DB { return db.gorm }

// Close closes the connection pool.
func (db *DB) Close() error {
	s, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return s.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	s, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return s.PingContext(ctx)
}

// PoolStats returns the connection-pool figures for metrics.
func (db *DB) PoolStats() (open, inUse, idle int, waitCount int64) {
	s, err := db.gorm.DB()
	if err != nil {
		return 0, 0, 0, 0
	}
	st := s.Stats()
	return st.OpenConnections, st.InUse, st.Idle, st.WaitCount
}

// tx runs fn in one transaction.
func (db *DB) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(fn)
}

// newID returns a new random, time-ordered id (UUIDv7).
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// isUniqueViolation reports whether err is a unique-constraint failure.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "UNIQUE constraint failed") ||
		strings.Contains(s, "duplicate key value")
}

// dbError turns a driver error into a techx error where it has a meaning
// (gone connection → EUNAVAILABLE), and wraps it otherwise.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var te *techx.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return techx.Errorf(techx.ENOTFOUND, "Not found.")
	}
	if isForeignKeyViolation(err) {
		return techx.Errorf(techx.ECONFLICT, "It is still referenced elsewhere (for example by a deal) and cannot be removed.")
	}
	if isUnavailable(err) {
		slog.Warn("database unavailable", "err", err)
		return &techx.Error{Code: techx.EUNAVAILABLE, Message: "The database is unavailable; try again shortly.", RetryAfter: 5}
	}
	return err
}

func isForeignKeyViolation(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23503") || strings.Contains(s, "FOREIGN KEY constraint failed")
}

func isUnavailable(err error) bool {
	s := err.Error()
	for _, m := range []string{"connection refused", "failed to connect", "broken pipe", "connection reset",
		"bad connection", "SQLSTATE 57P01", "SQLSTATE 57P03", "server closed the connection", "i/o timeout",
		"database is locked", "no such host", "conn closed", "unexpected EOF"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return errors.Is(err, context.DeadlineExceeded)
}
