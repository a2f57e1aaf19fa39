package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/techx-cz/techx/internal/apitest"
)

// createNeed posts a need as a (a valid one, changed by fields) and returns its id.
func createNeed(t testing.TB, e *apitest.Env, a *apitest.Actor, fields map[string]any) string {
	t.Helper()
	body := map[string]any{"title": "焊缝气孔多、返修率高", "description": "管件环缝焊接后探伤合格率低，返修多。", "industry": "pipeline",
		"keywords": []string{"焊接", "气孔"}, "budget_wan": "80", "min_trl": 6, "bottleneck": true,
		"cooperation_modes": []string{"transfer", "co-develop"}, "deadline": "2030-12-31", "confidential": false}
	for k, v := range fields {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	var m map[string]any
	e.Do(apitest.Req{Method: "POST", Path: "/api/v1/needs", Token: a.Token, Body: body}).Want(t, 201).JSON(t, &m)
	return m["id"].(string)
}

// createResult posts a result as a and returns its id.
func createResult(t testing.TB, e *apitest.Env, a *apitest.Actor, fields map[string]any) string {
	t.Helper()
	body := map[string]any{"title": "激光-电弧复合焊接工艺", "abstract": "针对厚壁管道环缝，采用激光-电弧复合热源，焊缝气孔率降低80%。",
		"industry": "pipeline", "trl": 7, "transfer_modes": []string{"license"}, "price_wan": 60,
		"patent_nos": []string{"201710601862.3"}, "keywords": []string{"激光焊接", "复合焊"}}
	for k, v := range fields {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	var m map[string]any
	e.Do(apitest.Req{Method: "POST", Path: "/api/v1/results", Token: a.Token, Body: body}).Want(t, 201).JSON(t, &m)
	return m["id"].(string)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
