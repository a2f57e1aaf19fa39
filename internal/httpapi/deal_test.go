package httpapi_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
)

// The authorization fixture's brokering objects, made on first use.
var fixtureDeals, fixtureChallenges, fixtureSaved, fixtureNotes sync.Map

func once(m *sync.Map, f *fixture, make func() string) string {
	if id, ok := m.Load(f); ok {
		return id.(string)
	}
	id := make()
	m.Store(f, id)
	return id
}

// fixtureDeal is a deal the enterprise opened on its published need and
// the institution's published result.
func fixtureDeal(f *fixture) string {
	return once(&fixtureDeals, f, func() string {
		return openDeal(f.e.T, f.e, f.enterprise, f.publishedNeed, f.publishedResult)["id"].(string)
	})
}

// fixtureChallenge is a challenge on the enterprise's published need.
func fixtureChallenge(f *fixture) string {
	return once(&fixtureChallenges, f, func() string {
		return f.e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/challenge", Token: f.enterprise.Token,
			Body: challengeBody()}).Want(f.e.T, 201).Map(f.e.T)["id"].(string)
	})
}

// fixtureSavedSearch is a saved search of the enterprise's user.
func fixtureSavedSearch(f *fixture) string {
	return once(&fixtureSaved, f, func() string {
		return f.e.Do(R{Method: "POST", Path: "/api/v1/saved-searches", Token: f.enterprise.Token,
			Body: map[string]any{"kind": "result", "q": "焊接"}}).Want(f.e.T, 201).Map(f.e.T)["id"].(string)
	})
}

// fixtureNotification is a notification of the institution's user (the
// fixture deal's opening).
func fixtureNotification(f *fixture) string {
	return once(&fixtureNotes, f, func() string {
		fixtureDeal(f)
		l := f.e.Do(R{Method: "GET", Path: "/api/v1/notifications", Token: f.institution.Token}).Want(f.e.T, 200).Map(f.e.T)
		items := l["items"].([]any)
		if len(items) == 0 {
			f.e.T.Fatalf("the institution has no notification: %v", l)
		}
		return items[0].(map[string]any)["id"].(string)
	})
}

func refuseAt(method string, path func(f *fixture) string, who func(f *fixture) *apitest.Actor, body any, status int) refusal {
	return refusal{func(f *fixture) apitest.Req {
		r := apitest.Req{Method: method, Path: path(f), Body: body}
		if a := who(f); a != nil {
			r.Token = a.Token
		}
		return r
	}, status}
}

func dealRefusal(method, suffix string, who func(f *fixture) *apitest.Actor, body any, status int) refusal {
	return refuseAt(method, func(f *fixture) string { return "/api/v1/deals/" + fixtureDeal(f) + suffix }, who, body, status)
}

func challengeRefusal(method, suffix string, who func(f *fixture) *apitest.Actor, body any, status int) refusal {
	return refuseAt(method, func(f *fixture) string { return "/api/v1/challenges/" + fixtureChallenge(f) + suffix }, who, body, status)
}

func savedSearchRefusal(who func(f *fixture) *apitest.Actor, status int) refusal {
	return refuseAt("DELETE", func(f *fixture) string { return "/api/v1/saved-searches/" + fixtureSavedSearch(f) }, who, nil, status)
}

func notificationRefusal(who func(f *fixture) *apitest.Actor, status int) refusal {
	return refuseAt("POST", func(f *fixture) string { return "/api/v1/notifications/" + fixtureNotification(f) + "/read" }, who, nil, status)
}

func challengeBody() map[string]any {
	return map[string]any{"bounty_wan": "500", "apply_until": "2099-12-31", "requirements": "焊缝一次探伤合格率达到99%以上"}
}

func applicationBody() map[string]any {
	return map[string]any{"proposal": "激光-电弧复合焊接工艺改造", "planned_trl": 7, "price_wan": "120.5", "team": "焊接研究所 5 人"}
}

func openDeal(t testing.TB, e *apitest.Env, a *apitest.Actor, need, result string) map[string]any {
	t.Helper()
	return e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: a.Token,
		Body: map[string]any{"need_id": need, "result_id": result, "note": "初步对接"}}).Want(t, 201).Map(t)
}

func move(e *apitest.Env, a *apitest.Actor, id, stage, reason string) *apitest.Response {
	body := map[string]any{"stage": stage}
	if reason != "" {
		body["reason"] = reason
	}
	return e.Do(R{Method: "POST", Path: "/api/v1/deals/" + id + "/stage", Token: a.Token, Body: body})
}

func TestStageMoveTable(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		staff    bool
		code     string
	}{
		{"proposed", "contacted", false, ""},
		{"contacted", "negotiating", false, ""},
		{"negotiating", "signed", false, ""},
		{"proposed", "lost", false, ""},
		{"contacted", "lost", false, ""},
		{"negotiating", "lost", false, ""},
		{"lost", "proposed", true, ""},
		{"lost", "proposed", false, techx.EFORBIDDEN},
		{"proposed", "negotiating", false, techx.ECONFLICT},
		{"proposed", "signed", true, techx.ECONFLICT},
		{"contacted", "proposed", true, techx.ECONFLICT},
		{"negotiating", "contacted", false, techx.ECONFLICT},
		{"signed", "lost", true, techx.ECONFLICT},
		{"signed", "proposed", true, techx.ECONFLICT},
		{"lost", "contacted", true, techx.ECONFLICT},
		{"proposed", "proposed", false, techx.ECONFLICT},
		{"proposed", "won", false, techx.EINVALID},
	} {
		err := techx.CheckStageMove(tc.from, tc.to, tc.staff)
		if got := techx.ErrorCode(err); got != tc.code {
			t.Errorf("%s → %s (staff %v): code %q, want %q (%v)", tc.from, tc.to, tc.staff, got, tc.code, err)
		}
	}
	// The refusal names the allowed moves.
	if msg := techx.ErrorMessage(techx.CheckStageMove("contacted", "signed", false)); !strings.Contains(msg, "negotiating, lost") {
		t.Errorf("message %q does not name the allowed moves", msg)
	}
}

// TestDealStagesThroughTheAPI walks the transition table over HTTP on both
// databases: every allowed move, refused ones (409 naming what is
// allowed), lost with and without a reason, reopening, the timeline and
// signing's effect on the listings.
func TestDealStagesThroughTheAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		d := openDeal(t, e, f.enterprise, f.publishedNeed, f.publishedResult)
		id := d["id"].(string)
		if d["stage"] != "proposed" || d["opened_side"] != "need" || d["mode"] != "license" || len(d["timeline"].([]any)) != 1 {
			t.Fatalf("opened deal = %v", d)
		}
		// A second open deal on the pair is refused.
		e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.broker.Token,
			Body: map[string]any{"need_id": f.publishedNeed, "result_id": f.publishedResult}}).Want(t, 409)

		p := move(e, f.enterprise, id, "signed", "").Want(t, 409).Problem(t)
		if !strings.Contains(p["detail"].(string), "contacted, lost") {
			t.Fatalf("refusal does not name the allowed moves: %v", p)
		}
		// The result side may accept a deal the need's side opened.
		move(e, f.institution, id, "contacted", "").Want(t, 200)
		move(e, f.institution, id, "proposed", "").Want(t, 409)
		move(e, f.enterprise, id, "lost", "").Want(t, 422)
		move(e, f.enterprise, id, "lost", "cheap").Want(t, 422)
		move(e, f.enterprise, id, "negotiating", "price").Want(t, 422)
		move(e, f.enterprise, id, "lost", "price").Want(t, 200)
		// Only brokers and admins reopen.
		move(e, f.enterprise, id, "proposed", "").Want(t, 403)
		move(e, f.admin, id, "proposed", "").Want(t, 200)
		// A reopened deal waits for the need's acceptance again.
		move(e, f.institution, id, "contacted", "").Want(t, 403)
		move(e, f.enterprise, id, "contacted", "").Want(t, 200)
		move(e, f.institution, id, "negotiating", "").Want(t, 200)
		e.Do(R{Method: "POST", Path: "/api/v1/deals/" + id + "/notes", Token: f.institution.Token, Body: map[string]any{"note": "报价 60 万元"}}).Want(t, 201)
		e.Do(R{Method: "POST", Path: "/api/v1/deals/" + id + "/notes", Token: f.institution.Token, Body: map[string]any{"note": ""}}).Want(t, 422)
		s := move(e, f.enterprise, id, "signed", "").Want(t, 200).Map(t)
		if s["signed_at"] == nil || len(s["allowed_stages"].([]any)) != 0 {
			t.Fatalf("signed deal = %v", s)
		}
		move(e, f.enterprise, id, "lost", "other").Want(t, 409)

		got := e.Do(R{Method: "GET", Path: "/api/v1/deals/" + id, Token: f.institution.Token}).Want(t, 200).Map(t)
		var steps []string
		for _, x := range got["timeline"].([]any) {
			ev := x.(map[string]any)
			if ev["actor_id"] == "" || ev["at"] == nil {
				t.Fatalf("timeline entry without who or when: %v", ev)
			}
			s := ev["kind"].(string)
			if ev["to"] != nil {
				s += ":" + ev["to"].(string)
			}
			if ev["reason"] != nil {
				s += "(" + ev["reason"].(string) + ")"
			}
			steps = append(steps, s)
		}
		want := "opened:proposed stage:contacted stage:lost(price) stage:proposed stage:contacted stage:negotiating note stage:signed"
		if strings.Join(steps, " ") != want {
			t.Fatalf("timeline = %v\nwant     %v", strings.Join(steps, " "), want)
		}
		// Signing matched the need; a licence does not transfer the result.
		need := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.publishedNeed, Token: f.enterprise.Token}).Want(t, 200).Map(t)
		result := e.Do(R{Method: "GET", Path: "/api/v1/results/" + f.publishedResult, Token: f.institution.Token}).Want(t, 200).Map(t)
		if need["status"] != "matched" || result["status"] != "published" {
			t.Fatalf("after signing a licence: need %v, result %v", need["status"], result["status"])
		}
		// The signed deal's parties may record its contract.
		if _, _, err := e.App.Deals.FindSignedDealParties(t.Context(), id); err != nil {
			t.Fatalf("FindSignedDealParties: %v", err)
		}
	})
}

func TestSigningATransferTransfersTheResult(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	f := newFixture(t, e)
	r := createResult(t, e, f.institution, map[string]any{"transfer_modes": []string{"transfer", "license"}, "patent_nos": nil})
	publish(t, e, "results", r, f.institution)
	d := e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.broker.Token,
		Body: map[string]any{"need_id": f.publishedNeed, "result_id": r}}).Want(t, 201).Map(t)
	id := d["id"].(string)
	if d["mode"] != "transfer" || d["broker_id"] != f.broker.UserID || d["opened_side"] != "broker" {
		t.Fatalf("deal = %v", d)
	}
	// The broker cannot accept for the need's organization.
	move(e, f.broker, id, "contacted", "").Want(t, 403)
	move(e, f.enterprise, id, "contacted", "").Want(t, 200)
	move(e, f.broker, id, "negotiating", "").Want(t, 200)
	move(e, f.broker, id, "signed", "").Want(t, 200)
	got := e.Do(R{Method: "GET", Path: "/api/v1/results/" + r, Token: f.institution.Token}).Want(t, 200).Map(t)
	if got["status"] != "transferred" {
		t.Fatalf("result after a signed transfer: %v", got["status"])
	}
	// A deal on a result that is not published is refused.
	e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.broker.Token,
		Body: map[string]any{"need_id": f.publishedNeed, "result_id": r}}).Want(t, 409)
	e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.broker.Token,
		Body: map[string]any{"need_id": f.publishedNeed, "result_id": f.draftResult}}).Want(t, 404)
	fresh := createNeed(t, e, f.enterprise, nil)
	publish(t, e, "needs", fresh, f.enterprise)
	e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.institution.Token,
		Body: map[string]any{"need_id": fresh, "result_id": f.draftResult}}).Want(t, 409)
	e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.institution.Token,
		Body: map[string]any{"need_id": f.publishedNeed, "result_id": f.publishedResult}}).Want(t, 404) // matched now
	e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.otherInstitution.Token,
		Body: map[string]any{"need_id": f.publishedNeed, "result_id": f.draftResult}}).Want(t, 404)
	e.Do(R{Method: "POST", Path: "/api/v1/deals", Token: f.broker.Token,
		Body: map[string]any{"need_id": f.publishedNeed, "result_id": f.publishedResult, "mode": "gift"}}).Want(t, 422)
}

// TestDealBOLA: another tenant neither sees nor changes a deal, and the
// row stays as it was.
func TestDealBOLA(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		id := openDeal(t, e, f.enterprise, f.publishedNeed, f.publishedResult)["id"].(string)
		before := e.Do(R{Method: "GET", Path: "/api/v1/deals/" + id, Token: f.enterprise.Token}).Want(t, 200).Body
		for _, a := range []*apitest.Actor{f.otherEnterprise, f.otherInstitution, f.broker} {
			e.Do(R{Method: "GET", Path: "/api/v1/deals/" + id, Token: a.Token}).Want(t, 404)
			move(e, a, id, "lost", "price").Want(t, 404)
			e.Do(R{Method: "POST", Path: "/api/v1/deals/" + id + "/notes", Token: a.Token, Body: map[string]any{"note": "x"}}).Want(t, 404)
			e.Do(R{Method: "POST", Path: "/api/v1/deals/" + id + "/assign", Token: a.Token, Body: map[string]any{"broker_id": f.broker.UserID}}).Want(t, 404)
			l := e.Do(R{Method: "GET", Path: "/api/v1/deals", Token: a.Token}).Want(t, 200).Map(t)
			if l["total"].(float64) != 0 {
				t.Fatalf("another tenant lists the deal: %v", l)
			}
		}
		after := e.Do(R{Method: "GET", Path: "/api/v1/deals/" + id, Token: f.enterprise.Token}).Want(t, 200).Body
		if string(before) != string(after) {
			t.Fatalf("refused requests changed the deal:\n%s\n%s", before, after)
		}
		// Assigned, the broker sees it, lists it and has it in its pipeline.
		e.Do(R{Method: "POST", Path: "/api/v1/deals/" + id + "/assign", Token: f.enterprise.Token,
			Body: map[string]any{"broker_id": f.enterprise.UserID}}).Want(t, 422)
		e.Do(R{Method: "POST", Path: "/api/v1/deals/" + id + "/assign", Token: f.enterprise.Token,
			Body: map[string]any{"broker_id": f.broker.UserID}}).Want(t, 200)
		e.Do(R{Method: "GET", Path: "/api/v1/deals/" + id, Token: f.broker.Token}).Want(t, 200)
		l := e.Do(R{Method: "GET", Path: "/api/v1/deals?broker_id=" + f.broker.UserID + "&stage=proposed&industry=pipeline", Token: f.broker.Token}).Want(t, 200).Map(t)
		if l["total"].(float64) != 1 {
			t.Fatalf("broker's deals = %v", l)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/deals?stage=won", Token: f.broker.Token}).Want(t, 422)
		if l := e.Do(R{Method: "GET", Path: "/api/v1/deals?idle_days=1", Token: f.admin.Token}).Want(t, 200).Map(t); l["total"].(float64) != 0 {
			t.Fatalf("a fresh deal is idle: %v", l)
		}
		if l := e.Do(R{Method: "GET", Path: "/api/v1/deals", Token: f.admin.Token}).Want(t, 200).Map(t); l["total"].(float64) != 1 {
			t.Fatalf("admin's deals = %v", l)
		}
		// Idle for 20 days: it shows in the pipeline.
		if err := e.App.DB.Gorm().Exec("UPDATE deals SET last_activity_at = ? WHERE id = ?", e.App.DB.Now().AddDate(0, 0, -20), id).Error; err != nil {
			t.Fatal(err)
		}
		p := e.Do(R{Method: "GET", Path: "/api/v1/brokers/me/pipeline", Token: f.broker.Token}).Want(t, 200).Map(t)
		if p["open"].(float64) != 1 || p["counts"].(map[string]any)["proposed"].(float64) != 1 || len(p["idle"].([]any)) != 1 {
			t.Fatalf("pipeline = %v", p)
		}
		if l := e.Do(R{Method: "GET", Path: "/api/v1/deals?idle_days=14", Token: f.broker.Token}).Want(t, 200).Map(t); l["total"].(float64) != 1 {
			t.Fatalf("idle deals = %v", l)
		}
	})
}

// TestConfidentialDisclosureAfterAcceptance: the result side reads a
// confidential need whole only once the need's organization accepted the
// deal, and not after the deal is lost.
func TestConfidentialDisclosureAfterAcceptance(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		secret := createNeed(t, e, f.enterprise, map[string]any{"confidential": true, "description": "保密工艺参数 锆钛配方"})
		publish(t, e, "needs", secret, f.enterprise)
		listed := true // the need is in the list while published
		sees := func(a *apitest.Actor) bool {
			body := string(e.Do(R{Method: "GET", Path: "/api/v1/needs/" + secret, Token: a.Token}).Want(t, 200).Body)
			list := string(e.Do(R{Method: "GET", Path: "/api/v1/needs?page_size=100", Token: a.Token}).Want(t, 200).Body)
			if listed && strings.Contains(body, "锆钛配方") != strings.Contains(list, "锆钛配方") {
				t.Fatalf("need and list disagree on disclosure: %s / %s", body, list)
			}
			return strings.Contains(body, "锆钛配方")
		}
		if sees(f.institution) {
			t.Fatal("the institution reads the confidential need before any deal")
		}
		d := openDeal(t, e, f.institution, secret, f.publishedResult)
		id := d["id"].(string)
		if strings.Contains(string(mustJSON(d)), "锆钛配方") {
			t.Fatalf("the deal leaks the need's text: %v", d)
		}
		if sees(f.institution) {
			t.Fatal("the institution reads the confidential need before acceptance")
		}
		// The result side cannot accept for the need's organization.
		move(e, f.institution, id, "contacted", "").Want(t, 403)
		if sees(f.institution) {
			t.Fatal("disclosed without consent")
		}
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + secret + "/matches", Token: f.institution.Token}).Want(t, 403)
		move(e, f.enterprise, id, "contacted", "").Want(t, 200)
		if !sees(f.institution) {
			t.Fatal("the institution does not read the need after acceptance")
		}
		// After acceptance the result side sees the need's matches too; others still do not.
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + secret + "/matches", Token: f.institution.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + secret + "/matches", Token: f.otherInstitution.Token}).Want(t, 403)
		if sees(f.otherInstitution) {
			t.Fatal("another institution reads the confidential need")
		}
		move(e, f.institution, id, "negotiating", "").Want(t, 200)
		move(e, f.enterprise, id, "signed", "").Want(t, 200)
		listed = false
		if !sees(f.institution) {
			t.Fatal("the signed deal's result side lost sight of the matched need")
		}
		// A lost deal discloses nothing (a second deal, lost after acceptance).
		other := createNeed(t, e, f.enterprise, map[string]any{"confidential": true, "description": "另一保密需求 钒电池"})
		publish(t, e, "needs", other, f.enterprise)
		id2 := openDeal(t, e, f.institution, other, f.publishedResult)["id"].(string)
		move(e, f.enterprise, id2, "contacted", "").Want(t, 200)
		move(e, f.enterprise, id2, "lost", "too_early").Want(t, 200)
		if b := string(e.Do(R{Method: "GET", Path: "/api/v1/needs/" + other, Token: f.institution.Token}).Want(t, 200).Body); strings.Contains(b, "钒电池") {
			t.Fatalf("a lost deal still discloses: %s", b)
		}
	})
}
