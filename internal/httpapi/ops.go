package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/httpapi/docsui"
	"github.com/techx-cz/techx/internal/techx"
)

// docsCSP lets the /docs page run the embedded Redoc and nothing else:
// scripts only from this origin, inline styles (Redoc's styled-components),
// its search worker from a blob: URL, and data: images and fonts.
const docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// inFlight counts the requests being served (metrics).
func inFlight(add func(delta int)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if add == nil {
			c.Next()
			return
		}
		add(1)
		defer add(-1)
		c.Next()
	}
}

// handleMetrics serves the Prometheus registry, or 404 when the program
// was built without one.
func handleMetrics(h http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if h == nil {
			writeError(c, techx.Errorf(techx.ENOTFOUND, "Metrics are not enabled."))
			return
		}
		c.Header("Cache-Control", "no-store")
		h.ServeHTTP(c.Writer, c.Request)
	}
}

// handleDocs serves the Redoc page for api/openapi.yaml.
func handleDocs() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Security-Policy", docsCSP)
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("Referrer-Policy", "no-referrer")
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/html; charset=utf-8", docsui.Index)
	}
}

var redocETag = func() string {
	s := sha256.Sum256(docsui.RedocJS)
	return `"` + hex.EncodeToString(s[:8]) + `"`
}()

// handleDocsJS serves the embedded Redoc bundle.
func handleDocsJS() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("Cache-Control", "public, max-age=86400")
		c.Header("ETag", redocETag)
		if c.GetHeader("If-None-Match") == redocETag {
			c.Status(http.StatusNotModified)
			return
		}
		c.Data(http.StatusOK, "text/javascript; charset=utf-8", docsui.RedocJS)
	}
}
