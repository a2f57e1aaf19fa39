package search_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/gen"
	"github.com/techx-cz/techx/internal/searchdoc"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
	"github.com/techx-cz/techx/seeds"
)

// TestPerf measures indexing (through Apply, in outbox-sized batches),
// search and match latency on synthetic listings (internal/gen):
//
//	TECHX_PERF=100000 [TECHX_PERF_DIR=/tmp/perfidx] go test ./search/ -run TestPerf -v [-cpuprofile cpu.out]
//
// With TECHX_PERF_DIR, an index already holding the listings is reused
// (only queries are timed). 30% needs, 70% results.
func TestPerf(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TECHX_PERF"))
	if n <= 0 {
		t.Skip("set TECHX_PERF=N")
	}
	tx, err := techx.ParseTaxonomy(seeds.Taxonomy())
	if err != nil {
		t.Fatal(err)
	}
	th, err := search.LoadThesaurus(strings.NewReader(string(seeds.Thesaurus())))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	g := gen.New(1, tx, th, now)
	var needs, docs []search.Doc
	for i := 0; i < n; i++ {
		if i%10 < 3 {
			d := searchdoc.Need(g.Need(fmt.Sprintf("org-e%d", i%200), "u", "xian", true))
			needs = append(needs, d)
			docs = append(docs, d)
		} else {
			docs = append(docs, searchdoc.Result(g.Result(fmt.Sprintf("org-i%d", i%200), "u", "某研究院", "beijing", true)))
		}
	}
	dir := os.Getenv("TECHX_PERF_DIR")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "idx")
	}
	t0 := time.Now()
	ix, err := search.Open(dir, th, search.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	t.Logf("open (incl. dictionary): %s", time.Since(t0).Round(time.Millisecond))
	heap := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapInuse) / (1 << 20)
	}
	t.Logf("Go heap in use after open: %.0f MiB (the test's own %d generated listings included)", heap(), len(docs))
	if hp := os.Getenv("TECHX_PERF_HEAP"); hp != "" {
		f, err := os.Create(hp)
		if err != nil {
			t.Fatal(err)
		}
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	if c, _ := ix.Count(); int(c) != n {
		bs := 500
		if b, _ := strconv.Atoi(os.Getenv("TECHX_PERF_BATCH")); b > 0 {
			bs = b
		}
		t0 = time.Now()
		for s := 0; s < len(docs); s += bs {
			if err := ix.Apply(docs[s:min(s+bs, len(docs))], nil, int64(s+1)); err != nil {
				t.Fatal(err)
			}
		}
		d := time.Since(t0)
		t.Logf("indexed %d listings in %s: %.0f listings/s", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
	}
	ctx := context.Background()
	nq := 200
	if s, _ := strconv.Atoi(os.Getenv("TECHX_PERF_QUERIES")); s > 0 {
		nq = s
	}
	var sd, md, fd []time.Duration
	for i := 0; i < nq; i++ {
		nd := needs[(i*7919)%len(needs)]
		t1 := time.Now()
		if _, err := ix.Search(ctx, search.SearchRequest{Q: nd.Title, Kind: search.KindResult}); err != nil {
			t.Fatal(err)
		}
		sd = append(sd, time.Since(t1))
		t1 = time.Now()
		if _, err := ix.Search(ctx, search.SearchRequest{Kind: search.KindNeed, Industry: nd.Industry}); err != nil {
			t.Fatal(err)
		}
		fd = append(fd, time.Since(t1))
		t1 = time.Now()
		if _, err := ix.MatchNeed(ctx, nd, search.Viewer{OrgID: nd.OrgID}, 10); err != nil {
			t.Fatal(err)
		}
		md = append(md, time.Since(t1))
	}
	p := func(ds []time.Duration) string {
		slices.Sort(ds)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		return fmt.Sprintf("p50 %.1f ms p99 %.1f ms", ms(ds[len(ds)/2]), ms(ds[min(len(ds)-1, len(ds)*99/100)]))
	}
	t.Logf("search(title): %s", p(sd))
	t.Logf("search(filters): %s", p(fd))
	t.Logf("match: %s", p(md))
	var size int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	st, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "VmHWM") {
			t.Log(l)
		}
	}
	t.Logf("index size %.1f MiB", float64(size)/(1<<20))
}
