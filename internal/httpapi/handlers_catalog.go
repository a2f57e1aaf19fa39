package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

// catalogHandlers serve needs and results.
type catalogHandlers struct {
	svc techx.CatalogService
	tx  *techx.Taxonomy
	now func() time.Time
	// deals, if set, discloses confidential needs to the result side of
	// accepted deals (issue 5; see disclosedTo).
	deals techx.DealService
}

func viewerOf(c *gin.Context) techx.Viewer {
	return techx.Viewer{User: techx.UserFromContext(c.Request.Context())}
}

func nullableTRL(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func wanOrNil(w *techx.Wan) any {
	if w == nil {
		return nil
	}
	return w.String()
}

func dateOrNil(d *techx.Date) any {
	if d == nil {
		return nil
	}
	return d.String()
}

// needView renders a need for the caller: a confidential need shows only
// its public fields to those who may not read it whole.
func needView(n *techx.Need, v techx.Viewer, tx *techx.Taxonomy, now time.Time, sees func(*techx.Need) bool) gin.H {
	h := gin.H{
		"id": n.ID, "title": n.Title, "industry": n.Industry, "industry_name": tx.IndustryName(n.Industry),
		"county": n.County, "county_name": tx.Name(n.County), "bottleneck": n.Bottleneck,
		"deadline": dateOrNil(n.Deadline), "confidential": n.Confidential, "status": n.Status,
		"stale": n.Stale(now), "valid_until": n.ValidUntil, "published_at": n.PublishedAt,
	}
	if n.Confidential && !v.SeesConfidential(n.OrgID) && (sees == nil || !sees(n)) {
		return h
	}
	h["org_id"], h["organization_name"], h["created_by"] = n.OrgID, n.OrgName, n.CreatedBy
	h["description"], h["keywords"], h["budget_wan"] = n.Description, n.Keywords, wanOrNil(n.BudgetWan)
	h["min_trl"], h["cooperation_modes"] = nullableTRL(n.MinTRL), n.CooperationModes
	h["moderation_reason"], h["created_at"], h["updated_at"] = n.ModerationReason, n.CreatedAt, n.UpdatedAt
	return h
}

// resultView renders a result.
func resultView(r *techx.Result, tx *techx.Taxonomy, now time.Time) gin.H {
	return gin.H{
		"id": r.ID, "org_id": r.OrgID, "institution": r.Institution, "created_by": r.CreatedBy,
		"title": r.Title, "abstract": r.Abstract, "industry": r.Industry, "industry_name": tx.IndustryName(r.Industry),
		"source_region": r.SourceRegion, "source_region_name": tx.Name(r.SourceRegion), "trl": nullableTRL(r.TRL),
		"transfer_modes": r.TransferModes, "price_wan": wanOrNil(r.PriceWan), "price_negotiable": r.PriceWan == nil,
		"patent_nos": r.PatentNos, "keywords": r.Keywords, "status": r.Status, "stale": r.Stale(now),
		"valid_until": r.ValidUntil, "published_at": r.PublishedAt, "moderation_reason": r.ModerationReason,
		"created_at": r.CreatedAt, "updated_at": r.UpdatedAt,
	}
}

// MaxPageSize is the largest page a list returns.
const MaxPageSize = 100

// listFilter reads the common list query parameters.
func listFilter(c *gin.Context) (techx.ListingFilter, error) {
	var v techx.Validation
	f := techx.ListingFilter{
		Industry: c.Query("industry"), County: c.Query("county"), SourceRegion: c.Query("source_region"),
		Status: c.Query("status"), OrgID: c.Query("org_id"), Q: strings.TrimSpace(c.Query("q")), Cursor: c.Query("cursor"),
		PageSize: 20,
	}
	if s := c.Query("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= MaxPageSize, "page_size", "must be 1 to %d", MaxPageSize)
		f.PageSize = n
	}
	if s := c.Query("trl_min"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= 9, "trl_min", "must be 1 to 9")
		f.TRLMin = n
	}
	if s := c.Query("bottleneck"); s != "" {
		b, err := strconv.ParseBool(s)
		v.Check(err == nil, "bottleneck", "must be true or false")
		f.Bottleneck = &b
	}
	v.Check(len([]rune(f.Q)) <= 200, "q", "at most 200 characters")
	return f, v.Err()
}

func (h *catalogHandlers) needCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.NeedInput
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		n, err := h.svc.CreateNeed(c.Request.Context(), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, needView(n, viewerOf(c), h.tx, h.now(), nil))
	}
}

func (h *catalogHandlers) needGet() gin.HandlerFunc {
	return func(c *gin.Context) {
		n, err := h.svc.FindNeedByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, needView(n, viewerOf(c), h.tx, h.now(), disclosedTo(c, h.deals, n)))
	}
}

func (h *catalogHandlers) needList() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := listFilter(c)
		if err != nil {
			writeError(c, err)
			return
		}
		items, total, next, err := h.svc.FindNeeds(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, len(items))
		now := h.now()
		sees := disclosedTo(c, h.deals, items...)
		for i, n := range items {
			out[i] = needView(n, viewerOf(c), h.tx, now, sees)
		}
		writeList(c, out, total, next)
	}
}

// writeList renders every list of the API as {items, total, next}.
func writeList[T any](c *gin.Context, items []T, total int, next string) {
	var nx any
	if next != "" {
		nx = next
	}
	writeJSON(c, http.StatusOK, gin.H{"items": items, "total": total, "next": nx})
}

func (h *catalogHandlers) needPatch() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.NeedInput
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		n, err := h.svc.UpdateNeed(c.Request.Context(), c.Param("id"), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, needView(n, viewerOf(c), h.tx, h.now(), nil))
	}
}

func (h *catalogHandlers) needDelete() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h.svc.DeleteNeed(c.Request.Context(), c.Param("id")); err != nil {
			writeError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

type actionRequest struct {
	Reason string `json:"reason"`
}

// readAction reads the optional {"reason"} body of a state action.
func readAction(c *gin.Context) (string, error) {
	if c.Request.ContentLength == 0 {
		return "", nil
	}
	var r actionRequest
	if err := decode(c, &r); err != nil {
		return "", err
	}
	if len([]rune(r.Reason)) > 500 {
		return "", &techx.Error{Code: techx.EINVALID, Message: "The reason is too long.",
			Fields: []techx.FieldError{{Field: "reason", Message: "at most 500 characters"}}}
	}
	return r.Reason, nil
}

func (h *catalogHandlers) needAction(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		reason, err := readAction(c)
		if err != nil {
			writeError(c, err)
			return
		}
		n, err := h.svc.NeedAction(c.Request.Context(), c.Param("id"), action, reason)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, needView(n, viewerOf(c), h.tx, h.now(), nil))
	}
}

func (h *catalogHandlers) resultCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.ResultInput
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		r, err := h.svc.CreateResult(c.Request.Context(), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, resultView(r, h.tx, h.now()))
	}
}

func (h *catalogHandlers) resultGet() gin.HandlerFunc {
	return func(c *gin.Context) {
		r, err := h.svc.FindResultByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, resultView(r, h.tx, h.now()))
	}
}

func (h *catalogHandlers) resultList() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := listFilter(c)
		if err != nil {
			writeError(c, err)
			return
		}
		items, total, next, err := h.svc.FindResults(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, len(items))
		now := h.now()
		for i, r := range items {
			out[i] = resultView(r, h.tx, now)
		}
		writeList(c, out, total, next)
	}
}

func (h *catalogHandlers) resultPatch() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.ResultInput
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		r, err := h.svc.UpdateResult(c.Request.Context(), c.Param("id"), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, resultView(r, h.tx, h.now()))
	}
}

func (h *catalogHandlers) resultDelete() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h.svc.DeleteResult(c.Request.Context(), c.Param("id")); err != nil {
			writeError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

func (h *catalogHandlers) resultAction(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		reason, err := readAction(c)
		if err != nil {
			writeError(c, err)
			return
		}
		r, err := h.svc.ResultAction(c.Request.Context(), c.Param("id"), action, reason)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, resultView(r, h.tx, h.now()))
	}
}

// writeImportError renders an import refused for row errors.
func writeImportError(c *gin.Context, err error) bool {
	var ie *techx.ImportError
	if !errors.As(err, &ie) {
		return false
	}
	p := Problem{Type: ProblemType + techx.EINVALID, Title: titleOf[techx.EINVALID], Status: http.StatusUnprocessableEntity,
		Detail: strconv.Itoa(len(ie.Rows)) + " problem(s) in the file; nothing was imported.", Code: techx.EINVALID,
		Instance: c.Request.URL.Path, RequestID: techx.RequestIDFromContext(c.Request.Context()), Rows: ie.Rows}
	writeProblem(c, p)
	return true
}
