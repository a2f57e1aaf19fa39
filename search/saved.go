package search

import (
	"context"
	"strings"
)

// Matches reports whether the listing kind/id is among the hits of req:
// it passes the same filters as Search and holds a term of the same text
// query in a view the viewer may see. Saved searches use it to decide,
// once a listing is indexed, whether its owner is told about it. Cursor
// and Size are ignored.
func (ix *Index) Matches(ctx context.Context, req SearchRequest, kind, id string) (bool, error) {
	if req.Kind != "" && req.Kind != kind {
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var terms []rterm
	if strings.TrimSpace(req.Q) != "" {
		terms, _ = ix.queryTerms(textSpec{parts: []textPart{{text: req.Q, w: 1}}}, req.Industry, defaultMatchParams.search)
		if len(terms) == 0 {
			return false, nil
		}
	}
	rx := ix.rx
	rx.mu.RLock()
	defer rx.mu.RUnlock()
	s, ok := rx.byID[docID(kind, id)]
	if !ok {
		return false, nil
	}
	f := rx.filter(ix.now().UnixNano(), req.Kind, req.Industry, req.County, req.SourceRegion, req.TRLMin, req.Bottleneck, req.PriceMaxUnits)
	if !rx.keep(f, s) {
		return false, nil
	}
	if len(terms) == 0 {
		return true, nil
	}
	ids, conf := rx.viewTerms(s, req.Viewer)
	for _, t := range terms {
		if t.w > 0 && rx.holds(ids, conf, t.fam, t.term) {
			return true, nil
		}
	}
	return false, nil
}
