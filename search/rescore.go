package search

import (
	"math"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	bsearch "github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
)

// Rescoring candidates in Go.
//
// The second stage of rank needs the full query's score for a few hundred
// candidates. Asking bleve (a conjunction of their ids with the full
// disjunction) costs as much as the exhaustive query: advancing a posting
// iterator decodes every frequency of the chunks it crosses, and the
// common characters' chunks are crossed by every candidate. Instead, the
// candidates' stored text is analysed again and scored with bleve's own
// BM25 arithmetic (same idf, query norm, coord, field-length rounding and
// average field length), so the scores equal bleve's exhaustive scores
// (tested).

// storedText are the stored fields rescoring reads.
var storedText = []string{fTitle, fText, fKw, fCText, fCKw, fOrg, fConf, fAllTok, fCAllTok}

// countTokens counts the terms of a combined field's analysis of text
// into tf and returns the field length. toks, when not nil, is the
// stored gse token string of the field (see tokString).
func countTokens(field, text string, toks *string, tf map[string]int) int {
	switch field {
	case fAll, fCAll:
		if toks != nil {
			n := 0
			for _, t := range strings.Fields(*toks) {
				tf[t]++
				n++
			}
			return n
		}
		return countStream(tokenize([]byte(text)), tf)
	case fAllBg, fCAllBg:
		return countStream(cjkAnalyzer.Analyze([]byte(text)), tf)
	default:
		return countChars(text, tf)
	}
}

func countStream(ts analysis.TokenStream, tf map[string]int) int {
	for _, t := range ts {
		tf[string(t.Term)]++
	}
	return len(ts)
}

// countChars is the standard analyzer's count: every Han character is a
// token of its own (Unicode word breaking), so only the text between Han
// characters goes through the analyzer.
func countChars(text string, tf map[string]int) int {
	n := 0
	var rest strings.Builder
	other := false
	for _, r := range text {
		if isHan(r) {
			tf[string(r)]++
			n++
			if other {
				rest.WriteByte(' ')
				other = false
			}
			continue
		}
		rest.WriteRune(r)
		other = true
	}
	if s := rest.String(); strings.TrimSpace(s) != "" {
		n += countStream(stdAnalyzer.Analyze([]byte(s)), tf)
	}
	return n
}

type fieldStats struct {
	tf  map[string]int
	len int
}

// combinedTexts rebuilds a hit's combined public and confidential texts
// from its stored fields, as Doc.fields built them.
func combinedTexts(f map[string]interface{}) (pub, conf string) {
	kws := func(v interface{}) string {
		switch kw := v.(type) {
		case string:
			return kw
		case []interface{}:
			ss := make([]string, 0, len(kw))
			for _, k := range kw {
				ss = append(ss, str(k))
			}
			return strings.Join(ss, "\n")
		}
		return ""
	}
	title := str(f[fTitle])
	if b, _ := f[fConf].(bool); b {
		return title, capText(title + "\n" + kws(f[fCKw]) + "\n" + str(f[fCText]))
	}
	return capText(title + "\n" + kws(f[fKw]) + "\n" + str(f[fText])), ""
}

// rescore sets the hits' scores to the full text query's bleve score,
// from their stored fields (storedText must have been loaded).
func (ix *Index) rescore(tq *textQ, hits bsearch.DocumentMatchCollection) error {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	docs, err := r.DocCount()
	if err != nil {
		return err
	}
	avg := map[string]float64{}
	sumSq := 0.0
	type lw struct{ idf, weight float64 }
	w := make([][]lw, len(tq.clauses))
	for i, c := range tq.clauses {
		w[i] = make([]lw, len(c.leaves))
		for j, l := range c.leaves {
			if _, ok := avg[l.field]; !ok {
				avg[l.field] = 0
				if br, ok := r.(index.BM25Reader); ok {
					fc, err := br.FieldCardinality(l.field)
					if err != nil {
						return err
					}
					if docs > 0 {
						avg[l.field] = math.Ceil(float64(fc) / float64(docs))
					}
				}
			}
			id := idf(docs, l.df)
			w[i][j] = lw{idf: id}
			sumSq += sq(l.boost * id)
		}
	}
	qnorm := 1 / math.Sqrt(sumSq)
	for i, c := range tq.clauses {
		for j, l := range c.leaves {
			w[i][j].weight = l.boost * w[i][j].idf * qnorm
		}
	}
	k1, b := bsearch.BM25_k1, bsearch.BM25_b
	for _, h := range hits {
		pub, conf := combinedTexts(h.Fields)
		org := str(h.Fields[fOrg])
		stats := map[string]*fieldStats{}
		get := func(field string) *fieldStats {
			if fs, ok := stats[field]; ok {
				return fs
			}
			text, tokF := pub, fAllTok
			if strings.HasPrefix(field, "call") {
				text, tokF = conf, fCAllTok
			}
			var toks *string
			if v, ok := h.Fields[tokF].(string); ok {
				toks = &v
			}
			fs := &fieldStats{tf: map[string]int{}}
			if text != "" {
				fs.len = countTokens(field, text, toks, fs.tf)
			}
			stats[field] = fs
			return fs
		}
		total, matched := 0.0, 0
		for i, c := range tq.clauses {
			sum, n := 0.0, 0
			for j, l := range c.leaves {
				if l.guard && (org == "" || org != tq.viewer.OrgID) {
					continue
				}
				fs := get(l.field)
				f := fs.tf[l.term]
				if f == 0 {
					continue
				}
				norm := float64(float32(1 / math.Sqrt(float64(fs.len))))
				fl := 1 / (norm * norm)
				tf := math.Sqrt(float64(f))
				ds := w[i][j].idf * (tf * k1) / (tf + k1*(1-b+b*fl/avg[l.field]))
				if w[i][j].weight != 1 {
					ds *= w[i][j].weight
				}
				sum += ds
				n++
			}
			if n == 0 {
				continue
			}
			if len(c.leaves) > 1 {
				sum *= float64(n) / float64(len(c.leaves))
			}
			total += sum
			matched++
		}
		h.Score = total * float64(matched) / float64(len(tq.clauses))
	}
	return nil
}
