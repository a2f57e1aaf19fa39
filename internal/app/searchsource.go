package app

import (
	"context"

	"github.com/techx-cz/techx/internal/searchdoc"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// searchSource adapts the database (techx.ListingStore) to what the search
// indexer reads.
type searchSource struct{ ls techx.ListingStore }

var _ search.Source = searchSource{}

func (s searchSource) ChangesAfter(ctx context.Context, after int64, limit int) ([]search.Change, error) {
	es, err := s.ls.OutboxAfter(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]search.Change, len(es))
	for i, e := range es {
		out[i] = search.Change{Seq: e.Seq, Kind: e.Kind, ID: e.ID, CreatedAt: e.CreatedAt}
	}
	return out, nil
}

func (s searchSource) Bounds(ctx context.Context) (int64, int64, error) {
	return s.ls.OutboxBounds(ctx)
}

func (s searchSource) CountPublished(ctx context.Context) (int, error) {
	return s.ls.CountPublished(ctx)
}

// Docs returns the published listings among keys; the rest are deleted
// from the index.
func (s searchSource) Docs(ctx context.Context, keys []search.Key) (map[search.Key]search.Doc, error) {
	var needIDs, resultIDs []string
	for _, k := range keys {
		if k.Kind == search.KindNeed {
			needIDs = append(needIDs, k.ID)
		} else {
			resultIDs = append(resultIDs, k.ID)
		}
	}
	needs, results, err := s.ls.ListingsByIDs(ctx, needIDs, resultIDs)
	if err != nil {
		return nil, err
	}
	out := map[search.Key]search.Doc{}
	for id, n := range needs {
		if n.Status == techx.StatusPublished {
			out[search.Key{Kind: search.KindNeed, ID: id}] = searchdoc.Need(n)
		}
	}
	for id, r := range results {
		if r.Status == techx.StatusPublished {
			out[search.Key{Kind: search.KindResult, ID: id}] = searchdoc.Result(r)
		}
	}
	return out, nil
}

func (s searchSource) Scan(ctx context.Context, kind, after string, limit int) ([]search.Doc, error) {
	var out []search.Doc
	if kind == search.KindNeed {
		ns, err := s.ls.PublishedNeedsAfter(ctx, after, limit)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			out = append(out, searchdoc.Need(n))
		}
		return out, nil
	}
	rs, err := s.ls.PublishedResultsAfter(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		out = append(out, searchdoc.Result(r))
	}
	return out, nil
}
