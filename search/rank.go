package search

import (
	"container/heap"
	"strconv"
)

// rfilter is a search filter resolved against the rank index's interned
// names. A name no listing has matches nothing.
type rfilter struct {
	kind                     int // -1 any, 0 need, 1 result
	industry, county, region int64
	none                     bool
	trlMin                   int
	bottleneck               *bool
	priceMax                 *int64
	now                      int64
}

// filter resolves the filter fields (read lock held). Zero values do not
// filter.
func (rx *rankIndex) filter(now int64, kind, industry, county, region string, trlMin int, bottleneck *bool, priceMax *int64) *rfilter {
	f := &rfilter{kind: -1, industry: -1, county: -1, region: -1, trlMin: trlMin, bottleneck: bottleneck, priceMax: priceMax, now: now}
	switch kind {
	case KindNeed:
		f.kind = 0
	case KindResult:
		f.kind = 1
	}
	name := func(s string, into *int64) {
		if s == "" {
			return
		}
		id, ok := rx.lookupName(s)
		if !ok {
			f.none = true
			return
		}
		*into = int64(id)
	}
	name(industry, &f.industry)
	name(county, &f.county)
	name(region, &f.region)
	return f
}

// keep reports whether live slot s passes f. Validity: valid_until after
// now. A price ceiling keeps results priced at most it and those without a
// price (面议).
func (rx *rankIndex) keep(f *rfilter, s uint32) bool {
	if f.none {
		return false
	}
	fl := rx.flags[s]
	if fl&flLive == 0 {
		return false
	}
	m := &rx.meta[s]
	if m.valid <= f.now {
		return false
	}
	if f.kind >= 0 && (fl&flResult != 0) != (f.kind == 1) {
		return false
	}
	if f.industry >= 0 && int64(m.industry) != f.industry {
		return false
	}
	if f.county >= 0 && int64(m.county) != f.county {
		return false
	}
	if f.region >= 0 && int64(m.region) != f.region {
		return false
	}
	if f.trlMin > 0 && m.trl < f.trlMin {
		return false
	}
	if f.bottleneck != nil && (fl&flBottleneck != 0) != *f.bottleneck {
		return false
	}
	if f.priceMax != nil && fl&flHasPrice != 0 && m.price > *f.priceMax {
		return false
	}
	return true
}

// ranked is one selected slot with its final score.
type ranked struct {
	slot  uint32
	score float64
	key   int64 // second key, desc (listing order: published_at)
}

// better orders ranked hits: score desc, key desc, then listing id asc.
func (rx *rankIndex) better(a, b ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.key != b.key {
		return a.key > b.key
	}
	return rx.meta[a.slot].id < rx.meta[b.slot].id
}

// sliceHeap is a container/heap over a slice ordered by less.
type sliceHeap[T any] struct {
	hs   []T
	less func(a, b T) bool
}

func (h *sliceHeap[T]) Len() int           { return len(h.hs) }
func (h *sliceHeap[T]) Less(i, j int) bool { return h.less(h.hs[i], h.hs[j]) }
func (h *sliceHeap[T]) Swap(i, j int)      { h.hs[i], h.hs[j] = h.hs[j], h.hs[i] }
func (h *sliceHeap[T]) Push(x any)         { h.hs = append(h.hs, x.(T)) }
func (h *sliceHeap[T]) Pop() any {
	x := h.hs[len(h.hs)-1]
	h.hs = h.hs[:len(h.hs)-1]
	return x
}

// collector keeps the best k of the offered hits.
type collector struct {
	k  int
	rx *rankIndex
	h  sliceHeap[ranked] // min-heap: its root is the worst kept
}

func newCollector(rx *rankIndex, k int) *collector {
	return &collector{k: k, rx: rx, h: sliceHeap[ranked]{hs: make([]ranked, 0, min(k, 1024)),
		less: func(a, b ranked) bool { return rx.better(b, a) }}}
}

// beaten reports whether bound cannot enter the kept hits (a score of at
// most bound would lose to every kept one).
func (c *collector) beaten(bound float64) bool {
	return c.k <= 0 || (len(c.h.hs) == c.k && bound < c.h.hs[0].score)
}

func (c *collector) offer(r ranked) {
	if c.k <= 0 {
		return
	}
	if len(c.h.hs) < c.k {
		heap.Push(&c.h, r)
		return
	}
	if c.rx.better(r, c.h.hs[0]) {
		c.h.hs[0] = r
		heap.Fix(&c.h, 0)
	}
}

// sorted returns the kept hits best first.
func (c *collector) sorted() []ranked {
	out := make([]ranked, len(c.h.hs))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&c.h).(ranked)
	}
	return out
}

// facetCounter counts the facet values of the hits.
type facetCounter struct {
	industry, region, county []int // by interned name
	trl                      [10]int
}

func newFacetCounter(rx *rankIndex) *facetCounter {
	n := len(rx.strs)
	return &facetCounter{industry: make([]int, n), region: make([]int, n), county: make([]int, n)}
}

func (fc *facetCounter) add(m *slotMeta) {
	if m.industry != 0 {
		fc.industry[m.industry]++
	}
	if m.region != 0 {
		fc.region[m.region]++
	}
	if m.county != 0 {
		fc.county[m.county]++
	}
	if m.trl >= 0 && m.trl <= 9 {
		fc.trl[m.trl]++
	}
}

// facets returns the counts by value, most frequent first (then value).
func (fc *facetCounter) facets(rx *rankIndex) map[string][]FacetCount {
	out := map[string][]FacetCount{}
	named := func(key string, m []int) {
		var fs []FacetCount
		for id, n := range m {
			if n > 0 {
				fs = append(fs, FacetCount{Value: rx.strs[id], Count: n})
			}
		}
		sortFacets(fs)
		if len(fs) > 50 {
			fs = fs[:50]
		}
		out[key] = fs
	}
	named(fIndustry, fc.industry)
	named(fRegion, fc.region)
	named(fCounty, fc.county)
	var ts []FacetCount
	for i, n := range fc.trl {
		if n > 0 {
			ts = append(ts, FacetCount{Value: strconv.Itoa(i), Count: n})
		}
	}
	sortFacets(ts)
	out[fTRL] = ts
	return out
}
