package search

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/registry"
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

// params are the relevance weights of one task, chosen by measurement
// (search/DESIGN.md).
type params struct {
	wWord, wChar     float64 // family weights: gse words, single characters
	expBoost         float64 // thesaurus expansions vs the user's own terms (× wWord)
	expOtherIndustry float64 // extra factor for groups of another industry
	priorNoIndustry  float64 // listing prior: a listing without an industry (e.g. an imported paper) ranks lower
	prfK             int     // pseudo-relevance feedback: listings whose keywords are added (0 = off)
	prfW             float64 // weight of the feedback text
	prfTitle         bool    // feedback also adds the listings' titles
}

// defaultParams are the weights of Search (short queries).
var defaultParams = params{
	wWord: 0.1, wChar: 1,
	expBoost: 0.8, expOtherIndustry: 0.5,
	priorNoIndustry: 0.5,
	prfK:            5, prfW: 0.2, prfTitle: true,
}

// prior is the multiplicative listing prior of Search: a listing without
// an industry (incomplete, e.g. an imported paper) ranks lower.
func (p params) prior(m *slotMeta) float64 {
	if m.industry == 0 && p.priorNoIndustry > 0 {
		return p.priorNoIndustry
	}
	return 1
}

// qterm is one weighted query word.
type qterm struct {
	term string
	w    float64
	via  string // "" = the user's own term; else the term that expanded to it
	// whole: an expansion's whole thesaurus term (not one of its
	// sub-words): only those are named as thesaurus hits
	whole bool
}

// textSpec is a weighted bag of query texts.
type textSpec struct {
	parts []textPart
}

type textPart struct {
	text string
	w    float64
}

var stdAnalyzer analysis.Analyzer

func init() {
	a, err := registry.NewCache().AnalyzerNamed(standard.Name)
	if err != nil {
		panic(err)
	}
	stdAnalyzer = a
}

// unigrams is the single-character analysis (bleve's standard analyzer:
// one token per Han character, Latin words whole and lower-cased).
func unigrams(s string) []string {
	tf := map[string]int{}
	countChars(capText(s), tf)
	out := make([]string, 0, len(tf))
	for t := range tf {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// queryTerms builds the weighted ranking terms of spec: its words (gse)
// and characters, each term weighted by the heaviest part it occurs in,
// plus the thesaurus expansions of its words (restricted by industry if
// industry != ""). words are the word terms, expansions included, for
// explanations and highlighting.
func (ix *Index) queryTerms(spec textSpec, industry string, p params) (terms []rterm, words []qterm) {
	wm := map[string]float64{}
	var order []string
	var all strings.Builder
	for _, part := range spec.parts {
		if strings.TrimSpace(part.text) == "" {
			continue
		}
		all.WriteString(part.text)
		all.WriteString("\n")
		for _, t := range Tokens(part.text) {
			if _, ok := wm[t]; !ok {
				order = append(order, t)
			}
			wm[t] = math.Max(wm[t], part.w)
		}
	}
	for _, t := range order {
		words = append(words, qterm{term: t, w: wm[t]})
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
			for _, t := range Tokens(e.Term) {
				if seen[t] {
					continue
				}
				seen[t] = true
				words = append(words, qterm{term: t, w: w, via: e.Via, whole: t == normalizeTerm(e.Term)})
			}
		}
	}
	if p.wWord > 0 {
		for _, t := range words {
			terms = append(terms, rterm{fam: famWord, term: t.term, w: p.wWord * t.w})
		}
	}
	if p.wChar > 0 {
		um := charWeights(spec)
		chars := make([]string, 0, len(um))
		for t := range um {
			chars = append(chars, t)
		}
		sort.Strings(chars)
		for _, t := range chars {
			terms = append(terms, rterm{fam: famChar, term: t, w: p.wChar * um[t]})
		}
	}
	return terms, words
}

// sortFacets orders facet counts by count desc, then value.
func sortFacets(fc []FacetCount) {
	sort.SliceStable(fc, func(i, j int) bool {
		if fc[i].Count != fc[j].Count {
			return fc[i].Count > fc[j].Count
		}
		return fc[i].Value < fc[j].Value
	})
}

func (ix *Index) now() time.Time { return ix.cfg.now() }

// Search runs a search. Q is analysed into word and character terms (with
// thesaurus expansions at a lower weight) and never parsed as query
// syntax. Every listing holding a term of Q and passing the filters is a
// hit; hits are ranked by BM25 (words and characters, see rankindex.go)
// times the listing prior, with pseudo-relevance feedback. An empty Q lists
// the filtered listings by published_at desc, then id. Total and facets
// count all hits.
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
	out := &SearchResponse{Facets: map[string][]FacetCount{}}
	var words []qterm
	var terms []rterm
	text := strings.TrimSpace(r.Q) != ""
	if text {
		terms, words = ix.queryTerms(textSpec{parts: []textPart{{text: r.Q, w: 1}}}, r.Industry, p)
	}
	rx := ix.rx
	rx.mu.RLock()
	f := rx.filter(ix.now().UnixNano(), r.Kind, r.Industry, r.County, r.SourceRegion, r.TRLMin, r.Bottleneck, r.PriceMaxUnits)
	fc := newFacetCounter(rx)
	col := newCollector(rx, off+size+1)
	n := uint32(len(rx.meta))
	if !text {
		for s := uint32(0); s < n; s++ {
			if !rx.keep(f, s) {
				continue
			}
			m := &rx.meta[s]
			out.Total++
			fc.add(m)
			col.offer(ranked{slot: s, key: m.published})
		}
	} else {
		q := rx.resolve(terms)
		if q.n == 0 {
			// text without any indexed term: nothing matches
			rx.mu.RUnlock()
			return out, nil
		}
		sc := getScratch(int(n))
		defer scratchPool.Put(sc)
		rx.accumulate(q, r.Viewer, sc)
		if p.prfK > 0 {
			if fb := rx.feedback(q, sc, f, p); fb != "" {
				spec := textSpec{parts: []textPart{{text: r.Q, w: 1}, {text: fb, w: p.prfW}}}
				terms2, _ := ix.queryTerms(spec, r.Industry, p)
				if q2 := rx.resolve(terms2); q2.n > 0 {
					q = q2
					sc.reset()
					rx.accumulate(q, r.Viewer, sc)
				}
			}
		}
		for s := uint32(0); s < n; s++ {
			ts := q.textScore(sc, s)
			if ts == 0 || !rx.keep(f, s) {
				continue
			}
			m := &rx.meta[s]
			out.Total++
			fc.add(m)
			col.offer(ranked{slot: s, score: ts * p.prior(m)})
		}
	}
	best := col.sorted()
	type pageHit struct {
		id    string
		score float64
	}
	var page []pageHit
	if off < len(best) {
		for _, h := range best[off:] {
			page = append(page, pageHit{rx.meta[h.slot].id, h.score})
		}
	}
	out.Facets = fc.facets(rx)
	rx.mu.RUnlock()

	if len(page) > size {
		out.Next = encodeCursor(off + size)
		page = page[:size]
	}
	set := wordSet(words)
	for _, h := range page {
		kind, id := splitDocID(h.id)
		hit := Hit{Kind: kind, ID: id, Score: h.score}
		if text {
			if hit.Highlights, err = ix.highlight(h.id, set, r.Viewer); err != nil {
				return nil, err
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}

// feedback returns the public keywords (and titles) of the best prfK
// listings for q passing f (pseudo-relevance feedback), ranked like
// Search (read lock held).
func (rx *rankIndex) feedback(q *rquery, sc *scratch, f *rfilter, p params) string {
	col := newCollector(rx, p.prfK)
	for s := uint32(0); s < uint32(len(rx.meta)); s++ {
		ts := q.textScore(sc, s)
		if ts == 0 || col.beaten(ts) || !rx.keep(f, s) {
			continue // the prior is at most 1: ts bounds the score
		}
		col.offer(ranked{slot: s, score: ts * p.prior(&rx.meta[s])})
	}
	var b strings.Builder
	for _, h := range col.sorted() {
		m := &rx.meta[h.slot]
		for _, k := range m.kws {
			b.WriteString(k + "\n")
		}
		if p.prfTitle {
			b.WriteString(m.title + "\n")
		}
	}
	return b.String()
}
