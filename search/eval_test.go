package search

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestMetricsByHand checks the metrics against hand computations.
func TestMetricsByHand(t *testing.T) {
	judged := map[string]int{"a": 2, "b": 1, "c": 1}
	ranked := []string{"x", "a", "y", "c"}
	// DCG = 2/log2(3) + 1/log2(5); IDCG = 2/1 + 1/log2(3) + 1/log2(4)
	dcg := 2/math.Log2(3) + 1/math.Log2(5)
	idcg := 2 + 1/math.Log2(3) + 0.5
	if got := NDCG(ranked, judged, 10); !near(got, dcg/idcg) {
		t.Errorf("NDCG = %v, want %v", got, dcg/idcg)
	}
	if got := MRR(ranked, judged, 10); !near(got, 0.5) {
		t.Errorf("MRR = %v, want 0.5", got)
	}
	if got := Recall(ranked, judged, 10); !near(got, 2.0/3) {
		t.Errorf("Recall = %v, want 2/3", got)
	}
	// cut-off: only the first 1 counts
	if got := MRR(ranked, judged, 1); got != 0 {
		t.Errorf("MRR@1 = %v, want 0", got)
	}
	if got := NDCG([]string{"a", "b", "c"}, judged, 10); !near(got, 1) {
		t.Errorf("ideal NDCG = %v", got)
	}
	if got := NDCG(ranked, map[string]int{}, 10); got != 0 {
		t.Errorf("NDCG without judgments = %v", got)
	}
}

// TestEvalFixture runs the whole evaluation on a tiny hand-made dataset.
func TestEvalFixture(t *testing.T) {
	ds, err := LoadDataset("testdata/evalmini", "testdata/evalmini/distractors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Needs) != 2 || len(ds.Results) != 4 {
		t.Fatalf("loaded %d needs, %d results", len(ds.Needs), len(ds.Results))
	}
	if b := ds.Needs[1].BudgetUnits; b == nil || *b != 505000 {
		t.Errorf("budget 50.5万 = %v units, want 505000", b)
	}
	fwd, rev := ds.tasks()
	// "GONE" is not loaded and ignored; D1 is judged via the sibling qrels
	if len(fwd) != 2 || len(fwd[0].judged) != 2 || fwd[1].judged["D1"] != 1 {
		t.Fatalf("tasks: %+v", fwd)
	}
	if len(rev) != 4 {
		t.Fatalf("reverse queries = %d, want 4 (X1, X2, X3, D1)", len(rev))
	}
	rep, err := RunEval(context.Background(), ds, DirectLoader(testThesaurus(t)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	t.Logf("%s", b)
	for _, k := range []string{`"match":{"ndcg@10"`, `"mrr@10"`, `"recall@10"`, `"baseline":{"ndcg@10"`, `"search":`, `"reverse":`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
	// A1: X1 (2) then X3 (1) expected; A2: X2 (2) found, D1 (1) is not
	// findable (unrelated text), so its recall is 1/2.
	m := rep.Match
	if m.Queries != 2 || m.MRR != 1 {
		t.Errorf("match = %+v, want 2 queries, MRR 1", m.Metrics)
	}
	if !near(m.Recall, (1+0.5)/2) {
		t.Errorf("match recall = %v, want 0.75", m.Recall)
	}
	idcgA2 := 2 + 1/math.Log2(3)
	if want := (1 + 2/idcgA2) / 2; !near(m.NDCG, want) {
		t.Errorf("match nDCG = %v, want %v", m.NDCG, want)
	}
}
