package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
)

// Matches reports whether the listing kind/id is among the hits of req:
// the same text query, filters and viewer as Search, restricted to that
// one document. Saved searches use it to decide, once a listing is
// indexed, whether its owner is told about it. Cursor and Size are
// ignored.
func (ix *Index) Matches(ctx context.Context, req SearchRequest, kind, id string) (bool, error) {
	if req.Kind != "" && req.Kind != kind {
		return false, nil
	}
	filter := ix.filters(kind, req.Industry, req.County, req.SourceRegion, req.TRLMin, req.Bottleneck, req.PriceMaxUnits)
	bq := bleve.NewBooleanQuery()
	if strings.TrimSpace(req.Q) != "" {
		tq, _, _ := ix.textQuery(textSpec{parts: []textPart{{text: req.Q, w: 1}}}, req.Industry, req.Viewer, defaultMatchParams.search)
		if tq == nil {
			return false, nil
		}
		// the id leads the conjunction: a filter would visit every match
		// of the text query
		idq := bleve.NewDocIDQuery([]string{docID(kind, id)})
		idq.SetBoost(0)
		bq.AddMust(bleve.NewConjunctionQuery(idq, tq))
	} else {
		bq.AddMust(bleve.NewDocIDQuery([]string{docID(kind, id)}))
	}
	bq.AddFilter(filter)
	res, err := ix.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(bq, 1, 0, false))
	if err != nil {
		return false, fmt.Errorf("search: match %s %s: %w", kind, id, err)
	}
	return res.Total > 0, nil
}
