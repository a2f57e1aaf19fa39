// Package searchdoc turns catalog listings into search index documents;
// the indexer, search and matching all use it, so a listing is described
// to the index one way only.
package searchdoc

import (
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// Need is the index document of a need.
func Need(n *techx.Need) search.Doc {
	d := search.Doc{Kind: search.KindNeed, ID: n.ID, OrgID: n.OrgID, Title: n.Title, Text: n.Description,
		Keywords: n.Keywords, Industry: n.Industry, County: n.County, TRL: n.MinTRL, Bottleneck: n.Bottleneck,
		Confidential: n.Confidential, Modes: n.CooperationModes}
	if n.BudgetWan != nil {
		v := int64(*n.BudgetWan) // Wan is already in units of 0.0001 万元
		d.BudgetUnits = &v
	}
	if n.PublishedAt != nil {
		d.PublishedAt = *n.PublishedAt
	}
	if n.ValidUntil != nil {
		d.ValidUntil = *n.ValidUntil
	}
	return d
}

// Result is the index document of a result.
func Result(r *techx.Result) search.Doc {
	d := search.Doc{Kind: search.KindResult, ID: r.ID, OrgID: r.OrgID, Title: r.Title, Text: r.Abstract,
		Keywords: r.Keywords, Institution: r.Institution, Industry: r.Industry, SourceRegion: r.SourceRegion,
		TRL: r.TRL, Modes: r.TransferModes}
	if r.PriceWan != nil {
		v := int64(*r.PriceWan)
		d.PriceUnits = &v
	}
	if r.PublishedAt != nil {
		d.PublishedAt = *r.PublishedAt
	}
	if r.ValidUntil != nil {
		d.ValidUntil = *r.ValidUntil
	}
	return d
}
