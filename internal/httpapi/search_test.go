package httpapi_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/store"
)

func publish(t *testing.T, e *apitest.Env, kind, id string, a *apitest.Actor) {
	t.Helper()
	e.Do(R{Method: "POST", Path: "/api/v1/" + kind + "/" + id + "/publish", Token: a.Token}).Want(t, 200)
}

func TestSearchAndMatchThroughTheAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		secret := createNeed(t, e, f.enterprise, map[string]any{"title": "反应釜搪瓷层修补", "confidential": true,
			"description": "保密配方 锆钛催化剂 泄漏", "keywords": []string{"锆钛催化剂"}, "industry": "green-chem"})
		publish(t, e, "needs", secret, f.enterprise)
		e.WaitIndexed()

		q := func(tok, query string) map[string]any {
			return e.Do(R{Method: "GET", Path: "/api/v1/search?q=" + url.QueryEscape(query), Token: tok}).Want(t, 200).Map(t)
		}
		// The published result is found by its subject; the draft is not.
		m := q("", "激光 复合焊接")
		if m["total"].(float64) < 1 || !strings.Contains(string(mustJSON(m["hits"])), f.publishedResult) {
			t.Fatalf("search hits = %v", m["hits"])
		}
		if strings.Contains(string(mustJSON(m)), f.draftResult) {
			t.Fatal("a draft was found by search")
		}
		// Query syntax characters neither error nor change the meaning.
		for _, s := range []string{`激光 +复合焊接`, `激光:复合焊接`, `"激光`, `激光^2 (复合焊接)`, `*?~`, `a AND b OR`, `\`, `[]{}`} {
			q("", s)
		}
		// Confidential text: anonymous callers and other organizations do not find it.
		for _, tok := range []string{"", f.otherEnterprise.Token, f.institution.Token} {
			got := q(tok, "锆钛催化剂")
			if strings.Contains(string(mustJSON(got)), secret) || strings.Contains(string(mustJSON(got)), "锆钛") {
				t.Fatalf("confidential text leaked through search: %v", got)
			}
		}
		// Brokers and the owner do, highlights included.
		for _, tok := range []string{f.broker.Token, f.enterprise.Token} {
			got := q(tok, "锆钛催化剂")
			if !strings.Contains(string(mustJSON(got["hits"])), secret) {
				t.Fatalf("broker/owner does not find the confidential need: %v", got)
			}
		}
		// Public fields of a confidential need stay searchable by anyone.
		if got := q("", "搪瓷层修补"); !strings.Contains(string(mustJSON(got["hits"])), secret) {
			t.Fatalf("title of a confidential need not searchable: %v", got)
		}
		// Matches: a need's matches rank the result, scores in [0,1], explained.
		mm := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.publishedNeed + "/matches", Token: f.enterprise.Token}).Want(t, 200).Map(t)
		ms := mm["matches"].([]any)
		if len(ms) == 0 || ms[0].(map[string]any)["id"] != f.publishedResult {
			t.Fatalf("need matches = %v", ms)
		}
		if s := ms[0].(map[string]any)["score"].(float64); s <= 0 || s > 1 {
			t.Fatalf("score %v outside (0,1]", s)
		}
		// The matches of a confidential need are not for other organizations.
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + secret + "/matches", Token: f.institution.Token}).Want(t, 403)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + secret + "/matches"}).Want(t, 403)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + secret + "/matches", Token: f.broker.Token}).Want(t, 200)
		// A result's matches never show a confidential need's text to the institution.
		rm := e.Do(R{Method: "GET", Path: "/api/v1/results/" + f.publishedResult + "/matches?limit=50", Token: f.institution.Token}).Want(t, 200)
		if strings.Contains(string(rm.Body), "锆钛") || strings.Contains(string(rm.Body), "保密配方") {
			t.Fatalf("confidential text in result matches: %s", rm.Body)
		}
		// Feedback by the owner and by a broker.
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/matches/" + f.publishedResult + "/feedback", Token: f.enterprise.Token,
			Body: map[string]any{"useful": true, "reason": "工艺对口"}}).Want(t, 201)
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/matches/" + f.publishedResult + "/feedback", Token: f.broker.Token,
			Body: map[string]any{"useful": false}}).Want(t, 201)
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/matches/" + f.publishedResult + "/feedback", Token: f.broker.Token,
			Body: map[string]any{}}).Want(t, 422)
		// Withdrawn results leave the index.
		e.Do(R{Method: "POST", Path: "/api/v1/results/" + f.publishedResult + "/withdraw", Token: f.institution.Token}).Want(t, 200)
		e.WaitIndexed()
		if got := q("", "激光 复合焊接"); strings.Contains(string(mustJSON(got)), f.publishedResult) {
			t.Fatal("a withdrawn result is still found")
		}
		for _, bad := range []string{"kind=both", "page_size=1000000", "trl_min=0", "price_max=abc", "cursor=zzz", "q=" + strings.Repeat("长", 201)} {
			e.Do(R{Method: "GET", Path: "/api/v1/search?" + bad}).Want(t, 422)
		}
		r := e.Do(R{Method: "GET", Path: "/readyz"}).Want(t, 200).Map(t)
		if r["index_lag"].(float64) != 0 {
			t.Fatalf("index lag %v after catching up", r["index_lag"])
		}
	})
}

func TestEmptyQueryWithFiltersLists(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	f := newFixture(t, e)
	e.WaitIndexed()
	m := e.Do(R{Method: "GET", Path: "/api/v1/search?kind=result&industry=pipeline"}).Want(t, 200).Map(t)
	if m["total"].(float64) != 1 {
		t.Fatalf("filter-only search = %v", m)
	}
	_ = f
}
