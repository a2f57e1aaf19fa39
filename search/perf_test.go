package search_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	if f, err := strconv.ParseFloat(os.Getenv("TECHX_PERF_FRAC"), 64); err == nil {
		search.SetStage1Frac(f)
	}
	if c, err := strconv.Atoi(os.Getenv("TECHX_PERF_CANDS")); err == nil {
		search.SetStage1Cands(c)
	}
	if os.Getenv("TECHX_PERF_AGREE") != "" {
		// top-10 agreement of the default candidates with 10× more
		var ms, ss float64
		na := 40
		for i := 0; i < na; i++ {
			nd := needs[(i*7919+13)%len(needs)]
			top := func() (m, s []string) {
				mm, err := ix.MatchNeed(ctx, nd, search.Viewer{OrgID: nd.OrgID}, 10)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range mm {
					m = append(m, x.ID)
				}
				sr, err := ix.Search(ctx, search.SearchRequest{Q: nd.Title, Kind: search.KindResult, Size: 10})
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range sr.Hits {
					s = append(s, x.ID)
				}
				return m, s
			}
			m1, s1 := top()
			old := search.SetTwoStageMinDocs(1 << 40) // exhaustive
			m2, s2 := top()
			search.SetTwoStageMinDocs(old)
			ms += overlap(m1, m2)
			ss += overlap(s1, s2)
		}
		t.Logf("top-10 overlap with exhaustive ranking: match %.3f, search %.3f", ms/float64(na), ss/float64(na))
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

func overlap(a, b []string) float64 {
	if len(b) == 0 {
		return 1
	}
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	n := 0
	for _, x := range a {
		if in[x] {
			n++
		}
	}
	return float64(n) / float64(len(b))
}
