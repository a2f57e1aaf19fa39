package app

import (
	"context"

	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// notifySavedSearches is the indexer's OnApplied hook: each listing the
// index just took in (published ones only) is run against the saved
// searches that may match it, each as its owner would search, and the
// owners it matches are notified, once per saved search and listing (the
// database keeps that promise, across re-publications and replicas).
// Failures are logged; the index does not wait for the inbox.
func (a *App) notifySavedSearches(ctx context.Context, docs []search.Doc) {
	for _, d := range docs {
		l := techx.ListingRef{Kind: d.Kind, ID: d.ID, OrgID: d.OrgID, Title: d.Title}
		if _, err := a.Notifications.NotifySavedSearches(ctx, l, a.savedSearchMatches); err != nil && ctx.Err() == nil {
			a.Log.Warn("saved-search notifications", "kind", d.Kind, "id", d.ID, "err", err)
		}
	}
}

// savedSearchMatches runs s through the search engine with its owner's
// eyes, restricted to the listing.
func (a *App) savedSearchMatches(ctx context.Context, s *techx.SavedSearch, owner *techx.User, l techx.ListingRef) (bool, error) {
	req := search.SearchRequest{Q: s.Q, Kind: s.Kind, Industry: s.Industry, County: s.County, SourceRegion: s.SourceRegion,
		TRLMin: s.TRLMin, Bottleneck: s.Bottleneck, Viewer: search.Viewer{OrgID: owner.OrgID, Full: owner.IsStaff()}}
	return a.Index.Matches(ctx, req, l.Kind, l.ID)
}
