package techx

import (
	"context"
	"time"
)

// OutboxEntry is one row of the outbox log: listing kind and id changed.
type OutboxEntry struct {
	Seq       int64
	Kind      string
	ID        string
	CreatedAt time.Time
}

// ListingStore gives the search indexer what it reads, without any
// caller's visibility rules: the outbox log, listings by id, and published
// listings in id order for a full rebuild.
type ListingStore interface {
	// OutboxAfter returns up to limit entries with seq > after, in order.
	OutboxAfter(ctx context.Context, after int64, limit int) ([]OutboxEntry, error)
	// OutboxBounds returns the lowest and highest seq kept (0, 0 if empty).
	OutboxBounds(ctx context.Context) (min, max int64, err error)
	// PruneOutbox deletes entries created before t.
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)
	// ListingsByIDs loads needs and results by id, whatever their status.
	ListingsByIDs(ctx context.Context, needIDs, resultIDs []string) (map[string]*Need, map[string]*Result, error)
	// PublishedAfter returns up to limit published listings of kind with
	// id > after, in id order (keyset pagination for rebuilds).
	PublishedNeedsAfter(ctx context.Context, after string, limit int) ([]*Need, error)
	PublishedResultsAfter(ctx context.Context, after string, limit int) ([]*Result, error)
	// CountPublished counts published needs and results.
	CountPublished(ctx context.Context) (int, error)
	// SaveMatchFeedback stores a judgment of a match.
	SaveMatchFeedback(ctx context.Context, fb *MatchFeedback) error
}

// MatchFeedback is a judgment of one need–result match.
type MatchFeedback struct {
	NeedID    string    `json:"need_id"`
	ResultID  string    `json:"result_id"`
	UserID    string    `json:"user_id"`
	Useful    bool      `json:"useful"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}
