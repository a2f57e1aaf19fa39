package httpapi_test

import (
	"strings"
	"testing"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/techx"
)

func apply(e *apitest.Env, a *apitest.Actor, challenge string, body map[string]any) *apitest.Response {
	return e.Do(R{Method: "POST", Path: "/api/v1/challenges/" + challenge + "/applications", Token: a.Token, Body: body})
}

// TestChallengeLifecycle: posting, listing open first, applications (one
// per organization, none after apply_until), who sees which application,
// the award opening a deal at negotiating on a draft result made from the
// application, and the notifications on the way.
func TestChallengeLifecycle(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		// Only a published need of the caller's organization.
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.draftNeed + "/challenge", Token: f.enterprise.Token, Body: challengeBody()}).Want(t, 409)
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.draftNeed + "/challenge", Token: f.otherEnterprise.Token, Body: challengeBody()}).Want(t, 404)
		bad := challengeBody()
		bad["apply_until"] = "2001-01-01"
		bad["bounty_wan"] = "-1"
		p := e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/challenge", Token: f.enterprise.Token, Body: bad}).Want(t, 422).Problem(t)
		if s := string(mustJSON(p)); !strings.Contains(s, "apply_until") || !strings.Contains(s, "bounty_wan") {
			t.Fatalf("problem = %v", p)
		}
		c := e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/challenge", Token: f.enterprise.Token, Body: challengeBody()}).Want(t, 201).Map(t)
		cid := c["id"].(string)
		if c["bounty_wan"] != "500" || c["status"] != "open" || c["accepting"] != true || c["applications"].(float64) != 0 {
			t.Fatalf("challenge = %v", c)
		}
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/challenge", Token: f.enterprise.Token, Body: challengeBody()}).Want(t, 409)

		// A second, already closed for applications (its date passed).
		late := createNeed(t, e, f.enterprise, map[string]any{"title": "压力容器封头成形开裂"})
		publish(t, e, "needs", late, f.enterprise)
		lc := e.Do(R{Method: "POST", Path: "/api/v1/needs/" + late + "/challenge", Token: f.enterprise.Token, Body: challengeBody()}).Want(t, 201).Map(t)
		if err := e.App.DB.Gorm().Exec("UPDATE challenges SET apply_until = '2020-01-01' WHERE id = ?", lc["id"]).Error; err != nil {
			t.Fatal(err)
		}
		p = apply(e, f.institution, lc["id"].(string), applicationBody()).Want(t, 409).Problem(t)
		if !strings.Contains(p["detail"].(string), "2020-01-01") {
			t.Fatalf("late application refusal = %v", p)
		}

		// Anyone lists them, open first; the count of applications is the owner's.
		l := e.Do(R{Method: "GET", Path: "/api/v1/challenges"}).Want(t, 200).Map(t)
		if l["total"].(float64) != 2 {
			t.Fatalf("challenges = %v", l)
		}
		if _, ok := l["items"].([]any)[0].(map[string]any)["applications"]; ok {
			t.Fatal("anonymous callers see the application count")
		}

		// Institutions apply, once per organization.
		e.Do(R{Method: "POST", Path: "/api/v1/challenges/" + cid + "/applications", Token: f.otherEnterprise.Token, Body: applicationBody()}).Want(t, 403)
		apply(e, f.institution, cid, map[string]any{"proposal": "", "planned_trl": 12}).Want(t, 422)
		withOther := applicationBody()
		withOther["result_id"] = f.publishedResult
		apply(e, f.otherInstitution, cid, withOther).Want(t, 422) // not its result
		a1 := apply(e, f.institution, cid, applicationBody()).Want(t, 201).Map(t)
		apply(e, f.institution, cid, applicationBody()).Want(t, 409)
		// A colleague of the same organization is refused too.
		colleague := joinOrg(t, e, f.institution, techx.RoleInstitution)
		apply(e, colleague, cid, applicationBody()).Want(t, 409)
		a2 := apply(e, f.otherInstitution, cid, applicationBody()).Want(t, 201).Map(t)
		if a1["price_wan"] != "120.5" {
			t.Fatalf("application = %v", a1)
		}

		// The owner sees all; each applicant only its own.
		list := func(a *apitest.Actor) []string {
			var ids []string
			for _, x := range e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid + "/applications", Token: a.Token}).Want(t, 200).Map(t)["items"].([]any) {
				ids = append(ids, x.(map[string]any)["id"].(string))
			}
			return ids
		}
		if got := list(f.enterprise); len(got) != 2 {
			t.Fatalf("owner sees %v", got)
		}
		if got := list(f.institution); len(got) != 1 || got[0] != a1["id"] {
			t.Fatalf("applicant sees %v", got)
		}
		if got := list(f.otherEnterprise); len(got) != 0 {
			t.Fatalf("a stranger sees %v", got)
		}
		// The owner was notified of both applications.
		n := e.Do(R{Method: "GET", Path: "/api/v1/notifications?unread=true", Token: f.enterprise.Token}).Want(t, 200).Map(t)
		if n["total"].(float64) != 2 || !strings.Contains(string(mustJSON(n)), "challenge_application") {
			t.Fatalf("owner's notifications = %v", n)
		}

		// Award: the owner only, an application of this challenge only.
		e.Do(R{Method: "POST", Path: "/api/v1/challenges/" + cid + "/award", Token: f.otherEnterprise.Token, Body: map[string]any{"application_id": a1["id"]}}).Want(t, 403)
		e.Do(R{Method: "POST", Path: "/api/v1/challenges/" + cid + "/award", Token: f.enterprise.Token, Body: map[string]any{"application_id": "nope"}}).Want(t, 404)
		aw := e.Do(R{Method: "POST", Path: "/api/v1/challenges/" + cid + "/award", Token: f.enterprise.Token, Body: map[string]any{"application_id": a2["id"]}}).Want(t, 200).Map(t)
		ch, deal := aw["challenge"].(map[string]any), aw["deal"].(map[string]any)
		if ch["status"] != "closed" || ch["awarded_application_id"] != a2["id"] || ch["bounty_wan"] != "500" || ch["deal_id"] != deal["id"] ||
			ch["awarded_org_id"] != f.otherInstitution.OrgID {
			t.Fatalf("awarded challenge = %v", ch)
		}
		if deal["stage"] != "negotiating" || deal["result_org_id"] != f.otherInstitution.OrgID || deal["challenge_id"] != cid {
			t.Fatalf("award deal = %v", deal)
		}
		// The draft result belongs to the winner, made from its application.
		r := e.Do(R{Method: "GET", Path: "/api/v1/results/" + deal["result_id"].(string), Token: f.otherInstitution.Token}).Want(t, 200).Map(t)
		if r["status"] != "draft" || r["abstract"] != "激光-电弧复合焊接工艺改造" || r["trl"].(float64) != 7 || r["price_wan"] != "120.5" {
			t.Fatalf("draft result = %v", r)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/results/" + deal["result_id"].(string), Token: f.institution.Token}).Want(t, 404)
		// The winner is told; the deal is its.
		wn := e.Do(R{Method: "GET", Path: "/api/v1/notifications", Token: f.otherInstitution.Token}).Want(t, 200).Map(t)
		if !strings.Contains(string(mustJSON(wn)), "challenge_award") {
			t.Fatalf("winner's notifications = %v", wn)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/deals/" + deal["id"].(string), Token: f.otherInstitution.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: "/api/v1/deals/" + deal["id"].(string), Token: f.institution.Token}).Want(t, 404)
		// Closed: no second award, no more applications.
		e.Do(R{Method: "POST", Path: "/api/v1/challenges/" + cid + "/award", Token: f.enterprise.Token, Body: map[string]any{"application_id": a1["id"]}}).Want(t, 409)
		third := e.Register(techx.RoleInstitution)
		apply(e, third, cid, applicationBody()).Want(t, 409)
		// Open first.
		l = e.Do(R{Method: "GET", Path: "/api/v1/challenges?page_size=1"}).Want(t, 200).Map(t)
		if first := l["items"].([]any)[0].(map[string]any); first["status"] != "open" || l["next"] == nil {
			t.Fatalf("first page = %v", l)
		}
		l = e.Do(R{Method: "GET", Path: "/api/v1/challenges?page_size=1&cursor=" + l["next"].(string)}).Want(t, 200).Map(t)
		if second := l["items"].([]any)[0].(map[string]any); second["id"] != cid || l["next"] != nil {
			t.Fatalf("second page = %v", l)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/challenges?cursor=bogus"}).Want(t, 422)
	})
}

// TestChallengeBOLA: a challenge whose need went back to draft is gone for
// others; a stranger cannot award or read others' applications.
func TestChallengeBOLA(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		cid := e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/challenge", Token: f.enterprise.Token, Body: challengeBody()}).Want(t, 201).Map(t)["id"].(string)
		a := apply(e, f.institution, cid, applicationBody()).Want(t, 201).Map(t)
		before := e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid, Token: f.enterprise.Token}).Want(t, 200).Body
		e.Do(R{Method: "POST", Path: "/api/v1/challenges/" + cid + "/award", Token: f.otherEnterprise.Token, Body: map[string]any{"application_id": a["id"]}}).Want(t, 403)
		if got := e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid + "/applications", Token: f.otherInstitution.Token}).Want(t, 200).Map(t); got["total"].(float64) != 0 {
			t.Fatalf("another institution sees applications: %v", got)
		}
		after := e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid, Token: f.enterprise.Token}).Want(t, 200).Body
		if string(before) != string(after) {
			t.Fatalf("a refused award changed the challenge:\n%s\n%s", before, after)
		}
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/unpublish", Token: f.enterprise.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid}).Want(t, 404)
		e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid, Token: f.otherEnterprise.Token}).Want(t, 404)
		e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid, Token: f.institution.Token}).Want(t, 200) // an applicant
		e.Do(R{Method: "GET", Path: "/api/v1/challenges/" + cid, Token: f.enterprise.Token}).Want(t, 200)
		if l := e.Do(R{Method: "GET", Path: "/api/v1/challenges"}).Want(t, 200).Map(t); l["total"].(float64) != 0 {
			t.Fatalf("anonymous list = %v", l)
		}
	})
}

// joinOrg registers a second user into a's organization through an
// invitation.
func joinOrg(t *testing.T, e *apitest.Env, a *apitest.Actor, role techx.Role) *apitest.Actor {
	t.Helper()
	inv := e.Do(R{Method: "POST", Path: "/api/v1/organizations/" + a.OrgID + "/invitations", Token: a.Token}).Want(t, 201).Map(t)
	email := "colleague-" + a.UserID[len(a.UserID)-8:] + "@example.cn"
	e.Do(R{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{"email": email, "password": "correct-horse-battery",
		"name": "同事", "role": role, "invite_code": inv["invite_code"]}}).Want(t, 201)
	return e.Login(email, "correct-horse-battery", nil)
}
