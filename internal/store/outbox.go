package store

import (
	"context"
	"time"

	"github.com/techx-cz/techx/internal/techx"
)

// ListingStore implements techx.ListingStore.
type ListingStore struct{ db *DB }

// NewListingStore returns a ListingStore on db.
func NewListingStore(db *DB) *ListingStore { return &ListingStore{db: db} }

var _ techx.ListingStore = (*ListingStore)(nil)

// OutboxAfter implements techx.ListingStore.
func (s *ListingStore) OutboxAfter(ctx context.Context, after int64, limit int) ([]techx.OutboxEntry, error) {
	var rows []struct {
		Seq       int64
		Kind      string
		EntityID  string
		CreatedAt time.Time
	}
	err := s.db.gorm.WithContext(ctx).Raw("SELECT seq, kind, entity_id, created_at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", after, limit).Scan(&rows).Error
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]techx.OutboxEntry, len(rows))
	for i, r := range rows {
		out[i] = techx.OutboxEntry{Seq: r.Seq, Kind: r.Kind, ID: r.EntityID, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// OutboxBounds implements techx.ListingStore.
func (s *ListingStore) OutboxBounds(ctx context.Context) (int64, int64, error) {
	var b struct{ Lo, Hi *int64 }
	if err := s.db.gorm.WithContext(ctx).Raw("SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM outbox").Scan(&b).Error; err != nil {
		return 0, 0, dbError(err)
	}
	if b.Lo == nil || b.Hi == nil {
		return 0, 0, nil
	}
	return *b.Lo, *b.Hi, nil
}

// PruneOutbox implements techx.ListingStore.
func (s *ListingStore) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.gorm.WithContext(ctx).Exec("DELETE FROM outbox WHERE created_at < ?", before.UTC())
	return res.RowsAffected, dbError(res.Error)
}

// ListingsByIDs implements techx.ListingStore.
func (s *ListingStore) ListingsByIDs(ctx context.Context, needIDs, resultIDs []string) (map[string]*techx.Need, map[string]*techx.Result, error) {
	needs := map[string]*techx.Need{}
	results := map[string]*techx.Result{}
	g := s.db.gorm.WithContext(ctx)
	if len(needIDs) > 0 {
		var rows []needRow
		if err := g.Table("needs").Select("needs.*, organizations.name AS org_name").
			Joins("JOIN organizations ON organizations.id = needs.org_id").Where("needs.id IN ?", needIDs).Find(&rows).Error; err != nil {
			return nil, nil, dbError(err)
		}
		for i := range rows {
			needs[rows[i].ID] = rows[i].domain()
		}
	}
	if len(resultIDs) > 0 {
		var rows []resultRow
		if err := g.Table("results").Select("results.*, organizations.name AS org_name").
			Joins("JOIN organizations ON organizations.id = results.org_id").Where("results.id IN ?", resultIDs).Find(&rows).Error; err != nil {
			return nil, nil, dbError(err)
		}
		for i := range rows {
			results[rows[i].ID] = rows[i].domain()
		}
	}
	return needs, results, nil
}

// PublishedNeedsAfter implements techx.ListingStore.
func (s *ListingStore) PublishedNeedsAfter(ctx context.Context, after string, limit int) ([]*techx.Need, error) {
	var rows []needRow
	if err := s.db.gorm.WithContext(ctx).Table("needs").Select("needs.*, organizations.name AS org_name").
		Joins("JOIN organizations ON organizations.id = needs.org_id").
		Where("needs.status = ? AND needs.id > ?", techx.StatusPublished, after).Order("needs.id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.Need, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// PublishedResultsAfter implements techx.ListingStore.
func (s *ListingStore) PublishedResultsAfter(ctx context.Context, after string, limit int) ([]*techx.Result, error) {
	var rows []resultRow
	if err := s.db.gorm.WithContext(ctx).Table("results").Select("results.*, organizations.name AS org_name").
		Joins("JOIN organizations ON organizations.id = results.org_id").
		Where("results.status = ? AND results.id > ?", techx.StatusPublished, after).Order("results.id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.Result, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// CountPublished implements techx.ListingStore.
func (s *ListingStore) CountPublished(ctx context.Context) (int, error) {
	var n struct{ A, B int64 }
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT (SELECT COUNT(*) FROM needs WHERE status = ?) AS a,
		(SELECT COUNT(*) FROM results WHERE status = ?) AS b`, techx.StatusPublished, techx.StatusPublished).Scan(&n).Error
	return int(n.A + n.B), dbError(err)
}

// SaveMatchFeedback stores a judgment of a match.
func (s *ListingStore) SaveMatchFeedback(ctx context.Context, fb *techx.MatchFeedback) error {
	fb.CreatedAt = s.db.Now()
	return dbError(s.db.gorm.WithContext(ctx).Exec(
		"INSERT INTO match_feedback (id, need_id, result_id, user_id, useful, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		newID(), fb.NeedID, fb.ResultID, fb.UserID, fb.Useful, fb.Reason, fb.CreatedAt).Error)
}
