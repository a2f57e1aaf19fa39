package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestEvalMatchingDev runs `techx eval matching` on the benchmark in
// ../shared/data (beside the repository) through the product's own path
// (database, outbox, indexer) and fails when any task falls below the
// plain-bleve baseline measured in the same run.
func TestEvalMatchingDev(t *testing.T) {
	shared := os.Getenv("TECHX_SHARED_DIR") // default: shared/ beside the repository
	if shared == "" {
		shared = filepath.Join("..", "..", "..", "shared")
	}
	dir := filepath.Join(shared, "data", "matching-dev")
	distractors := filepath.Join(shared, "data", "distractors", "csl-dev.jsonl")
	if _, err := os.Stat(filepath.Join(dir, "qrels.tsv")); err != nil {
		fmt.Fprintf(os.Stderr, "TestEvalMatchingDev SKIPPED: benchmark data not found at %s (set TECHX_SHARED_DIR)\n", dir)
		t.Skipf("benchmark data not found at %s", dir)
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"eval", "matching", "--dir", dir, "--distractors", distractors, "--json"},
		func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("eval: %v\n%s", err, errb.String())
	}
	var rep map[string]map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output %s: %v", out.String(), err)
	}
	for _, task := range []string{"match", "search", "reverse"} {
		r := rep[task]
		got := r["ndcg@10"].(float64)
		base := r["baseline"].(map[string]any)["ndcg@10"].(float64)
		t.Logf("%s nDCG@10 %.3f (baseline %.3f)", task, got, base)
		if got < base {
			t.Errorf("%s nDCG@10 %.3f is below the plain bleve baseline %.3f", task, got, base)
		}
	}
}
