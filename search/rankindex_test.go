package search

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRankedTextDropsLimitations(t *testing.T) {
	for _, tc := range []struct {
		name, kind, text, want string
	}{
		{"not applicable", KindResult, "采用镇压与化控技术，控制冬前旺长，适用于高产麦田，不适用于盐碱瘠薄地块。", "采用镇压与化控技术，控制冬前旺长，适用于高产麦田，"},
		{"no effect on", KindResult, "设备主要去除粘砂和氧化皮，对浇口残根、飞边和毛刺无去除作用，仍需后续打磨。", "设备主要去除粘砂和氧化皮，"},
		{"limited", KindResult, "臭气浓度去除率大于90%；对苯系物、酯类等难溶性有机溶剂的去除效果有限。", "臭气浓度去除率大于90%；"},
		{"problem addressed stays", KindResult, "针对传统方法难以检测微小缺陷的问题，提出相控阵成像方法。", "针对传统方法难以检测微小缺陷的问题，提出相控阵成像方法。"},
		{"state of the art stays", KindResult, "现有设备无法在线测量，本成果实现在线测量。", "现有设备无法在线测量，本成果实现在线测量。"},
		{"needs are ranked whole", KindNeed, "现有滤罐不适用于高氟水，再生仍需酸碱。", "现有滤罐不适用于高氟水，再生仍需酸碱。"},
		{"nothing to drop", KindResult, "激光-电弧复合焊接工艺降低气孔率。", "激光-电弧复合焊接工艺降低气孔率。"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rankedText(tc.kind, tc.text); got != tc.want {
				t.Errorf("rankedText(%q)\n got %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestNeedRoles(t *testing.T) {
	text := "我公司在泊头为主机厂配套冲压模具，近两年客户改用高强钢板。零件回弹量一批一个样，试模要五到八轮。希望在设计阶段算准回弹、提前修好模具。"
	wish, context, problem := needRoles(text)
	if want := "希望在设计阶段算准回弹、提前修好模具。"; wish != want {
		t.Errorf("wish = %q, want %q", wish, want)
	}
	if want := "我公司在泊头为主机厂配套冲压模具，"; context != want {
		t.Errorf("context = %q, want %q", context, want)
	}
	if want := "近两年客户改用高强钢板。零件回弹量一批一个样，试模要五到八轮。"; problem != want {
		t.Errorf("problem = %q, want %q", problem, want)
	}
}

// rankAnswers runs a fixed set of searches and matches and renders their
// answers (ids, scores, totals, facets, explanations) as text.
func rankAnswers(t *testing.T, ix *Index, docs []Doc) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	viewers := []Viewer{{}, {OrgID: "acme"}, {OrgID: "secret-co"}, {Full: true}}
	for _, q := range []string{"焊缝气孔", "隔膜 涂层", "钒液流储能", "刀盘", ""} {
		for _, v := range viewers {
			for _, kind := range []string{"", KindResult, KindNeed} {
				r, err := ix.Search(ctx, SearchRequest{Q: q, Kind: kind, Viewer: v, Size: 5})
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "search %q %v %s total=%d facets=%v next=%q\n", q, v, kind, r.Total, r.Facets, r.Next)
				for _, h := range r.Hits {
					// bleve's highlighter may or may not merge adjacent
					// marks: compare the marked text
					hl := strings.ReplaceAll(fmt.Sprint(h.Highlights), "</mark><mark>", "")
					fmt.Fprintf(&b, "  %s:%s %.12f %s\n", h.Kind, h.ID, h.Score, hl)
				}
			}
		}
	}
	for _, d := range docs {
		for _, v := range viewers {
			var ms []Match
			var err error
			if d.Kind == KindNeed {
				ms, err = ix.MatchNeed(ctx, d, v, 5)
			} else {
				ms, err = ix.MatchResult(ctx, d, v, 5)
			}
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "match %s %v\n", d.ID, v)
			for _, m := range ms {
				fmt.Fprintf(&b, "  %s %.12f %+v\n", m.ID, m.Score, m.Explanation)
			}
		}
	}
	return b.String()
}

// TestRankIndexRebuiltOnOpen: the rank index rebuilt from bleve's stored
// fields on open answers exactly like the one built while indexing.
func TestRankIndexRebuiltOnOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	clock := WithClock(func() time.Time { return testNow })
	docs := testDocs()
	docs = append(docs, Doc{Kind: KindResult, ID: "r4", OrgID: "uni", Title: "焊缝抛丸清理设备", Text: "去除焊缝氧化皮，对气孔无修复作用，仍需后续补焊。",
		Industry: "laser", SourceRegion: "beijing", TRL: 8, PublishedAt: testNow.Add(-3 * 365 * 24 * time.Hour)})
	ix, err := Open(dir, testThesaurus(t), clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Index(docs...); err != nil {
		t.Fatal(err)
	}
	before := rankAnswers(t, ix, docs)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix2, err := Open(dir, testThesaurus(t), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer ix2.Close()
	if ix2.Rebuilt() {
		t.Fatal("reopened index was rebuilt")
	}
	if after := rankAnswers(t, ix2, docs); after != before {
		t.Errorf("answers differ after reopen\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestRankIndexUpdatesAndCompaction: an index that saw many updates and
// deletions (and so compactions) answers exactly like one built from the
// final listings.
func TestRankIndexUpdatesAndCompaction(t *testing.T) {
	docs := testDocs()
	ix := newTestIndex(t, docs...)
	for round := 0; round < 300; round++ {
		d := docs[round%len(docs)]
		d.Title = fmt.Sprintf("%s 第%d版", d.Title, round)
		if err := ix.Apply([]Doc{d}, nil, int64(round+1)); err != nil {
			t.Fatal(err)
		}
		if round%50 == 7 {
			if err := ix.Apply(nil, []Key{{Kind: KindResult, ID: "r2"}}, 0); err != nil {
				t.Fatal(err)
			}
			if err := ix.Apply([]Doc{docs[1]}, nil, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	final := slices.Clone(docs)
	for i := range final {
		// the last version of each
		last := 299 - (299-i)%len(docs)
		final[i].Title = fmt.Sprintf("%s 第%d版", docs[i].Title, last)
	}
	// 300 updates and 12 re-adds made as many dead slots: without
	// compaction the index would hold over 300 slots
	if len(ix.rx.meta) >= 300 || (ix.rx.dead >= 256 && ix.rx.dead*4 >= len(ix.rx.meta)) {
		t.Fatalf("dead slots not compacted: %d dead of %d slots", ix.rx.dead, len(ix.rx.meta))
	}
	if n, _ := ix.Count(); int(n) != len(docs) {
		t.Fatalf("count %d, want %d", n, len(docs))
	}
	fresh := newTestIndex(t, final...)
	if got, want := rankAnswers(t, ix, final), rankAnswers(t, fresh, final); got != want {
		t.Errorf("updated index answers differ from a fresh one\nupdated:\n%s\nfresh:\n%s", got, want)
	}
	if ix.rx.live != len(docs) || len(ix.rx.byID) != len(docs) {
		t.Errorf("live %d, byID %d, want %d", ix.rx.live, len(ix.rx.byID), len(docs))
	}
}

// TestLimitationsDoNotMatch: a result that says it does not do X is not
// matched on X.
func TestLimitationsDoNotMatch(t *testing.T) {
	ix := newTestIndex(t,
		Doc{Kind: KindResult, ID: "shot", OrgID: "u", Title: "铸件抛丸清理设备", Text: "去除铸件表面粘砂和氧化皮，对飞边和毛刺无去除作用，仍需后续打磨。", Industry: "smart-equip"},
		Doc{Kind: KindResult, ID: "grind", OrgID: "u", Title: "铸件打磨机器人", Text: "自动识别飞边、毛刺并恒力打磨。", Industry: "smart-equip"},
	)
	r, err := ix.Search(context.Background(), SearchRequest{Q: "飞边毛刺打磨"})
	if err != nil {
		t.Fatal(err)
	}
	if ids := hitIDs(r); len(ids) == 0 || ids[0] != "result:grind" {
		t.Errorf("hits %v, want result:grind first", ids)
	}
	for _, h := range r.Hits {
		if h.ID == "shot" && h.Score >= r.Hits[0].Score/2 {
			t.Errorf("the shot blaster scores %.3f against the grinder's %.3f on what it says it does not do", h.Score, r.Hits[0].Score)
		}
	}
}

// TestHubPenalty: a result written in the context every need of a trade
// shares (a hub) loses ground to one that addresses the need's problem.
func TestHubPenalty(t *testing.T) {
	ctx := context.Background()
	ctxText := "村镇集中供水站由管水员操作，设备运行要简单，运行费用要低。"
	needs := []Doc{
		{Kind: KindNeed, ID: "fluoride", OrgID: "o1", Title: "村镇供水站饮水氟超标", Text: ctxText + "深井水含氟超标。", Industry: "low-carbon"},
		{Kind: KindNeed, ID: "hardness", OrgID: "o2", Title: "村镇供水站水硬度高", Text: ctxText + "水的硬度高，管道结垢。", Industry: "low-carbon"},
		{Kind: KindNeed, ID: "turbid", OrgID: "o3", Title: "村镇供水站浊度超标", Text: ctxText + "雨季浊度超标。", Industry: "low-carbon"},
		{Kind: KindNeed, ID: "iron", OrgID: "o4", Title: "村镇供水站铁锰超标", Text: ctxText + "地下水铁锰超标，发黄。", Industry: "low-carbon"},
	}
	results := []Doc{
		{Kind: KindResult, ID: "hub", OrgID: "u", Title: "村镇集中供水站运行管理", Text: ctxText + "提供运行管理平台。", Industry: "low-carbon"},
		{Kind: KindResult, ID: "defluoride", OrgID: "u", Title: "除氟吸附剂", Text: "吸附去除水中氟化物。", Industry: "low-carbon"},
	}
	ix := newTestIndex(t, append(needs, results...)...)
	rx := ix.rx
	h := rx.hubScorer()
	hubOf := func(id string) float64 { return h.compute(rx.byID[docID(KindResult, id)]) }
	if a, b := hubOf("hub"), hubOf("defluoride"); a <= 2*b {
		t.Errorf("hub scores: context-only result %.4f, specific result %.4f; want the first well above", a, b)
	}
	ratio := func(mp matchParams) float64 {
		ms, err := ix.match(ctx, needs[0], KindResult, Viewer{}, 2, mp)
		if err != nil {
			t.Fatal(err)
		}
		sc := map[string]float64{}
		for _, m := range ms {
			sc[m.ID] = m.Score
		}
		return sc["hub"] / sc["defluoride"]
	}
	off := defaultMatchParams
	off.hub = 0
	if with, without := ratio(defaultMatchParams), ratio(off); with > 0.8*without {
		t.Errorf("score of the context-only result over the specific one: %.3f with the hub penalty, %.3f without; want it lower by a fifth at least", with, without)
	}
}

func TestHubSample(t *testing.T) {
	for _, tc := range []struct {
		needs int
		mod   uint32
	}{{0, 1}, {hubSample, 1}, {hubSample + 1, 2}, {4 * hubSample, 4}, {4*hubSample + 1, 8}} {
		if got := wantHubMod(tc.needs); got != tc.mod {
			t.Errorf("wantHubMod(%d) = %d, want %d", tc.needs, got, tc.mod)
		}
	}
	in := 0
	for i := 0; i < 8000; i++ {
		if hubSampled(fmt.Sprintf("need:%d", i), 8) {
			in++
		}
	}
	if in < 800 || in > 1200 {
		t.Errorf("modulus 8 sampled %d of 8000 needs, want about 1000", in)
	}
}

// TestRankIndexConcurrent: searches and matches while listings are written
// (run with -race to check the locking).
func TestRankIndexConcurrent(t *testing.T) {
	docs := testDocs()
	ix := newTestIndex(t, docs...)
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, 4)
	for w := 0; w < 3; w++ {
		go func(w int) {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if _, err := ix.Search(ctx, SearchRequest{Q: "焊缝气孔", Viewer: Viewer{Full: w == 0}}); err != nil {
					errs <- err
					return
				}
				if _, err := ix.MatchNeed(ctx, docs[3], Viewer{OrgID: "acme"}, 5); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	for i := 0; i < 200; i++ {
		d := docs[i%len(docs)]
		d.Title = fmt.Sprintf("%s %d", d.Title, i)
		if err := ix.Apply([]Doc{d}, nil, int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for w := 0; w < 3; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
