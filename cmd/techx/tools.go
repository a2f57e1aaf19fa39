package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/search"
)

// runReindex rebuilds the search index from the database, with a progress
// bar; an interrupted rebuild resumes from its keyset cursor.
func runReindex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	if ok, err := parseFlags(fs, args, stderr, "Usage: techx reindex\n\nRebuilds the search index under $TECHX_DATA_DIR/index from the database."); !ok {
		return err
	}
	a, err := openApp(ctx, withDevSecret(getenv), stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	last := time.Time{}
	err = a.Indexer.Reindex(ctx, func(done, total int) {
		if time.Since(last) < 100*time.Millisecond && done < total {
			return
		}
		last = time.Now()
		fmt.Fprint(stderr, "\r"+progressBar(done, total, 30))
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return fmt.Errorf("reindex (run again to resume): %w", err)
	}
	n, _ := a.Index.Count()
	fmt.Fprintf(stdout, "reindexed %d listings in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// progressBar renders [#####.....] done/total.
func progressBar(done, total, width int) string {
	if total <= 0 {
		total = 1
	}
	if done > total {
		done = total
	}
	full := done * width / total
	return fmt.Sprintf("[%s%s] %d/%d", strings.Repeat("#", full), strings.Repeat(".", width-full), done, total)
}

// runEval runs the relevance benchmark through the product's own path.
func runEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "matching" {
		return fmt.Errorf("usage: techx eval matching --dir DIR [--distractors FILE] [--json]")
	}
	fs := flag.NewFlagSet("eval matching", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory with needs.jsonl, results.jsonl and qrels.tsv")
	distractors := fs.String("distractors", "", "extra results (JSON lines); FILE with .qrels.tsv for .jsonl is read when present")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if ok, err := parseFlags(fs, args[1:], stderr, "Usage: techx eval matching --dir DIR [--distractors FILE] [--json]"); !ok {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--dir is required")
	}
	var extra []string
	if *distractors != "" {
		extra = append(extra, *distractors)
	}
	ds, err := search.LoadDataset(*dir, extra...)
	if err != nil {
		return err
	}
	cheap := auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	rep, err := search.RunEval(ctx, ds, app.EvalLoader(app.Options{Argon2: &cheap}))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(rep)
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintf(stdout, "%s\n", b)
	return nil
}
