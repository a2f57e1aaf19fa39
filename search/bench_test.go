package search

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var benchVocab = strings.Fields(`焊接 激光 气孔 隔膜 锂离子 电池 盾构 刀盘 磨损 涂层 防腐 管道 冲压 模具 回弹
注塑 气味 废水 蒸发 结晶 催化 反应釜 传感器 物联网 农业 灌溉 饲料 纺织 印染 光伏 储能 氢能 轴承 齿轮 铸造
热处理 检测 算法 机器人 数控 仿真 材料 复合 纤维 陶瓷 合金 腐蚀 疲劳 裂纹 密封 泵 阀门 电机 控制`)

var benchIndustries = []string{"auto", "green-chem", "pipeline", "laser", "new-materials", "agri", "smart-equip", ""}

func benchText(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(benchVocab[r.Intn(len(benchVocab))])
		if i%5 == 4 {
			b.WriteString("，")
		}
	}
	return b.String()
}

func benchIndex(b *testing.B, n int) (*Index, []Doc) {
	b.Helper()
	r := rand.New(rand.NewSource(1))
	docs := make([]Doc, n)
	for i := range docs {
		kind := KindResult
		if i%4 == 0 {
			kind = KindNeed
		}
		docs[i] = Doc{Kind: kind, ID: fmt.Sprintf("d%05d", i), OrgID: fmt.Sprintf("o%d", i%50),
			Title: benchText(r, 4), Text: benchText(r, 40), Keywords: strings.Fields(benchText(r, 3)),
			Industry: benchIndustries[r.Intn(len(benchIndustries))], TRL: r.Intn(10),
			PublishedAt: time.Now().Add(-time.Duration(i) * time.Hour)}
	}
	ix, err := Open(filepath.Join(b.TempDir(), "idx"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	if err := ix.Index(docs...); err != nil {
		b.Fatal(err)
	}
	return ix, docs
}

// BenchmarkSearch: a two-word query with a kind filter over 3000 listings.
func BenchmarkSearch(b *testing.B) {
	ix, _ := benchIndex(b, 3000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := benchVocab[i%len(benchVocab)] + benchVocab[(i*7)%len(benchVocab)]
		if _, err := ix.Search(ctx, SearchRequest{Q: q, Kind: KindResult, Size: 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch: MatchNeed for a need with a 40-word description over
// 3000 listings.
func BenchmarkMatch(b *testing.B) {
	ix, docs := benchIndex(b, 3000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		need := docs[(i*4)%len(docs)]
		if _, err := ix.MatchNeed(ctx, need, Viewer{Full: true}, 10); err != nil {
			b.Fatal(err)
		}
	}
}
