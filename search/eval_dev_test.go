package search

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// devThesaurus loads the product thesaurus (seeds/thesaurus.txt) if it
// exists, else the tiny test thesaurus.
func devThesaurus(tb testing.TB) *Thesaurus {
	tb.Helper()
	for _, p := range []string{"../seeds/thesaurus.txt", "testdata/thesaurus.txt"} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		th, err := LoadThesaurus(f)
		if err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		tb.Logf("thesaurus %s: %d groups", p, len(th.Groups))
		return th
	}
	tb.Fatal("no thesaurus")
	return nil
}

const devData = "../../shared/data"

// TestEvalMatchingDev runs the relevance benchmark (with distractors) and
// fails if any task scores below the plain bleve baseline.
func TestEvalMatchingDev(t *testing.T) {
	dir := filepath.Join(devData, "matching-dev")
	if _, err := os.Stat(filepath.Join(dir, "needs.jsonl")); err != nil {
		t.Skip("benchmark data absent:", err)
	}
	var distr []string
	if d := filepath.Join(devData, "distractors", "csl-dev.jsonl"); fileExists(d) {
		distr = append(distr, d)
	}
	ds, err := LoadDataset(dir, distr...)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunEval(context.Background(), ds, DirectLoader(devThesaurus(t)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	t.Logf("eval (%d needs, %d results):\n%s", len(ds.Needs), len(ds.Results), b)
	for name, tr := range map[string]TaskReport{"match": rep.Match, "search": rep.Search, "reverse": rep.Reverse} {
		if tr.NDCG < tr.Baseline.NDCG {
			t.Errorf("%s: nDCG@10 %.3f below baseline %.3f", name, tr.NDCG, tr.Baseline.NDCG)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
