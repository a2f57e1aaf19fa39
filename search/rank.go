package search

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/numeric"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Ranking in two stages (large indexes).
//
// A need's description yields a hundred or more single-character terms,
// many of them in a large share of all listings: an exhaustive disjunction
// walks millions of postings at 100,000 listings. rank therefore first
// collects candidates with the query's most informative terms (largest
// weight × idf², within a budget of postings), then scores just those
// candidates with the full query (a conjunction with their ids: the full
// disjunction only advances to them). Scores of the candidates equal the
// exhaustive scores (same query, same norm); only a listing outside the
// candidates whose full score would have beaten theirs is missed.
// Indexes below twoStageMinDocs are scored exhaustively.
var (
	twoStageMinDocs uint64 = 3000
	stage1Frac             = 0.6  // postings budget of the candidate query, × documents
	stage2                 = true // rescore the candidates with the full query
	stage2MaxDF            = 0.3  // ... without terms in more than this share of documents
	stage1MaxTerms         = 48
	stage1MinTerms         = 4   // taken even over the budget
	stage1Cands            = 300 // candidates scored by the full query (at least the hits wanted)
)

// rankOpts says what rank returns besides ids and scores.
type rankOpts struct {
	size  int     // hits returned, best first
	cands int     // candidates of the first stage (0 = stage1Cands)
	frac  float64 // postings budget of the first stage (0 = stage1Frac)
	// noConf: the filter keeps results only, which have no confidential
	// fields: the first stage skips the guarded confidential leaves
	noConf bool
	dv     []string // docValue fields returned in Fields (see dvSort)
	fields []string // stored fields returned in Fields
	facets bool     // Search's facets (over the candidates in two stages)
}

// rank runs tq under filter and returns the best o.size hits sorted by
// score desc then id, and the total of matching listings (in two stages:
// of listings matching the candidate terms).
func (ix *Index) rank(ctx context.Context, tq *textQ, filter query.Query, o rankOpts) (*bleve.SearchResult, error) {
	sel := tq.clauses
	two := tq.docs >= twoStageMinDocs
	if two {
		frac := o.frac
		if frac <= 0 {
			frac = stage1Frac
		}
		sel = selectClauses(tq.clauses, uint64(frac*float64(tq.docs)))
		two = len(sel) < len(tq.clauses)
	}
	if !two {
		return ix.runRanked(ctx, tq.full, filter, o)
	}
	qs := make([]query.Query, 0, len(sel))
	for _, c := range sel {
		if tq.exotic {
			qs = append(qs, c.q)
			continue
		}
		// the first stage only picks candidates: one flat disjunction of
		// the leaves (no per-term nesting) is cheaper to walk
		for _, l := range c.leaves {
			if l.guard || strings.HasPrefix(l.field, "call") {
				if o.noConf {
					continue
				}
				if l.guard {
					qs = append(qs, guarded(termQ(l.field, l.term, l.boost), tq.viewer))
					continue
				}
			}
			qs = append(qs, termQ(l.field, l.term, l.boost))
		}
	}
	if len(qs) == 0 {
		return &bleve.SearchResult{}, nil
	}
	if !stage2 {
		return ix.runRanked(ctx, bleve.NewDisjunctionQuery(qs...), filter, o)
	}
	bq := bleve.NewBooleanQuery()
	bq.AddMust(bleve.NewDisjunctionQuery(qs...))
	bq.AddFilter(filter)
	nc := o.cands
	if nc <= 0 {
		nc = stage1Cands
	}
	req := bleve.NewSearchRequestOptions(bq, max(nc, o.size), 0, false)
	if !tq.exotic {
		// rescore in Go from the stored text (see rescore.go); the small
		// fields come from the same stored document
		req.Fields = append(append(append([]string{}, storedText...), o.fields...), o.dv...)
	}
	res1, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(res1.Hits) == 0 {
		return res1, nil
	}
	ids := make([]string, len(res1.Hits))
	for i, h := range res1.Hits {
		ids[i] = h.ID
	}
	var res *bleve.SearchResult
	if tq.exotic {
		idq := bleve.NewDocIDQuery(ids)
		idq.SetBoost(0)
		if res, err = ix.runRanked(ctx, bleve.NewConjunctionQuery(idq, tq.full), nil, o); err != nil {
			return nil, err
		}
	} else {
		if err := ix.rescore(tq, res1.Hits); err != nil {
			return nil, err
		}
		sortHits(res1.Hits)
		res = res1
		if len(res.Hits) > o.size {
			res.Hits = res.Hits[:o.size]
		}
		if o.facets {
			freq := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), 0, 0, false)
			addFacets(freq)
			fres, err := ix.idx.SearchInContext(ctx, freq)
			if err != nil {
				return nil, err
			}
			res.Facets = fres.Facets
		}
	}
	res.Total = res1.Total
	return res, nil
}

func sortHits(hits bsearch.DocumentMatchCollection) {
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
}

func (ix *Index) runRanked(ctx context.Context, q, filter query.Query, o rankOpts) (*bleve.SearchResult, error) {
	bq := bleve.NewBooleanQuery()
	bq.AddMust(q)
	if filter != nil {
		bq.AddFilter(filter)
	}
	req := bleve.NewSearchRequestOptions(bq, o.size, 0, false)
	req.Sort = dvSort(o.dv)
	req.Fields = o.fields
	if o.facets {
		addFacets(req)
	}
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	dvFields(res.Hits, o.dv)
	// ties by id (the collector breaks them by internal doc number:
	// sorting by _id would load every hit's stored id)
	sortHits(res.Hits)
	return res, nil
}

// selectClauses picks the candidate terms: by estimated contribution,
// while their postings fit the budget.
func selectClauses(cs []termClause, budget uint64) []termClause {
	s := append([]termClause(nil), cs...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].est > s[j].est })
	var out []termClause
	var postings uint64
	for _, c := range s {
		if len(out) >= stage1MaxTerms {
			break
		}
		if c.df == 0 {
			continue // not in the public combined field: cheap, keep it
		}
		if len(out) >= stage1MinTerms && postings+c.df > budget {
			continue
		}
		postings += c.df
		out = append(out, c)
	}
	// terms only in guarded/confidential fields are cheap: keep them
	for _, c := range s {
		if c.df == 0 && len(out) < len(cs) {
			out = append(out, c)
		}
	}
	return out
}

// dvKind is how a docValue field is decoded.
var dvKind = map[string]bsearch.SortFieldType{
	fIndustry: bsearch.SortFieldAsString, fRegion: bsearch.SortFieldAsString, fCounty: bsearch.SortFieldAsString,
	fTRL: bsearch.SortFieldAsNumber, fPrice: bsearch.SortFieldAsNumber, fBudget: bsearch.SortFieldAsNumber,
	fPublished: bsearch.SortFieldAsDate,
}

// dvSort sorts by score desc, then by the fields dv: they only break exact
// ties, but the collector then reads their values from docValues (cheap)
// into the hits' Sort values instead of loading stored documents.
func dvSort(dv []string) bsearch.SortOrder {
	so := bsearch.SortOrder{&bsearch.SortScore{Desc: true}}
	for _, f := range dv {
		so = append(so, &bsearch.SortField{Field: f, Type: dvKind[f]})
	}
	return so
}

// dvFields moves the dv sort values of hits into their Fields, typed like
// stored fields (string, float64, RFC3339 time string).
func dvFields(hits bsearch.DocumentMatchCollection, dv []string) {
	if len(dv) == 0 {
		return
	}
	for _, h := range hits {
		if h.Fields == nil {
			h.Fields = map[string]interface{}{}
		}
		for i, f := range dv {
			if 1+i >= len(h.Sort) {
				break
			}
			v := h.Sort[1+i]
			if v == "" || v == bsearch.HighTerm || v == bsearch.LowTerm {
				continue
			}
			switch dvKind[f] {
			case bsearch.SortFieldAsNumber:
				if i64, err := numeric.PrefixCoded(v).Int64(); err == nil {
					h.Fields[f] = numeric.Int64ToFloat64(i64)
				}
			case bsearch.SortFieldAsDate:
				if i64, err := numeric.PrefixCoded(v).Int64(); err == nil {
					h.Fields[f] = time.Unix(0, i64).UTC().Format(time.RFC3339Nano)
				}
			default:
				h.Fields[f] = v
			}
		}
	}
}

func addFacets(req *bleve.SearchRequest) {
	for _, f := range []string{fIndustry, fRegion, fCounty} {
		req.AddFacet(f, bleve.NewFacetRequest(f, 50))
	}
	tf := bleve.NewFacetRequest(fTRL, 10)
	for _, rg := range trlRanges {
		lo, hi := rg.lo, rg.hi
		tf.AddNumericRange(rg.name, &lo, &hi)
	}
	req.AddFacet(fTRL, tf)
}
