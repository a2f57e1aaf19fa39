package search

import (
	"fmt"
	"os"
)

// tuneConfigs are the relevance configurations compared by TestTune
// (TECHX_TUNE=1 go test ./search/ -run TestTune -v). Each changes the
// final defaults in one respect; both Search and Match parameters are set.
func tuneConfigs() []tuneConfig {
	var cs []tuneConfig
	add := func(name string, f func(m *matchParams)) {
		mp := defaultMatchParams
		f(&mp)
		cs = append(cs, tuneConfig{name, mp})
	}
	both := func(f func(p *params)) func(m *matchParams) {
		return func(m *matchParams) { f(&m.text); f(&m.search); f(&m.reverse) }
	}
	families := func(w, b, u float64) func(p *params) {
		return func(p *params) { p.wAll, p.wAllBg, p.wAllU = w, b, u }
	}
	add("final", func(*matchParams) {})
	if os.Getenv("TECHX_TUNE_EXTRA") != "" {
		for _, tw := range []float64{1, 1.5, 3} {
			tw := tw
			add(fmt.Sprintf("src title %v", tw), func(m *matchParams) { m.wTitle = tw })
		}
		add("trl/budget stronger", func(m *matchParams) { m.trlNear, m.trlBelow, m.budNear, m.budOver = 0.9, 0.7, 0.9, 0.75 })
		add("trl/budget off", func(m *matchParams) { m.trlNear, m.trlBelow, m.budNear, m.budOver = 1, 1, 1, 1 })
		add("related 1", func(m *matchParams) { m.indRelated = 1 })
		return cs
	}
	add("match: words+bigrams 0.1 too", func(m *matchParams) { families(0.1, 0.1, 1)(&m.text) })
	add("reverse: chars only", func(m *matchParams) { families(0, 0, 1)(&m.reverse) })
	add("per-field gse words only", both(func(p *params) {
		p.wAll, p.wAllBg, p.wAllU = 0, 0, 0
		p.wTitle, p.wText, p.wKw, p.wInst = 3, 1, 2, 0.3
	}))
	add("per-field gse+bigram+char", both(func(p *params) {
		p.wAll, p.wAllBg, p.wAllU = 0, 0, 0
		p.wTitle, p.wText, p.wKw, p.wInst = 3, 1, 2, 0.3
		p.wTitleBg, p.wTextBg, p.wKwBg = 1.5, 0.5, 1
		p.wTitleU, p.wTextU, p.wKwU = 1, 1, 1
	}))
	add("combined: gse words only", both(families(1, 0, 0)))
	add("combined: cjk bigrams only", both(families(0, 1, 0)))
	add("combined: chars only", both(families(0, 0, 1)))
	add("combined: words+bigrams", both(families(1, 1, 0)))
	add("combined: all equal", both(families(1, 1, 1)))
	add("no thesaurus expansion", both(func(p *params) { p.expBoost = 0.0001 }))
	add("expansion boost 1.0", both(func(p *params) { p.expBoost = 1 }))
	add("no structure (match)", func(m *matchParams) {
		m.indDiff, m.indRelated, m.indUnkn, m.trlBelow, m.trlNear, m.budNear, m.budOver = 1, 1, 1, 1, 1, 1, 1
	})
	add("no feedback (search)", func(m *matchParams) { m.search.prfK = 0 })
	add("search feedback 8 docs", func(m *matchParams) { m.search.prfK = 8 })
	add("search feedback weight 0.3", func(m *matchParams) { m.search.prfW = 0.3 })
	add("match+reverse feedback 5 docs 0.1", func(m *matchParams) {
		for _, p := range []*params{&m.text, &m.reverse} {
			p.prfK, p.prfW = 5, 0.1
		}
	})
	add("no listing prior (search)", func(m *matchParams) { m.search.priorNoIndustry, m.search.priorNoTRL = 1, 1 })
	add("industry diff 0.85, unknown 0.5", func(m *matchParams) { m.indDiff, m.indRelated, m.indUnkn = 0.85, 0.92, 0.5 })
	return cs
}
