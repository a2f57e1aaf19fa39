package search

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion identifies the index mapping and analysis. Bump it whenever
// fields, analyzers or what the tokenizer emits change: an index written
// under another version is deleted and rebuilt by Open.
const MappingVersion = 4

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
	fHasPrice   = "has_price"
	fBudget     = "budget"
	fHasBudget  = "has_budget"
	fBottleneck = "bottleneck"
	fConf       = "confidential"
	fPublished  = "published_at"
	fValid      = "valid_until"
	fTitle      = "title"
	fTitleBg    = "title_bg"
	fText       = "text"
	fTextBg     = "text_bg"
	fKw         = "kw"
	fInst       = "inst"
	fCText      = "ctext" // confidential need description
	fCTextBg    = "ctext_bg"
	fCKw        = "ckw"     // confidential need keywords
	fTitleU     = "title_u" // single-character (standard analyzer) fields
	fTextU      = "text_u"
	fKwU        = "kw_u"
	fCTextU     = "ctext_u"
	fCKwU       = "ckw_u"
	fKwBg       = "kw_bg"
	fAll        = "all" // title + keywords + text, in each analysis
	fAllBg      = "all_bg"
	fAllU       = "all_u"
	fCAll       = "call" // the same for a confidential need
	fCAllBg     = "call_bg"
	fCAllU      = "call_u"
	fCKwBg      = "ckw_bg"
	fAllTok     = "all_tok"  // stored only: the gse tokens of all, for rescoring
	fCAllTok    = "call_tok" // the same for call
)

const docType = "listing"

// farFuture stands for "no end" in valid_until.
var farFuture = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) // within int64 nanoseconds

// buildMapping returns the explicit index mapping: the default mapping and
// dynamic fields disabled, nothing in _all, keyword analyzer for codes,
// docValues only where we filter, sort or facet, BM25 scoring.
//
// Text fields: title, text, kw (and ctext, ckw) in gse words, stored with
// term vectors for highlighting and explanations; all/call (title +
// keywords + text) in gse words, cjk bigrams (_bg) and single characters
// (_u) for ranking.
//
// Stored fields: title, text, kw, ctext, ckw (for highlighting only);
// org_id, confidential (to check highlight visibility per hit); industry,
// source_region, trl, price, budget, published_at (small values the matcher
// reranks and explains with, so that matching needs no database round trip).
// Nothing else is stored: the database has it. The index directory holds
// confidential text and must be protected like the database.
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
	kw(fCounty, false, true)
	kw(fRegion, true, true)
	kw(fModes, false, false)

	num := func(name string, dv bool) {
		f := bleve.NewNumericFieldMapping()
		f.Store, f.DocValues, f.IncludeInAll = true, dv, false
		dm.AddFieldMappingsAt(name, f)
	}
	num(fTRL, true)
	num(fPrice, true)
	num(fBudget, true)

	boolean := func(name string, store bool) {
		f := bleve.NewBooleanFieldMapping()
		f.Store, f.DocValues, f.IncludeInAll = store, false, false
		dm.AddFieldMappingsAt(name, f)
	}
	boolean(fHasPrice, false)
	boolean(fHasBudget, false)
	boolean(fBottleneck, false)
	boolean(fConf, true)

	dt := func(name string) {
		f := bleve.NewDateTimeFieldMapping()
		f.Store, f.DocValues, f.IncludeInAll = name == fPublished, true, false
		dm.AddFieldMappingsAt(name, f)
	}
	dt(fPublished)
	dt(fValid)

	text := func(name, analyzer string, store bool) {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = store
		f.IncludeTermVectors = store // locations are needed for highlighting
		f.IncludeInAll = false
		f.DocValues = false
		dm.AddFieldMappingsAt(name, f)
	}
	text(fTitle, AnalyzerName, true)
	text(fText, AnalyzerName, true)
	text(fKw, AnalyzerName, true)
	text(fCText, AnalyzerName, true)
	text(fCKw, AnalyzerName, true)
	text(fAll, AnalyzerName, false)
	text(fCAll, AnalyzerName, false)
	text(fAllBg, cjk.AnalyzerName, false)
	text(fCAllBg, cjk.AnalyzerName, false)
	text(fAllU, standard.Name, false)
	text(fCAllU, standard.Name, false)
	for _, f := range []string{fAllTok, fCAllTok} {
		sf := bleve.NewTextFieldMapping()
		sf.Index, sf.Store, sf.IncludeTermVectors, sf.IncludeInAll, sf.DocValues = false, true, false, false, false
		dm.AddFieldMappingsAt(f, sf)
	}
	// The per-field bigram/character twins (title_bg, text_u, …) and inst
	// are no longer indexed (MappingVersion 4): no query weighted them
	// (all measured configurations score the combined fields), and they
	// cost about half of the analysis and segment building.

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
	th      *Thesaurus
	cfg     config
	rebuilt bool
	dir     string
	tmpDir  string     // removed on Close (Open with dir "")
	mu      sync.Mutex // serializes writes of the applied sequence
	dfMu    sync.Mutex
	dfCache map[string]uint64 // field\x00term -> document frequency; cleared by every write
}

// maxDFCache bounds dfCache (it is cleared when full).
const maxDFCache = 200000

func (ix *Index) cachedDF(key string) (uint64, bool) {
	ix.dfMu.Lock()
	defer ix.dfMu.Unlock()
	df, ok := ix.dfCache[key]
	return df, ok
}

func (ix *Index) storeDF(key string, df uint64) {
	ix.dfMu.Lock()
	defer ix.dfMu.Unlock()
	if ix.dfCache == nil || len(ix.dfCache) >= maxDFCache {
		ix.dfCache = map[string]uint64{}
	}
	ix.dfCache[key] = df
}

// written drops what the last write made stale.
func (ix *Index) written() {
	ix.dfMu.Lock()
	ix.dfCache = nil
	ix.dfMu.Unlock()
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
	ix := &Index{th: th, cfg: cfg, dir: dir}
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
			return ix, nil
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

// fields converts a Doc to the indexed field map.
func (d Doc) fields() map[string]interface{} {
	m := map[string]interface{}{
		"_type":     docType,
		fKind:       d.Kind,
		fOrg:        d.OrgID,
		fTRL:        float64(d.TRL),
		fBottleneck: d.Bottleneck,
		fConf:       d.Confidential && d.Kind == KindNeed,
		fHasPrice:   d.PriceUnits != nil,
		fHasBudget:  d.BudgetUnits != nil,
		fTitle:      capText(d.Title),
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
	kws := make([]string, 0, len(d.Keywords))
	for _, k := range d.Keywords {
		if k = strings.TrimSpace(k); k != "" {
			kws = append(kws, k)
		}
	}
	all := capText(d.Title + "\n" + strings.Join(kws, "\n") + "\n" + d.Text)
	if d.Confidential && d.Kind == KindNeed {
		m[fAll], m[fAllBg], m[fAllU] = d.Title, d.Title, d.Title
		m[fCAll], m[fCAllBg], m[fCAllU] = all, all, all
		m[fAllTok], m[fCAllTok] = tokString(d.Title), tokString(all)
	} else {
		m[fAll], m[fAllBg], m[fAllU] = all, all, all
		m[fAllTok] = tokString(all)
	}
	if d.Confidential && d.Kind == KindNeed {
		m[fCText] = text
		if len(kws) > 0 {
			m[fCKw] = kws
		}
	} else {
		m[fText] = text
		if len(kws) > 0 {
			m[fKw] = kws
		}
	}
	return m
}

// tokString is the gse tokens of s separated by spaces (tokens never hold
// a space), stored so that rescoring needs no segmentation. It is
// analysed here and again by bleve for the field all; the segmentation
// cache makes the second time cheap.
func tokString(s string) string {
	return strings.Join(Tokens(s), " ")
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
		b := ix.idx.NewBatch()
		for _, d := range docs[start:end] {
			if err := validDoc(d); err != nil {
				return err
			}
			if err := b.Index(docID(d.Kind, d.ID), d.fields()); err != nil {
				return fmt.Errorf("search: index %s %s: %w", d.Kind, d.ID, err)
			}
		}
		if key != nil && end == len(docs) {
			b.SetInternal(key, val)
		}
		err := ix.idx.Batch(b)
		ix.written()
		if err != nil {
			return fmt.Errorf("search: batch: %w", err)
		}
	}
	return nil
}

// Delete removes a document; deleting a missing document is not an error.
func (ix *Index) Delete(kind, id string) error {
	defer ix.written()
	if err := ix.idx.Delete(docID(kind, id)); err != nil {
		return fmt.Errorf("search: delete %s %s: %w", kind, id, err)
	}
	return nil
}

// Apply indexes docs, deletes keys and records seq as the last applied
// outbox sequence, all in one bleve batch (atomic). seq <= 0 leaves the
// recorded sequence unchanged.
func (ix *Index) Apply(docs []Doc, deletes []Key, seq int64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	b := ix.idx.NewBatch()
	for _, d := range docs {
		if err := validDoc(d); err != nil {
			return err
		}
		if err := b.Index(docID(d.Kind, d.ID), d.fields()); err != nil {
			return fmt.Errorf("search: index %s %s: %w", d.Kind, d.ID, err)
		}
	}
	for _, k := range deletes {
		b.Delete(docID(k.Kind, k.ID))
	}
	if seq > 0 {
		b.SetInternal(keyApplied, encodeSeq(seq))
	}
	err := ix.idx.Batch(b)
	ix.written()
	if err != nil {
		return fmt.Errorf("search: apply batch (seq %d): %w", seq, err)
	}
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

// Applied returns the last applied outbox sequence (0 if none).
func (ix *Index) Applied() (int64, error) {
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
