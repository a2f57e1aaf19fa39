package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/searchdoc"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// benchReport is what `techx bench search` prints.
type benchReport struct {
	Dialect        string             `json:"dialect"`
	Listings       uint64             `json:"listings_indexed"`
	OutboxDrained  int64              `json:"outbox_entries_drained"`
	OutboxPerSec   float64            `json:"outbox_listings_per_s"`
	ReindexSeconds float64            `json:"full_reindex_s"`
	ReindexPerSec  float64            `json:"full_reindex_listings_per_s"`
	OpenSeconds    float64            `json:"open_index_s"`
	PeakAfterMiB   map[string]float64 `json:"peak_rss_after_mib"`
	Latency        map[string]latency `json:"latency_ms"`
	RSSMiB         float64            `json:"rss_mib"`
	PeakRSSMiB     float64            `json:"peak_rss_mib"`
	HeapMiB        float64            `json:"go_heap_inuse_mib"`
	IndexMiB       float64            `json:"index_size_mib"`
	Queries        int                `json:"queries"`
	Cores          int                `json:"cores"`
	MeasuredAt     string             `json:"measured_at"`
	PostgresNotes  string             `json:"postgres_notes,omitempty"`
}

type latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	N   int     `json:"n"`
}

func summarize(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return latency{P50: ms(ds[len(ds)/2]), P99: ms(ds[min(len(ds)-1, len(ds)*99/100)]), N: len(ds)}
}

// runBench measures search, matching and indexing on the configured
// database (fill it first with `techx gen`).
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "search" {
		return fmt.Errorf("usage: techx bench search [--queries N]")
	}
	fset := flag.NewFlagSet("bench search", flag.ContinueOnError)
	nq := fset.Int("queries", 300, "how many queries of each kind")
	if ok, err := parseFlags(fset, args[1:], stderr, "Usage: techx bench search [--queries N]"); !ok {
		return err
	}
	a, err := openApp(ctx, withDevSecret(getenv), stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	rep := benchReport{Dialect: a.DB.Dialect(), Latency: map[string]latency{}, Cores: runtime.NumCPU(),
		MeasuredAt: time.Now().UTC().Format(time.RFC3339)}

	// 1. Full rebuild into a fresh index from the database, then that
	// index closed and opened again (the rank index rebuilt from bleve's
	// stored fields, as at every start), then closed: one full index in
	// memory at a time.
	rep.PeakAfterMiB = map[string]float64{}
	tmp, err := os.MkdirTemp("", "techx-bench-index-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "index")
	fresh, err := search.Open(dir, a.Index.Thesaurus())
	if err != nil {
		return err
	}
	rx := &search.Indexer{Src: a.Indexer.Src, Index: fresh, Log: a.Log}
	start := time.Now()
	if err := rx.Reindex(ctx, nil); err != nil {
		fresh.Close()
		return err
	}
	rep.ReindexSeconds = time.Since(start).Seconds()
	if c, _ := fresh.Count(); rep.ReindexSeconds > 0 {
		rep.ReindexPerSec = float64(c) / rep.ReindexSeconds
	}
	if err := fresh.Close(); err != nil {
		return err
	}
	_, rep.PeakAfterMiB["1_rebuild"] = procMemMiB()
	runtime.GC() // a restarted process starts without the old index
	debug.FreeOSMemory()
	start = time.Now()
	if fresh, err = search.Open(dir, a.Index.Thesaurus()); err != nil {
		return err
	}
	rep.OpenSeconds = time.Since(start).Seconds()
	fresh.Close()
	fresh = nil
	_, rep.PeakAfterMiB["2_reopen"] = procMemMiB()
	runtime.GC()
	debug.FreeOSMemory()

	// 2. Indexing through the outbox: drain whatever the log holds beyond
	// the index's position.
	before, _ := a.Index.Applied()
	start = time.Now()
	for {
		n, err := a.Indexer.Step(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	after, _ := a.Index.Applied()
	rep.OutboxDrained = after - before
	if d := time.Since(start).Seconds(); rep.OutboxDrained > 0 {
		rep.OutboxPerSec = float64(rep.OutboxDrained) / d
	}
	rep.Listings, _ = a.Index.Count()
	_, rep.PeakAfterMiB["3_outbox_drain"] = procMemMiB()

	// 3. Queries: sampled published needs; their titles as search text,
	// the needs themselves for matching.
	needs, err := sampleNeeds(ctx, a, *nq)
	if err != nil {
		return err
	}
	rep.Queries = len(needs)
	var searchD, matchD, filterD []time.Duration
	for _, n := range needs {
		t := time.Now()
		if _, err := a.Index.Search(ctx, search.SearchRequest{Q: n.Title, Kind: search.KindResult}); err != nil {
			return err
		}
		searchD = append(searchD, time.Since(t))
		t = time.Now()
		if _, err := a.Index.Search(ctx, search.SearchRequest{Kind: search.KindNeed, Industry: n.Industry, County: n.County}); err != nil {
			return err
		}
		filterD = append(filterD, time.Since(t))
		t = time.Now()
		if _, err := a.Index.MatchNeed(ctx, searchdoc.Need(n), search.Viewer{OrgID: n.OrgID}, 10); err != nil {
			return err
		}
		matchD = append(matchD, time.Since(t))
	}
	rep.Latency["search_title_query"] = summarize(searchD)
	rep.Latency["search_filters_only"] = summarize(filterD)
	rep.Latency["match_need"] = summarize(matchD)

	// 4. The same questions asked of PostgreSQL: ILIKE and pg_trgm.
	if a.DB.Dialect() == store.Postgres {
		notes, lat, err := postgresBaselines(ctx, a, needs)
		if err != nil {
			rep.PostgresNotes = "pg baselines failed: " + err.Error()
		} else {
			rep.PostgresNotes = notes
			for k, v := range lat {
				rep.Latency[k] = v
			}
		}
	}

	// 5. Memory and disk (after a collection: what the serving process
	// holds).
	_, rep.PeakAfterMiB["4_queries"] = procMemMiB()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
	rep.RSSMiB, rep.PeakRSSMiB = procMemMiB()
	rep.IndexMiB = dirMiB(filepath.Join(a.Config.DataDir, "index"))
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func sampleNeeds(ctx context.Context, a *app.App, n int) ([]*techx.Need, error) {
	var all []*techx.Need
	after := ""
	for len(all) < 20*n {
		ns, err := a.Listings.PublishedNeedsAfter(ctx, after, 2000)
		if err != nil {
			return nil, err
		}
		if len(ns) == 0 {
			break
		}
		all = append(all, ns...)
		after = ns[len(ns)-1].ID
	}
	r := rand.New(rand.NewPCG(7, 7))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:min(n, len(all))], nil
}

// postgresBaselines runs the search questions as ILIKE and pg_trgm
// queries on the same rows.
func postgresBaselines(ctx context.Context, a *app.App, needs []*techx.Need) (string, map[string]latency, error) {
	g := a.DB.Gorm().WithContext(ctx)
	if err := g.Exec("CREATE EXTENSION IF NOT EXISTS pg_trgm").Error; err != nil {
		return "", nil, err
	}
	if err := g.Exec("CREATE INDEX IF NOT EXISTS bench_results_trgm ON results USING gin ((title || ' ' || abstract) gin_trgm_ops)").Error; err != nil {
		return "", nil, err
	}
	g.Exec("ANALYZE results")
	var ilike, trgm []time.Duration
	for _, n := range needs {
		kw := n.Title
		if len(n.Keywords) > 0 {
			kw = n.Keywords[0]
		}
		var ids []string
		t := time.Now()
		if err := g.Raw(`SELECT id FROM results WHERE status = 'published' AND (title ILIKE ? OR abstract ILIKE ?) ORDER BY sort_at DESC LIMIT 20`,
			"%"+kw+"%", "%"+kw+"%").Scan(&ids).Error; err != nil {
			return "", nil, err
		}
		ilike = append(ilike, time.Since(t))
		t = time.Now()
		if err := g.Raw(`SELECT id FROM results WHERE status = 'published' AND (title || ' ' || abstract) % ?
			ORDER BY similarity(title || ' ' || abstract, ?) DESC LIMIT 20`, n.Title, n.Title).Scan(&ids).Error; err != nil {
			return "", nil, err
		}
		trgm = append(trgm, time.Since(t))
	}
	return "ILIKE: the need's first keyword as a substring of title/abstract (sequential scan); pg_trgm: the need's title with the % operator on a GIN trigram index, ordered by similarity",
		map[string]latency{"pg_ilike_keyword": summarize(ilike), "pg_trgm_title": summarize(trgm)}, nil
}

func procMemMiB() (rss, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb float64
		if strings.HasPrefix(line, "VmRSS:") {
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%f", &kb)
			rss = kb / 1024
		} else if strings.HasPrefix(line, "VmHWM:") {
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			peak = kb / 1024
		}
	}
	return rss, peak
}

func dirMiB(dir string) float64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return float64(total) / (1 << 20)
}
