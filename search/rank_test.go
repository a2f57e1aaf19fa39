package search

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// TestRescoreEqualsBleve: the Go rescoring of candidates gives bleve's
// exhaustive scores, for each task's parameters and each kind of viewer
// (confidential fields guarded or not).
func TestRescoreEqualsBleve(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	var docs []Doc
	for i := 0; i < 400; i++ {
		kind := KindResult
		if i%3 == 0 {
			kind = KindNeed
		}
		docs = append(docs, Doc{Kind: kind, ID: fmt.Sprintf("d%04d", i), OrgID: fmt.Sprintf("o%d", i%7),
			Title: benchText(r, 3), Text: benchText(r, 25) + " PM2.5 ti-6al-4v", Keywords: strings.Fields(benchText(r, 2)),
			Industry: benchIndustries[r.Intn(len(benchIndustries))], TRL: r.Intn(10), Confidential: kind == KindNeed && i%2 == 0,
			PublishedAt: time.Now().Add(-time.Hour)})
	}
	ix, err := Open("", devThesaurus(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Index(docs...); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for pi, p := range []params{matchTextParams, reverseTextParams, defaultParams} {
		for _, v := range []Viewer{{}, {OrgID: "o3"}, {Full: true}} {
			for qi := 0; qi < 5; qi++ {
				src := docs[qi*31]
				spec := textSpec{parts: []textPart{{text: src.Title, w: 2}, {text: src.Text, w: 1}, {text: strings.Join(src.Keywords, "\n"), w: 1.5}}}
				tq, _, _ := ix.rankedTextQuery(spec, src.Industry, v, p)
				if tq == nil || tq.exotic {
					t.Fatalf("params %d: query nil or exotic", pi)
				}
				res, err := ix.runRanked(ctx, tq.full, ix.filters("", "", "", "", 0, nil, nil), rankOpts{size: 400, fields: storedText})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Hits) < 20 {
					t.Fatalf("only %d hits", len(res.Hits))
				}
				want := map[string]float64{}
				for _, h := range res.Hits {
					want[h.ID] = h.Score
				}
				if err := ix.rescore(tq, res.Hits); err != nil {
					t.Fatal(err)
				}
				for _, h := range res.Hits {
					if d := math.Abs(h.Score - want[h.ID]); d > 1e-9*math.Max(1, want[h.ID]) {
						t.Fatalf("params %d viewer %+v query %d: %s rescored %.12f, bleve %.12f", pi, v, qi, h.ID, h.Score, want[h.ID])
					}
				}
			}
		}
	}
}
