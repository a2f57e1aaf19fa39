package search

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
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

// matchParams are the structured-fit effects and query-source weights,
// chosen by measurement (search/DESIGN.md).
type matchParams struct {
	text    params // text parameters of MatchNeed
	search  params // parameters of Search (used by evaluation)
	reverse params // text parameters of MatchResult
	// weights of the query sources: a need's title, its wish sentences,
	// its context clauses and the rest of its description (see
	// discourse.go); a result's title and text; keywords
	wTitle, wWish, wContext, wText, wKw   float64
	indSame, indRelated, indDiff, indUnkn float64
	trlMeets, trlNear, trlBelow           float64
	budWithin, budNear, budOver           float64
	fresh, old                            float64
	// hub: share of a result's hub score (its mean score against its
	// nearest needs) taken off its text score in MatchNeed (0 = off; see
	// hub.go)
	hub float64
}

// matchTextParams are the text weights of MatchNeed: a whole need
// description against result texts ranks best on single characters alone
// (measured: words, bigrams or thesaurus expansions added to them rank
// lower). Words still drive the explanation (MatchedTerms, ThesaurusHits).
var matchTextParams = func() params {
	p := defaultParams
	p.wWord, p.wChar = 0, 1
	p.prfK = 0 // feedback hurts long queries (measured)
	return p
}()

// reverseTextParams are the text weights of MatchResult: single characters
// with words (and so thesaurus expansions) as a light addition.
var reverseTextParams = func() params {
	p := defaultParams
	p.wWord, p.wChar = 0.1, 1
	p.prfK = 0
	return p
}()

var defaultMatchParams = matchParams{
	text:    matchTextParams,
	reverse: reverseTextParams,
	search:  defaultParams,
	wTitle:  2, wWish: 3, wContext: 0.3, wText: 1, wKw: 1.5,
	indSame: 1, indRelated: 0.8, indDiff: 0.7, indUnkn: 0.4,
	trlMeets: 1, trlNear: 0.95, trlBelow: 0.85,
	budWithin: 1, budNear: 0.95, budOver: 0.8,
	fresh: 1, old: 0.95,
	hub: 0.3,
}

// scoreHalf is the text score mapped to relevance 0.5.
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

// sourceSpec is the weighted query text of a listing matched against the
// other kind: a need by the discourse roles of its description, a result
// by its ranked text (without limitation clauses).
func sourceSpec(src Doc, viewer Viewer, mp matchParams) textSpec {
	spec := textSpec{parts: []textPart{{text: src.Title, w: mp.wTitle}}}
	if src.Kind == KindNeed && src.Confidential && !canSee(viewer, src.OrgID) {
		return spec
	}
	if src.Kind == KindNeed {
		wish, context, problem := needRoles(src.Text)
		spec.parts = append(spec.parts, textPart{text: wish, w: mp.wWish}, textPart{text: context, w: mp.wContext},
			textPart{text: problem, w: mp.wText})
	} else {
		spec.parts = append(spec.parts, textPart{text: rankedText(src.Kind, src.Text), w: mp.wText})
	}
	if len(src.Keywords) > 0 {
		spec.parts = append(spec.parts, textPart{text: strings.Join(src.Keywords, "\n"), w: mp.wKw})
	}
	return spec
}

func (ix *Index) match(ctx context.Context, src Doc, target string, viewer Viewer, limit int, mp matchParams) ([]Match, error) {
	if limit <= 0 {
		limit = 10
	}
	if limit > MaxSize {
		limit = MaxSize
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	terms, words := ix.queryTerms(sourceSpec(src, viewer, mp), src.Industry, mp.text)
	now := ix.now()
	rx := ix.rx
	rx.mu.RLock()
	defer rx.mu.RUnlock()
	q := rx.resolve(terms)
	if q.n == 0 {
		return nil, nil
	}
	n := uint32(len(rx.meta))
	sc := getScratch(int(n))
	defer scratchPool.Put(sc)
	rx.accumulate(q, viewer, sc)
	f := rx.filter(now.UnixNano(), target, "", "", "", 0, nil, nil)
	self, hasSelf := rx.byID[docID(src.Kind, src.ID)]
	// best-first: candidates by text relevance, which bounds the final
	// score (the hub penalty and every fit effect only lower it), so the
	// hub and fits are computed only while a candidate can still enter
	var hub *hubScorer
	if target == KindResult && mp.hub > 0 {
		hub = rx.hubScorer()
	}
	// a max-heap by text score, then slot
	cs := &sliceHeap[cand]{less: func(a, b cand) bool {
		if a.ts != b.ts {
			return a.ts > b.ts
		}
		return a.s < b.s
	}}
	for s := uint32(0); s < n; s++ {
		ts := q.textScore(sc, s)
		if ts == 0 || (hasSelf && s == self) || !rx.keep(f, s) {
			continue
		}
		cs.hs = append(cs.hs, cand{s, ts})
	}
	heap.Init(cs)
	col := newCollector(rx, limit)
	for cs.Len() > 0 {
		c := heap.Pop(cs).(cand)
		ts := c.ts
		if col.beaten(ts / (ts + scoreHalf)) {
			break
		}
		if hub != nil {
			ts = max(0, ts-mp.hub*hub.score(c.s))
		}
		ind, trl, bud, fr := ix.fits(src, target, rx.candidate(c.s), now, mp)
		col.offer(ranked{slot: c.s, score: math.Min(1, ts/(ts+scoreHalf)*ind.Effect*trl.Effect*bud.Effect*fr.Effect)})
	}
	out := make([]Match, 0, limit)
	for _, h := range col.sorted() {
		m := &rx.meta[h.slot]
		kind, id := splitDocID(m.id)
		ex := ix.explain(src, target, rx.candidate(h.slot), now, mp)
		ex.MatchedTerms, ex.ThesaurusHits = rx.matchedWords(h.slot, words, viewer)
		ex.Text = summary(ex, target)
		out = append(out, Match{Kind: kind, ID: id, Score: h.score, Explanation: ex})
	}
	return out, nil
}

// cand is a match candidate and its text score.
type cand struct {
	s  uint32
	ts float64
}

// candidate is slot s's structured fields (read lock held).
func (rx *rankIndex) candidate(s uint32) candidate {
	m := &rx.meta[s]
	fl := rx.flags[s]
	c := candidate{industry: rx.strs[m.industry], region: rx.strs[m.region], trl: m.trl}
	if fl&flHasPrice != 0 {
		p := m.price
		c.price = &p
	}
	if fl&flHasBudget != 0 {
		b := m.budget
		c.budget = &b
	}
	if m.published != 0 {
		c.published = time.Unix(0, m.published).UTC()
	}
	return c
}

// matchedWords lists the query words found in slot s's view the viewer may
// see, longest first, and those of them that came from the thesaurus
// (read lock held).
func (rx *rankIndex) matchedWords(s uint32, words []qterm, v Viewer) ([]string, []ThesaurusHit) {
	ids, conf := rx.viewTerms(s, v)
	var terms []string
	var hits []ThesaurusHit
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w.term] || (w.via != "" && !w.whole) || !rx.telling(w.term) || !rx.holds(ids, conf, famWord, w.term) {
			continue
		}
		seen[w.term] = true
		if w.via != "" {
			hits = append(hits, ThesaurusHit{Term: w.term, Via: w.via})
			continue
		}
		terms = append(terms, w.term)
	}
	sort.SliceStable(terms, func(i, j int) bool { return len([]rune(terms[i])) > len([]rune(terms[j])) })
	return terms, hits
}

// telling reports whether word is worth naming in an explanation: not a
// number, and (in an index of 50 listings or more) held by at most a fifth
// of the listings (read lock held).
func (rx *rankIndex) telling(word string) bool {
	digits := true
	for _, r := range word {
		if !unicode.IsDigit(r) && r != '.' && r != '%' {
			digits = false
			break
		}
	}
	if digits {
		return false
	}
	if rx.live < 50 {
		return true
	}
	id, ok := rx.dict[termKey(false, famWord, word)]
	return !ok || int(rx.lists[id].df)*5 <= rx.live
}

func canSee(v Viewer, org string) bool { return v.Full || (v.OrgID != "" && v.OrgID == org) }

type candidate struct {
	industry, region string
	trl              int
	price, budget    *int64
	published        time.Time
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

// fits computes the structured fits of candidate c for src: levels and
// effects (no notes).
func (ix *Index) fits(src Doc, target string, c candidate, now time.Time, mp matchParams) (ind, trl, bud, fresh Fit) {
	switch {
	case src.Industry == "" || c.industry == "":
		ind = Fit{Level: "unknown", Effect: mp.indUnkn}
	case src.Industry == c.industry:
		ind = Fit{Level: "same", Effect: mp.indSame}
	case ix.cfg.groups[src.Industry] != "" && ix.cfg.groups[src.Industry] == ix.cfg.groups[c.industry]:
		ind = Fit{Level: "related", Effect: mp.indRelated}
	default:
		ind = Fit{Level: "different", Effect: mp.indDiff}
	}
	needTRL, resTRL, budget, price := c.trl, src.TRL, c.budget, src.PriceUnits
	if target == KindResult {
		needTRL, resTRL, budget, price = src.TRL, c.trl, src.BudgetUnits, c.price
	}
	switch {
	case needTRL == 0 || resTRL == 0:
		trl = Fit{Level: "unknown", Effect: 1}
	case resTRL >= needTRL:
		trl = Fit{Level: "meets", Effect: mp.trlMeets}
	case resTRL == needTRL-1:
		trl = Fit{Level: "near", Effect: mp.trlNear}
	default:
		trl = Fit{Level: "below", Effect: mp.trlBelow}
	}
	switch {
	case budget == nil || price == nil:
		bud = Fit{Level: "unknown", Effect: 1}
	case *price <= *budget:
		bud = Fit{Level: "within", Effect: mp.budWithin}
	case *price*2 <= *budget*3:
		bud = Fit{Level: "near", Effect: mp.budNear}
	default:
		bud = Fit{Level: "over", Effect: mp.budOver}
	}
	pub := c.published
	switch {
	case pub.IsZero() || pub.Unix() <= 0:
		fresh = Fit{Level: "unknown", Effect: 1}
	case now.Sub(pub) > 2*365*24*time.Hour:
		fresh = Fit{Level: "old", Effect: mp.old}
	default:
		fresh = Fit{Level: "fresh", Effect: mp.fresh}
	}
	return ind, trl, bud, fresh
}

// explain computes the structured fits of candidate c for src, with their
// notes in Chinese.
func (ix *Index) explain(src Doc, target string, c candidate, now time.Time, mp matchParams) Explanation {
	var ex Explanation
	ex.IndustryFit, ex.TRLFit, ex.BudgetFit, ex.Freshness = ix.fits(src, target, c, now, mp)
	switch ex.IndustryFit.Level {
	case "unknown":
		ex.IndustryFit.Note = "行业未知"
	case "same":
		ex.IndustryFit.Note = "同属" + industryName(c.industry)
	case "related":
		ex.IndustryFit.Note = fmt.Sprintf("行业相近（%s／%s）", industryName(src.Industry), industryName(c.industry))
	default:
		ex.IndustryFit.Note = fmt.Sprintf("行业不同（%s／%s）", industryName(src.Industry), industryName(c.industry))
	}
	needTRL, resTRL, budget, price, region := c.trl, src.TRL, c.budget, src.PriceUnits, src.SourceRegion
	if target == KindResult {
		needTRL, resTRL, budget, price, region = src.TRL, c.trl, src.BudgetUnits, c.price, c.region
	}
	switch ex.TRLFit.Level {
	case "unknown":
		ex.TRLFit.Note = "成熟度未知"
	case "meets":
		ex.TRLFit.Note = fmt.Sprintf("成熟度TRL%d达到要求TRL%d", resTRL, needTRL)
	case "near":
		ex.TRLFit.Note = fmt.Sprintf("成熟度TRL%d略低于要求TRL%d", resTRL, needTRL)
	default:
		ex.TRLFit.Note = fmt.Sprintf("成熟度TRL%d低于要求TRL%d", resTRL, needTRL)
	}
	switch ex.BudgetFit.Level {
	case "unknown":
		ex.BudgetFit.Note = "价格或预算面议"
	case "within":
		ex.BudgetFit.Note = fmt.Sprintf("报价%s在预算%s内", wan(*price), wan(*budget))
	case "near":
		ex.BudgetFit.Note = fmt.Sprintf("报价%s略超预算%s", wan(*price), wan(*budget))
	default:
		ex.BudgetFit.Note = fmt.Sprintf("报价%s超出预算%s", wan(*price), wan(*budget))
	}
	ex.SourceRegion = RegionNote{Code: region, JingJin: region == "beijing" || region == "tianjin"}
	switch ex.Freshness.Level {
	case "unknown":
		ex.Freshness.Note = "发布时间未知"
	case "old":
		ex.Freshness.Note = "发布已超过两年"
	default:
		ex.Freshness.Note = "近两年发布"
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
