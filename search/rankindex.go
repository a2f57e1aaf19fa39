package search

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// The rank index.
//
// bleve is the index of record: it holds every published listing durably,
// analysed and stored, under a versioned mapping; it highlights, and the
// rank index is rebuilt from it. Ranking itself runs on a memory-resident
// copy of the two ranking analyses of each listing (single characters and
// gse words of title + keywords + ranked text), held as plain postings
// arrays (slot, term frequency) plus a few small fields per listing, so
// that a need's description of 100+ terms is scored exhaustively — every
// listing holding any of its terms — in milliseconds at 100,000 listings.
// Scored through bleve's searchers, the same query walks compressed
// postings through a heap of term iterators: 32 ms p50 / 75 ms p99 for
// only the 60,000 most informative postings of a need at 100,000 listings,
// where this index scores all two million of them exactly (figures in
// search/DESIGN.md). Totals and facets are exact too.
//
// Updates arrive with each Apply (after bleve's batch succeeded): a
// changed listing gets a new slot, its old slot is marked dead, and dead
// slots are compacted away once they are a quarter of all slots.

// Ranking families.
const (
	famChar = 0 // single characters (and Latin words): bleve's standard analysis
	famWord = 1 // gse words and sub-words: the techx_zh analysis
	nFam    = 2
)

// BM25 parameters (bleve's defaults).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// plist is the postings list of one term in one view.
type plist struct {
	slots []uint32
	tfs   []uint16
	df    int32 // live listings holding the term (public view lists)
}

// Slot flags.
const (
	flLive   = 1 << iota
	flConf   // a confidential need: its conf view holds the full text
	flResult // kind result (else need)
	flBottleneck
	flHasPrice
	flHasBudget
)

// slotMeta is what filters, fits, explanations and feedback read.
type slotMeta struct {
	id                       string // docID kind:id
	org                      uint32 // interned
	industry, county, region uint32 // interned ("" = 0)
	trl                      int
	price, budget            int64
	published, valid         int64 // unix nanoseconds
	title                    string
	kws                      []string // public keywords
	terms, cterms            idList   // term ids of the public and conf views
	qw                       hubTerms // needs: their public matching query (see hub.go)
}

// idList is an ascending list of term ids, delta- and varint-encoded (a
// listing holds ~150 terms: 4 bytes each plain, ~1.5 encoded).
type idList []byte

func encodeIDs(ids []uint32) idList {
	slices.Sort(ids)
	out := make([]byte, 0, len(ids)*2)
	prev := uint32(0)
	for _, id := range ids {
		out = binary.AppendUvarint(out, uint64(id-prev))
		prev = id
	}
	return slices.Clip(out)
}

// each calls f with every id, in order.
func (l idList) each(f func(id uint32)) {
	id := uint32(0)
	for i := 0; i < len(l); {
		d, n := binary.Uvarint(l[i:])
		i += n
		id += uint32(d)
		f(id)
	}
}

// ids decodes the list.
func (l idList) ids() []uint32 {
	out := make([]uint32, 0, len(l))
	l.each(func(id uint32) { out = append(out, id) })
	return out
}

// viewTerms returns the term ids of the view of slot s that v may see:
// the conf view of a confidential need for Full viewers and its own
// organization, the public view otherwise (read lock held).
func (rx *rankIndex) viewTerms(s uint32, v Viewer) (ids []uint32, conf bool) {
	m := &rx.meta[s]
	if rx.flags[s]&flConf != 0 && canSee(v, rx.strs[m.org]) {
		return m.cterms.ids(), true
	}
	return m.terms.ids(), false
}

// holds reports whether ids (ascending) holds term key.
func (rx *rankIndex) holds(ids []uint32, conf bool, fam int, term string) bool {
	id, ok := rx.dict[termKey(conf, fam, term)]
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(ids, id)
	return found
}

// rankDoc is the analysed form of one listing: what the rank index holds.
// It is built from a Doc when indexing and from bleve's stored fields when
// the index is opened; both must give the same rankDoc.
type rankDoc struct {
	id                            string
	kind                          string
	conf, bottleneck              bool
	org, industry, county, region string
	trl                           int
	price, budget                 *int64
	published, valid              time.Time
	title                         string
	kws                           []string           // public keywords ("" for a confidential need)
	queryW                        map[string]float64 // needs: character weights of their public matching query
	pubChars, confChars           map[string]int
	pubWords, confWords           map[string]int
	pubLen, confLen               [nFam]uint32
}

// rankIndex is the memory-resident ranking copy of the index.
type rankIndex struct {
	mu        sync.RWMutex
	dict      map[string]uint32 // view+family+term -> term id
	lists     []plist
	meta      []slotMeta
	flags     []uint8
	lens      [nFam][]uint32 // public view lengths per slot
	clens     [nFam][]uint32 // conf view lengths per slot (0 unless flConf)
	byID      map[string]uint32
	live      int
	needs     int // live needs
	dead      int
	confSlots []uint32                // slots of confidential needs (dead ones too until compaction)
	hubMod    uint32                  // sample modulus of the hub needs (see hub.go)
	hubPost   map[uint32][]hubPosting // character term id -> sampled needs holding it
	hubSlots  []uint32                // sampled needs' slots (dead ones too until rebuilt)
	hubMu     sync.Mutex              // guards hubCache (filled by readers)
	hubCache  map[uint32]float64      // result slot -> hub score, for the current content
	sumLen    [nFam]uint64            // public view lengths of live slots
	names     map[string]uint32
	strs      []string // interned strings, [0] = ""
}

func newRankIndex() *rankIndex {
	return &rankIndex{dict: map[string]uint32{}, byID: map[string]uint32{}, names: map[string]uint32{"": 0}, strs: []string{""}, hubMod: 1}
}

// termKey is the dictionary key of term in family f, public or conf view.
func termKey(conf bool, f int, term string) string {
	return string(appendTermKey(make([]byte, 0, len(term)+2), conf, f, term))
}

// appendTermKey appends termKey(conf, f, term) to b.
func appendTermKey(b []byte, conf bool, f int, term string) []byte {
	if conf {
		b = append(b, 'c')
	} else {
		b = append(b, 'p')
	}
	b = append(b, byte('0'+f))
	return append(b, term...)
}

func (rx *rankIndex) intern(s string) uint32 {
	if id, ok := rx.names[s]; ok {
		return id
	}
	id := uint32(len(rx.strs))
	rx.strs = append(rx.strs, s)
	rx.names[s] = id
	return id
}

// lookupName returns the interned id of s, or false if no listing has it.
func (rx *rankIndex) lookupName(s string) (uint32, bool) {
	id, ok := rx.names[s]
	return id, ok
}

func (rx *rankIndex) termID(key string) uint32 {
	if id, ok := rx.dict[key]; ok {
		return id
	}
	id := uint32(len(rx.lists))
	rx.dict[key] = id
	rx.lists = append(rx.lists, plist{})
	return id
}

// rankInput analyses d as the rank index holds it (the same inputs as the
// stored fields: see Doc.fields).
func rankInput(d Doc) rankDoc {
	kws := keywords(d.Keywords)
	conf := d.Confidential && d.Kind == KindNeed
	rd := rankDoc{id: docID(d.Kind, d.ID), kind: d.Kind, conf: conf, bottleneck: d.Bottleneck, org: d.OrgID,
		industry: d.Industry, county: d.County, region: d.SourceRegion, trl: d.TRL, price: d.PriceUnits,
		budget: d.BudgetUnits, published: d.PublishedAt, valid: d.ValidUntil, title: capText(d.Title)}
	full := combinedText(d.Kind, capText(d.Title), kws, capText(d.Text))
	if d.Kind == KindNeed {
		rd.queryW = needQueryWeights(Doc{Kind: KindNeed, Title: capText(d.Title), Text: capText(d.Text), Keywords: kws, Confidential: conf})
	}
	if conf {
		rd.analyse(capText(d.Title), full, Tokens(capText(d.Title)), Tokens(full))
	} else {
		rd.kws = kws
		rd.analyse(full, "", Tokens(full), nil)
	}
	return rd
}

// combinedText is the text a listing is ranked by: title, keywords and
// ranked text (a result's text without its limitation clauses), capped.
func combinedText(kind, title string, kws []string, text string) string {
	return capText(title + "\n" + strings.Join(kws, "\n") + "\n" + rankedText(kind, text))
}

// analyse fills the views' character and word counts from their texts
// and gse tokens.
func (rd *rankDoc) analyse(pub, conf string, pubToks, confToks []string) {
	rd.pubChars, rd.pubWords, rd.pubLen = viewCounts(pub, pubToks)
	if rd.conf {
		rd.confChars, rd.confWords, rd.confLen = viewCounts(conf, confToks)
	}
}

// viewCounts counts a view's characters (of text) and words (toks).
func viewCounts(text string, toks []string) (chars, words map[string]int, lens [nFam]uint32) {
	chars = map[string]int{}
	lens[famChar] = uint32(countChars(text, chars))
	words = make(map[string]int, len(toks))
	for _, t := range toks {
		words[t]++
	}
	lens[famWord] = uint32(len(toks))
	return chars, words, lens
}

// add puts rds into the index, replacing listings with the same id.
func (rx *rankIndex) add(rds []rankDoc) { rx.apply(rds, nil) }

// apply deletes the listings ids (missing ones are ignored), then puts
// rds, replacing listings with the same id; readers see all or nothing.
func (rx *rankIndex) apply(rds []rankDoc, ids []string) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	for _, id := range ids {
		if s, ok := rx.byID[id]; ok {
			rx.kill(s)
		}
	}
	for i := range rds {
		rx.addLocked(&rds[i])
	}
	rx.maybeCompact()
	if wantHubMod(rx.needs) != rx.hubMod {
		rx.hubRebuild()
	}
	rx.hubMu.Lock()
	rx.hubCache = nil
	rx.hubMu.Unlock()
}

func (rx *rankIndex) addLocked(rd *rankDoc) {
	if s, ok := rx.byID[rd.id]; ok {
		rx.kill(s)
	}
	s := uint32(len(rx.meta))
	var fl uint8 = flLive
	if rd.conf {
		fl |= flConf
	}
	if rd.kind == KindResult {
		fl |= flResult
	}
	if rd.bottleneck {
		fl |= flBottleneck
	}
	m := slotMeta{id: rd.id, org: rx.intern(rd.org), industry: rx.intern(rd.industry), county: rx.intern(rd.county),
		region: rx.intern(rd.region), trl: rd.trl, title: rd.title, kws: rd.kws}
	if rd.price != nil {
		fl |= flHasPrice
		m.price = *rd.price
	}
	if rd.budget != nil {
		fl |= flHasBudget
		m.budget = *rd.budget
	}
	m.published = unixNano(rd.published, 0)
	m.valid = unixNano(rd.valid, farFuture.UnixNano())
	need := rd.kind != KindResult
	var kb []byte
	post := func(conf bool, f int, tf map[string]int) []uint32 {
		ids := make([]uint32, 0, len(tf))
		for t, n := range tf {
			kb = appendTermKey(kb[:0], conf, f, t)
			id, known := rx.dict[string(kb)] // no allocation for the lookup
			if !known {
				id = rx.termID(string(kb))
			}
			l := &rx.lists[id]
			l.slots = append(l.slots, s)
			l.tfs = append(l.tfs, uint16(min(n, math.MaxUint16)))
			if !conf {
				l.df++
			}
			ids = append(ids, id)
		}
		return ids
	}
	m.terms = encodeIDs(append(post(false, famChar, rd.pubChars), post(false, famWord, rd.pubWords)...))
	if rd.conf {
		m.cterms = encodeIDs(append(post(true, famChar, rd.confChars), post(true, famWord, rd.confWords)...))
	}
	rx.meta = append(rx.meta, m)
	rx.flags = append(rx.flags, fl)
	for f := 0; f < nFam; f++ {
		rx.lens[f] = append(rx.lens[f], rd.pubLen[f])
		rx.clens[f] = append(rx.clens[f], rd.confLen[f])
		rx.sumLen[f] += uint64(rd.pubLen[f])
	}
	rx.byID[rd.id] = s
	if rd.conf {
		rx.confSlots = append(rx.confSlots, s)
	}
	rx.live++
	if need {
		rx.needs++
		rx.meta[s].qw = rx.hubTerms(rd.queryW)
		rx.hubAdd(s)
	}
}

func unixNano(t time.Time, zero int64) int64 {
	if t.IsZero() {
		return zero
	}
	return t.UnixNano()
}

// kill marks slot s dead.
func (rx *rankIndex) kill(s uint32) {
	if rx.flags[s]&flLive == 0 {
		return
	}
	rx.flags[s] &^= flLive
	m := &rx.meta[s]
	need := rx.flags[s]&flResult == 0
	m.terms.each(func(id uint32) { rx.lists[id].df-- })
	if need {
		rx.needs--
	}
	for f := 0; f < nFam; f++ {
		rx.sumLen[f] -= uint64(rx.lens[f][s])
	}
	delete(rx.byID, m.id)
	rx.live--
	rx.dead++
}

// trim reallocates the postings lists to their length (appending grows
// them by half again; after a bulk load that slack is a third of them).
func (rx *rankIndex) trim() {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	for i := range rx.lists {
		l := &rx.lists[i]
		if cap(l.slots) > len(l.slots)+len(l.slots)/8 {
			l.slots = append([]uint32(nil), l.slots...)
			l.tfs = append([]uint16(nil), l.tfs...)
		}
	}
}

// maybeCompact drops dead slots once they are a quarter of all slots.
func (rx *rankIndex) maybeCompact() {
	if rx.dead < 256 || rx.dead*4 < len(rx.meta) {
		return
	}
	rx.compact()
}

// compact renumbers the live slots densely (in their order) and rewrites
// every postings list without the dead ones.
func (rx *rankIndex) compact() {
	n := len(rx.meta)
	remap := make([]uint32, n)
	next := uint32(0)
	for s := 0; s < n; s++ {
		if rx.flags[s]&flLive != 0 {
			remap[s] = next
			next++
		} else {
			remap[s] = math.MaxUint32
		}
	}
	for i := range rx.lists {
		l := &rx.lists[i]
		k := 0
		for j, s := range l.slots {
			if r := remap[s]; r != math.MaxUint32 {
				l.slots[k], l.tfs[k] = r, l.tfs[j]
				k++
			}
		}
		l.slots, l.tfs = l.slots[:k:k], l.tfs[:k:k]
	}
	meta := make([]slotMeta, 0, next)
	flags := make([]uint8, 0, next)
	var lens, clens [nFam][]uint32
	for f := 0; f < nFam; f++ {
		lens[f] = make([]uint32, 0, next)
		clens[f] = make([]uint32, 0, next)
	}
	for s := 0; s < n; s++ {
		if remap[s] == math.MaxUint32 {
			continue
		}
		meta = append(meta, rx.meta[s])
		flags = append(flags, rx.flags[s])
		for f := 0; f < nFam; f++ {
			lens[f] = append(lens[f], rx.lens[f][s])
			clens[f] = append(clens[f], rx.clens[f][s])
		}
		rx.byID[rx.meta[s].id] = remap[s]
	}
	rx.meta, rx.flags, rx.lens, rx.clens = meta, flags, lens, clens
	confSlots := rx.confSlots[:0]
	for _, s := range rx.confSlots {
		if r := remap[s]; r != math.MaxUint32 {
			confSlots = append(confSlots, r)
		}
	}
	rx.confSlots = confSlots
	rx.hubRebuild()
	rx.dead = 0
}

// rterm is one weighted term of a ranking query.
type rterm struct {
	fam  int
	term string
	w    float64 // boost (family weight × source weight × expansion factor)
}

// rquery is a ranking query resolved against one state of the index.
type rquery struct {
	leaves []rleaf
	n      int // terms present in the index (coord denominator)
}

type rleaf struct {
	pub, conf int64   // term ids (-1 = absent)
	weight    float64 // boost · idf² · qnorm (idf applied twice, as bleve's BM25 does)
	fam       int
}

// idf is BM25's inverse document frequency.
func idf(n, df uint64) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// resolve looks terms up (read lock held).
func (rx *rankIndex) resolve(terms []rterm) *rquery {
	q := &rquery{}
	n := uint64(rx.live)
	sumSq := 0.0
	type lw struct {
		l   rleaf
		b   float64
		idf float64
	}
	var ls []lw
	for _, t := range terms {
		if t.w <= 0 {
			continue
		}
		l := rleaf{pub: -1, conf: -1, fam: t.fam}
		var df uint64
		if id, ok := rx.dict[termKey(false, t.fam, t.term)]; ok {
			l.pub = int64(id)
			df = uint64(max(rx.lists[id].df, 0))
		}
		if id, ok := rx.dict[termKey(true, t.fam, t.term)]; ok {
			l.conf = int64(id)
		}
		if df == 0 && l.conf < 0 {
			continue
		}
		id := idf(n, df)
		sumSq += (t.w * id) * (t.w * id)
		ls = append(ls, lw{l, t.w, id})
	}
	if sumSq == 0 {
		return q
	}
	qnorm := 1 / math.Sqrt(sumSq)
	for _, x := range ls {
		x.l.weight = x.b * x.idf * x.idf * qnorm
		q.leaves = append(q.leaves, x.l)
	}
	q.n = len(q.leaves)
	return q
}

// scratch is per-query accumulator space, pooled.
type scratch struct {
	acc []float64
	cnt []uint16
}

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

func getScratch(n int) *scratch {
	sc := scratchPool.Get().(*scratch)
	if cap(sc.acc) < n {
		sc.acc = make([]float64, n)
		sc.cnt = make([]uint16, n)
	}
	sc.acc, sc.cnt = sc.acc[:n], sc.cnt[:n]
	sc.reset()
	return sc
}

// reset zeroes the accumulators.
func (sc *scratch) reset() {
	clear(sc.acc)
	clear(sc.cnt)
}

// sqrtTF is sqrt(tf) for small tf (bleve's BM25 uses sqrt(tf)).
var sqrtTF = func() [256]float64 {
	var t [256]float64
	for i := range t {
		t[i] = math.Sqrt(float64(i))
	}
	return t
}()

// accumulate scores every listing holding a term of q into sc (read lock
// held): sc.acc[s] is the BM25 sum, sc.cnt[s] the matched terms. A
// confidential need is scored on its conf view for viewers who may see it
// (Full, or its own organization), on its public view (title) otherwise.
func (rx *rankIndex) accumulate(q *rquery, v Viewer, sc *scratch) {
	live := float64(max(rx.live, 1))
	var kA, kB [nFam]float64
	for f := 0; f < nFam; f++ {
		avg := float64(rx.sumLen[f]) / live
		if avg <= 0 {
			avg = 1
		}
		kA[f] = bm25K1 * (1 - bm25B)
		kB[f] = bm25K1 * bm25B / avg
	}
	acc, cnt := sc.acc, sc.cnt
	// public views of every listing: the hot loop reads no flags (dead
	// slots are scored too and dropped by keep)
	for _, l := range q.leaves {
		if l.pub < 0 {
			continue
		}
		pl := &rx.lists[l.pub]
		addPostings(pl.slots, pl.tfs, rx.lens[l.fam], l.weight*bm25K1, kA[l.fam], kB[l.fam], acc, cnt)
	}
	// confidential needs the viewer may see are scored on their conf view
	// instead
	seen := rx.confVisible(v)
	if len(seen) == 0 {
		return
	}
	for s := range seen {
		acc[s], cnt[s] = 0, 0
	}
	for _, l := range q.leaves {
		if l.conf < 0 {
			continue
		}
		pl := &rx.lists[l.conf]
		var slots []uint32
		var tfs []uint16
		for i, s := range pl.slots {
			if seen[s] {
				slots, tfs = append(slots, s), append(tfs, pl.tfs[i])
			}
		}
		addPostings(slots, tfs, rx.clens[l.fam], l.weight*bm25K1, kA[l.fam], kB[l.fam], acc, cnt)
	}
}

// addPostings adds one term's BM25 contributions: w·tf/(tf + a + b·len)
// with tf = sqrt(frequency) (bleve's BM25), for each posting.
func addPostings(slots []uint32, tfs []uint16, lens []uint32, w, a, b float64, acc []float64, cnt []uint16) {
	tfs = tfs[:len(slots)]
	for i, s := range slots {
		tf := tfRoot(tfs[i])
		acc[s] += w * tf / (tf + a + b*float64(lens[s]))
		cnt[s]++
	}
}

// confVisible returns the live confidential needs whose full text v may
// see: all of them for Full viewers, their own organization's otherwise
// (read lock held).
func (rx *rankIndex) confVisible(v Viewer) map[uint32]bool {
	if !v.Full && v.OrgID == "" {
		return nil
	}
	org, ok := uint32(0), true
	if !v.Full {
		if org, ok = rx.lookupName(v.OrgID); !ok {
			return nil
		}
	}
	out := map[uint32]bool{}
	for _, s := range rx.confSlots {
		if rx.flags[s]&flLive != 0 && (v.Full || rx.meta[s].org == org) {
			out[s] = true
		}
	}
	return out
}

func tfRoot(tf uint16) float64 {
	if tf < 256 {
		return sqrtTF[tf]
	}
	return math.Sqrt(float64(tf))
}

// textScore is slot s's score: the BM25 sum times coord (matched terms /
// query terms), as bleve scores a disjunction.
func (q *rquery) textScore(sc *scratch, s uint32) float64 {
	if sc.cnt[s] == 0 || q.n == 0 {
		return 0
	}
	return sc.acc[s] * float64(sc.cnt[s]) / float64(q.n)
}

// tf returns slot s's term frequency in l (0 if absent); postings are in
// slot order.
func (l *plist) tf(s uint32) uint16 {
	i := sort.Search(len(l.slots), func(i int) bool { return l.slots[i] >= s })
	if i < len(l.slots) && l.slots[i] == s {
		return l.tfs[i]
	}
	return 0
}
