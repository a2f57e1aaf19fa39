package search

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion identifies the index mapping and analysis. Bump it whenever
// fields, analyzers or what the tokenizer emits change: an index written
// under another version is deleted and rebuilt by Open.
const MappingVersion = 7

// Kinds of listings held by the index.
const (
	KindNeed   = "need"
	KindResult = "result"
)

// Doc is what the index holds for one published listing. It is derived
// from the database; the index is rebuilt from it at will.
type Doc struct {
	Kind         string // KindNeed or KindResult
	ID           string
	OrgID        string
	Title        string
	Text         string   // need description / result abstract
	Keywords     []string // result keywords (needs may have some too)
	Institution  string   // results
	Industry     string   // industry code
	County       string   // county/zone code (needs, Cangzhou organizations)
	SourceRegion string   // source region code (results)
	TRL          int      // result TRL, or need minimum TRL; 0 = unknown
	// PriceUnits is a result's asking price in units of 0.0001 万元
	// (i.e. yuan); nil = 面议 / unknown.
	PriceUnits *int64
	// BudgetUnits is a need's budget in units of 0.0001 万元; nil = unknown.
	BudgetUnits  *int64
	Bottleneck   bool
	Confidential bool     // needs only: Text and Keywords are confidential
	Modes        []string // transfer / cooperation mode codes
	PublishedAt  time.Time
	ValidUntil   time.Time // zero = no end
}

// Key names one document of the index.
type Key struct {
	Kind string
	ID   string
}

// Field names of the mapping.
const (
	fKind       = "kind"
	fOrg        = "org_id"
	fIndustry   = "industry"
	fCounty     = "county"
	fRegion     = "source_region"
	fModes      = "modes"
	fTRL        = "trl"
	fPrice      = "price"
	fBudget     = "budget"
	fBottleneck = "bottleneck"
	fConf       = "confidential"
	fPublished  = "published_at"
	fValid      = "valid_until"
	fTitle      = "title"
	fText       = "text"
	fKw         = "kw"
	fCText      = "ctext"    // confidential need description
	fCKw        = "ckw"      // confidential need keywords
	fAllTok     = "all_tok"  // stored only: gse tokens of the public combined text
	fCAllTok    = "call_tok" // the same for a confidential need's full text
)

const docType = "listing"

// farFuture stands for "no end" in valid_until.
var farFuture = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) // within int64 nanoseconds

// buildMapping returns the explicit index mapping: the default mapping and
// dynamic fields disabled, nothing in _all; keyword fields for codes (kind,
// organization, industry, county, source region, modes), with docValues
// for the ones listings are filtered and faceted by.
//
// Everything else is stored, not indexed: ranking, filters, facets and
// sorting run on the rank index (rankindex.go), which is rebuilt from the
// stored fields on open, and highlighting cuts fragments from the stored
// texts with the same analysis (highlight.go). all_tok/call_tok store the
// gse tokens of the combined texts so that the rebuild needs no
// segmentation. Measured at 30,000 listings (search/perf_test.go), bleve's
// text postings, and then the prefix-coded terms of numbers and dates, were
// most of indexing (segment building and merging) while nothing read them:
// 1,944 → 3,051 → 5,626 listings/s. The index directory holds confidential
// text and must be protected like the database.
func buildMapping() *mapping.IndexMappingImpl {
	im := bleve.NewIndexMapping()
	im.ScoringModel = "bm25"
	im.DefaultMapping = bleve.NewDocumentDisabledMapping()
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	im.DefaultAnalyzer = AnalyzerName
	im.DefaultField = ""

	dm := bleve.NewDocumentStaticMapping()
	kw := func(name string, store, dv bool) {
		f := bleve.NewKeywordFieldMapping()
		f.Store, f.DocValues, f.IncludeInAll, f.IncludeTermVectors = store, dv, false, false
		dm.AddFieldMappingsAt(name, f)
	}
	kw(fKind, false, true)
	kw(fOrg, true, false)
	kw(fIndustry, true, true)
	kw(fCounty, true, true)
	kw(fRegion, true, true)
	kw(fModes, false, false)

	// Numbers, flags and dates are stored for the rank index, not
	// indexed: nothing asks bleve to filter or sort by them, and their
	// prefix-coded terms were a third of segment building and merging.
	stored := func(name string, f *mapping.FieldMapping) {
		f.Index, f.Store, f.DocValues, f.IncludeInAll = false, true, false, false
		dm.AddFieldMappingsAt(name, f)
	}
	for _, name := range []string{fTRL, fPrice, fBudget} {
		stored(name, bleve.NewNumericFieldMapping())
	}
	for _, name := range []string{fBottleneck, fConf} {
		stored(name, bleve.NewBooleanFieldMapping())
	}
	for _, name := range []string{fPublished, fValid} {
		stored(name, bleve.NewDateTimeFieldMapping())
	}

	// Texts are stored, not indexed: ranking runs on the rank index
	// (rankindex.go), rebuilt from them on open, and highlights are cut
	// from them (highlight.go). all_tok/call_tok store the gse tokens of
	// the combined texts so that the rebuild needs no segmentation.
	for _, f := range []string{fTitle, fText, fKw, fCText, fCKw, fAllTok, fCAllTok} {
		sf := bleve.NewTextFieldMapping()
		sf.Index, sf.Store, sf.IncludeTermVectors, sf.IncludeInAll, sf.DocValues = false, true, false, false, false
		dm.AddFieldMappingsAt(f, sf)
	}

	im.AddDocumentMapping(docType, dm)
	im.TypeField = "_type"
	im.DefaultType = docType
	return im
}

// Option configures Open.
type Option func(*config)

type config struct {
	groups map[string]string
	now    func() time.Time
}

// WithIndustryGroups sets the industry code -> group code table used to call
// two different industries "related" (same group). The default is the
// Cangzhou plan's taxonomy (seeds/taxonomy.json).
func WithIndustryGroups(groups map[string]string) Option {
	return func(c *config) { c.groups = groups }
}

// WithClock sets the clock used for validity and freshness (tests).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// defaultIndustryGroups is the industry -> group table of the taxonomy.
var defaultIndustryGroups = map[string]string{
	"auto": "traditional", "green-chem": "traditional", "pipeline": "traditional", "apparel": "traditional",
	"clean-energy": "emerging", "biomed": "emerging", "reman": "emerging", "smart-equip": "emerging", "laser": "emerging",
	"logistics": "services", "culture-tourism": "services", "industrial-design": "services",
	"agri": "agriculture", "low-carbon": "green",
	"new-materials": "other", "electronic-info": "other", "public-safety": "other",
}

// Index is the search index of published listings. It is safe for
// concurrent use.
type Index struct {
	idx     bleve.Index
	rx      *rankIndex // ranking copy, see rankindex.go
	th      *Thesaurus
	cfg     config
	rebuilt bool
	dir     string
	tmpDir  string     // removed on Close (Open with dir "")
	mu      sync.Mutex // serializes writes
}

// Internal metadata keys.
var (
	keyVersion = []byte("techx:mapping_version")
	keyApplied = []byte("techx:applied_seq")
)

// versionString is the stored mapping version: MappingVersion plus a
// fingerprint of the thesaurus (which changes segmentation).
func versionString(th *Thesaurus) string {
	h := sha256.New()
	for _, t := range th.Terms() {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("v%d/%s", MappingVersion, hex.EncodeToString(h.Sum(nil))[:16])
}

// Open opens the index in dir, creating it if needed. An index written
// under another MappingVersion or thesaurus, or one that fails to open, is
// deleted and created anew; Rebuilt then reports true and the caller must
// reindex everything. dir "" opens a temporary index removed by Close
// (tests, evaluation).
// th may be nil (no thesaurus). The gse dictionary is loaded on first use
// (once per process, about 2 s).
func Open(dir string, th *Thesaurus, opts ...Option) (*Index, error) {
	cfg := config{groups: defaultIndustryGroups, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if _, err := segmenter(); err != nil {
		return nil, fmt.Errorf("search: load gse dictionary: %w", err)
	}
	if err := addUserWords(th.Terms()); err != nil {
		return nil, fmt.Errorf("search: thesaurus user words: %w", err)
	}
	ix := &Index{th: th, cfg: cfg, dir: dir, rx: newRankIndex()}
	want := versionString(th)
	if dir == "" {
		// bleve's memory-only index (upsidedown) has no BM25 statistics and
		// silently scores TF-IDF, so a temporary scorch index is used.
		tmp, err := os.MkdirTemp("", "techx-index-")
		if err != nil {
			return nil, fmt.Errorf("search: temp index dir: %w", err)
		}
		ix.tmpDir = tmp
		dir = filepath.Join(tmp, "index")
	}
	b, err := bleve.Open(dir)
	if err == nil {
		v, gerr := b.GetInternal(keyVersion)
		if gerr == nil && string(v) == want {
			ix.idx = b
			if err := ix.loadRank(); err == nil {
				return ix, nil
			}
			// stored fields unreadable: rebuild like any broken index
		}
		b.Close()
	}
	// missing, unreadable or of another version: create anew
	if rerr := os.RemoveAll(dir); rerr != nil {
		return nil, fmt.Errorf("search: remove stale index %s: %w", dir, rerr)
	}
	b, err = bleve.New(dir, buildMapping())
	if err != nil {
		return nil, fmt.Errorf("search: create index %s: %w", dir, err)
	}
	if err := b.SetInternal(keyVersion, []byte(want)); err != nil {
		b.Close()
		return nil, fmt.Errorf("search: write mapping version: %w", err)
	}
	ix.idx = b
	ix.rebuilt = true
	return ix, nil
}

// Rebuilt reports whether Open created the index anew (new, version
// mismatch or unreadable): the caller must then reindex all listings.
func (ix *Index) Rebuilt() bool { return ix.rebuilt }

// Thesaurus returns the thesaurus the index was opened with (may be nil).
func (ix *Index) Thesaurus() *Thesaurus { return ix.th }

// Close closes the index (and removes it if it was temporary).
func (ix *Index) Close() error {
	err := ix.idx.Close()
	if ix.tmpDir != "" {
		if rerr := os.RemoveAll(ix.tmpDir); err == nil {
			err = rerr
		}
	}
	return err
}

// Count returns the number of documents in the index.
func (ix *Index) Count() (uint64, error) { return ix.idx.DocCount() }

func docID(kind, id string) string { return kind + ":" + id }

func splitDocID(s string) (kind, id string) {
	k, i, _ := strings.Cut(s, ":")
	return k, i
}

// fields converts a Doc and its rank analysis (rankInput(d)) to the
// indexed field map.
func (d Doc) fields(rd *rankDoc) map[string]interface{} {
	m := map[string]interface{}{
		"_type":     docType,
		fKind:       d.Kind,
		fOrg:        d.OrgID,
		fTRL:        float64(d.TRL),
		fBottleneck: d.Bottleneck,
		fConf:       rd.conf,
		fTitle:      rd.title,
	}
	setKw := func(name, v string) {
		if v != "" {
			m[name] = v
		}
	}
	setKw(fIndustry, d.Industry)
	setKw(fCounty, d.County)
	setKw(fRegion, d.SourceRegion)
	if len(d.Modes) > 0 {
		m[fModes] = d.Modes
	}
	if d.PriceUnits != nil {
		m[fPrice] = float64(*d.PriceUnits)
	}
	if d.BudgetUnits != nil {
		m[fBudget] = float64(*d.BudgetUnits)
	}
	pub := d.PublishedAt
	if pub.IsZero() {
		pub = time.Unix(0, 0)
	}
	m[fPublished] = pub.UTC()
	vu := d.ValidUntil
	if vu.IsZero() {
		vu = farFuture
	}
	m[fValid] = vu.UTC()
	text := capText(d.Text)
	kws := keywords(d.Keywords)
	if rd.conf {
		m[fCText] = text
		if len(kws) > 0 {
			m[fCKw] = kws
		}
		m[fCAllTok] = tokString(rd.confWords)
	} else {
		m[fText] = text
		if len(kws) > 0 {
			m[fKw] = kws
		}
	}
	m[fAllTok] = tokString(rd.pubWords)
	return m
}

// keywords trims keywords and drops empty ones.
func keywords(in []string) []string {
	kws := make([]string, 0, len(in))
	for _, k := range in {
		if k = strings.TrimSpace(k); k != "" {
			kws = append(kws, k)
		}
	}
	return kws
}

// tokString stores a view's gse token counts (tokens never hold a space),
// so that the rank index is rebuilt without segmentation: each distinct
// token, in order, repeated by its count.
func tokString(tf map[string]int) string {
	ts := make([]string, 0, len(tf))
	for t := range tf {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	var b strings.Builder
	for _, t := range ts {
		for i := 0; i < tf[t]; i++ {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t)
		}
	}
	return b.String()
}

// batchSize bounds the documents of one bleve batch in Index.
const batchSize = 500

func validDoc(d Doc) error {
	if d.Kind != KindNeed && d.Kind != KindResult {
		return fmt.Errorf("search: doc %q: kind %q is not need or result", d.ID, d.Kind)
	}
	if d.ID == "" {
		return fmt.Errorf("search: doc without id")
	}
	return nil
}

// Index adds or replaces documents, in batches.
func (ix *Index) Index(docs ...Doc) error {
	return ix.indexWith(docs, nil, nil)
}

// indexWith is Index; the last batch also sets the internal key to val
// (the reindex cursor: one write instead of two).
func (ix *Index) indexWith(docs []Doc, key, val []byte) error {
	for start := 0; start < len(docs); start += batchSize {
		end := min(start+batchSize, len(docs))
		var k, v []byte
		if key != nil && end == len(docs) {
			k, v = key, val
		}
		if err := ix.write(docs[start:end], nil, k, v); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes a document; deleting a missing document is not an error.
func (ix *Index) Delete(kind, id string) error {
	if err := ix.write(nil, []Key{{Kind: kind, ID: id}}, nil, nil); err != nil {
		return fmt.Errorf("search: delete %s %s: %w", kind, id, err)
	}
	return nil
}

// Apply indexes docs, deletes keys and records seq as the last applied
// outbox sequence, all in one bleve batch (atomic). seq <= 0 leaves the
// recorded sequence unchanged.
func (ix *Index) Apply(docs []Doc, deletes []Key, seq int64) error {
	var v []byte
	if seq > 0 {
		v = encodeSeq(seq)
	}
	if err := ix.write(docs, deletes, keyApplied, v); err != nil {
		return fmt.Errorf("search: apply batch (seq %d): %w", seq, err)
	}
	return nil
}

// rankInputs analyses docs (rankInput), on every core for a batch.
func rankInputs(docs []Doc) []rankDoc {
	rds := make([]rankDoc, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(docs)/16+1)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(docs); i += workers {
				rds[i] = rankInput(docs[i])
			}
		}()
	}
	wg.Wait()
	return rds
}

// write is one bleve batch (docs, deletes and, if val != nil, the internal
// key) followed, once bleve has it, by the same change to the rank index.
func (ix *Index) write(docs []Doc, deletes []Key, key, val []byte) error {
	for _, d := range docs {
		if err := validDoc(d); err != nil {
			return err
		}
	}
	rds := rankInputs(docs)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	b := ix.idx.NewBatch()
	for i, d := range docs {
		if err := b.Index(rds[i].id, d.fields(&rds[i])); err != nil {
			return fmt.Errorf("search: index %s %s: %w", d.Kind, d.ID, err)
		}
	}
	ids := make([]string, len(deletes))
	for i, k := range deletes {
		ids[i] = docID(k.Kind, k.ID)
		b.Delete(ids[i])
	}
	if val != nil {
		b.SetInternal(key, val)
	}
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("search: batch: %w", err)
	}
	ix.rx.apply(rds, ids)
	return nil
}

// SetApplied records seq as the last applied outbox sequence.
func (ix *Index) SetApplied(seq int64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.idx.SetInternal(keyApplied, encodeSeq(seq)); err != nil {
		return fmt.Errorf("search: set applied seq: %w", err)
	}
	return nil
}

// Applied returns the last applied outbox sequence (0 if none). It waits
// for a write in progress: a sequence it returns is in bleve and in the
// rank index.
func (ix *Index) Applied() (int64, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	v, err := ix.idx.GetInternal(keyApplied)
	if err != nil {
		return 0, fmt.Errorf("search: get applied seq: %w", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("search: corrupt applied seq (%d bytes)", len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func encodeSeq(seq int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(seq))
	return b
}
