package search

import (
	"os"
)

// tuneConfigs are the relevance configurations compared by TestTune
// (TECHX_TUNE=1 go test ./search/ -run TestTune -v). Each changes the
// final defaults in one respect.
func tuneConfigs() []tuneConfig {
	var cs []tuneConfig
	add := func(name string, f func(m *matchParams)) {
		mp := defaultMatchParams
		f(&mp)
		cs = append(cs, tuneConfig{name, mp})
	}
	add("final", func(*matchParams) {})
	add("no hub penalty", func(m *matchParams) { m.hub = 0 })
	add("hub 0.2", func(m *matchParams) { m.hub = 0.2 })
	add("hub 0.4", func(m *matchParams) { m.hub = 0.4 })
	add("match: words 0.1 too", func(m *matchParams) { m.text.wWord = 0.1 })
	add("reverse: chars only", func(m *matchParams) { m.reverse.wWord = 0 })
	add("no discourse roles (need text ×1)", func(m *matchParams) { m.wWish, m.wContext = 1, 1 })
	add("wish ×2", func(m *matchParams) { m.wWish = 2 })
	add("wish ×4", func(m *matchParams) { m.wWish = 4 })
	add("context ×0.6", func(m *matchParams) { m.wContext = 0.6 })
	add("source title ×3", func(m *matchParams) { m.wTitle = 3 })
	add("no thesaurus expansion", func(m *matchParams) {
		for _, p := range []*params{&m.text, &m.search, &m.reverse} {
			p.expBoost = 0
		}
	})
	add("expansion boost 0.4", func(m *matchParams) {
		for _, p := range []*params{&m.text, &m.search, &m.reverse} {
			p.expBoost = 0.4
		}
	})
	add("no structured fit", func(m *matchParams) {
		m.indDiff, m.indRelated, m.indUnkn, m.trlBelow, m.trlNear, m.budNear, m.budOver = 1, 1, 1, 1, 1, 1, 1
	})
	add("industry different 0.6, over budget 0.88", func(m *matchParams) { m.indDiff, m.budOver = 0.6, 0.88 })
	add("search: no feedback", func(m *matchParams) { m.search.prfK = 0 })
	add("search: words only", func(m *matchParams) { m.search.wChar = 0; m.search.wWord = 1 })
	add("search: no listing prior", func(m *matchParams) { m.search.priorNoIndustry = 1 })
	if os.Getenv("TECHX_TUNE_EXTRA") != "" {
		add("match+reverse feedback 5 docs 0.1", func(m *matchParams) {
			for _, p := range []*params{&m.text, &m.reverse} {
				p.prfK, p.prfW = 5, 0.1
			}
		})
		add("search feedback 8 docs", func(m *matchParams) { m.search.prfK = 8 })
	}
	return cs
}
