package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

// brokerHandlers serve deals, challenges, saved searches and
// notifications (issue 5).
type brokerHandlers struct {
	deals      techx.DealService
	challenges techx.ChallengeService
	inbox      techx.NotificationService
	tx         *techx.Taxonomy
	now        func() time.Time
}

// disclosedTo returns the sees hook of needView: the confidential needs
// among needs that the caller's organization may read whole because it is
// the result side of an accepted deal on them. nil when nothing is
// disclosed (or deals are not wired); errors fail closed.
func disclosedTo(c *gin.Context, deals techx.DealService, needs ...*techx.Need) func(*techx.Need) bool {
	v := viewerOf(c)
	if deals == nil || v.User == nil || v.User.IsStaff() {
		return nil
	}
	var ids []string
	for _, n := range needs {
		if n.Confidential && !v.IsMember(n.OrgID) {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ok, err := deals.DisclosedNeeds(c.Request.Context(), ids)
	if err != nil {
		return nil
	}
	return func(n *techx.Need) bool { return ok[n.ID] }
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func dealEventView(e *techx.DealEvent) gin.H {
	return gin.H{"id": e.ID, "kind": e.Kind, "actor_id": e.ActorID, "at": e.At, "from": nullString(e.FromStage),
		"to": nullString(e.ToStage), "reason": nullString(e.Reason), "note": e.Note, "broker_id": nullString(e.BrokerID)}
}

// dealView renders a deal. It carries the need's title only (public even
// for a confidential need); the need's text is read at /needs/{id}.
func dealView(d *techx.Deal, v techx.Viewer, tx *techx.Taxonomy) gin.H {
	allowed := techx.NextStages(d.Stage, v.User.IsStaff())
	if allowed == nil {
		allowed = []string{}
	}
	h := gin.H{"id": d.ID, "need_id": d.NeedID, "result_id": d.ResultID, "need_org_id": d.NeedOrgID, "result_org_id": d.ResultOrgID,
		"need_title": d.NeedTitle, "result_title": d.ResultTitle, "industry": d.Industry, "industry_name": tx.IndustryName(d.Industry),
		"broker_id": nullString(d.BrokerID), "stage": d.Stage, "mode": d.Mode, "mode_name": tx.Name(d.Mode),
		"lost_reason": nullString(d.LostReason), "opened_by": d.OpenedBy, "opened_side": d.OpenedSide,
		"challenge_id": nullString(d.ChallengeID), "accepted": techx.DisclosingStage(d.Stage), "allowed_stages": allowed,
		"created_at": d.CreatedAt, "updated_at": d.UpdatedAt, "last_activity_at": d.LastActivityAt, "signed_at": d.SignedAt}
	if d.Timeline != nil {
		tl := make([]gin.H, len(d.Timeline))
		for i, e := range d.Timeline {
			tl[i] = dealEventView(e)
		}
		h["timeline"] = tl
	}
	return h
}

func (h *brokerHandlers) dealCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.NewDeal
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		d, err := h.deals.CreateDeal(c.Request.Context(), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, dealView(d, viewerOf(c), h.tx))
	}
}

func (h *brokerHandlers) dealGet() gin.HandlerFunc {
	return func(c *gin.Context) {
		d, err := h.deals.FindDealByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, dealView(d, viewerOf(c), h.tx))
	}
}

// pageSize reads page_size (default 20).
func pageSize(c *gin.Context, v *techx.Validation) int {
	n := 20
	if s := c.Query("page_size"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= MaxPageSize, "page_size", "must be 1 to %d", MaxPageSize)
	}
	return n
}

func (h *brokerHandlers) dealList() gin.HandlerFunc {
	return func(c *gin.Context) {
		var v techx.Validation
		f := techx.DealFilter{Stage: c.Query("stage"), BrokerID: c.Query("broker_id"), Industry: c.Query("industry"),
			Cursor: c.Query("cursor"), PageSize: pageSize(c, &v)}
		if s := c.Query("idle_days"); s != "" {
			n, err := strconv.Atoi(s)
			v.Check(err == nil && n >= 1 && n <= 3650, "idle_days", "must be 1 to 3650")
			f.IdleDays = n
		}
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		items, total, next, err := h.deals.FindDeals(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, len(items))
		for i, d := range items {
			out[i] = dealView(d, viewerOf(c), h.tx)
		}
		writeList(c, out, total, next)
	}
}

func (h *brokerHandlers) dealStage() gin.HandlerFunc {
	return func(c *gin.Context) {
		var m techx.StageMove
		if err := decode(c, &m); err != nil {
			writeError(c, err)
			return
		}
		d, err := h.deals.MoveDeal(c.Request.Context(), c.Param("id"), &m)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, dealView(d, viewerOf(c), h.tx))
	}
}

type noteRequest struct {
	Note string `json:"note"`
}

func (h *brokerHandlers) dealNote() gin.HandlerFunc {
	return func(c *gin.Context) {
		var r noteRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		e, err := h.deals.AddDealNote(c.Request.Context(), c.Param("id"), r.Note)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, dealEventView(e))
	}
}

type assignRequest struct {
	BrokerID string `json:"broker_id"`
}

func (h *brokerHandlers) dealAssign() gin.HandlerFunc {
	return func(c *gin.Context) {
		var r assignRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		if r.BrokerID == "" {
			writeError(c, &techx.Error{Code: techx.EINVALID, Message: "The request has invalid fields.",
				Fields: []techx.FieldError{{Field: "broker_id", Message: "is required"}}})
			return
		}
		d, err := h.deals.AssignDeal(c.Request.Context(), c.Param("id"), r.BrokerID)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, dealView(d, viewerOf(c), h.tx))
	}
}

func (h *brokerHandlers) pipeline() gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := h.deals.Pipeline(c.Request.Context())
		if err != nil {
			writeError(c, err)
			return
		}
		idle := make([]gin.H, len(p.Idle))
		for i, d := range p.Idle {
			idle[i] = dealView(d, viewerOf(c), h.tx)
		}
		writeJSON(c, http.StatusOK, gin.H{"counts": p.Counts, "open": p.Open, "idle_days": int(techx.IdleAfter / (24 * time.Hour)),
			"idle": idle})
	}
}
