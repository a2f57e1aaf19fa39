package httpapi_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
)

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestConfidentialNeedKeySets checks the exact keys each role sees of a
// confidential need.
func TestConfidentialNeedKeySets(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		id := createNeed(t, e, f.enterprise, map[string]any{"confidential": true, "description": "机密工艺参数 X-42"})
		e.Do(R{Method: "POST", Path: "/api/v1/needs/" + id + "/publish", Token: f.enterprise.Token}).Want(t, 200)
		public := []string{"bottleneck", "confidential", "county", "county_name", "deadline", "id", "industry", "industry_name",
			"published_at", "stale", "status", "title", "valid_until"}
		whole := append(append([]string{}, public...), "budget_wan", "cooperation_modes", "created_at", "created_by", "description",
			"keywords", "min_trl", "moderation_reason", "org_id", "organization_name", "updated_at")
		sort.Strings(whole)
		for _, tc := range []struct {
			name  string
			actor *apitest.Actor
			want  []string
		}{
			{"anonymous", nil, public}, {"other enterprise", f.otherEnterprise, public}, {"institution", f.institution, public},
			{"owner", f.enterprise, whole}, {"broker", f.broker, whole}, {"admin", f.admin, whole},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tok := ""
				if tc.actor != nil {
					tok = tc.actor.Token
				}
				got := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + id, Token: tok}).Want(t, 200)
				if k := keys(got.Map(t)); !reflect.DeepEqual(k, tc.want) {
					t.Fatalf("keys = %v\nwant   %v", k, tc.want)
				}
				list := e.Do(R{Method: "GET", Path: "/api/v1/needs?q=X-42", Token: tok}).Want(t, 200).Map(t)
				wantHits := 0
				if len(tc.want) == len(whole) {
					wantHits = 1
				}
				if n := len(list["items"].([]any)); n != wantHits {
					t.Fatalf("q over confidential text: %d hits, want %d", n, wantHits)
				}
				if bytes.Contains(got.Body, []byte("X-42")) != (wantHits == 1) {
					t.Fatalf("confidential text visibility wrong: %s", got.Body)
				}
			})
		}
	})
}

func TestMassAssignmentRefused(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	f := newFixture(t, e)
	for _, field := range []string{"org_id", "status", "created_by", "valid_until", "created_at", "updated_at", "published_at", "id"} {
		t.Run(field, func(t *testing.T) {
			body := map[string]any{"title": "x", "industry": "auto", field: "2020-01-01"}
			p := e.Do(R{Method: "POST", Path: "/api/v1/needs", Token: f.enterprise.Token, Body: body}).Want(t, 422).Problem(t)
			if !strings.Contains(string(mustJSON(p)), field) {
				t.Fatalf("problem does not name %s: %v", field, p)
			}
			e.Do(R{Method: "PATCH", Path: "/api/v1/needs/" + f.draftNeed, Token: f.enterprise.Token, Body: map[string]any{field: "x"}}).Want(t, 422)
			e.Do(R{Method: "PATCH", Path: "/api/v1/results/" + f.draftResult, Token: f.institution.Token, Body: map[string]any{field: "x"}}).Want(t, 422)
		})
	}
	got := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.draftNeed, Token: f.enterprise.Token}).Want(t, 200).Map(t)
	if got["status"] != "draft" || got["org_id"] != f.enterprise.OrgID {
		t.Fatalf("need changed: %v", got)
	}
}

// TestBOLAUnchanged: refused writes by another organization leave the row as it was.
func TestBOLAUnchanged(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		before := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.publishedNeed, Token: f.enterprise.Token}).Want(t, 200).Body
		beforeR := e.Do(R{Method: "GET", Path: "/api/v1/results/" + f.publishedResult, Token: f.institution.Token}).Want(t, 200).Body
		for key, rs := range refusals {
			if !strings.Contains(key, "/needs") && !strings.Contains(key, "/results") {
				continue
			}
			for _, rf := range rs {
				if got := e.Do(rf.req(f)); got.Status != rf.status {
					t.Errorf("%s: %d, want %d", key, got.Status, rf.status)
				}
			}
		}
		after := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.publishedNeed, Token: f.enterprise.Token}).Want(t, 200).Body
		afterR := e.Do(R{Method: "GET", Path: "/api/v1/results/" + f.publishedResult, Token: f.institution.Token}).Want(t, 200).Body
		if !bytes.Equal(before, after) || !bytes.Equal(beforeR, afterR) {
			t.Fatalf("refused requests changed the rows:\n%s\n%s\n%s\n%s", before, after, beforeR, afterR)
		}
		// Drafts of another organization are invisible (404), published ones are visible.
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.draftNeed, Token: f.otherEnterprise.Token}).Want(t, 404)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.draftNeed, Token: f.broker.Token}).Want(t, 404)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.draftNeed}).Want(t, 404)
		e.Do(R{Method: "GET", Path: "/api/v1/results/" + f.draftResult, Token: f.otherInstitution.Token}).Want(t, 404)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.draftNeed, Token: f.admin.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.publishedNeed}).Want(t, 200)
	})
}

func TestStatusTransitions(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	f := newFixture(t, e)
	cases := []struct {
		kind   string
		steps  []string // actions applied in order
		last   int      // status of the last step
		status string
	}{
		{"needs", []string{"publish"}, 200, "published"},
		{"needs", []string{"close"}, 409, ""},
		{"needs", []string{"renew"}, 409, ""},
		{"needs", []string{"publish", "publish"}, 409, ""},
		{"needs", []string{"publish", "close"}, 200, "closed"},
		{"needs", []string{"publish", "close", "publish"}, 409, ""},
		{"needs", []string{"publish", "renew"}, 200, "published"},
		{"needs", []string{"publish", "unpublish"}, 200, "draft"},
		{"needs", []string{"publish", "unpublish", "publish"}, 200, "published"},
		{"results", []string{"publish"}, 200, "published"},
		{"results", []string{"withdraw"}, 409, ""},
		{"results", []string{"publish", "withdraw"}, 200, "withdrawn"},
		{"results", []string{"publish", "withdraw", "publish"}, 409, ""},
		{"results", []string{"publish", "withdraw", "renew"}, 409, ""},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+strings.Join(tc.steps, "-"), func(t *testing.T) {
			var id string
			owner := f.enterprise
			if tc.kind == "needs" {
				id = createNeed(t, e, owner, nil)
			} else {
				owner = f.institution
				id = createResult(t, e, owner, nil)
			}
			var got *apitest.Response
			for i, s := range tc.steps {
				got = e.Do(R{Method: "POST", Path: "/api/v1/" + tc.kind + "/" + id + "/" + s, Token: owner.Token})
				if i < len(tc.steps)-1 {
					got.Want(t, 200)
				}
			}
			got.Want(t, tc.last)
			if tc.status != "" && got.Map(t)["status"] != tc.status {
				t.Fatalf("status %v, want %s", got.Map(t)["status"], tc.status)
			}
			if tc.last == 409 && !strings.Contains(got.Problem(t)["detail"].(string), "allowed only from") {
				t.Fatalf("conflict does not name the allowed statuses: %s", got.Body)
			}
		})
	}
	// Publishing with a past deadline is refused; deleting a published need too.
	id := createNeed(t, e, f.enterprise, map[string]any{"deadline": "2020-01-01"})
	e.Do(R{Method: "POST", Path: "/api/v1/needs/" + id + "/publish", Token: f.enterprise.Token}).Want(t, 422)
	e.Do(R{Method: "DELETE", Path: "/api/v1/needs/" + f.publishedNeed, Token: f.enterprise.Token}).Want(t, 409)
	e.Do(R{Method: "DELETE", Path: "/api/v1/needs/" + id, Token: f.enterprise.Token}).Want(t, 204)
	e.Do(R{Method: "GET", Path: "/api/v1/needs/" + id, Token: f.enterprise.Token}).Want(t, 404)
	// Moderation: admins unpublish with a reason, which is kept.
	e.Do(R{Method: "POST", Path: "/api/v1/results/" + f.publishedResult + "/unpublish", Token: f.admin.Token}).Want(t, 422)
	m := e.Do(R{Method: "POST", Path: "/api/v1/results/" + f.publishedResult + "/unpublish", Token: f.admin.Token,
		Body: map[string]any{"reason": "虚假宣传"}}).Want(t, 200).Map(t)
	if m["status"] != "draft" || m["moderation_reason"] != "虚假宣传" {
		t.Fatalf("moderated = %v", m)
	}
}

func TestListingValidation(t *testing.T) {
	e := apitest.New(t, store.SQLite, appOptions())
	f := newFixture(t, e)
	long := strings.Repeat("长", 101)
	needCases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"title missing", map[string]any{"title": nil}, "title"},
		{"title empty", map[string]any{"title": "  "}, "title"},
		{"title too long", map[string]any{"title": long}, "title"},
		{"description too long", map[string]any{"description": strings.Repeat("字", 5001)}, "description"},
		{"industry unknown", map[string]any{"industry": "space"}, "industry"},
		{"county unknown", map[string]any{"county": "haidian"}, "county"},
		{"too many keywords", map[string]any{"keywords": strings.Split("a b c d e f g h i j k l m n o p q r s t u", " ")}, "keywords"},
		{"negative budget", map[string]any{"budget_wan": "-1"}, "budget_wan"},
		{"budget 5 decimals", map[string]any{"budget_wan": "1.00001"}, "budget_wan"},
		{"budget exponent", map[string]any{"budget_wan": "1e3"}, "budget_wan"},
		{"min_trl 0", map[string]any{"min_trl": 0}, "min_trl"},
		{"min_trl 10", map[string]any{"min_trl": 10}, "min_trl"},
		{"mode unknown", map[string]any{"cooperation_modes": []string{"gift"}}, "cooperation_modes"},
		{"deadline not a date", map[string]any{"deadline": "31/12/2030"}, "deadline"},
		{"bottleneck not bool", map[string]any{"bottleneck": "yes"}, "bottleneck"},
	}
	for _, tc := range needCases {
		t.Run("need/"+tc.name, func(t *testing.T) {
			body := map[string]any{"title": "x", "industry": "auto"}
			for k, v := range tc.body {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			p := e.Do(R{Method: "POST", Path: "/api/v1/needs", Token: f.enterprise.Token, Body: body}).Want(t, 422).Problem(t)
			if !strings.Contains(string(mustJSON(p["errors"])), `"`+tc.field+`"`) {
				t.Fatalf("errors do not name %s: %v", tc.field, p["errors"])
			}
		})
	}
	resultCases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"trl 10", map[string]any{"trl": 10}, "trl"},
		{"region unknown", map[string]any{"source_region": "mars"}, "source_region"},
		{"patent bad check", map[string]any{"patent_nos": []string{"201710601862.4"}}, "patent_nos"},
		{"patent bad type", map[string]any{"patent_nos": []string{"201770601862.3"}}, "patent_nos"},
		{"patent short", map[string]any{"patent_nos": []string{"2017106018"}}, "patent_nos"},
		{"price negative", map[string]any{"price_wan": -5}, "price_wan"},
		{"mode unknown", map[string]any{"transfer_modes": []string{"sell"}}, "transfer_modes"},
	}
	for _, tc := range resultCases {
		t.Run("result/"+tc.name, func(t *testing.T) {
			body := map[string]any{"title": "x", "industry": "auto"}
			for k, v := range tc.body {
				body[k] = v
			}
			p := e.Do(R{Method: "POST", Path: "/api/v1/results", Token: f.institution.Token, Body: body}).Want(t, 422).Problem(t)
			if !strings.Contains(string(mustJSON(p["errors"])), `"`+tc.field+`"`) {
				t.Fatalf("errors do not name %s: %v", tc.field, p["errors"])
			}
		})
	}
	// Good values: money as number or string, exact; patents normalised; null price = 面议.
	id := createResult(t, e, f.institution, map[string]any{"price_wan": 12.5, "patent_nos": []string{"cn 201310699744.2", "201710601862.3"}})
	m := e.Do(R{Method: "GET", Path: "/api/v1/results/" + id, Token: f.institution.Token}).Want(t, 200).Map(t)
	if m["price_wan"] != "12.5" || !reflect.DeepEqual(m["patent_nos"], []any{"CN201310699744.2", "CN201710601862.3"}) {
		t.Fatalf("result = %v", m)
	}
	m = e.Do(R{Method: "PATCH", Path: "/api/v1/results/" + id, Token: f.institution.Token, Body: map[string]any{"price_wan": nil}}).Want(t, 200).Map(t)
	if m["price_wan"] != nil || m["price_negotiable"] != true || m["title"] != "激光-电弧复合焊接工艺" {
		t.Fatalf("after PATCH price_wan=null: %v", m)
	}
	n := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.draftNeed, Token: f.enterprise.Token}).Want(t, 200).Map(t)
	if n["budget_wan"] != "80" || n["county"] != "botou" {
		t.Fatalf("need = %v", n)
	}
}

func TestListsPaginateAndFilter(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		for i := 0; i < 7; i++ {
			id := createNeed(t, e, f.enterprise, map[string]any{"industry": []string{"auto", "agri"}[i%2], "title": "需求 " + string(rune('A'+i))})
			e.Do(R{Method: "POST", Path: "/api/v1/needs/" + id + "/publish", Token: f.enterprise.Token}).Want(t, 200)
		}
		seen := map[string]bool{}
		cursor := ""
		pages := 0
		for {
			path := "/api/v1/needs?page_size=3"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			m := e.Do(R{Method: "GET", Path: path}).Want(t, 200).Map(t)
			if m["total"].(float64) != 8 {
				t.Fatalf("total = %v, want 8 published", m["total"])
			}
			for _, it := range m["items"].([]any) {
				id := it.(map[string]any)["id"].(string)
				if seen[id] {
					t.Fatalf("%s on two pages", id)
				}
				seen[id] = true
			}
			pages++
			if m["next"] == nil {
				break
			}
			cursor = m["next"].(string)
		}
		if len(seen) != 8 || pages != 3 {
			t.Fatalf("paged %d items in %d pages", len(seen), pages)
		}
		m := e.Do(R{Method: "GET", Path: "/api/v1/needs?industry=agri"}).Want(t, 200).Map(t)
		if m["total"].(float64) != 3 {
			t.Fatalf("industry=agri total %v", m["total"])
		}
		m = e.Do(R{Method: "GET", Path: "/api/v1/needs?status=draft", Token: f.otherEnterprise.Token}).Want(t, 200).Map(t)
		if m["total"].(float64) != 0 {
			t.Fatalf("another org sees drafts: %v", m)
		}
		m = e.Do(R{Method: "GET", Path: "/api/v1/needs?status=draft", Token: f.enterprise.Token}).Want(t, 200).Map(t)
		if m["total"].(float64) != 1 {
			t.Fatalf("owner drafts: %v", m["total"])
		}
		for _, bad := range []string{"page_size=0", "page_size=101", "page_size=1000000", "trl_min=11", "bottleneck=maybe", "cursor=abc!", "cursor=e30"} {
			e.Do(R{Method: "GET", Path: "/api/v1/needs?" + bad}).Want(t, 422)
		}
		// Stale: past valid_until it is flagged; renew brings it back.
		past := time.Now().UTC().Add(-time.Hour)
		if err := e.App.DB.Gorm().Exec("UPDATE needs SET valid_until = ? WHERE id = ?", past, f.publishedNeed).Error; err != nil {
			t.Fatal(err)
		}
		if m := e.Do(R{Method: "GET", Path: "/api/v1/needs/" + f.publishedNeed}).Want(t, 200).Map(t); m["stale"] != true {
			t.Fatalf("not stale: %v", m)
		}
		if m := e.Do(R{Method: "POST", Path: "/api/v1/needs/" + f.publishedNeed + "/renew", Token: f.enterprise.Token}).Want(t, 200).Map(t); m["stale"] != false {
			t.Fatalf("still stale after renew: %v", m)
		}
	})
}

func TestImport(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		count := func() float64 {
			return e.Do(R{Method: "GET", Path: "/api/v1/needs?status=draft", Token: f.enterprise.Token}).Want(t, 200).Map(t)["total"].(float64)
		}
		before := count()
		bad := "\ufeff标题 (title),行业代码 (industry),预算(万元) (budget_wan),是否卡脖子 (bottleneck),关键词 (keywords)\n" +
			"盐碱地改良,agri,50,是,盐碱地；改良\n" +
			"第二行,unknown-industry,20,否,x\n" +
			"第三行,auto,abc,否,y\n"
		p := e.Do(R{Method: "POST", Path: "/api/v1/needs/import", Token: f.enterprise.Token, Body: bad, ContentType: "text/csv"}).Want(t, 422).Problem(t)
		rows := p["rows"].([]any)
		if len(rows) != 2 || rows[0].(map[string]any)["row"].(float64) != 3 || rows[0].(map[string]any)["field"] != "industry" ||
			rows[1].(map[string]any)["row"].(float64) != 4 {
			t.Fatalf("rows = %v", rows)
		}
		if count() != before {
			t.Fatal("a refused import imported something")
		}
		good := strings.Replace(strings.Replace(bad, "unknown-industry", "agri", 1), "abc", "30.5", 1)
		m := e.Do(R{Method: "POST", Path: "/api/v1/needs/import", Token: f.enterprise.Token, Body: good, ContentType: "text/csv"}).Want(t, 201).Map(t)
		if m["imported"].(float64) != 3 || count() != before+3 {
			t.Fatalf("import = %v", m)
		}
		// XLSX through multipart, with the template's headers.
		tpl := e.Do(R{Method: "GET", Path: "/api/v1/results/import/template?format=xlsx"}).Want(t, 200)
		x, err := excelize.OpenReader(bytes.NewReader(tpl.Body))
		if err != nil {
			t.Fatal(err)
		}
		x.SetSheetRow("Sheet1", "A2", &[]any{"耐盐碱小麦品种", "节水抗旱", "agri", "beijing", 6, "license;transfer", "100", "CN201710601862.3", "旱碱麦"})
		var xb bytes.Buffer
		x.Write(&xb)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "results.xlsx")
		fw.Write(xb.Bytes())
		mw.Close()
		m = e.Do(R{Method: "POST", Path: "/api/v1/results/import", Token: f.institution.Token, Body: body.Bytes(), ContentType: mw.FormDataContentType()}).Want(t, 201).Map(t)
		if m["imported"].(float64) != 1 {
			t.Fatalf("xlsx import = %v", m)
		}
		r := e.Do(R{Method: "GET", Path: "/api/v1/results/" + m["ids"].([]any)[0].(string), Token: f.institution.Token}).Want(t, 200).Map(t)
		if r["trl"].(float64) != 6 || r["price_wan"] != "100" || r["status"] != "draft" {
			t.Fatalf("imported result = %v", r)
		}
		csvTpl := e.Do(R{Method: "GET", Path: "/api/v1/needs/import/template"}).Want(t, 200)
		if !strings.Contains(string(csvTpl.Body), "标题 (title)") {
			t.Fatalf("csv template: %s", csvTpl.Body)
		}
		// Over the row limit.
		var big strings.Builder
		big.WriteString("title,industry\n")
		for i := 0; i < 5001; i++ {
			big.WriteString("x,auto\n")
		}
		e.Do(R{Method: "POST", Path: "/api/v1/needs/import", Token: f.enterprise.Token, Body: big.String(), ContentType: "text/csv"}).Want(t, 422)
	})
}

func TestOutboxWrittenWithEveryChange(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFixture(t, e)
		var n int64
		e.App.DB.Gorm().WithContext(context.Background()).Raw("SELECT COUNT(*) FROM outbox WHERE entity_id = ?", f.publishedNeed).Scan(&n)
		if n != 2 { // create, publish
			t.Fatalf("outbox rows for a created+published need: %d, want 2", n)
		}
		_ = techx.KindNeed
	})
}
