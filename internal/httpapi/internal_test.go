package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestPanicBecomesProblem(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logBuf, nil))
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(requestID(), accessLog(log, nil), recovery(log))
	r.GET("/boom", func(c *gin.Context) { panic("secret internal detail") })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if strings.Contains(w.Body.String(), "secret internal detail") {
		t.Fatal("the panic's detail leaked into the response")
	}
	var p Problem
	json.Unmarshal(w.Body.Bytes(), &p)
	if p.Code != "internal" || p.RequestID == "" {
		t.Fatalf("problem = %+v", p)
	}
	if !strings.Contains(logBuf.String(), p.RequestID) || !strings.Contains(logBuf.String(), "secret internal detail") {
		t.Fatalf("panic not logged with the request id: %s", logBuf.String())
	}
}
