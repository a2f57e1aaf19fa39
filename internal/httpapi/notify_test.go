package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/apitest"
)

// inbox returns the actor's notifications of kind for listing (all when
// listing is "").
func inbox(t *testing.T, e *apitest.Env, a *apitest.Actor, kind, listing string) []map[string]any {
	t.Helper()
	var out []map[string]any
	l := e.Do(R{Method: "GET", Path: "/api/v1/notifications?page_size=100", Token: a.Token}).Want(t, 200).Map(t)
	for _, x := range l["items"].([]any) {
		n := x.(map[string]any)
		if n["kind"] == kind && (listing == "" || n["listing_id"] == listing) {
			out = append(out, n)
		}
	}
	return out
}

// settle waits until the index has applied every write and the
// saved-search hook that runs after it has had its turn.
func settle(t *testing.T, e *apitest.Env, a *apitest.Actor, listing string, want int) []map[string]any {
	t.Helper()
	e.WaitIndexed()
	if want == 0 {
		time.Sleep(200 * time.Millisecond)
		return inbox(t, e, a, "saved_search_match", listing)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := inbox(t, e, a, "saved_search_match", listing)
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSavedSearchNotifiesOnce: a listing published, edited and
// republished notifies the saved search's owner exactly once; drafts,
// non-matching listings and confidential text the owner may not read do
// not notify.
func TestSavedSearchNotifiesOnce(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		e.WaitIndexed()
		// The enterprise watches results about welding; a broker watches needs in 新材料 with a keyword.
		ss := e.Do(R{Method: "POST", Path: "/api/v1/saved-searches", Token: f.enterprise.Token,
			Body: map[string]any{"kind": "result", "q": "复合焊接", "filters": map[string]any{"industry": "pipeline", "trl_min": 5}}}).Want(t, 201).Map(t)
		e.Do(R{Method: "POST", Path: "/api/v1/saved-searches", Token: f.enterprise.Token,
			Body: map[string]any{"kind": "result", "filters": map[string]any{"industry": "mars"}}}).Want(t, 422)
		e.Do(R{Method: "POST", Path: "/api/v1/saved-searches", Token: f.enterprise.Token, Body: map[string]any{}}).Want(t, 422)
		e.Do(R{Method: "POST", Path: "/api/v1/saved-searches", Token: f.enterprise.Token, Body: map[string]any{"q": "x", "owner": "y"}}).Want(t, 422)
		// The other enterprise watches the text of needs; it must not see confidential text.
		e.Do(R{Method: "POST", Path: "/api/v1/saved-searches", Token: f.otherEnterprise.Token,
			Body: map[string]any{"kind": "need", "q": "锆钛催化剂"}}).Want(t, 201)

		r := createResult(t, e, f.institution, map[string]any{"title": "厚壁管道激光复合焊接装备"})
		settle(t, e, f.enterprise, r, 0)
		if got := inbox(t, e, f.enterprise, "saved_search_match", r); len(got) != 0 {
			t.Fatalf("a draft notified: %v", got)
		}
		publish(t, e, "results", r, f.institution)
		got := settle(t, e, f.enterprise, r, 1)
		if len(got) != 1 || got[0]["saved_search_id"] != ss["id"] || got[0]["listing_kind"] != "result" || got[0]["read"] != false {
			t.Fatalf("after publishing: %v\nlog: %s", got, e.LogBuf.String()[max(0, len(e.LogBuf.String())-3000):])
		}
		// Edited while published, unpublished, edited, republished: still once.
		e.Do(R{Method: "PATCH", Path: "/api/v1/results/" + r, Token: f.institution.Token, Body: map[string]any{"abstract": "复合焊接，气孔率降低 90%"}}).Want(t, 200)
		e.Do(R{Method: "POST", Path: "/api/v1/results/" + r + "/unpublish", Token: f.institution.Token}).Want(t, 200)
		e.Do(R{Method: "PATCH", Path: "/api/v1/results/" + r, Token: f.institution.Token, Body: map[string]any{"title": "厚壁管道激光-电弧复合焊接装备"}}).Want(t, 200)
		publish(t, e, "results", r, f.institution)
		e.WaitIndexed()
		time.Sleep(300 * time.Millisecond)
		if got := inbox(t, e, f.enterprise, "saved_search_match", r); len(got) != 1 {
			t.Fatalf("notified %d times, want once: %v", len(got), got)
		}
		// A published result that does not match does not notify.
		other := createResult(t, e, f.institution, map[string]any{"title": "盐碱地改良微生物菌剂", "abstract": "改良土壤", "industry": "agri", "keywords": []string{"菌剂"}})
		publish(t, e, "results", other, f.institution)
		e.WaitIndexed()
		time.Sleep(200 * time.Millisecond)
		if got := inbox(t, e, f.enterprise, "saved_search_match", other); len(got) != 0 {
			t.Fatalf("a non-matching result notified: %v", got)
		}
		// Confidential text: the other enterprise is not told about a need
		// matching only in text it may not read.
		secret := createNeed(t, e, f.enterprise, map[string]any{"title": "反应釜搪瓷层修补", "confidential": true,
			"description": "保密配方 锆钛催化剂", "keywords": []string{"锆钛催化剂"}, "industry": "green-chem"})
		publish(t, e, "needs", secret, f.enterprise)
		e.WaitIndexed()
		time.Sleep(200 * time.Millisecond)
		if got := inbox(t, e, f.otherEnterprise, "saved_search_match", ""); len(got) != 0 {
			t.Fatalf("confidential text notified a stranger: %v", got)
		}

		// Saved searches are the owner's.
		l := e.Do(R{Method: "GET", Path: "/api/v1/saved-searches", Token: f.enterprise.Token}).Want(t, 200).Map(t)
		if l["total"].(float64) != 1 {
			t.Fatalf("saved searches = %v", l)
		}
		e.Do(R{Method: "DELETE", Path: "/api/v1/saved-searches/" + ss["id"].(string), Token: f.otherEnterprise.Token}).Want(t, 404)
		e.Do(R{Method: "DELETE", Path: "/api/v1/saved-searches/" + ss["id"].(string), Token: f.enterprise.Token}).Want(t, 204)
		e.Do(R{Method: "DELETE", Path: "/api/v1/saved-searches/" + ss["id"].(string), Token: f.enterprise.Token}).Want(t, 404)
		// The notification outlives its saved search.
		if got := inbox(t, e, f.enterprise, "saved_search_match", r); len(got) != 1 {
			t.Fatalf("after deleting the saved search: %v", got)
		}
	})
}

// TestNotificationsBOLA: another user's notification is 404 and stays
// unread; read and read-all work on one's own.
func TestNotificationsBOLA(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		id := openDeal(t, e, f.enterprise, f.publishedNeed, f.publishedResult)["id"].(string)
		move(e, f.enterprise, id, "contacted", "").Want(t, 200)
		mine := inbox(t, e, f.institution, "deal_opened", "")
		if len(mine) != 1 || mine[0]["deal_id"] != id {
			t.Fatalf("institution's inbox = %v", mine)
		}
		if len(inbox(t, e, f.institution, "deal_stage", "")) != 1 || len(inbox(t, e, f.enterprise, "deal_opened", "")) != 0 {
			t.Fatal("the parties are told about stage changes, not the actor about its own")
		}
		nid := mine[0]["id"].(string)
		for _, a := range []*apitest.Actor{f.enterprise, f.otherInstitution, f.broker, f.admin} {
			e.Do(R{Method: "POST", Path: "/api/v1/notifications/" + nid + "/read", Token: a.Token}).Want(t, 404)
			e.Do(R{Method: "POST", Path: "/api/v1/notifications/read-all", Token: a.Token}).Want(t, 200)
		}
		if u := e.Do(R{Method: "GET", Path: "/api/v1/notifications?unread=true", Token: f.institution.Token}).Want(t, 200).Map(t); u["total"].(float64) != 2 {
			t.Fatalf("others' requests changed the inbox: %v", u)
		}
		n := e.Do(R{Method: "POST", Path: "/api/v1/notifications/" + nid + "/read", Token: f.institution.Token}).Want(t, 200).Map(t)
		if n["read"] != true || n["read_at"] == nil {
			t.Fatalf("read = %v", n)
		}
		if u := e.Do(R{Method: "GET", Path: "/api/v1/notifications?unread=true", Token: f.institution.Token}).Want(t, 200).Map(t); u["total"].(float64) != 1 {
			t.Fatalf("unread = %v", u)
		}
		if r := e.Do(R{Method: "POST", Path: "/api/v1/notifications/read-all", Token: f.institution.Token}).Want(t, 200).Map(t); r["updated"].(float64) != 1 {
			t.Fatalf("read-all = %v", r)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/notifications?unread=maybe", Token: f.institution.Token}).Want(t, 422)
		if !strings.Contains(string(e.Do(R{Method: "GET", Path: "/api/v1/notifications", Token: f.institution.Token}).Want(t, 200).Body), `"read":true`) {
			t.Fatal("notifications not marked read")
		}
	})
}
