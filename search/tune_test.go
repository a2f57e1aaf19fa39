package search

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTune compares relevance configurations on the benchmark; it runs only
// with TECHX_TUNE=1 (it is a measuring tool, not a test).
func TestTune(t *testing.T) {
	if os.Getenv("TECHX_TUNE") == "" {
		t.Skip("set TECHX_TUNE=1")
	}
	dir := filepath.Join(devData, "matching-dev")
	ds, err := LoadDataset(dir, filepath.Join(devData, "distractors", "csl-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	var th *Thesaurus
	if os.Getenv("TECHX_TUNE_NOTH") == "" {
		th = devThesaurus(t)
	}
	l, err := DirectLoader(th)(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load %v", time.Since(t0))
	fwd, rev := ds.tasks()
	id := func(_, id string) string { return id }
	for _, c := range tuneConfigs() {
		t0 := time.Now()
		m, s, r, err := evalIndex(context.Background(), l.Index, id, fwd, rev, c.mp)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-28s match %.3f/%.3f/%.3f search %.3f/%.3f/%.3f reverse %.3f/%.3f/%.3f (%v)", c.name,
			m.NDCG, m.MRR, m.Recall, s.NDCG, s.MRR, s.Recall, r.NDCG, r.MRR, r.Recall, time.Since(t0).Round(time.Millisecond))
	}
}

type tuneConfig struct {
	name string
	mp   matchParams
}
