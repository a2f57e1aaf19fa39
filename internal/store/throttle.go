package store

import (
	"context"
	"time"
)

// LoginFailures implements auth.FailureStore on the database.
type LoginFailures struct{ db *DB }

// NewLoginFailures returns a LoginFailures on db.
func NewLoginFailures(db *DB) *LoginFailures { return &LoginFailures{db: db} }

// AddFailure records a failure for key at t.
func (s *LoginFailures) AddFailure(ctx context.Context, key string, at time.Time) error {
	return dbError(s.db.gorm.WithContext(ctx).Exec("INSERT INTO login_failures (key, at) VALUES (?, ?)", key, at.UTC()).Error)
}

// Failures returns key's failure times since t, oldest first (at most the
// last 1,000).
func (s *LoginFailures) Failures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	var ts []time.Time
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT at FROM (SELECT at FROM login_failures WHERE key = ? AND at >= ?
		ORDER BY at DESC LIMIT 1000) recent ORDER BY at`, key, since.UTC()).Scan(&ts).Error
	return ts, dbError(err)
}

// ClearFailures forgets key's failures.
func (s *LoginFailures) ClearFailures(ctx context.Context, key string) error {
	return dbError(s.db.gorm.WithContext(ctx).Exec("DELETE FROM login_failures WHERE key = ?", key).Error)
}

// Prune deletes failures recorded before t.
func (s *LoginFailures) Prune(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.gorm.WithContext(ctx).Exec("DELETE FROM login_failures WHERE at < ?", before.UTC())
	return res.RowsAffected, dbError(res.Error)
}
