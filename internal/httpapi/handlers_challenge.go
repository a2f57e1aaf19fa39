package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

// challengeView renders a challenge; the application count is shown to
// its organization and admins.
func challengeView(ch *techx.Challenge, v techx.Viewer, tx *techx.Taxonomy) gin.H {
	h := gin.H{"id": ch.ID, "need_id": ch.NeedID, "need_title": ch.NeedTitle, "industry": ch.Industry,
		"industry_name": tx.IndustryName(ch.Industry), "bottleneck": ch.Bottleneck, "org_id": ch.OrgID,
		"bounty_wan": ch.BountyWan.String(), "apply_until": ch.ApplyUntil.String(), "requirements": ch.Requirements,
		"status": ch.Status, "awarded_application_id": nullString(ch.AwardedApplicationID),
		"awarded_org_id": nullString(ch.AwardedOrgID), "deal_id": nullString(ch.DealID), "awarded_at": ch.AwardedAt,
		"created_at": ch.CreatedAt}
	if v.IsMember(ch.OrgID) || v.User.IsAdmin() {
		h["applications"] = ch.Applications
	}
	return h
}

func applicationView(a *techx.Application) gin.H {
	return gin.H{"id": a.ID, "challenge_id": a.ChallengeID, "org_id": a.OrgID, "organization_name": a.OrgName,
		"created_by": a.CreatedBy, "proposal": a.Proposal, "planned_trl": a.PlannedTRL, "price_wan": wanOrNil(a.PriceWan),
		"team": a.Team, "result_id": nullString(a.ResultID), "created_at": a.CreatedAt}
}

func (h *brokerHandlers) challengeOut(c *gin.Context, ch *techx.Challenge) gin.H {
	out := challengeView(ch, viewerOf(c), h.tx)
	out["accepting"] = ch.Accepting(h.now())
	return out
}

func (h *brokerHandlers) challengeCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.ChallengeInput
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		ch, err := h.challenges.CreateChallenge(c.Request.Context(), c.Param("id"), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, h.challengeOut(c, ch))
	}
}

func (h *brokerHandlers) challengeGet() gin.HandlerFunc {
	return func(c *gin.Context) {
		ch, err := h.challenges.FindChallengeByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, h.challengeOut(c, ch))
	}
}

func (h *brokerHandlers) challengeList() gin.HandlerFunc {
	return func(c *gin.Context) {
		var v techx.Validation
		f := techx.ChallengeFilter{Status: c.Query("status"), Cursor: c.Query("cursor"), PageSize: pageSize(c, &v)}
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		items, total, next, err := h.challenges.FindChallenges(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, len(items))
		for i, ch := range items {
			out[i] = h.challengeOut(c, ch)
		}
		writeList(c, out, total, next)
	}
}

func (h *brokerHandlers) applicationCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.ApplicationInput
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		a, err := h.challenges.Apply(c.Request.Context(), c.Param("id"), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, applicationView(a))
	}
}

func (h *brokerHandlers) applicationList() gin.HandlerFunc {
	return func(c *gin.Context) {
		items, err := h.challenges.FindApplications(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, len(items))
		for i, a := range items {
			out[i] = applicationView(a)
		}
		writeList(c, out, len(out), "")
	}
}

type awardRequest struct {
	ApplicationID string `json:"application_id"`
}

func (h *brokerHandlers) challengeAward() gin.HandlerFunc {
	return func(c *gin.Context) {
		var r awardRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		if r.ApplicationID == "" {
			writeError(c, &techx.Error{Code: techx.EINVALID, Message: "The request has invalid fields.",
				Fields: []techx.FieldError{{Field: "application_id", Message: "is required"}}})
			return
		}
		ch, d, err := h.challenges.Award(c.Request.Context(), c.Param("id"), r.ApplicationID)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, gin.H{"challenge": h.challengeOut(c, ch), "deal": dealView(d, viewerOf(c), h.tx)})
	}
}
