// Package gen makes realistic synthetic needs and results for load and
// performance tests, from the plan's taxonomy and the domain thesaurus:
// plant-language needs and academic-language results in every industry.
package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// Generator draws listings from a seeded random source.
type Generator struct {
	rnd     *rand.Rand
	tx      *techx.Taxonomy
	terms   map[string][]string // industry → thesaurus terms
	general []string
	now     time.Time
}

// New returns a Generator; the same seed gives the same listings.
func New(seed uint64, tx *techx.Taxonomy, th *search.Thesaurus, now time.Time) *Generator {
	g := &Generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tx: tx, terms: map[string][]string{}, now: now}
	for _, grp := range th.Groups {
		if grp.Industry == "*" {
			g.general = append(g.general, grp.Terms...)
			continue
		}
		g.terms[grp.Industry] = append(g.terms[grp.Industry], grp.Terms...)
	}
	return g
}

func (g *Generator) pick(xs []string) string { return xs[g.rnd.IntN(len(xs))] }

func (g *Generator) industry() string {
	for {
		c := g.tx.Industries[g.rnd.IntN(len(g.tx.Industries))].Code
		if len(g.terms[c]) > 0 {
			return c
		}
	}
}

var (
	needTitles = []string{"%s问题突出，急需%s解决方案", "%s效率低、%s成本高", "生产线%s不稳定，寻求%s技术", "%s返修率高，希望引进%s",
		"%s能耗大，求%s改造方案", "关于%s的%s技术需求"}
	needSentences = []string{"我公司位于%s，主要生产%s相关产品。", "目前%s环节问题较多，影响交货期。", "客户对%s提出了更高要求。",
		"希望与高校合作开发%s技术，实现国产替代。", "现有设备%s精度不足，返工率约%d%%。", "计划投入资金改造%s生产线。"}
	resultTitles  = []string{"%s关键技术及%s应用", "基于%s的%s优化方法", "高性能%s制备与%s技术", "%s智能监测与%s系统", "面向%s的%s工艺"}
	resultPhrases = []string{"针对%s中存在的问题，本成果提出了%s新方法。", "通过%s与%s相结合，性能提升%d%%。", "已在%s领域多家企业示范应用。",
		"形成发明专利%d项，技术成熟度较高。", "可提供%s技术许可或合作开发。"}
)

// Need returns a synthetic need of org (published when publish).
func (g *Generator) Need(orgID, userID, county string, publish bool) *techx.Need {
	ind := g.industry()
	t := g.terms[ind]
	var b strings.Builder
	for i := 0; i < 3+g.rnd.IntN(3); i++ {
		s := g.pick(needSentences)
		switch strings.Count(s, "%") - strings.Count(s, "%%")*2 {
		case 2:
			fmt.Fprintf(&b, s, g.pick(t), 5+g.rnd.IntN(30))
		default:
			fmt.Fprintf(&b, s, g.pick(t))
		}
	}
	n := &techx.Need{ID: newID(g), OrgID: orgID, CreatedBy: userID, Title: trim(fmt.Sprintf(g.pick(needTitles), g.pick(t), g.pick(t)), 100),
		Description: b.String(), Industry: ind, County: county, Keywords: []string{g.pick(t), g.pick(t)},
		MinTRL: 3 + g.rnd.IntN(6), Bottleneck: g.rnd.IntN(4) == 0, CooperationModes: []string{"co-develop"},
		Confidential: g.rnd.IntN(8) == 0, Status: techx.StatusDraft, CreatedAt: g.now, UpdatedAt: g.now}
	if g.rnd.IntN(5) > 0 {
		w := techx.Wan(int64(10+g.rnd.IntN(500)) * 10000)
		n.BudgetWan = &w
	}
	if publish {
		g.publish(&n.Status, &n.PublishedAt, &n.ValidUntil)
	}
	return n
}

// Result returns a synthetic result of org.
func (g *Generator) Result(orgID, userID, institution, region string, publish bool) *techx.Result {
	ind := g.industry()
	t := g.terms[ind]
	var b strings.Builder
	for i := 0; i < 3+g.rnd.IntN(3); i++ {
		s := g.pick(resultPhrases)
		switch strings.Count(s, "%") - strings.Count(s, "%%")*2 {
		case 3:
			fmt.Fprintf(&b, s, g.pick(t), g.pick(t), 10+g.rnd.IntN(60))
		case 2:
			fmt.Fprintf(&b, s, g.pick(t), g.pick(t))
		default:
			if strings.Contains(s, "%d") {
				fmt.Fprintf(&b, s, 1+g.rnd.IntN(9))
			} else {
				fmt.Fprintf(&b, s, g.pick(t))
			}
		}
	}
	r := &techx.Result{ID: newID(g), OrgID: orgID, CreatedBy: userID, Institution: institution,
		Title: trim(fmt.Sprintf(g.pick(resultTitles), g.pick(t), g.pick(t)), 100), Abstract: b.String(),
		SourceRegion: region, TRL: 2 + g.rnd.IntN(8), TransferModes: []string{g.pick([]string{"transfer", "license", "co-develop", "equity"})},
		PatentNos: []string{}, Keywords: []string{g.pick(t), g.pick(t), g.pick(t)}, Industry: ind, Status: techx.StatusDraft,
		CreatedAt: g.now, UpdatedAt: g.now}
	if g.rnd.IntN(3) > 0 {
		w := techx.Wan(int64(5+g.rnd.IntN(800)) * 10000)
		r.PriceWan = &w
	}
	if publish {
		g.publish(&r.Status, &r.PublishedAt, &r.ValidUntil)
	}
	return r
}

func (g *Generator) publish(status *string, published, valid **time.Time) {
	p := g.now.Add(-time.Duration(g.rnd.IntN(90*24)) * time.Hour)
	v := p.Add(techx.ListingValidity)
	*status, *published, *valid = techx.StatusPublished, &p, &v
}

func trim(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// newID makes a UUIDv7-shaped id from the generator (deterministic).
func newID(g *Generator) string {
	var b [16]byte
	ms := uint64(g.now.UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	x, y := g.rnd.Uint64(), g.rnd.Uint64()
	for i := 0; i < 8; i++ {
		b[8+i] = byte(x >> (8 * i))
	}
	b[6], b[7] = byte(0x70|(y&0x0f)), byte(y>>8)
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
