package search

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
)

// Dataset is a relevance benchmark: needs, results (benchmark results and
// background distractors) and graded judgments need -> result (2 solves,
// 1 partly solves). Judgments naming results that are not loaded are
// ignored.
type Dataset struct {
	Needs   []Doc
	Results []Doc
	// Qrels maps need id -> result id -> grade.
	Qrels map[string]map[string]int
}

// Metrics are the scores of one ranking task, averaged over its queries.
type Metrics struct {
	NDCG    float64 `json:"ndcg@10"`
	MRR     float64 `json:"mrr@10"`
	Recall  float64 `json:"recall@10"`
	Queries int     `json:"queries"`
}

// TaskReport is one task's metrics and the plain bleve baseline's.
type TaskReport struct {
	Metrics
	Baseline Metrics `json:"baseline"`
}

// EvalReport is the result of RunEval.
type EvalReport struct {
	// Match: need -> MatchNeed top 10 among results.
	Match TaskReport `json:"match"`
	// Search: need title alone as Q, kind=result, anonymous viewer.
	Search TaskReport `json:"search"`
	// Reverse: each judged result -> MatchResult top 10 among needs.
	Reverse TaskReport `json:"reverse"`
}

// Loaded is an index holding a Dataset, as built by a Loader.
type Loaded struct {
	Index *Index
	// DatasetID maps an index id of the given kind back to the dataset id;
	// nil means the ids are the dataset's.
	DatasetID func(kind, id string) string
	// Close releases the index and whatever the loader built; may be nil.
	Close func() error
}

// Loader puts every need and result of ds into an index the way the
// caller's system does it (e.g. database + outbox + indexer) and returns it.
type Loader func(ctx context.Context, ds *Dataset) (*Loaded, error)

// DirectLoader returns a Loader that indexes the Dataset's Docs straight
// into a new in-memory Index with thesaurus th.
func DirectLoader(th *Thesaurus, opts ...Option) Loader {
	return func(ctx context.Context, ds *Dataset) (*Loaded, error) {
		ix, err := Open("", th, opts...)
		if err != nil {
			return nil, err
		}
		docs := append(append([]Doc(nil), ds.Needs...), ds.Results...)
		if err := ix.Index(docs...); err != nil {
			ix.Close()
			return nil, err
		}
		return &Loaded{Index: ix, Close: ix.Close}, nil
	}
}

// evalK is the rank cut-off of every metric.
const evalK = 10

// NDCG returns nDCG@k of ranked ids under judgments (gain = grade,
// discount log2(rank+1)); the ideal ranking sorts all judged grades.
// It returns 0 if nothing is judged relevant.
func NDCG(ranked []string, judged map[string]int, k int) float64 {
	var dcg float64
	for i, id := range ranked {
		if i == k {
			break
		}
		if g := judged[id]; g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	grades := make([]int, 0, len(judged))
	for _, g := range judged {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	var idcg float64
	for i, g := range grades {
		if i == k {
			break
		}
		idcg += float64(g) / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// MRR returns the reciprocal rank of the first item with grade >= 1 within
// the top k, or 0.
func MRR(ranked []string, judged map[string]int, k int) float64 {
	for i, id := range ranked {
		if i == k {
			break
		}
		if judged[id] >= 1 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// Recall returns the share of items judged relevant (grade >= 1) found in
// the top k, or 0 if none is judged relevant.
func Recall(ranked []string, judged map[string]int, k int) float64 {
	rel := 0
	for _, g := range judged {
		if g >= 1 {
			rel++
		}
	}
	if rel == 0 {
		return 0
	}
	found := 0
	for i, id := range ranked {
		if i == k {
			break
		}
		if judged[id] >= 1 {
			found++
		}
	}
	return float64(found) / float64(rel)
}

// accumulator averages metrics over queries.
type accumulator struct{ m Metrics }

func (a *accumulator) add(ranked []string, judged map[string]int) {
	a.m.NDCG += NDCG(ranked, judged, evalK)
	a.m.MRR += MRR(ranked, judged, evalK)
	a.m.Recall += Recall(ranked, judged, evalK)
	a.m.Queries++
}

func (a *accumulator) result() Metrics {
	m := a.m
	if m.Queries > 0 {
		n := float64(m.Queries)
		m.NDCG, m.MRR, m.Recall = m.NDCG/n, m.MRR/n, m.Recall/n
	}
	return m
}

// evalQuery is one query of a task with its judgments.
type evalQuery struct {
	doc    Doc
	judged map[string]int
}

// tasks derives the judged queries of the three tasks from ds, keeping only
// judgments of loaded documents.
func (ds *Dataset) tasks() (fwd, rev []evalQuery) {
	results := map[string]bool{}
	for _, r := range ds.Results {
		results[r.ID] = true
	}
	needs := map[string]Doc{}
	for _, n := range ds.Needs {
		needs[n.ID] = n
	}
	inv := map[string]map[string]int{}
	for _, n := range ds.Needs {
		j := map[string]int{}
		for rid, g := range ds.Qrels[n.ID] {
			if results[rid] && g > 0 {
				j[rid] = g
				if inv[rid] == nil {
					inv[rid] = map[string]int{}
				}
				inv[rid][n.ID] = g
			}
		}
		if len(j) > 0 {
			fwd = append(fwd, evalQuery{doc: n, judged: j})
		}
	}
	for _, r := range ds.Results {
		if j := inv[r.ID]; len(j) > 0 {
			rev = append(rev, evalQuery{doc: r, judged: j})
		}
	}
	return fwd, rev
}

// RunEval measures the three tasks (match, search, reverse) on the index
// built by load, and the plain bleve baseline (standard analyzer over
// title, text and keywords, one match query, no thesaurus, no structure) on
// its own in-memory index.
func RunEval(ctx context.Context, ds *Dataset, load Loader) (*EvalReport, error) {
	fwd, rev := ds.tasks()
	l, err := load(ctx, ds)
	if err != nil {
		return nil, fmt.Errorf("eval: load: %w", err)
	}
	if l.Close != nil {
		defer l.Close()
	}
	mapID := l.DatasetID
	if mapID == nil {
		mapID = func(_, id string) string { return id }
	}
	var rep EvalReport
	rep.Match.Metrics, rep.Search.Metrics, rep.Reverse.Metrics, err = evalIndex(ctx, l.Index, mapID, fwd, rev, defaultMatchParams)
	if err != nil {
		return nil, err
	}

	base, err := newBaseline(ds)
	if err != nil {
		return nil, err
	}
	defer base.Close()
	var bm, bs, br accumulator
	for _, q := range fwd {
		ids, err := baselineSearch(base, KindResult, q.doc.Title+"\n"+q.doc.Text)
		if err != nil {
			return nil, err
		}
		bm.add(ids, q.judged)
		ids, err = baselineSearch(base, KindResult, q.doc.Title)
		if err != nil {
			return nil, err
		}
		bs.add(ids, q.judged)
	}
	for _, q := range rev {
		ids, err := baselineSearch(base, KindNeed, q.doc.Title+"\n"+q.doc.Text+"\n"+strings.Join(q.doc.Keywords, " "))
		if err != nil {
			return nil, err
		}
		br.add(ids, q.judged)
	}
	rep.Match.Baseline, rep.Search.Baseline, rep.Reverse.Baseline = bm.result(), bs.result(), br.result()
	return &rep, nil
}

// evalIndex runs the three tasks on ix with parameters mp.
func evalIndex(ctx context.Context, ix *Index, mapID func(kind, id string) string, fwd, rev []evalQuery, mp matchParams) (match, srch, reverse Metrics, err error) {
	var am, as, ar accumulator
	for _, q := range fwd {
		ms, err := ix.match(ctx, q.doc, KindResult, Viewer{OrgID: q.doc.OrgID}, evalK, mp)
		if err != nil {
			return match, srch, reverse, err
		}
		am.add(matchIDs(ms, mapID), q.judged)
		sr, err := ix.search(ctx, SearchRequest{Q: q.doc.Title, Kind: KindResult, Size: evalK}, mp.search)
		if err != nil {
			return match, srch, reverse, err
		}
		ids := make([]string, len(sr.Hits))
		for i, h := range sr.Hits {
			ids[i] = mapID(h.Kind, h.ID)
		}
		as.add(ids, q.judged)
	}
	rp := mp
	rp.text = mp.reverse
	for _, q := range rev {
		ms, err := ix.match(ctx, q.doc, KindNeed, Viewer{OrgID: q.doc.OrgID}, evalK, rp)
		if err != nil {
			return match, srch, reverse, err
		}
		ar.add(matchIDs(ms, mapID), q.judged)
	}
	return am.result(), as.result(), ar.result(), nil
}

func matchIDs(ms []Match, mapID func(kind, id string) string) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = mapID(m.Kind, m.ID)
	}
	return ids
}

// newBaseline builds the plain bleve index: default mapping, standard
// analyzer, fields kind (keyword), title, text, keywords, default scoring.
func newBaseline(ds *Dataset) (bleve.Index, error) {
	im := bleve.NewIndexMapping()
	im.DefaultAnalyzer = standard.Name
	dm := bleve.NewDocumentMapping()
	k := bleve.NewTextFieldMapping()
	k.Analyzer = keyword.Name
	k.IncludeInAll = false
	dm.AddFieldMappingsAt("kind", k)
	im.DefaultMapping = dm
	b, err := bleve.NewMemOnly(im)
	if err != nil {
		return nil, err
	}
	batch := b.NewBatch()
	for _, d := range append(append([]Doc(nil), ds.Needs...), ds.Results...) {
		if err := batch.Index(docID(d.Kind, d.ID), map[string]interface{}{
			"kind": d.Kind, "title": d.Title, "text": d.Text, "keywords": d.Keywords,
		}); err != nil {
			b.Close()
			return nil, err
		}
	}
	if err := b.Batch(batch); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func baselineSearch(b bleve.Index, kind, text string) ([]string, error) {
	mq := bleve.NewMatchQuery(text)
	kq := bleve.NewTermQuery(kind)
	kq.SetField("kind")
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(mq, kq), evalK, 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := b.Search(req)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		_, ids[i] = splitDocID(h.ID)
	}
	return ids, nil
}

// ---- benchmark file formats ----

// LoadDataset reads dir/needs.jsonl, dir/results.jsonl and dir/qrels.tsv,
// plus each distractor file (jsonl of id,title,abstract,keywords, loaded as
// results without industry, TRL or price) and its sibling judgments
// (same name with .qrels.tsv instead of .jsonl) when present.
func LoadDataset(dir string, distractors ...string) (*Dataset, error) {
	ds := &Dataset{Qrels: map[string]map[string]int{}}
	var err error
	if ds.Needs, err = readFile(filepath.Join(dir, "needs.jsonl"), ReadNeeds); err != nil {
		return nil, err
	}
	if ds.Results, err = readFile(filepath.Join(dir, "results.jsonl"), ReadResults); err != nil {
		return nil, err
	}
	if err := readQrelsFile(filepath.Join(dir, "qrels.tsv"), ds.Qrels); err != nil {
		return nil, err
	}
	for _, f := range distractors {
		ds2, err := readFile(f, ReadDistractors)
		if err != nil {
			return nil, err
		}
		ds.Results = append(ds.Results, ds2...)
		qf := strings.TrimSuffix(f, ".jsonl") + ".qrels.tsv"
		if err := readQrelsFile(qf, ds.Qrels); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return ds, nil
}

func readFile(path string, read func(io.Reader) ([]Doc, error)) ([]Doc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	docs, err := read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return docs, nil
}

func readQrelsFile(path string, into map[string]map[string]int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	q, err := ReadQrels(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for n, m := range q {
		if into[n] == nil {
			into[n] = map[string]int{}
		}
		for r, g := range m {
			into[n][r] = g
		}
	}
	return nil
}

type needJSON struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Industry    string      `json:"industry"`
	County      string      `json:"county"`
	BudgetWan   json.Number `json:"budget_wan"`
	MinTRL      int         `json:"min_trl"`
	Bottleneck  bool        `json:"bottleneck"`
	Keywords    []string    `json:"keywords"`
}

type resultJSON struct {
	ID            string      `json:"id"`
	Title         string      `json:"title"`
	Abstract      string      `json:"abstract"`
	Institution   string      `json:"institution"`
	SourceRegion  string      `json:"source_region"`
	TRL           int         `json:"trl"`
	TransferModes []string    `json:"transfer_modes"`
	PriceWan      json.Number `json:"price_wan"`
	Keywords      []string    `json:"keywords"`
	Industry      string      `json:"industry"`
}

func readJSONL(r io.Reader, each func(dec []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	ln := 0
	for sc.Scan() {
		ln++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		if err := each(b); err != nil {
			return fmt.Errorf("line %d: %w", ln, err)
		}
	}
	return sc.Err()
}

// ParseWanUnits parses a decimal amount of 万元 ("150", "12.5") into units
// of 0.0001 万元, exactly. "" and "null" give nil.
func ParseWanUnits(s string) (*int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return nil, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) > 4 {
		return nil, fmt.Errorf("amount %q: more than 4 decimals", s)
	}
	fp += strings.Repeat("0", 4-len(fp))
	i, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("amount %q: %w", s, err)
	}
	f, err := strconv.ParseInt(fp, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("amount %q: %w", s, err)
	}
	if i > math.MaxInt64/10000-1 {
		return nil, fmt.Errorf("amount %q: too large", s)
	}
	v := i*10000 + f
	if neg {
		v = -v
	}
	return &v, nil
}

// ReadNeeds reads benchmark needs (jsonl: id, title, description, industry,
// county, budget_wan, min_trl, bottleneck, deadline). Each need gets its
// own organization "org-<id>"; the deadline is not used (the benchmark must
// not depend on today's date).
func ReadNeeds(r io.Reader) ([]Doc, error) {
	var out []Doc
	err := readJSONL(r, func(b []byte) error {
		var n needJSON
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		bud, err := ParseWanUnits(n.BudgetWan.String())
		if err != nil {
			return err
		}
		out = append(out, Doc{Kind: KindNeed, ID: n.ID, OrgID: "org-" + n.ID, Title: n.Title, Text: n.Description,
			Keywords: n.Keywords, Industry: n.Industry, County: n.County, TRL: n.MinTRL, BudgetUnits: bud, Bottleneck: n.Bottleneck})
		return nil
	})
	return out, err
}

// ReadResults reads benchmark results (jsonl: id, title, abstract,
// institution, source_region, trl, transfer_modes, price_wan, keywords,
// industry).
func ReadResults(r io.Reader) ([]Doc, error) {
	var out []Doc
	err := readJSONL(r, func(b []byte) error {
		var x resultJSON
		if err := json.Unmarshal(b, &x); err != nil {
			return err
		}
		price, err := ParseWanUnits(x.PriceWan.String())
		if err != nil {
			return err
		}
		out = append(out, Doc{Kind: KindResult, ID: x.ID, OrgID: "org-" + x.ID, Title: x.Title, Text: x.Abstract,
			Keywords: x.Keywords, Institution: x.Institution, SourceRegion: x.SourceRegion, TRL: x.TRL,
			PriceUnits: price, Industry: x.Industry, Modes: x.TransferModes})
		return nil
	})
	return out, err
}

// ReadDistractors reads background papers (jsonl: id, title, abstract,
// keywords) as results without industry, TRL or price.
func ReadDistractors(r io.Reader) ([]Doc, error) {
	var out []Doc
	err := readJSONL(r, func(b []byte) error {
		var x resultJSON
		if err := json.Unmarshal(b, &x); err != nil {
			return err
		}
		out = append(out, Doc{Kind: KindResult, ID: x.ID, OrgID: "org-" + x.ID, Title: x.Title, Text: x.Abstract, Keywords: x.Keywords})
		return nil
	})
	return out, err
}

// ReadQrels reads judgments: tab-separated need_id, result_id, grade.
func ReadQrels(r io.Reader) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	sc := bufio.NewScanner(r)
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("qrels line %d: want 3 fields, got %d", ln, len(f))
		}
		g, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("qrels line %d: grade: %w", ln, err)
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]int{}
		}
		out[f[0]][f[1]] = g
	}
	return out, sc.Err()
}
