package search

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/registry"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Viewer is who is searching; it decides whether confidential need text
// may be matched, highlighted and explained.
type Viewer struct {
	// OrgID is the viewer's organization ("" = anonymous).
	OrgID string
	// Full is true for brokers and admins, who see every listing in full.
	Full bool
}

// SearchRequest is a search over published listings. Zero fields do not
// filter.
type SearchRequest struct {
	// Q is the user's text. It is analysed into terms; query syntax
	// characters have no meaning.
	Q            string
	Kind         string // KindNeed, KindResult or "" for both
	Industry     string
	County       string
	SourceRegion string
	TRLMin       int   // keeps trl >= TRLMin
	Bottleneck   *bool // keeps bottleneck == *Bottleneck
	// PriceMaxUnits keeps results priced at most this (0.0001 万元 units)
	// and results without a price (面议), which may still fit.
	PriceMaxUnits *int64
	// Size is the page size: default 20, at most 100.
	Size int
	// Cursor is the Next of the previous page ("" = first page).
	Cursor string
	Viewer Viewer
}

// Hit is one search result.
type Hit struct {
	Kind  string
	ID    string
	Score float64
	// Highlights holds, per field ("title", "text", "keywords"), fragments
	// with matched terms wrapped in <mark>; only fields the viewer may see.
	Highlights map[string][]string
}

// FacetCount is the number of hits with one value of a facet field.
type FacetCount struct {
	Value string
	Count int
}

// SearchResponse is one page of search results.
type SearchResponse struct {
	Hits []Hit
	// Total counts the hits. On indexes of 3,000 listings or more, a text
	// query is ranked in two stages (see rank.go): Total then counts the
	// listings matching the query's candidate (most informative) terms.
	Total uint64
	// Facets counts all hits by "industry", "source_region", "county" and
	// "trl" ("0" = unknown); for a two-stage text query, the best 300
	// candidates.
	Facets map[string][]FacetCount
	// Next is the cursor of the next page, "" on the last page.
	Next string
}

// ErrBadCursor is returned by Search for a cursor it did not issue.
var ErrBadCursor = errors.New("search: invalid cursor")

// Page size limits.
const (
	DefaultSize = 20
	MaxSize     = 100
	maxOffset   = 10000
)

// The cursor is an offset into the ranked list (sorted by score then id, or
// by published_at desc then id for an empty Q), encoded as opaque base64.
// Offsets are simple and good enough for a few thousand listings; pages may
// shift if the index changes between requests.
type cursor struct {
	Offset int `json:"o"`
}

func encodeCursor(off int) string {
	b, _ := json.Marshal(cursor{Offset: off})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, ErrBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Offset < 0 || c.Offset > maxOffset {
		return 0, ErrBadCursor
	}
	return c.Offset, nil
}

// params are the relevance weights, chosen by measurement (see STATUS.md).
type params struct {
	wTitle, wText, wKw, wInst   float64 // gse (word) fields
	wTitleBg, wTextBg, wKwBg    float64 // cjk bigram fields
	wTitleU, wTextU, wKwU       float64 // single-character fields
	useUni                      bool
	wAll, wAllBg, wAllU         float64 // combined fields
	expBoost                    float64 // thesaurus expansions vs the user's own terms
	expOtherIndustry            float64 // extra factor for groups of another industry
	useGse, useBigram           bool
	priorNoIndustry, priorNoTRL float64 // listing prior: incomplete listings rank lower
	prfK                        int     // pseudo-relevance feedback: listings whose keywords are added (0 = off)
	prfW                        float64 // weight of the feedback text
	prfTitle                    bool    // feedback also adds the listings' titles
	idfDamp                     float64 // exponent: term weight * idf^-idfDamp on combined fields (0 = off)
}

// defaultParams are the weights of Search (short queries), see STATUS.md
// for the measurements.
var defaultParams = params{
	wAll: 0.1, wAllBg: 0, wAllU: 1,
	useUni:   true,
	expBoost: 0.4, expOtherIndustry: 0.5,
	useGse: true, useBigram: true,
	priorNoIndustry: 0.5, priorNoTRL: 1,
	prfK: 5, prfW: 0.2, prfTitle: true,
}

// rerankWindow is how many best text matches Search reranks by the listing
// prior. Pages beyond it follow the window's order.
const rerankWindow = 200

// prior is the multiplicative listing prior of Search: a listing without an
// industry or TRL (incomplete, e.g. imported papers) ranks lower.
func (p params) prior(industry string, trl int) float64 {
	f := 1.0
	if industry == "" && p.priorNoIndustry > 0 {
		f *= p.priorNoIndustry
	}
	if trl == 0 && p.priorNoTRL > 0 {
		f *= p.priorNoTRL
	}
	return f
}

// qterm is one weighted query term.
type qterm struct {
	term string
	w    float64
	via  string // "" = the user's own term; else the term that expanded to it
}

// textSpec is a weighted bag of query texts.
type textSpec struct {
	parts []textPart
}

type textPart struct {
	text string
	w    float64
}

var cjkAnalyzer analysis.Analyzer

func init() {
	a, err := registry.NewCache().AnalyzerNamed(cjk.AnalyzerName)
	if err != nil {
		panic(err)
	}
	cjkAnalyzer = a
}

var stdAnalyzer analysis.Analyzer

func init() {
	a, err := registry.NewCache().AnalyzerNamed(standard.Name)
	if err != nil {
		panic(err)
	}
	stdAnalyzer = a
}

func unigrams(s string) []string {
	ts := stdAnalyzer.Analyze([]byte(capText(s)))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

func bigrams(s string) []string {
	ts := cjkAnalyzer.Analyze([]byte(capText(s)))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

// termSet builds the weighted word terms and bigram terms of spec, plus the
// thesaurus expansions (restricted by industry if industry != "").
func (ix *Index) termSet(spec textSpec, industry string, p params) (words, bis, unis []qterm, exps []Expansion) {
	wm := map[string]float64{}
	bm := map[string]float64{}
	um := map[string]float64{}
	var order, border, uorder []string
	var all strings.Builder
	for _, part := range spec.parts {
		all.WriteString(part.text)
		all.WriteString("\n")
		for _, t := range Tokens(part.text) {
			if _, ok := wm[t]; !ok {
				order = append(order, t)
			}
			wm[t] = math.Max(wm[t], part.w)
		}
		for _, t := range unigrams(part.text) {
			if _, ok := um[t]; !ok {
				uorder = append(uorder, t)
			}
			um[t] = math.Max(um[t], part.w)
		}
		for _, t := range bigrams(part.text) {
			if _, ok := bm[t]; !ok {
				border = append(border, t)
			}
			bm[t] = math.Max(bm[t], part.w)
		}
	}
	for _, t := range order {
		words = append(words, qterm{term: t, w: wm[t]})
	}
	for _, t := range border {
		bis = append(bis, qterm{term: t, w: bm[t]})
	}
	for _, t := range uorder {
		unis = append(unis, qterm{term: t, w: um[t]})
	}
	if ix.th != nil {
		seen := map[string]bool{}
		for _, t := range order {
			seen[t] = true
		}
		for _, e := range ix.th.ExpandText(all.String()) {
			w := p.expBoost
			if industry != "" && e.Industry != "*" && e.Industry != industry {
				w *= p.expOtherIndustry
			}
			exps = append(exps, e)
			for _, t := range Tokens(e.Term) {
				if seen[t] {
					continue
				}
				seen[t] = true
				words = append(words, qterm{term: t, w: w, via: e.Via})
			}
		}
	}
	return words, bis, unis, exps
}

func termQ(field, term string, boost float64) query.Query {
	q := bleve.NewTermQuery(term)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

// scoreQ is a scoring term query, or nil when its weight is not positive.
func scoreQ(field, term string, boost float64) query.Query {
	if boost <= 0 {
		return nil
	}
	return termQ(field, term, boost)
}

// guarded wraps a query on confidential fields so that it matches only
// what viewer may see: unchanged for Full, restricted to the viewer's own
// organization otherwise, nil (dropped) for anonymous viewers.
func guarded(q query.Query, v Viewer) query.Query {
	if q == nil {
		return nil
	}
	if v.Full {
		return q
	}
	if v.OrgID == "" {
		return nil
	}
	return bleve.NewConjunctionQuery(termQ(fOrg, v.OrgID, 0), q)
}

// textQuery builds the scoring query for spec as a disjunction over terms,
// each a disjunction over fields; confidential fields are guarded by the
// viewer. It returns nil when spec has no terms.
func (ix *Index) textQuery(spec textSpec, industry string, v Viewer, p params) (query.Query, []qterm, []Expansion) {
	tq, words, exps := ix.rankedTextQuery(spec, industry, v, p)
	if tq == nil {
		return nil, words, exps
	}
	return tq.full, words, exps
}

// rankedTextQuery is textQuery with each term's clause kept apart, with
// its document frequency and an estimate of its score contribution, so
// that large indexes can find candidates with the informative terms only
// (see rank).
func (ix *Index) rankedTextQuery(spec textSpec, industry string, v Viewer, p params) (*textQ, []qterm, []Expansion) {
	words, bis, unis, exps := ix.termSet(spec, industry, p)
	st, closeStats := ix.termStats(p.idfDamp)
	defer closeStats()
	tq := &textQ{docs: st.docs, viewer: v}
	var leaves []leaf
	damp := func(field, term string) float64 {
		f := st.damp(field, term)
		return f
	}
	addAll := func(fs []query.Query, pub, conf string, t qterm, w float64, v Viewer, damp func(field, term string) float64) []query.Query {
		n := len(fs)
		for _, q := range fs {
			if q != nil {
				tq.exotic = true // a per-field clause: rescoring in Go does not know it
			}
		}
		fs = addAll(fs, pub, conf, t, w, v, damp)
		if w > 0 {
			if b := w * t.w * damp(pub, t.term); b > 0 {
				df, _ := st.df(pub, t.term)
				leaves = append(leaves, leaf{field: pub, term: t.term, boost: b, df: df})
			}
			if b := w * t.w * damp(conf, t.term); b > 0 && (v.Full || v.OrgID != "") {
				df, _ := st.df(conf, t.term)
				leaves = append(leaves, leaf{field: conf, term: t.term, boost: b, guard: !v.Full, df: df})
			}
		}
		_ = n
		return fs
	}
	add := func(fs []query.Query, t qterm, w float64, fields ...string) {
		c := termClause{term: t.term, leaves: leaves}
		leaves = nil
		for _, f := range fields {
			df, _ := st.df(f, t.term)
			c.df += df
		}
		n := 0
		for _, q := range fs {
			if q != nil {
				fs[n] = q
				n++
			}
		}
		if n == 0 {
			return
		}
		if n == 1 {
			c.q = fs[0]
		} else {
			c.q = bleve.NewDisjunctionQuery(fs[:n]...)
		}
		c.est = w * t.w * sq(idf(st.docs, c.df))
		tq.clauses = append(tq.clauses, c)
	}
	if p.useGse {
		for _, t := range words {
			fs := []query.Query{
				scoreQ(fTitle, t.term, p.wTitle*t.w),
				scoreQ(fText, t.term, p.wText*t.w),
				scoreQ(fKw, t.term, p.wKw*t.w),
				scoreQ(fInst, t.term, p.wInst*t.w),
			}
			if g := guarded(scoreQ(fCText, t.term, p.wText*t.w), v); g != nil {
				fs = append(fs, g)
			}
			if g := guarded(scoreQ(fCKw, t.term, p.wKw*t.w), v); g != nil {
				fs = append(fs, g)
			}
			fs = addAll(fs, fAll, fCAll, t, p.wAll, v, damp)
			add(fs, t, max(p.wAll, p.wTitle, p.wText, p.wKw), fAll)
		}
	}
	if p.useBigram {
		for _, t := range bis {
			fs := []query.Query{
				scoreQ(fTitleBg, t.term, p.wTitleBg*t.w),
				scoreQ(fTextBg, t.term, p.wTextBg*t.w),
				scoreQ(fKwBg, t.term, p.wKwBg*t.w),
			}
			if g := guarded(scoreQ(fCTextBg, t.term, p.wTextBg*t.w), v); g != nil {
				fs = append(fs, g)
			}
			if g := guarded(scoreQ(fCKwBg, t.term, p.wKwBg*t.w), v); g != nil {
				fs = append(fs, g)
			}
			fs = addAll(fs, fAllBg, fCAllBg, t, p.wAllBg, v, damp)
			add(fs, t, max(p.wAllBg, p.wTitleBg, p.wTextBg, p.wKwBg), fAllBg)
		}
	}
	if p.useUni {
		for _, t := range unis {
			fs := []query.Query{
				scoreQ(fTitleU, t.term, p.wTitleU*t.w),
				scoreQ(fTextU, t.term, p.wTextU*t.w),
				scoreQ(fKwU, t.term, p.wKwU*t.w),
			}
			if g := guarded(scoreQ(fCTextU, t.term, p.wTextU*t.w), v); g != nil {
				fs = append(fs, g)
			}
			if g := guarded(scoreQ(fCKwU, t.term, p.wKwU*t.w), v); g != nil {
				fs = append(fs, g)
			}
			fs = addAll(fs, fAllU, fCAllU, t, p.wAllU, v, damp)
			add(fs, t, max(p.wAllU, p.wTitleU, p.wTextU, p.wKwU), fAllU)
		}
	}
	// words absent from the index cannot be highlighted or explained:
	// decorate skips them (each costs term searchers on five fields)
	if st.r != nil {
		kept := words[:0:0]
		for _, t := range words {
			a, _ := st.df(fAll, t.term)
			c, _ := st.df(fCAll, t.term)
			if a+c > 0 {
				kept = append(kept, t)
			}
		}
		words = kept
	}
	if len(tq.clauses) == 0 {
		return nil, words, exps
	}
	qs := make([]query.Query, len(tq.clauses))
	for i, c := range tq.clauses {
		qs[i] = c.q
	}
	tq.full = bleve.NewDisjunctionQuery(qs...)
	return tq, words, exps
}

func sq(x float64) float64 { return x * x }

// idf is BM25's inverse document frequency.
func idf(n, df uint64) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// textQ is a text query: the full disjunction, and its clauses one per
// query term.
type textQ struct {
	full    query.Query
	clauses []termClause
	docs    uint64 // documents in the index when the query was built
	exotic  bool   // has per-field clauses (tuning only): no rescoring in Go
	viewer  Viewer
}

// leaf is one scored term query of a clause (a combined field); guard:
// wrapped in the viewer's organization guard.
type leaf struct {
	field, term string
	boost       float64
	guard       bool
	df          uint64
}

// termClause is the clause of one query term (a disjunction over the
// fields it is scored on).
type termClause struct {
	q      query.Query
	term   string
	leaves []leaf
	df     uint64  // documents holding the term (public combined field)
	est    float64 // weight × idf² (bleve's BM25 applies idf twice)
}

// addAll adds the combined-field clauses of t (public, and confidential
// guarded by the viewer) when w > 0.
func addAll(fs []query.Query, pub, conf string, t qterm, w float64, v Viewer, damp func(field, term string) float64) []query.Query {
	if w <= 0 {
		return fs
	}
	if q := scoreQ(pub, t.term, w*t.w*damp(pub, t.term)); q != nil {
		fs = append(fs, q)
	}
	if g := guarded(scoreQ(conf, t.term, w*t.w*damp(conf, t.term)), v); g != nil {
		fs = append(fs, g)
	}
	return fs
}

// termStats reads document frequencies from one index snapshot. damp
// gives, for a field and term, the factor idf^-exp (bleve's BM25
// multiplies a term's score by its idf twice: in the BM25 formula and in
// the query weight; exp 1 leaves one idf), or 0 when the term does not
// occur in the field (its clause is dropped). The returned close func
// releases the index reader.
func (ix *Index) termStats(exp float64) (*termStats, func()) {
	st := &termStats{exp: exp, cache: map[string]uint64{}, ix: ix}
	adv, err := ix.idx.Advanced()
	if err != nil {
		return st, func() {}
	}
	r, err := adv.Reader()
	if err != nil {
		return st, func() {}
	}
	n, err := r.DocCount()
	if err != nil {
		r.Close()
		return st, func() {}
	}
	st.r, st.docs = r, n
	return st, func() { r.Close() }
}

type termStats struct {
	r     index.IndexReader
	docs  uint64
	exp   float64
	cache map[string]uint64
	ix    *Index // its dfCache outlives the query (until the next write)
}

// df returns the document frequency of term in field (ok false when it
// could not be read).
func (st *termStats) df(field, term string) (uint64, bool) {
	if st.r == nil {
		return 0, false
	}
	key := field + "\x00" + term
	if df, ok := st.cache[key]; ok {
		return df, true
	}
	if df, ok := st.ix.cachedDF(key); ok {
		st.cache[key] = df
		return df, true
	}
	tfr, err := st.r.TermFieldReader(context.Background(), []byte(term), field, false, false, false)
	if err != nil {
		return 0, false
	}
	df := tfr.Count()
	tfr.Close()
	st.cache[key] = df
	st.ix.storeDF(key, df)
	return df, true
}

func (st *termStats) damp(field, term string) float64 {
	df, ok := st.df(field, term)
	switch {
	case !ok:
		return 1
	case df == 0:
		return 0
	case st.exp != 0:
		return math.Pow(math.Max(idf(st.docs, df), 0.05), -st.exp)
	}
	return 1
}

func appendClauses(clauses, fs []query.Query) []query.Query {
	fs2 := fs[:0]
	for _, q := range fs {
		if q != nil {
			fs2 = append(fs2, q)
		}
	}
	fs = fs2
	if len(fs) == 0 {
		return clauses
	}
	return append(clauses, bleve.NewDisjunctionQuery(fs...))
}

func (ix *Index) now() time.Time { return ix.cfg.now() }

// filters returns the filter query of r (never nil: at least validity).
func (ix *Index) filters(kind, industry, county, region string, trlMin int, bottleneck *bool, priceMax *int64) query.Query {
	now := ix.now().UTC()
	vq := bleve.NewDateRangeQuery(now, time.Time{})
	vq.SetField(fValid)
	fs := []query.Query{vq}
	add := func(field, v string) {
		if v != "" {
			fs = append(fs, termQ(field, v, 0))
		}
	}
	add(fKind, kind)
	add(fIndustry, industry)
	add(fCounty, county)
	add(fRegion, region)
	if trlMin > 0 {
		mn := float64(trlMin)
		q := bleve.NewNumericRangeQuery(&mn, nil)
		q.SetField(fTRL)
		fs = append(fs, q)
	}
	if bottleneck != nil {
		q := bleve.NewBoolFieldQuery(*bottleneck)
		q.SetField(fBottleneck)
		fs = append(fs, q)
	}
	if priceMax != nil {
		mx := float64(*priceMax)
		incl := true
		pq := bleve.NewNumericRangeInclusiveQuery(nil, &mx, nil, &incl)
		pq.SetField(fPrice)
		np := bleve.NewBoolFieldQuery(false)
		np.SetField(fHasPrice)
		fs = append(fs, bleve.NewDisjunctionQuery(pq, np))
	}
	return bleve.NewConjunctionQuery(fs...)
}

var trlRanges = func() []struct {
	name   string
	lo, hi float64
} {
	var r []struct {
		name   string
		lo, hi float64
	}
	for i := 0; i <= 9; i++ {
		r = append(r, struct {
			name   string
			lo, hi float64
		}{strconv.Itoa(i), float64(i), float64(i + 1)})
	}
	return r
}()

// Search runs a search. Q is analysed into word and bigram terms (with
// thesaurus expansions at a lower weight) and never parsed as query syntax.
// An empty Q lists the filtered listings by published_at desc, then id.
func (ix *Index) Search(ctx context.Context, r SearchRequest) (*SearchResponse, error) {
	return ix.search(ctx, r, defaultMatchParams.search)
}

func (ix *Index) search(ctx context.Context, r SearchRequest, p params) (*SearchResponse, error) {
	off, err := decodeCursor(r.Cursor)
	if err != nil {
		return nil, err
	}
	size := r.Size
	if size <= 0 {
		size = DefaultSize
	}
	if size > MaxSize {
		size = MaxSize
	}
	filter := ix.filters(r.Kind, r.Industry, r.County, r.SourceRegion, r.TRLMin, r.Bottleneck, r.PriceMaxUnits)
	var tq *textQ
	var words []qterm
	if strings.TrimSpace(r.Q) != "" {
		tq, words, _ = ix.rankedTextQuery(textSpec{parts: []textPart{{text: r.Q, w: 1}}}, r.Industry, r.Viewer, p)
		if tq == nil {
			// text without any term (punctuation only): nothing matches
			return &SearchResponse{Facets: map[string][]FacetCount{}}, nil
		}
		if p.prfK > 0 {
			fb, err := ix.feedback(ctx, tq, filter, p)
			if err != nil {
				return nil, err
			}
			if fb != "" {
				spec := textSpec{parts: []textPart{{text: r.Q, w: 1}, {text: fb, w: p.prfW}}}
				if tq2, _, _ := ix.rankedTextQuery(spec, r.Industry, r.Viewer, p); tq2 != nil {
					tq = tq2
				}
			}
		}
	}
	var res *bleve.SearchResult
	if tq != nil {
		// rerank a window of the best text matches by the listing prior,
		// then cut the page out of it
		res, err = ix.rank(ctx, tq, filter, rankOpts{size: max(rerankWindow, off+size+1), dv: []string{fIndustry, fTRL}, facets: true, noConf: r.Kind == KindResult})
	} else {
		// the filters as the query (not a filter over match-all, which
		// visits every document), unscored: the order is by date
		req := bleve.NewSearchRequestOptions(filter, size+1, off, false)
		req.Score = "none"
		req.SortBy([]string{"-" + fPublished, "_id"})
		addFacets(req)
		res, err = ix.idx.SearchInContext(ctx, req)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &SearchResponse{Total: res.Total, Facets: map[string][]FacetCount{}}
	var deco map[string]*bsearch.DocumentMatch
	if tq != nil {
		for _, h := range res.Hits {
			h.Score *= p.prior(str(h.Fields[fIndustry]), int(num(h.Fields[fTRL])))
		}
		sort.SliceStable(res.Hits, func(i, j int) bool {
			if res.Hits[i].Score != res.Hits[j].Score {
				return res.Hits[i].Score > res.Hits[j].Score
			}
			return res.Hits[i].ID < res.Hits[j].ID
		})
		if off >= len(res.Hits) {
			res.Hits = nil
		} else {
			res.Hits = res.Hits[off:min(len(res.Hits), off+size+1)]
		}
	}
	if tq != nil && len(res.Hits) > 0 {
		ids := make([]string, 0, len(res.Hits))
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if deco, err = ix.decorate(ctx, ids, words, r.Viewer, true); err != nil {
			return nil, err
		}
	}
	for i, h := range res.Hits {
		if i == size {
			out.Next = encodeCursor(off + size)
			break
		}
		kind, id := splitDocID(h.ID)
		hit := Hit{Kind: kind, ID: id, Score: h.Score}
		if tq != nil {
			if d := deco[h.ID]; d != nil {
				hit.Highlights = visibleFragments(d.Fragments, d.Fields, r.Viewer)
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	for name, fr := range res.Facets {
		var fc []FacetCount
		if fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				fc = append(fc, FacetCount{Value: t.Term, Count: t.Count})
			}
		}
		for _, nr := range fr.NumericRanges {
			if nr.Count > 0 {
				fc = append(fc, FacetCount{Value: nr.Name, Count: nr.Count})
			}
		}
		sort.SliceStable(fc, func(i, j int) bool {
			if fc[i].Count != fc[j].Count {
				return fc[i].Count > fc[j].Count
			}
			return fc[i].Value < fc[j].Value
		})
		out.Facets[name] = fc
	}
	return out, nil
}

// feedback returns the public keywords (and titles) of the best prfK
// listings for tq (pseudo-relevance feedback), ranked like Search.
func (ix *Index) feedback(ctx context.Context, tq *textQ, filter query.Query, p params) (string, error) {
	res, err := ix.rank(ctx, tq, filter, rankOpts{size: p.prfK * 4, cands: p.prfK * 20, dv: []string{fIndustry, fTRL}, fields: []string{fKw, fTitle}})
	if err != nil {
		return "", fmt.Errorf("search: feedback: %w", err)
	}
	for _, h := range res.Hits {
		h.Score *= p.prior(str(h.Fields[fIndustry]), int(num(h.Fields[fTRL])))
	}
	sort.SliceStable(res.Hits, func(i, j int) bool { return res.Hits[i].Score > res.Hits[j].Score })
	var b strings.Builder
	for i, h := range res.Hits {
		if i == p.prfK {
			break
		}
		switch kw := h.Fields[fKw].(type) {
		case string:
			b.WriteString(kw + "\n")
		case []interface{}:
			for _, k := range kw {
				b.WriteString(str(k) + "\n")
			}
		}
		if p.prfTitle {
			b.WriteString(str(h.Fields[fTitle]) + "\n")
		}
	}
	return b.String(), nil
}

// decorate finds, for the documents ids, where the word terms occur in the
// stored fields the viewer may see: highlight fragments (highlight) and
// term locations (for explanations). Ranking uses the combined fields,
// which are not stored; this second query on the few shown documents keeps
// presentation apart from ranking.
func (ix *Index) decorate(ctx context.Context, ids []string, words []qterm, v Viewer, highlight bool) (map[string]*bsearch.DocumentMatch, error) {
	var fs []query.Query
	for _, t := range words {
		for _, f := range []string{fTitle, fText, fKw} {
			fs = append(fs, termQ(f, t.term, 1))
		}
		for _, f := range []string{fCText, fCKw} {
			if g := guarded(termQ(f, t.term, 1), v); g != nil {
				fs = append(fs, g)
			}
		}
	}
	if len(fs) == 0 || len(ids) == 0 {
		return nil, nil
	}
	q := bleve.NewConjunctionQuery(bleve.NewDocIDQuery(ids), bleve.NewDisjunctionQuery(fs...))
	req := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	req.Fields = []string{fOrg, fConf}
	req.IncludeLocations = true
	if highlight {
		req.Highlight = bleve.NewHighlightWithStyle("html")
		req.Highlight.Fields = ix.highlightFields(v)
	}
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: decorate: %w", err)
	}
	out := make(map[string]*bsearch.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h
	}
	return out, nil
}

// highlightFields are the stored fields a viewer may get fragments of.
func (ix *Index) highlightFields(v Viewer) []string {
	fs := []string{fTitle, fText, fKw}
	if v.Full || v.OrgID != "" {
		fs = append(fs, fCText, fCKw)
	}
	return fs
}

// publicFieldName maps index fields to the names used in Highlights.
var publicFieldName = map[string]string{fTitle: "title", fText: "text", fKw: "keywords", fCText: "text", fCKw: "keywords"}

// canSeeConfidential reports whether v may see the confidential text of a
// hit with the given stored fields.
func canSeeConfidential(fields map[string]interface{}, v Viewer) bool {
	if v.Full {
		return true
	}
	org, _ := fields[fOrg].(string)
	return v.OrgID != "" && org == v.OrgID
}

// visibleFragments keeps the fragments v may see (defence in depth: the
// query already never matches confidential fields for other viewers).
func visibleFragments(fr map[string][]string, fields map[string]interface{}, v Viewer) map[string][]string {
	out := map[string][]string{}
	for f, frags := range fr {
		name, ok := publicFieldName[f]
		if !ok || len(frags) == 0 {
			continue
		}
		if (f == fCText || f == fCKw) && !canSeeConfidential(fields, v) {
			continue
		}
		out[name] = append(out[name], frags...)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
