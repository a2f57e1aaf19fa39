package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

func savedSearchView(s *techx.SavedSearch) gin.H {
	return gin.H{"id": s.ID, "kind": nullString(s.Kind), "q": s.Q, "filters": gin.H{"industry": nullString(s.Industry),
		"county": nullString(s.County), "source_region": nullString(s.SourceRegion), "trl_min": nullableTRL(s.TRLMin),
		"bottleneck": s.Bottleneck}, "created_at": s.CreatedAt}
}

func notificationView(n *techx.Notification) gin.H {
	return gin.H{"id": n.ID, "kind": n.Kind, "message": n.Message, "deal_id": nullString(n.DealID),
		"challenge_id": nullString(n.ChallengeID), "saved_search_id": nullString(n.SavedSearchID),
		"listing_kind": nullString(n.ListingKind), "listing_id": nullString(n.ListingID), "read": n.ReadAt != nil,
		"read_at": n.ReadAt, "created_at": n.CreatedAt}
}

func (h *brokerHandlers) savedSearchCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		var in techx.SavedSearchInput
		if err := decode(c, &in); err != nil {
			writeError(c, err)
			return
		}
		s, err := h.inbox.CreateSavedSearch(c.Request.Context(), &in)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, savedSearchView(s))
	}
}

func (h *brokerHandlers) savedSearchList() gin.HandlerFunc {
	return func(c *gin.Context) {
		items, err := h.inbox.FindSavedSearches(c.Request.Context())
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, len(items))
		for i, s := range items {
			out[i] = savedSearchView(s)
		}
		writeList(c, out, len(out), "")
	}
}

func (h *brokerHandlers) savedSearchDelete() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h.inbox.DeleteSavedSearch(c.Request.Context(), c.Param("id")); err != nil {
			writeError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

func (h *brokerHandlers) notificationList() gin.HandlerFunc {
	return func(c *gin.Context) {
		var v techx.Validation
		f := techx.NotificationFilter{Cursor: c.Query("cursor"), PageSize: pageSize(c, &v)}
		if s := c.Query("unread"); s != "" {
			b, err := strconv.ParseBool(s)
			v.Check(err == nil, "unread", "must be true or false")
			f.Unread = b
		}
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		items, total, next, err := h.inbox.FindNotifications(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]gin.H, len(items))
		for i, n := range items {
			out[i] = notificationView(n)
		}
		writeList(c, out, total, next)
	}
}

func (h *brokerHandlers) notificationRead() gin.HandlerFunc {
	return func(c *gin.Context) {
		n, err := h.inbox.MarkRead(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, notificationView(n))
	}
}

func (h *brokerHandlers) notificationReadAll() gin.HandlerFunc {
	return func(c *gin.Context) {
		n, err := h.inbox.MarkAllRead(c.Request.Context())
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, gin.H{"updated": n})
	}
}
