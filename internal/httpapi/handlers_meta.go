package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

func handleHealthz() gin.HandlerFunc {
	return func(c *gin.Context) { writeJSON(c, http.StatusOK, gin.H{"status": "ok"}) }
}

func handleReadyz(ready func(context.Context) (map[string]any, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if ready == nil {
			writeJSON(c, http.StatusOK, gin.H{"status": "ready"})
			return
		}
		details, err := ready(c.Request.Context())
		if details == nil {
			details = map[string]any{}
		}
		if err != nil {
			details["status"] = "not ready"
			details["error"] = techx.ErrorMessage(err)
			c.Header("Cache-Control", "no-store")
			writeJSON(c, http.StatusServiceUnavailable, details)
			return
		}
		details["status"] = "ready"
		writeJSON(c, http.StatusOK, details)
	}
}

func handleOpenAPI(doc []byte) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Data(http.StatusOK, "application/yaml; charset=utf-8", doc)
	}
}

func handleTaxonomy(t *techx.Taxonomy) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		writeJSON(c, http.StatusOK, gin.H{
			"industries": t.Industries, "counties": t.Counties, "zones": t.Zones,
			"source_regions": t.SourceRegions, "contract_types": t.ContractTypes,
			"transfer_modes": t.TransferModes, "targets": t.Targets, "indicators": t.Indicators,
		})
	}
}
