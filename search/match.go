package search

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// Match is one candidate for a need (a result) or for a result (a need).
type Match struct {
	Kind string
	ID   string
	// Score is in [0,1]: text relevance mapped to [0,1) by s/(s+K)
	// (K = scoreHalf, the raw score at which relevance is 0.5), times the
	// structured fit (product of the fit effects), capped at 1.
	Score       float64
	Explanation Explanation
}

// Explanation says why a candidate matched. It never contains a
// confidential need's text for a viewer who may not see it.
type Explanation struct {
	// MatchedTerms are the query terms found in the candidate.
	MatchedTerms []string
	// ThesaurusHits are matched terms that came from thesaurus expansion.
	ThesaurusHits []ThesaurusHit
	IndustryFit   Fit
	TRLFit        Fit
	BudgetFit     Fit
	SourceRegion  RegionNote
	Freshness     Fit
	// Text is a one-line summary in Chinese.
	Text string
}

// ThesaurusHit is a matched term added by the thesaurus.
type ThesaurusHit struct {
	// Term is the matched thesaurus term.
	Term string
	// Via is the term of the query text that it was expanded from.
	Via string
}

// Fit is one structured signal: a level and its multiplicative effect on
// the score (1 = neutral).
type Fit struct {
	// Level: IndustryFit same/related/different/unknown; TRLFit
	// meets/near/below/unknown; BudgetFit within/near/over/unknown;
	// Freshness fresh/old/unknown.
	Level  string
	Effect float64
	// Note explains the level in Chinese.
	Note string
}

// RegionNote tells where a result comes from.
type RegionNote struct {
	Code string
	// JingJin is true for Beijing and Tianjin (京津), the plan's main
	// research sources.
	JingJin bool
}

// matchParams are the structured-fit effects and retrieval sizes, chosen by
// measurement.
type matchParams struct {
	text                                  params
	search                                params  // parameters of Search (used by evaluation)
	reverse                               params  // text parameters of MatchResult
	wTitle, wText, wKw                    float64 // weights of the query sources
	indSame, indRelated, indDiff, indUnkn float64
	trlMeets, trlNear, trlBelow           float64
	budWithin, budNear, budOver           float64
	fresh, old                            float64
	candidates                            int
}

// matchTextParams are the text weights of MatchNeed: a whole need
// description against result abstracts ranks best on single characters
// alone (measured: adding words or bigrams, even at 0.05, ranks lower; see
// STATUS.md). Words still drive the explanation (MatchedTerms).
var matchTextParams = func() params {
	p := defaultParams
	p.wAll, p.wAllBg, p.wAllU = 0, 0, 1
	p.prfK = 0 // feedback hurts long queries (measured)
	return p
}()

// reverseTextParams are the text weights of MatchResult: single characters
// with words and bigrams (and so thesaurus expansions) as a light addition.
var reverseTextParams = func() params {
	p := defaultParams
	p.wAll, p.wAllBg, p.wAllU = 0.1, 0.1, 1
	p.prfK = 0
	return p
}()

var defaultMatchParams = matchParams{
	text:    matchTextParams,
	reverse: reverseTextParams,
	search:  defaultParams,
	wTitle:  2, wText: 1, wKw: 1.5,
	indSame: 1, indRelated: 0.8, indDiff: 0.6, indUnkn: 0.4,
	trlMeets: 1, trlNear: 0.95, trlBelow: 0.85,
	budWithin: 1, budNear: 0.95, budOver: 0.88,
	fresh: 1, old: 0.95,
	candidates: 200,
}

// scoreHalf is the raw text score mapped to relevance 0.5.
const scoreHalf = 2.0

// MatchNeed returns up to limit published results for need, best first.
// A confidential need's description and keywords are used only when the
// viewer may see them (Full, or the need's own organization); otherwise the
// need matches by its title alone.
func (ix *Index) MatchNeed(ctx context.Context, need Doc, viewer Viewer, limit int) ([]Match, error) {
	return ix.match(ctx, need, KindResult, viewer, limit, defaultMatchParams)
}

// MatchResult returns up to limit published needs that result can serve,
// best first. Needs' confidential text is matched only for viewers who may
// see it.
func (ix *Index) MatchResult(ctx context.Context, result Doc, viewer Viewer, limit int) ([]Match, error) {
	mp := defaultMatchParams
	mp.text = mp.reverse
	return ix.match(ctx, result, KindNeed, viewer, limit, mp)
}

func (ix *Index) match(ctx context.Context, src Doc, target string, viewer Viewer, limit int, mp matchParams) ([]Match, error) {
	if limit <= 0 {
		limit = 10
	}
	if limit > MaxSize {
		limit = MaxSize
	}
	spec := textSpec{parts: []textPart{{text: src.Title, w: mp.wTitle}}}
	srcVisible := !(src.Kind == KindNeed && src.Confidential) || viewer.Full || (viewer.OrgID != "" && viewer.OrgID == src.OrgID)
	if srcVisible {
		spec.parts = append(spec.parts, textPart{text: src.Text, w: mp.wText})
		if len(src.Keywords) > 0 {
			spec.parts = append(spec.parts, textPart{text: strings.Join(src.Keywords, "\n"), w: mp.wKw})
		}
	}
	tq, words, _ := ix.rankedTextQuery(spec, src.Industry, viewer, mp.text)
	if tq == nil {
		return nil, nil
	}
	filter := ix.filters(target, "", "", "", 0, nil, nil)
	if mp.text.prfK > 0 {
		fb, err := ix.feedback(ctx, tq, filter, mp.text)
		if err != nil {
			return nil, err
		}
		if fb != "" {
			spec.parts = append(spec.parts, textPart{text: fb, w: mp.text.prfW})
			if tq2, _, _ := ix.rankedTextQuery(spec, src.Industry, viewer, mp.text); tq2 != nil {
				tq = tq2
			}
		}
	}
	n := max(mp.candidates, limit)
	res, err := ix.rank(ctx, tq, filter, rankOpts{size: n, dv: []string{fIndustry, fRegion, fTRL, fPrice, fBudget, fPublished}, fields: storedText, noConf: target == KindResult})
	if err != nil {
		return nil, fmt.Errorf("search: match %s %s: %w", src.Kind, src.ID, err)
	}
	via := map[string]string{}
	for _, w := range words {
		if w.via != "" {
			via[w.term] = w.via
		}
	}
	now := ix.now()
	out := make([]Match, 0, len(res.Hits))
	for _, h := range res.Hits {
		kind, id := splitDocID(h.ID)
		c := candidate{
			industry: str(h.Fields[fIndustry]),
			region:   str(h.Fields[fRegion]),
			trl:      int(num(h.Fields[fTRL])),
		}
		if v, ok := h.Fields[fPrice].(float64); ok {
			p := int64(v)
			c.price = &p
		}
		if v, ok := h.Fields[fBudget].(float64); ok {
			p := int64(v)
			c.budget = &p
		}
		if s := str(h.Fields[fPublished]); s != "" {
			c.published, _ = time.Parse(time.RFC3339, s)
		}
		ex := ix.explain(src, target, c, now, mp)
		fit := ex.IndustryFit.Effect * ex.TRLFit.Effect * ex.BudgetFit.Effect * ex.Freshness.Effect
		rel := h.Score / (h.Score + scoreHalf)
		score := math.Min(1, rel*fit)
		out = append(out, Match{Kind: kind, ID: id, Score: score, Explanation: ex})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	// matched terms from the stored fields already loaded (the same
	// gse analysis as the highlighted fields title/text/kw/ctext/ckw)
	wordSet := make(map[string]bool, len(words))
	for _, w := range words {
		wordSet[w.term] = true
	}
	fieldsOf := make(map[string]map[string]interface{}, len(res.Hits))
	for _, h := range res.Hits {
		fieldsOf[h.ID] = h.Fields
	}
	for i := range out {
		ex := &out[i].Explanation
		f := fieldsOf[docID(out[i].Kind, out[i].ID)]
		seeConf := canSee(viewer, str(f[fOrg]))
		locs := map[string]map[string]bool{}
		for _, name := range []string{fTitle, fText, fKw, fCText, fCKw} {
			if (name == fCText || name == fCKw) && !seeConf {
				continue
			}
			for _, v := range fieldStrings(f[name]) {
				for _, t := range Tokens(v) {
					if wordSet[t] {
						if locs[name] == nil {
							locs[name] = map[string]bool{}
						}
						locs[name][t] = true
					}
				}
			}
		}
		ex.MatchedTerms, ex.ThesaurusHits = matchedTermSets(locs, via, seeConf)
		ex.Text = summary(*ex, target)
	}
	return out, nil
}

// fieldStrings is a stored text field's values.
func fieldStrings(v interface{}) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []interface{}:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, str(e))
		}
		return out
	}
	return nil
}

func canSee(v Viewer, org string) bool { return v.Full || (v.OrgID != "" && v.OrgID == org) }

type candidate struct {
	industry, region string
	trl              int
	price, budget    *int64
	published        time.Time
}

func str(v interface{}) string  { s, _ := v.(string); return s }
func num(v interface{}) float64 { f, _ := v.(float64); return f }

// matchedTerms lists the query terms found in visible fields, and those of
// them that came from the thesaurus.
func matchedTerms(locs bsearch.FieldTermLocationMap, via map[string]string, seeConf bool) ([]string, []ThesaurusHit) {
	sets := make(map[string]map[string]bool, len(locs))
	for f, ts := range locs {
		sets[f] = make(map[string]bool, len(ts))
		for t := range ts {
			sets[f][t] = true
		}
	}
	return matchedTermSets(sets, via, seeConf)
}

// matchedTermSets is matchedTerms over the set of query terms found in
// each field.
func matchedTermSets(locs map[string]map[string]bool, via map[string]string, seeConf bool) ([]string, []ThesaurusHit) {
	seen := map[string]bool{}
	var terms []string
	var hits []ThesaurusHit
	fields := make([]string, 0, len(locs))
	for f := range locs {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		if (f == fCText || f == fCKw || f == fCTextBg) && !seeConf {
			continue
		}
		if f == fTitleBg || f == fTextBg || f == fCTextBg || f == fOrg {
			continue
		}
		ts := make([]string, 0, len(locs[f]))
		for t := range locs[f] {
			ts = append(ts, t)
		}
		sort.Strings(ts)
		for _, t := range ts {
			if seen[t] {
				continue
			}
			seen[t] = true
			if v, ok := via[t]; ok {
				hits = append(hits, ThesaurusHit{Term: t, Via: v})
				continue
			}
			terms = append(terms, t)
		}
	}
	// longer (more specific) terms first
	sort.SliceStable(terms, func(i, j int) bool { return len([]rune(terms[i])) > len([]rune(terms[j])) })
	return terms, hits
}

var industryNames = map[string]string{
	"auto": "汽车制造", "green-chem": "绿色化工", "pipeline": "管道装备", "apparel": "服装服饰",
	"clean-energy": "清洁能源", "biomed": "生物医药", "reman": "先进再制造", "smart-equip": "智能装备", "laser": "激光产业",
	"logistics": "现代物流", "culture-tourism": "文化旅游", "industrial-design": "工业设计",
	"agri": "现代农业", "low-carbon": "绿色低碳", "new-materials": "新材料", "electronic-info": "电子信息", "public-safety": "公共安全",
}

func industryName(code string) string {
	if n, ok := industryNames[code]; ok {
		return n
	}
	return code
}

// explain computes the structured fits of candidate c for src.
func (ix *Index) explain(src Doc, target string, c candidate, now time.Time, mp matchParams) Explanation {
	var ex Explanation
	// industry
	switch {
	case src.Industry == "" || c.industry == "":
		ex.IndustryFit = Fit{Level: "unknown", Effect: mp.indUnkn, Note: "行业未知"}
	case src.Industry == c.industry:
		ex.IndustryFit = Fit{Level: "same", Effect: mp.indSame, Note: "同属" + industryName(c.industry)}
	case ix.cfg.groups[src.Industry] != "" && ix.cfg.groups[src.Industry] == ix.cfg.groups[c.industry]:
		ex.IndustryFit = Fit{Level: "related", Effect: mp.indRelated, Note: fmt.Sprintf("行业相近（%s／%s）", industryName(src.Industry), industryName(c.industry))}
	default:
		ex.IndustryFit = Fit{Level: "different", Effect: mp.indDiff, Note: fmt.Sprintf("行业不同（%s／%s）", industryName(src.Industry), industryName(c.industry))}
	}
	// the need's min TRL and budget vs the result's TRL and price
	var needTRL, resTRL int
	var budget, price *int64
	var region string
	if target == KindResult {
		needTRL, resTRL, budget, price, region = src.TRL, c.trl, src.BudgetUnits, c.price, c.region
	} else {
		needTRL, resTRL, budget, price, region = c.trl, src.TRL, c.budget, src.PriceUnits, src.SourceRegion
	}
	switch {
	case needTRL == 0 || resTRL == 0:
		ex.TRLFit = Fit{Level: "unknown", Effect: 1, Note: "成熟度未知"}
	case resTRL >= needTRL:
		ex.TRLFit = Fit{Level: "meets", Effect: mp.trlMeets, Note: fmt.Sprintf("成熟度TRL%d达到要求TRL%d", resTRL, needTRL)}
	case resTRL == needTRL-1:
		ex.TRLFit = Fit{Level: "near", Effect: mp.trlNear, Note: fmt.Sprintf("成熟度TRL%d略低于要求TRL%d", resTRL, needTRL)}
	default:
		ex.TRLFit = Fit{Level: "below", Effect: mp.trlBelow, Note: fmt.Sprintf("成熟度TRL%d低于要求TRL%d", resTRL, needTRL)}
	}
	switch {
	case budget == nil || price == nil:
		ex.BudgetFit = Fit{Level: "unknown", Effect: 1, Note: "价格或预算面议"}
	case *price <= *budget:
		ex.BudgetFit = Fit{Level: "within", Effect: mp.budWithin, Note: fmt.Sprintf("报价%s在预算%s内", wan(*price), wan(*budget))}
	case *price*2 <= *budget*3:
		ex.BudgetFit = Fit{Level: "near", Effect: mp.budNear, Note: fmt.Sprintf("报价%s略超预算%s", wan(*price), wan(*budget))}
	default:
		ex.BudgetFit = Fit{Level: "over", Effect: mp.budOver, Note: fmt.Sprintf("报价%s超出预算%s", wan(*price), wan(*budget))}
	}
	ex.SourceRegion = RegionNote{Code: region, JingJin: region == "beijing" || region == "tianjin"}
	pub := c.published
	switch {
	case pub.IsZero() || pub.Unix() <= 0:
		ex.Freshness = Fit{Level: "unknown", Effect: 1, Note: "发布时间未知"}
	case now.Sub(pub) > 2*365*24*time.Hour:
		ex.Freshness = Fit{Level: "old", Effect: mp.old, Note: "发布已超过两年"}
	default:
		ex.Freshness = Fit{Level: "fresh", Effect: mp.fresh, Note: "近两年发布"}
	}
	return ex
}

// wan formats 0.0001 万元 units as 万元 without floats.
func wan(units int64) string {
	neg := units < 0
	if neg {
		units = -units
	}
	s := fmt.Sprintf("%d", units/10000)
	if frac := units % 10000; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%04d", frac), "0")
	}
	if neg {
		s = "-" + s
	}
	return s + "万元"
}

// summary writes the explanation as one Chinese sentence.
func summary(ex Explanation, target string) string {
	var parts []string
	if len(ex.MatchedTerms) > 0 {
		ts := ex.MatchedTerms
		if len(ts) > 6 {
			ts = ts[:6]
		}
		parts = append(parts, "共同关键词："+strings.Join(ts, "、"))
	}
	if len(ex.ThesaurusHits) > 0 {
		var hs []string
		for i, h := range ex.ThesaurusHits {
			if i == 4 {
				break
			}
			hs = append(hs, h.Via+"≈"+h.Term)
		}
		parts = append(parts, "同义词："+strings.Join(hs, "、"))
	}
	parts = append(parts, ex.IndustryFit.Note, ex.TRLFit.Note, ex.BudgetFit.Note)
	if ex.SourceRegion.JingJin {
		parts = append(parts, "成果来自京津")
	}
	return strings.Join(parts, "；") + "。"
}
