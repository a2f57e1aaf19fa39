package search

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

func units(wan int64) *int64 { u := wan * 10000; return &u }

var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func testThesaurus(t testing.TB) *Thesaurus {
	t.Helper()
	f, err := os.Open("testdata/thesaurus.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	th, err := LoadThesaurus(f)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func testDocs() []Doc {
	pub := testNow.Add(-24 * time.Hour)
	return []Doc{
		{Kind: KindResult, ID: "r1", OrgID: "uni", Title: "锂离子电池隔膜涂层技术", Text: "陶瓷涂覆湿法隔膜，提高热稳定性。", Keywords: []string{"隔膜", "涂层"},
			Industry: "new-materials", SourceRegion: "beijing", TRL: 7, PriceUnits: units(100), PublishedAt: pub},
		{Kind: KindResult, ID: "r2", OrgID: "uni", Title: "盾构机刀盘耐磨堆焊", Text: "隧道掘进机刀具堆焊修复。", Industry: "smart-equip", SourceRegion: "tianjin", TRL: 5, PublishedAt: pub.Add(-time.Hour)},
		{Kind: KindResult, ID: "r3", OrgID: "uni2", Title: "激光焊接焊缝气孔控制", Text: "激光-电弧复合焊接工艺降低气孔率。", Industry: "laser", SourceRegion: "hebei", TRL: 6, PriceUnits: units(500), PublishedAt: pub.Add(-2 * time.Hour)},
		{Kind: KindNeed, ID: "n1", OrgID: "acme", Title: "焊缝返修率高", Text: "焊缝气孔多、返修率高，希望改进焊接工艺。", Industry: "laser", County: "botou", TRL: 5, BudgetUnits: units(200), PublishedAt: pub},
		{Kind: KindNeed, ID: "n2", OrgID: "secret-co", Title: "电池车间改造", Text: "我们的秘方是钒液流储能配方，需要提高能量密度。", Keywords: []string{"钒液流"},
			Industry: "clean-energy", County: "huanghua", Confidential: true, Bottleneck: true, PublishedAt: pub},
		{Kind: KindNeed, ID: "n3", OrgID: "acme", Title: "过期需求 焊缝", Text: "焊缝", ValidUntil: testNow.Add(-time.Hour), PublishedAt: pub},
	}
}

func newTestIndex(t testing.TB, docs ...Doc) *Index {
	t.Helper()
	ix, err := Open(filepath.Join(t.TempDir(), "idx"), testThesaurus(t), WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.Index(docs...); err != nil {
		t.Fatal(err)
	}
	return ix
}

func hitIDs(r *SearchResponse) []string {
	var ids []string
	for _, h := range r.Hits {
		ids = append(ids, h.Kind+":"+h.ID)
	}
	return ids
}

func TestSearchBasics(t *testing.T) {
	ix := newTestIndex(t, testDocs()...)
	ctx := context.Background()

	res, err := ix.Search(ctx, SearchRequest{Q: "隔膜"})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(res); len(got) == 0 || got[0] != "result:r1" {
		t.Fatalf("Search(隔膜) = %v, want result:r1 first", got)
	}
	if h := res.Hits[0].Highlights["title"]; len(h) == 0 || !strings.Contains(h[0], "<mark>隔膜</mark>") {
		t.Errorf("title highlight = %q", h)
	}
	// thesaurus: TBM finds the 盾构机 result
	res, err = ix.Search(ctx, SearchRequest{Q: "TBM", Kind: KindResult})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(res); !slices.Contains(got, "result:r2") {
		t.Errorf("Search(TBM) = %v, want result:r2 via thesaurus", got)
	}
	// expired needs are never returned
	res, err = ix.Search(ctx, SearchRequest{Q: "焊缝", Kind: KindNeed})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(res); slices.Contains(got, "need:n3") || !slices.Contains(got, "need:n1") {
		t.Errorf("Search(焊缝, need) = %v", got)
	}
}

func TestSearchFiltersFacetsListing(t *testing.T) {
	ix := newTestIndex(t, testDocs()...)
	ctx := context.Background()
	// empty Q lists by published_at desc, id
	res, err := ix.Search(ctx, SearchRequest{Kind: KindResult})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hitIDs(res), []string{"result:r1", "result:r2", "result:r3"}; !slices.Equal(got, want) {
		t.Errorf("listing = %v, want %v", got, want)
	}
	if res.Total != 3 {
		t.Errorf("total = %d", res.Total)
	}
	if fc := res.Facets["source_region"]; len(fc) != 3 {
		t.Errorf("source_region facet = %+v", fc)
	}
	if fc := res.Facets["trl"]; !slices.Contains(fc, FacetCount{Value: "7", Count: 1}) {
		t.Errorf("trl facet = %+v", fc)
	}
	tests := []struct {
		name string
		req  SearchRequest
		want []string
	}{
		{"industry", SearchRequest{Industry: "laser"}, []string{"need:n1", "result:r3"}},
		{"county", SearchRequest{County: "botou"}, []string{"need:n1"}},
		{"region", SearchRequest{SourceRegion: "tianjin"}, []string{"result:r2"}},
		{"trl", SearchRequest{Kind: KindResult, TRLMin: 6}, []string{"result:r1", "result:r3"}},
		{"bottleneck", SearchRequest{Bottleneck: new(true)}, []string{"need:n2"}},
		// 面议 (no price) is kept by a price ceiling
		{"price", SearchRequest{Kind: KindResult, PriceMaxUnits: units(100)}, []string{"result:r1", "result:r2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			got := hitIDs(res)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSearchCursor(t *testing.T) {
	ix := newTestIndex(t, testDocs()...)
	ctx := context.Background()
	var all []string
	cur := ""
	for range 10 {
		res, err := ix.Search(ctx, SearchRequest{Size: 2, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hitIDs(res)...)
		if res.Next == "" {
			break
		}
		cur = res.Next
	}
	if len(all) != 5 {
		t.Errorf("paged %v, want 5 listings", all)
	}
	if _, err := ix.Search(ctx, SearchRequest{Cursor: "garbage!"}); err != ErrBadCursor {
		t.Errorf("bad cursor error = %v", err)
	}
}

// TestSearchQuerySyntaxIsText checks that query-syntax characters neither
// error nor change what a query matches.
func TestSearchQuerySyntaxIsText(t *testing.T) {
	ix := newTestIndex(t, testDocs()...)
	ctx := context.Background()
	base, err := ix.Search(ctx, SearchRequest{Q: "隔膜 涂层"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`+隔膜 -涂层`, `隔膜:涂层`, `隔膜^10 涂层~2`, `"隔膜" (涂层)`, `隔膜* 涂层?`, `[隔膜] {涂层}`, `隔膜/涂层\`, `!隔膜 && 涂层 || `, `title:隔膜 涂层`} {
		res, err := ix.Search(ctx, SearchRequest{Q: q})
		if err != nil {
			t.Errorf("Search(%q): %v", q, err)
			continue
		}
		got, want := hitIDs(res), hitIDs(base)
		if strings.Contains(q, "title:") {
			// "title" is a word of the text now, not a field
			if len(got) == 0 || got[0] != want[0] {
				t.Errorf("Search(%q) = %v, want first %v", q, got, want[0])
			}
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("Search(%q) = %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{`+-:^*?~"()[]{}/\!&|`, "*", ":", `\`} {
		res, err := ix.Search(ctx, SearchRequest{Q: q})
		if err != nil || len(res.Hits) != 0 {
			t.Errorf("Search(%q) = %v, %v; want no hits, no error", q, res, err)
		}
	}
}

// TestConfidential checks that a confidential need's description is not
// matched, highlighted or explained for anonymous viewers or other
// organizations, but is for the owner and for Full viewers.
func TestConfidential(t *testing.T) {
	ix := newTestIndex(t, testDocs()...)
	ctx := context.Background()
	secret := "钒液流储能配方"
	viewers := []struct {
		name string
		v    Viewer
		see  bool
	}{
		{"anonymous", Viewer{}, false},
		{"other org", Viewer{OrgID: "acme"}, false},
		{"owner", Viewer{OrgID: "secret-co"}, true},
		{"broker", Viewer{Full: true}, true},
	}
	for _, vv := range viewers {
		t.Run(vv.name, func(t *testing.T) {
			res, err := ix.Search(ctx, SearchRequest{Q: secret, Viewer: vv.v})
			if err != nil {
				t.Fatal(err)
			}
			found := slices.Contains(hitIDs(res), "need:n2")
			if found != vv.see {
				t.Fatalf("text match found=%v, want %v (hits %v)", found, vv.see, hitIDs(res))
			}
			for _, h := range res.Hits {
				for f, frs := range h.Highlights {
					for _, fr := range frs {
						if !vv.see && (strings.Contains(fr, "钒") || strings.Contains(fr, "秘方")) {
							t.Errorf("leaked highlight %s: %q", f, fr)
						}
					}
				}
				if vv.see && h.ID == "n2" && len(h.Highlights["text"]) == 0 {
					t.Errorf("owner/broker gets no text highlight: %+v", h.Highlights)
				}
			}
			// the public title still matches for everyone
			res, err = ix.Search(ctx, SearchRequest{Q: "电池车间", Viewer: vv.v})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(hitIDs(res), "need:n2") {
				t.Errorf("title match missing: %v", hitIDs(res))
			}
			// reverse matching: a result about 钒液流 储能 must not match or
			// explain the confidential description
			ms, err := ix.MatchResult(ctx, Doc{Kind: KindResult, ID: "rx", Title: "钒液流电池储能", Text: "钒液流储能配方优化，提高能量密度", Industry: "clean-energy"}, vv.v, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.ID != "n2" {
					continue
				}
				terms := strings.Join(m.Explanation.MatchedTerms, " ") + m.Explanation.Text
				for _, h := range m.Explanation.ThesaurusHits {
					terms += h.Term
				}
				if !vv.see && (strings.Contains(terms, "钒") || strings.Contains(terms, "配方") || strings.Contains(terms, "能量密度")) {
					t.Errorf("explanation leaks: %q", terms)
				}
				if vv.see && !strings.Contains(terms, "液流") {
					t.Errorf("owner/broker explanation lacks description terms: %q", terms)
				}
			}
		})
	}
	// MatchNeed on a confidential need for another viewer uses its title only
	n2 := testDocs()[4]
	ms, err := ix.MatchNeed(ctx, n2, Viewer{OrgID: "acme"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if s := strings.Join(m.Explanation.MatchedTerms, " "); strings.Contains(s, "钒") || strings.Contains(s, "配方") {
			t.Errorf("MatchNeed explanation leaks need text: %q", s)
		}
	}
}

func TestMatchExplains(t *testing.T) {
	ix := newTestIndex(t, testDocs()...)
	ctx := context.Background()
	need := testDocs()[3] // 焊缝气孔, laser, min TRL 5, budget 200万
	ms, err := ix.MatchNeed(ctx, need, Viewer{OrgID: need.OrgID}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].ID != "r3" {
		t.Fatalf("MatchNeed = %+v, want r3 first", ms)
	}
	m := ms[0]
	if m.Score <= 0 || m.Score > 1 {
		t.Errorf("score %v not in (0,1]", m.Score)
	}
	ex := m.Explanation
	if !slices.Contains(ex.MatchedTerms, "气孔") || ex.IndustryFit.Level != "same" || ex.TRLFit.Level != "meets" || ex.BudgetFit.Level != "over" {
		t.Errorf("explanation = %+v", ex)
	}
	if ex.Text == "" || !strings.Contains(ex.Text, "气孔") {
		t.Errorf("summary = %q", ex.Text)
	}
	t.Logf("%s %.3f %s", m.ID, m.Score, ex.Text)
	// reverse
	rs, err := ix.MatchResult(ctx, testDocs()[2], Viewer{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || rs[0].ID != "n1" || rs[0].Kind != KindNeed {
		t.Fatalf("MatchResult = %+v, want n1", rs)
	}
	// thesaurus hits are named
	ms, err = ix.MatchNeed(ctx, Doc{Kind: KindNeed, ID: "nx", Title: "TBM 刀具磨损", Industry: "smart-equip"}, Viewer{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].ID != "r2" || len(ms[0].Explanation.ThesaurusHits) == 0 {
		t.Fatalf("MatchNeed(TBM) = %+v, want r2 with thesaurus hits", ms)
	}
	if !ms[0].Explanation.SourceRegion.JingJin {
		t.Errorf("tianjin not flagged 京津")
	}
}

func TestIndexDeleteApplied(t *testing.T) {
	ix := newTestIndex(t)
	ctx := context.Background()
	if n, _ := ix.Count(); n != 0 {
		t.Fatalf("count %d", n)
	}
	if seq, err := ix.Applied(); err != nil || seq != 0 {
		t.Fatalf("Applied = %d, %v", seq, err)
	}
	docs := testDocs()
	if err := ix.Apply(docs[:3], nil, 7); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 3 {
		t.Errorf("count %d, want 3", n)
	}
	if seq, _ := ix.Applied(); seq != 7 {
		t.Errorf("Applied = %d, want 7", seq)
	}
	if err := ix.Apply(docs[3:4], []Key{{KindResult, "r1"}}, 9); err != nil {
		t.Fatal(err)
	}
	res, _ := ix.Search(ctx, SearchRequest{Q: "隔膜"})
	if slices.Contains(hitIDs(res), "result:r1") {
		t.Errorf("deleted r1 still found")
	}
	if err := ix.Delete(KindResult, "r2"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(KindResult, "missing"); err != nil {
		t.Errorf("delete missing: %v", err)
	}
	if n, _ := ix.Count(); n != 2 {
		t.Errorf("count %d, want 2", n)
	}
	if err := ix.SetApplied(12); err != nil {
		t.Fatal(err)
	}
	if seq, _ := ix.Applied(); seq != 12 {
		t.Errorf("Applied = %d, want 12", seq)
	}
	if err := ix.Index(Doc{Kind: "bogus", ID: "x"}); err == nil {
		t.Errorf("bad kind accepted")
	}
}

func TestReopenAndVersionMismatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	th := testThesaurus(t)
	ix, err := Open(dir, th)
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Rebuilt() {
		t.Errorf("new index: Rebuilt = false")
	}
	if err := ix.Apply(testDocs()[:2], nil, 3); err != nil {
		t.Fatal(err)
	}
	ix.Close()

	ix, err = Open(dir, th)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Rebuilt() {
		t.Errorf("reopen: Rebuilt = true")
	}
	if n, _ := ix.Count(); n != 2 {
		t.Errorf("reopen count %d", n)
	}
	if seq, _ := ix.Applied(); seq != 3 {
		t.Errorf("reopen applied %d", seq)
	}
	// simulate an index written by another mapping version
	if err := ix.idx.SetInternal(keyVersion, []byte("v0/old")); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, err = Open(dir, th)
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Rebuilt() {
		t.Errorf("version mismatch: Rebuilt = false")
	}
	if n, _ := ix.Count(); n != 0 {
		t.Errorf("rebuilt index has %d docs", n)
	}
	if seq, _ := ix.Applied(); seq != 0 {
		t.Errorf("rebuilt index applied %d", seq)
	}
	ix.Close()

	// a corrupt directory is rebuilt too
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "index_meta.json"), []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(bad, th)
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Rebuilt() {
		t.Errorf("corrupt index: Rebuilt = false")
	}
	ix.Close()
	_ = bleve.ErrorIndexPathDoesNotExist
}
