package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/searchdoc"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// searchHandlers serve full-text search and matching.
type searchHandlers struct {
	ix       *search.Index
	listings techx.ListingStore
	cat      techx.CatalogService
	// deals, if set, discloses confidential needs to the result side of
	// accepted deals, as in the catalog views.
	deals techx.DealService
	tx    *techx.Taxonomy
	now   func() time.Time
}

// MaxQueryRunes caps the search text.
const MaxQueryRunes = 200

func searchViewer(v techx.Viewer) search.Viewer {
	if v.User == nil {
		return search.Viewer{}
	}
	return search.Viewer{OrgID: v.User.OrgID, Full: v.User.IsStaff()}
}

// needSummary is the short form of a need in hits and matches.
func needSummary(n *techx.Need, v techx.Viewer, tx *techx.Taxonomy, sees func(*techx.Need) bool) gin.H {
	h := gin.H{"id": n.ID, "title": n.Title, "industry": n.Industry, "industry_name": tx.IndustryName(n.Industry),
		"county": n.County, "county_name": tx.Name(n.County), "bottleneck": n.Bottleneck, "deadline": dateOrNil(n.Deadline),
		"confidential": n.Confidential, "published_at": n.PublishedAt}
	if !n.Confidential || v.SeesConfidential(n.OrgID) || (sees != nil && sees(n)) {
		h["organization_name"], h["budget_wan"], h["min_trl"] = n.OrgName, wanOrNil(n.BudgetWan), nullableTRL(n.MinTRL)
	}
	return h
}

// resultSummary is the short form of a result in hits and matches.
func resultSummary(r *techx.Result, tx *techx.Taxonomy) gin.H {
	return gin.H{"id": r.ID, "title": r.Title, "institution": r.Institution, "industry": r.Industry,
		"industry_name": tx.IndustryName(r.Industry), "source_region": r.SourceRegion, "source_region_name": tx.Name(r.SourceRegion),
		"trl": nullableTRL(r.TRL), "price_wan": wanOrNil(r.PriceWan), "published_at": r.PublishedAt}
}

func (h *searchHandlers) search() gin.HandlerFunc {
	return func(c *gin.Context) {
		var v techx.Validation
		req := search.SearchRequest{Q: c.Query("q"), Kind: c.Query("kind"), Industry: c.Query("industry"),
			County: c.Query("county"), SourceRegion: c.Query("source_region"), Cursor: c.Query("cursor"), Size: 20}
		v.Check(utf8.RuneCountInString(req.Q) <= MaxQueryRunes, "q", "at most %d characters", MaxQueryRunes)
		v.Check(req.Kind == "" || req.Kind == search.KindNeed || req.Kind == search.KindResult, "kind", "must be need or result")
		if s := c.Query("page_size"); s != "" {
			n, err := strconv.Atoi(s)
			v.Check(err == nil && n >= 1 && n <= MaxPageSize, "page_size", "must be 1 to %d", MaxPageSize)
			req.Size = n
		}
		if s := c.Query("trl_min"); s != "" {
			n, err := strconv.Atoi(s)
			v.Check(err == nil && n >= 1 && n <= 9, "trl_min", "must be 1 to 9")
			req.TRLMin = n
		}
		if s := c.Query("bottleneck"); s != "" {
			b, err := strconv.ParseBool(s)
			v.Check(err == nil, "bottleneck", "must be true or false")
			req.Bottleneck = &b
		}
		if s := c.Query("price_max"); s != "" {
			units, err := techx.ParseDecimal(s, 4)
			v.Check(err == nil && units >= 0, "price_max", "must be an amount in 万元 (at most 4 decimals)")
			req.PriceMaxUnits = &units
		}
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		viewer := viewerOf(c)
		req.Viewer = searchViewer(viewer)
		res, err := h.ix.Search(c.Request.Context(), req)
		if err == search.ErrBadCursor {
			writeError(c, &techx.Error{Code: techx.EINVALID, Message: "The cursor is not valid.",
				Fields: []techx.FieldError{{Field: "cursor", Message: "is not a cursor this API gave out"}}})
			return
		} else if err != nil {
			writeError(c, err)
			return
		}
		var needIDs, resultIDs []string
		for _, hit := range res.Hits {
			if hit.Kind == search.KindNeed {
				needIDs = append(needIDs, hit.ID)
			} else {
				resultIDs = append(resultIDs, hit.ID)
			}
		}
		needs, results, err := h.listings.ListingsByIDs(c.Request.Context(), needIDs, resultIDs)
		if err != nil {
			writeError(c, err)
			return
		}
		list := make([]*techx.Need, 0, len(needs))
		for _, n := range needs {
			list = append(list, n)
		}
		sees := disclosedTo(c, h.deals, list...)
		hits := make([]gin.H, 0, len(res.Hits))
		for _, hit := range res.Hits {
			out := gin.H{"kind": hit.Kind, "id": hit.ID, "score": hit.Score, "highlights": hit.Highlights}
			if hit.Highlights == nil {
				out["highlights"] = map[string][]string{}
			}
			if n, ok := needs[hit.ID]; ok && hit.Kind == search.KindNeed && viewer.CanSee(n.OrgID, n.Status) {
				out["title"], out["need"] = n.Title, needSummary(n, viewer, h.tx, sees)
			} else if r, ok := results[hit.ID]; ok && hit.Kind == search.KindResult && viewer.CanSee(r.OrgID, r.Status) {
				out["title"], out["result"] = r.Title, resultSummary(r, h.tx)
			} else {
				continue // changed since it was indexed; the follower will catch up
			}
			hits = append(hits, out)
		}
		facets := gin.H{}
		for name, fs := range res.Facets {
			list := make([]gin.H, len(fs))
			for i, f := range fs {
				list[i] = gin.H{"value": f.Value, "count": f.Count, "name": h.tx.Name(f.Value)}
			}
			facets[name] = list
		}
		var next any
		if res.Next != "" {
			next = res.Next
		}
		writeJSON(c, http.StatusOK, gin.H{"hits": hits, "total": res.Total, "facets": facets, "next": next})
	}
}

func explanationView(e search.Explanation) gin.H {
	hits := make([]gin.H, len(e.ThesaurusHits))
	for i, t := range e.ThesaurusHits {
		hits[i] = gin.H{"term": t.Term, "via": t.Via}
	}
	fit := func(f search.Fit) gin.H { return gin.H{"level": f.Level, "effect": f.Effect, "note": f.Note} }
	terms := e.MatchedTerms
	if terms == nil {
		terms = []string{}
	}
	return gin.H{"matched_terms": terms, "thesaurus_hits": hits, "industry_fit": fit(e.IndustryFit), "trl_fit": fit(e.TRLFit),
		"budget_fit": fit(e.BudgetFit), "freshness": fit(e.Freshness),
		"source_region": gin.H{"code": e.SourceRegion.Code, "jingjin": e.SourceRegion.JingJin}, "summary": e.Text}
}

func matchLimit(c *gin.Context) (int, error) {
	limit := 10
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return 0, &techx.Error{Code: techx.EINVALID, Message: "limit must be 1 to 50.",
				Fields: []techx.FieldError{{Field: "limit", Message: "must be 1 to 50"}}}
		}
		limit = n
	}
	return limit, nil
}

// needMatches: results for a need. The matches of a confidential need are
// for its organization, brokers and admins only.
func (h *searchHandlers) needMatches() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit, err := matchLimit(c)
		if err != nil {
			writeError(c, err)
			return
		}
		n, err := h.cat.FindNeedByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		viewer := viewerOf(c)
		if sees := disclosedTo(c, h.deals, n); n.Confidential && !viewer.SeesConfidential(n.OrgID) && (sees == nil || !sees(n)) {
			writeError(c, techx.Errorf(techx.EFORBIDDEN, "The matches of a confidential need are for its organization, brokers and admins."))
			return
		}
		ms, err := h.ix.MatchNeed(c.Request.Context(), searchdoc.Need(n), searchViewer(viewer), limit)
		if err != nil {
			writeError(c, err)
			return
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		_, results, err := h.listings.ListingsByIDs(c.Request.Context(), nil, ids)
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, 0, len(ms))
		for _, m := range ms {
			r, ok := results[m.ID]
			if !ok || !viewer.CanSee(r.OrgID, r.Status) {
				continue
			}
			out = append(out, gin.H{"id": m.ID, "score": m.Score, "explanation": explanationView(m.Explanation), "result": resultSummary(r, h.tx)})
		}
		writeJSON(c, http.StatusOK, gin.H{"need_id": n.ID, "matches": out})
	}
}

// resultMatches: needs for a result.
func (h *searchHandlers) resultMatches() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit, err := matchLimit(c)
		if err != nil {
			writeError(c, err)
			return
		}
		r, err := h.cat.FindResultByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		viewer := viewerOf(c)
		ms, err := h.ix.MatchResult(c.Request.Context(), searchdoc.Result(r), searchViewer(viewer), limit)
		if err != nil {
			writeError(c, err)
			return
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		needs, _, err := h.listings.ListingsByIDs(c.Request.Context(), ids, nil)
		if err != nil {
			writeError(c, err)
			return
		}
		list := make([]*techx.Need, 0, len(needs))
		for _, n := range needs {
			list = append(list, n)
		}
		sees := disclosedTo(c, h.deals, list...)
		out := make([]gin.H, 0, len(ms))
		for _, m := range ms {
			n, ok := needs[m.ID]
			if !ok || !viewer.CanSee(n.OrgID, n.Status) {
				continue
			}
			out = append(out, gin.H{"id": m.ID, "score": m.Score, "explanation": explanationView(m.Explanation), "need": needSummary(n, viewer, h.tx, sees)})
		}
		writeJSON(c, http.StatusOK, gin.H{"result_id": r.ID, "matches": out})
	}
}

type feedbackRequest struct {
	Useful *bool  `json:"useful"`
	Reason string `json:"reason"`
}

// matchFeedback stores the need owner's or a broker's judgment of a match.
func (h *searchHandlers) matchFeedback() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req feedbackRequest
		if err := decode(c, &req); err != nil {
			writeError(c, err)
			return
		}
		var v techx.Validation
		v.Check(req.Useful != nil, "useful", "is required (true or false)")
		v.Check(utf8.RuneCountInString(req.Reason) <= 500, "reason", "at most 500 characters")
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		ctx := c.Request.Context()
		n, err := h.cat.FindNeedByID(ctx, c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		viewer := viewerOf(c)
		if !viewer.IsMember(n.OrgID) && !viewer.User.IsStaff() {
			writeError(c, techx.Errorf(techx.EFORBIDDEN, "Only the need's organization or a broker judges its matches."))
			return
		}
		if _, err := h.cat.FindResultByID(ctx, c.Param("result_id")); err != nil {
			writeError(c, err)
			return
		}
		fb := &techx.MatchFeedback{NeedID: n.ID, ResultID: c.Param("result_id"), UserID: viewer.User.ID,
			Useful: *req.Useful, Reason: strings.TrimSpace(req.Reason)}
		if err := h.listings.SaveMatchFeedback(ctx, fb); err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, fb)
	}
}
