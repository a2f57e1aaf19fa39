package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/techx"
)

// contractBody is an inflow contract: a Beijing university licenses a
// welding process to a Botou enterprise. kv overrides top-level fields
// (nil deletes).
func contractBody(kv ...any) map[string]any {
	m := map[string]any{
		"title": "激光-电弧复合焊接工艺许可", "type": "license",
		"seller":      map[string]any{"name": "北京某大学", "region": "beijing"},
		"buyer":       map[string]any{"name": "泊头模具有限公司", "uscc": "91350100M000100Y43", "region": "botou"},
		"amount_yuan": "120000.00", "tech_amount_yuan": "100000.50", "signed_on": "2024-03-15", "industry": "laser",
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
		} else {
			m[kv[i].(string)] = kv[i+1]
		}
	}
	return m
}

var keySeq struct {
	sync.Mutex
	n int
}

func newKey() string {
	keySeq.Lock()
	defer keySeq.Unlock()
	keySeq.n++
	return fmt.Sprintf("key-%d", keySeq.n)
}

func postContract(e *apitest.Env, token, key string, body any) *apitest.Response {
	e.T.Helper()
	h := map[string]string{}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return e.Do(R{Method: "POST", Path: "/api/v1/contracts", Token: token, Body: body, Header: h})
}

// recordContract records a contract as the actor and returns it.
func recordContract(t *testing.T, e *apitest.Env, a *apitest.Actor, body any) map[string]any {
	t.Helper()
	return postContract(e, a.Token, newKey(), body).Want(t, 201).Map(t)
}

func fieldNamed(t *testing.T, p map[string]any, field string) bool {
	t.Helper()
	errs, _ := p["errors"].([]any)
	for _, fe := range errs {
		if fe.(map[string]any)["field"] == field {
			return true
		}
	}
	return false
}

func TestContractCreateAndIdempotency(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		broker := e.Register(techx.RoleBroker)
		first := postContract(e, broker.Token, "abc-1", contractBody()).Want(t, 201)
		c := first.Map(t)
		if c["direction"] != "inflow" || c["direction_name"] != "吸纳" || c["source_region"] != "beijing" || c["county"] != "botou" ||
			c["amount_yuan"] != "120000.00" || c["tech_amount_yuan"] != "100000.50" || c["status"] != "recorded" || c["type_name"] != "技术许可" {
			t.Fatalf("contract = %v", c)
		}
		// Same key, same body: the first response, byte for byte.
		again := postContract(e, broker.Token, "abc-1", contractBody()).Want(t, 201)
		if !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		// Same key, another body: refused.
		p := postContract(e, broker.Token, "abc-1", contractBody("amount_yuan", "1.00", "tech_amount_yuan", "1.00")).Want(t, 422).Problem(t)
		if !fieldNamed(t, p, "Idempotency-Key") {
			t.Fatalf("reused key problem = %v", p)
		}
		// No key: refused, nothing recorded.
		postContract(e, broker.Token, "", contractBody()).Want(t, 400).Problem(t)
		// Another user's key space is their own.
		other := e.Register(techx.RoleBroker)
		if o := postContract(e, other.Token, "abc-1", contractBody()).Want(t, 201).Map(t); o["id"] == c["id"] {
			t.Fatal("a key of another user replayed")
		}

		// Concurrent requests with one key: exactly one contract.
		const n = 8
		var wg sync.WaitGroup
		ids := make([]any, n)
		statuses := make([]int, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := postContract(e, broker.Token, "race", contractBody("signed_on", "2023-09-09"))
				statuses[i] = r.Status
				if r.Status == 201 {
					ids[i] = r.Map(t)["id"]
				}
			}(i)
		}
		wg.Wait()
		for i := range ids {
			if statuses[i] != 201 || ids[i] != ids[0] {
				t.Fatalf("request %d: status %d id %v; want 201 and %v", i, statuses[i], ids[i], ids[0])
			}
		}
		list := e.Do(R{Method: "GET", Path: "/api/v1/contracts?from=2023-09-09&to=2023-09-09", Token: broker.Token}).Want(t, 200).Map(t)
		if list["total"] != float64(1) {
			t.Fatalf("contracts after the race = %v, want 1", list["total"])
		}
	})
}

func TestContractValidation(t *testing.T) {
	e := apitest.New(t, "sqlite", appOptions())
	broker := e.Register(techx.RoleBroker)
	party := func(name, region string, kv ...string) map[string]any {
		m := map[string]any{"name": name, "region": region}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"three decimals", contractBody("amount_yuan", "1.005"), "amount_yuan"},
		{"exponent", contractBody("amount_yuan", "1e5"), "amount_yuan"},
		{"zero amount", contractBody("amount_yuan", "0", "tech_amount_yuan", "0"), "amount_yuan"},
		{"tech above amount", contractBody("tech_amount_yuan", "120000.01"), "tech_amount_yuan"},
		{"missing amount", contractBody("amount_yuan", nil), "amount_yuan"},
		{"future date", contractBody("signed_on", "2999-01-01"), "signed_on"},
		{"bad date", contractBody("signed_on", "15/03/2024"), "signed_on"},
		{"bad credit code", contractBody("buyer", party("泊头模具", "botou", "uscc", "91350100M000100Y42")), "buyer.uscc"},
		{"unknown region", contractBody("seller", party("某大学", "mars")), "seller.region"},
		{"neither party in Cangzhou", contractBody("buyer", party("天津某公司", "tianjin")), "buyer.region"},
		{"county not the Cangzhou party's", contractBody("county", "renqiu"), "county"},
		{"unknown industry", contractBody("industry", "mining"), "industry"},
		{"unknown type", contractBody("type", "gift"), "type"},
		{"unknown organization", contractBody("buyer", party("泊头模具", "botou", "org_id", "nope")), "buyer.org_id"},
		{"deals do not exist yet", contractBody("deal_id", "d-1"), "deal_id"},
		{"server-set field", contractBody("direction", "outflow"), "direction"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := postContract(e, broker.Token, newKey(), tc.body).Want(t, 422).Problem(t)
			if !fieldNamed(t, p, tc.field) {
				t.Fatalf("errors %v do not name %s", p["errors"], tc.field)
			}
		})
	}
	list := e.Do(R{Method: "GET", Path: "/api/v1/contracts", Token: broker.Token}).Want(t, 200).Map(t)
	if list["total"] != float64(0) {
		t.Fatalf("refused contracts were recorded: %v", list["total"])
	}
	// A registration number is unique.
	recordContract(t, e, broker, contractBody("registration_no", "1309002024000777"))
	postContract(e, broker.Token, newKey(), contractBody("registration_no", "1309002024000777")).Want(t, 409).Problem(t)
}

func TestContractLifecycleAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		broker := e.Register(techx.RoleBroker)
		admin := e.Admin()
		buyer := e.Register(techx.RoleEnterprise)
		stranger := e.Register(techx.RoleEnterprise)
		inst := e.Register(techx.RoleInstitution)
		c := recordContract(t, e, broker, contractBody("buyer", map[string]any{"name": "泊头模具有限公司", "region": "botou", "org_id": buyer.OrgID}))
		path := "/api/v1/contracts/" + c["id"].(string)

		// Who reads the row: brokers, admins and the parties' members.
		e.Do(R{Method: "GET", Path: path, Token: broker.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: path, Token: admin.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: path, Token: buyer.Token}).Want(t, 200)
		e.Do(R{Method: "GET", Path: path, Token: stranger.Token}).Want(t, 404)
		e.Do(R{Method: "GET", Path: path, Token: inst.Token}).Want(t, 404)
		e.Do(R{Method: "GET", Path: path}).Want(t, 401)
		e.Do(R{Method: "GET", Path: "/api/v1/contracts", Token: buyer.Token}).Want(t, 403)
		e.Do(R{Method: "GET", Path: "/api/v1/contracts/nope", Token: broker.Token}).Want(t, 404)

		// PATCH while recorded: a party change derives the direction again.
		u := e.Do(R{Method: "PATCH", Path: path, Token: broker.Token, Body: map[string]any{
			"seller": map[string]any{"name": "任丘石化装备", "region": "renqiu"}, "buyer": map[string]any{"name": "天津某研究院", "region": "tianjin"},
			"amount_yuan": "130000"}}).Want(t, 200).Map(t)
		if u["direction"] != "outflow" || u["county"] != "renqiu" || u["source_region"] != "cangzhou" || u["amount_yuan"] != "130000.00" {
			t.Fatalf("patched = %v", u)
		}
		e.Do(R{Method: "PATCH", Path: path, Token: broker.Token, Body: map[string]any{"tech_amount_yuan": "130000.01"}}).Want(t, 422)
		e.Do(R{Method: "PATCH", Path: path, Token: broker.Token, Body: map[string]any{"status": "verified"}}).Want(t, 422)
		e.Do(R{Method: "PATCH", Path: path, Token: buyer.Token, Body: map[string]any{"title": "改"}}).Want(t, 403)

		// Verify (认定登记) sets a registration number; then no more changes.
		e.Do(R{Method: "POST", Path: path + "/verify", Token: broker.Token}).Want(t, 403)
		v := e.Do(R{Method: "POST", Path: path + "/verify", Token: admin.Token}).Want(t, 200).Map(t)
		reg, _ := v["registration_no"].(string)
		if v["status"] != "verified" || len(reg) != 16 || !strings.HasPrefix(reg, "130900") || v["verified_at"] == nil {
			t.Fatalf("verified = %v", v)
		}
		e.Do(R{Method: "PATCH", Path: path, Token: broker.Token, Body: map[string]any{"title": "改名"}}).Want(t, 409)
		e.Do(R{Method: "POST", Path: path + "/verify", Token: admin.Token}).Want(t, 409)

		// Void needs a reason.
		e.Do(R{Method: "POST", Path: path + "/void", Token: admin.Token, Body: map[string]any{}}).Want(t, 422)
		vd := e.Do(R{Method: "POST", Path: path + "/void", Token: admin.Token, Body: map[string]any{"reason": "重复登记"}}).Want(t, 200).Map(t)
		if vd["status"] != "void" || vd["void_reason"] != "重复登记" {
			t.Fatalf("void = %v", vd)
		}
		e.Do(R{Method: "POST", Path: path + "/void", Token: admin.Token, Body: map[string]any{"reason": "重复登记"}}).Want(t, 409)

		// The audit trail: who, when, before, after.
		e.Do(R{Method: "GET", Path: path + "/audit", Token: broker.Token}).Want(t, 403)
		a := e.Do(R{Method: "GET", Path: path + "/audit", Token: admin.Token}).Want(t, 200).Map(t)
		items := a["items"].([]any)
		var actions []string
		for _, it := range items {
			actions = append(actions, it.(map[string]any)["action"].(string))
		}
		if strings.Join(actions, ",") != "create,update,verify,void" {
			t.Fatalf("audit actions = %v", actions)
		}
		upd := items[1].(map[string]any)
		if upd["actor_id"] != broker.UserID || upd["before"].(map[string]any)["direction"] != "inflow" || upd["after"].(map[string]any)["direction"] != "outflow" {
			t.Fatalf("update record = %v", upd)
		}
		if items[3].(map[string]any)["actor_id"] != admin.UserID {
			t.Fatalf("void record actor = %v", items[3])
		}
	})
}

func TestTurnoverAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		broker := e.Register(techx.RoleBroker)
		admin := e.Admin()
		recordContract(t, e, broker, contractBody("amount_yuan", "0.10", "tech_amount_yuan", "0.10", "signed_on", "2023-01-05"))
		recordContract(t, e, broker, contractBody("amount_yuan", "0.20", "tech_amount_yuan", "0.20", "signed_on", "2023-04-05"))
		voided := recordContract(t, e, broker, contractBody("amount_yuan", "9.99", "tech_amount_yuan", "9.99", "signed_on", "2023-04-06"))
		e.Do(R{Method: "POST", Path: "/api/v1/contracts/" + voided["id"].(string) + "/void", Token: admin.Token, Body: map[string]any{"reason": "录入错误"}}).Want(t, 200)
		recordContract(t, e, broker, contractBody("amount_yuan", "6820000000.00", "tech_amount_yuan", "1", "signed_on", "2022-06-01",
			"seller", map[string]any{"name": "沧州某企业", "region": "cz-hitech"}))

		// Anyone reads aggregates: "0.10" + "0.20" is exactly "0.30".
		s := e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?group_by=year&from=2023-01-01&to=2023-12-31"}).Want(t, 200).Map(t)
		items := s["items"].([]any)
		row := items[0].(map[string]any)
		sum := s["sum"].(map[string]any)
		if len(items) != 1 || row["key"] != "2023" || row["amount_yuan"] != "0.30" || row["contracts"] != float64(2) || sum["amount_yuan"] != "0.30" {
			t.Fatalf("turnover 2023 = %v", s)
		}
		q := e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?group_by=quarter"}).Want(t, 200).Map(t)
		var keys []string
		for _, it := range q["items"].([]any) {
			keys = append(keys, it.(map[string]any)["key"].(string))
		}
		if strings.Join(keys, ",") != "2022-Q2,2023-Q1,2023-Q2" {
			t.Fatalf("quarters = %v", keys)
		}
		d := e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?group_by=direction"}).Want(t, 200).Map(t)
		top := d["items"].([]any)[0].(map[string]any)
		if top["key"] != "local" || top["amount_yi"] != "68.2000" || top["name"] != "本地" {
			t.Fatalf("by direction = %v", d)
		}
		sr := e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?group_by=source_region&direction=inflow"}).Want(t, 200).Map(t)
		if it := sr["items"].([]any)[0].(map[string]any); it["key"] != "beijing" || it["name"] != "北京" || it["amount_yuan"] != "0.30" {
			t.Fatalf("by source region = %v", sr)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?status=void"}).Want(t, 422)
		e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?group_by=week"}).Want(t, 422)
		e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?from=yesterday"}).Want(t, 422)

		// CSV: the same rows and a total.
		r := e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover?group_by=year&format=csv"}).Want(t, 200)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil || len(recs) != 4 || recs[2][0] != "2023" || recs[2][3] != "0.30" || recs[3][0] != "total" || recs[3][3] != "6820000000.30" {
			t.Fatalf("csv = %q, %v", recs, err)
		}
	})
}

func TestContractExport(t *testing.T) {
	e := apitest.New(t, "sqlite", appOptions())
	broker := e.Register(techx.RoleBroker)
	recordContract(t, e, broker, contractBody("title", "=HYPERLINK(\"x\")", "amount_yuan", "0.10", "tech_amount_yuan", "0.10"))
	recordContract(t, e, broker, contractBody("signed_on", "2022-01-01"))
	r := e.Do(R{Method: "GET", Path: "/api/v1/contracts/export?format=csv&year=2024", Token: broker.Token}).Want(t, 200)
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][12] != "amount_yuan" || recs[1][12] != "0.10" || !strings.HasPrefix(recs[1][3], "'=") {
		t.Fatalf("csv = %q, %v", recs, err)
	}
	x := e.Do(R{Method: "GET", Path: "/api/v1/contracts/export?format=xlsx", Token: broker.Token}).Want(t, 200)
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("contracts")
	if err != nil || len(rows) != 3 || rows[1][12] != "0.10" {
		t.Fatalf("xlsx rows = %v, %v", rows, err)
	}
	e.Do(R{Method: "GET", Path: "/api/v1/contracts/export?format=pdf", Token: broker.Token}).Want(t, 422)
	ent := e.Register(techx.RoleEnterprise)
	e.Do(R{Method: "GET", Path: "/api/v1/contracts/export", Token: ent.Token}).Want(t, 403)
	e.Do(R{Method: "GET", Path: "/api/v1/contracts/export"}).Want(t, 401)
}

func TestTargetsAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		admin := e.Admin()
		broker := e.Register(techx.RoleBroker)
		ts := e.Do(R{Method: "GET", Path: "/api/v1/targets"}).Want(t, 200).Map(t)
		plan := ts["items"].([]any)[0].(map[string]any)
		off := plan["official"].([]any)
		if plan["code"] != "tech_contract_turnover" || plan["baseline_yi"] != "68.2" || plan["target_yi"] != "150" || len(off) != 2 ||
			off[0].(map[string]any)["value_yi"] != "7.63" {
			t.Fatalf("plan target = %v", plan)
		}
		// (150/68.2)^(1/5) − 1 = 0.170742…
		p := e.Do(R{Method: "GET", Path: "/api/v1/targets/tech_contract_turnover/progress"}).Want(t, 200).Map(t)
		if g := p["required_annual_growth"].(float64); math.Abs(g-0.1708) > 1e-4 {
			t.Fatalf("required growth = %v", g)
		}
		// An official figure for 2021, entered by an admin, shown apart.
		e.Do(R{Method: "PUT", Path: "/api/v1/targets/tech_contract_turnover/official/2021", Token: broker.Token, Body: map[string]any{"value_yi": "80.5"}}).Want(t, 403)
		e.Do(R{Method: "PUT", Path: "/api/v1/targets/tech_contract_turnover/official/2021", Token: admin.Token, Body: map[string]any{"value_yi": "80.123"}}).Want(t, 200)
		e.Do(R{Method: "PUT", Path: "/api/v1/targets/tech_contract_turnover/official/2021", Token: admin.Token, Body: map[string]any{"value_yi": "80.5"}}).Want(t, 200)
		e.Do(R{Method: "PUT", Path: "/api/v1/targets/tech_contract_turnover/official/2999", Token: admin.Token, Body: map[string]any{"value_yi": "1"}}).Want(t, 422)
		e.Do(R{Method: "PUT", Path: "/api/v1/targets/tech_contract_turnover/official/x", Token: admin.Token, Body: map[string]any{"value_yi": "1"}}).Want(t, 422)
		e.Do(R{Method: "PUT", Path: "/api/v1/targets/nope/official/2021", Token: admin.Token, Body: map[string]any{"value_yi": "1"}}).Want(t, 404)
		recordContract(t, e, broker, contractBody("amount_yuan", "500000000.00", "tech_amount_yuan", "1", "signed_on", "2021-05-01"))
		p = e.Do(R{Method: "GET", Path: "/api/v1/targets/tech_contract_turnover/progress?metric=all"}).Want(t, 200).Map(t)
		var y2021 map[string]any
		for _, y := range p["by_year"].([]any) {
			if y.(map[string]any)["year"] == float64(2021) {
				y2021 = y.(map[string]any)
			}
		}
		// 80.5亿 official beside 5亿 recorded; (80.5/68.2)^(1/1) − 1 = 0.18035…
		if y2021["official_yi"] != "80.5" || y2021["recorded_yi"] != "5" || y2021["recorded_yuan"] != "500000000.00" || y2021["required_yi"] == nil {
			t.Fatalf("2021 = %v", y2021)
		}
		e.Do(R{Method: "GET", Path: "/api/v1/targets/tech_contract_turnover/progress?metric=sideways"}).Want(t, 422)
		e.Do(R{Method: "GET", Path: "/api/v1/targets/nope/progress"}).Want(t, 404)
		inflow := e.Do(R{Method: "GET", Path: "/api/v1/targets/tech_contract_turnover/progress?metric=inflow"}).Want(t, 200).Map(t)
		for _, y := range inflow["by_year"].([]any) {
			if y.(map[string]any)["official_yi"] != nil {
				t.Fatalf("official figures in the inflow metric: %v", y)
			}
		}

		// A later plan's target.
		nt := map[string]any{"code": "tech_contract_turnover_2030", "name": "技术合同成交额（2030）", "baseline_year": 2025,
			"baseline_yi": "150", "target_year": 2030, "target_yi": "300"}
		e.Do(R{Method: "POST", Path: "/api/v1/targets", Token: broker.Token, Body: nt}).Want(t, 403)
		got := e.Do(R{Method: "POST", Path: "/api/v1/targets", Token: admin.Token, Body: nt}).Want(t, 201).Map(t)
		if got["target_yi"] != "300" || got["unit"] != "亿元" {
			t.Fatalf("created = %v", got)
		}
		e.Do(R{Method: "POST", Path: "/api/v1/targets", Token: admin.Token, Body: nt}).Want(t, 409)
		nt["code"], nt["target_year"] = "backwards", 2020
		e.Do(R{Method: "POST", Path: "/api/v1/targets", Token: admin.Token, Body: nt}).Want(t, 422)
		if n := e.Do(R{Method: "GET", Path: "/api/v1/targets"}).Want(t, 200).Map(t)["total"]; n != float64(2) {
			t.Fatalf("targets = %v", n)
		}
	})
}

// TestTargetChartIsSVG parses the chart as XML: one <svg> root in the SVG
// namespace with the value axis in 亿元 and the three series.
func TestTargetChartIsSVG(t *testing.T) {
	e := apitest.New(t, "sqlite", appOptions())
	broker := e.Register(techx.RoleBroker)
	recordContract(t, e, broker, contractBody("amount_yuan", "7000000000.00", "tech_amount_yuan", "1", "signed_on", "2022-05-01"))
	r := e.Do(R{Method: "GET", Path: "/api/v1/targets/tech_contract_turnover/chart.svg"}).Want(t, 200)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "image/svg+xml") {
		t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	dec := xml.NewDecoder(bytes.NewReader(r.Body))
	var root xml.StartElement
	elements := map[string]int{}
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, r.Body)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if root.Name.Local == "" {
				root = v
			}
			elements[v.Name.Local]++
		case xml.CharData:
			text.Write(v)
		}
	}
	if root.Name.Local != "svg" || root.Name.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root = %v", root.Name)
	}
	if elements["path"] != 3 || elements["circle"] < 9 {
		t.Fatalf("elements = %v", elements)
	}
	for _, want := range []string{"亿元", "150", "2025", "2015", "官方统计", "平台登记", "目标路径"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("chart text lacks %q", want)
		}
	}
	e.Do(R{Method: "GET", Path: "/api/v1/targets/nope/chart.svg"}).Want(t, 404)
}

func TestIndicatorsAPI(t *testing.T) {
	e := apitest.New(t, "sqlite", appOptions())
	admin := e.Admin()
	broker := e.Register(techx.RoleBroker)
	l := e.Do(R{Method: "GET", Path: "/api/v1/indicators"}).Want(t, 200).Map(t)
	items := l["items"].([]any)
	first := items[0].(map[string]any)
	if len(items) != 11 || first["value_2020"] != "1.29" || first["target_2025"] != "2.1" || first["latest"] != nil {
		t.Fatalf("indicators = %v", l)
	}
	path := "/api/v1/indicators/5/values/2023"
	e.Do(R{Method: "PUT", Path: path, Token: broker.Token, Body: map[string]any{"value": "1000"}}).Want(t, 403)
	// 高新技术企业数量: 1040 of 1300 is 0.8 of the 2025 target.
	in := e.Do(R{Method: "PUT", Path: path, Token: admin.Token, Body: map[string]any{"value": "1040"}}).Want(t, 200).Map(t)
	if in["latest"].(map[string]any)["value"] != "1040" || math.Abs(in["progress"].(float64)-0.8) > 1e-12 {
		t.Fatalf("indicator 5 = %v", in)
	}
	e.Do(R{Method: "PUT", Path: path, Token: admin.Token, Body: map[string]any{"value": "1.23456"}}).Want(t, 422)
	e.Do(R{Method: "PUT", Path: path, Token: admin.Token, Body: map[string]any{"value": 12.5}}).Want(t, 422)
	e.Do(R{Method: "PUT", Path: path, Token: admin.Token, Body: map[string]any{}}).Want(t, 422)
	e.Do(R{Method: "PUT", Path: "/api/v1/indicators/12/values/2023", Token: admin.Token, Body: map[string]any{"value": "1"}}).Want(t, 404)
}

// TestAnonymousReadsAggregatesOnly: the public sees statistics, targets
// and indicators, never contract rows.
func TestAnonymousReadsAggregatesOnly(t *testing.T) {
	e := apitest.New(t, "sqlite", appOptions())
	broker := e.Register(techx.RoleBroker)
	c := recordContract(t, e, broker, contractBody())
	for _, p := range []string{"/api/v1/stats/turnover", "/api/v1/targets", "/api/v1/targets/tech_contract_turnover/progress",
		"/api/v1/targets/tech_contract_turnover/chart.svg", "/api/v1/indicators"} {
		e.Do(R{Method: "GET", Path: p}).Want(t, 200)
	}
	for _, p := range []string{"/api/v1/contracts", "/api/v1/contracts/" + c["id"].(string), "/api/v1/contracts/export",
		"/api/v1/contracts/" + c["id"].(string) + "/audit"} {
		e.Do(R{Method: "GET", Path: p}).Want(t, 401)
	}
	for _, role := range []techx.Role{techx.RoleEnterprise, techx.RoleInstitution} {
		a := e.Register(role)
		e.Do(R{Method: "GET", Path: "/api/v1/contracts", Token: a.Token}).Want(t, 403)
		e.Do(R{Method: "GET", Path: "/api/v1/contracts/" + c["id"].(string), Token: a.Token}).Want(t, 404)
		postContract(e, a.Token, newKey(), contractBody()).Want(t, 403)
		e.Do(R{Method: "GET", Path: "/api/v1/stats/turnover", Token: a.Token}).Want(t, 200)
	}
}

// fixtureContracts holds the contract recorded for each authorization
// fixture, made on first use.
var fixtureContracts sync.Map

// contractPath returns the path of a contract a broker recorded for the
// fixture, with suffix appended.
func contractPath(f *fixture, suffix string) string {
	if id, ok := fixtureContracts.Load(f); ok {
		return "/api/v1/contracts/" + id.(string) + suffix
	}
	c := postContract(f.e, f.broker.Token, newKey(), contractBody()).Want(f.e.T, 201).Map(f.e.T)
	fixtureContracts.Store(f, c["id"].(string))
	return "/api/v1/contracts/" + c["id"].(string) + suffix
}

// contractRefusal refuses who on method and the fixture's contract path.
func contractRefusal(method, suffix string, who func(f *fixture) *apitest.Actor, body any, status int) refusal {
	return refusal{func(f *fixture) apitest.Req {
		r := apitest.Req{Method: method, Path: contractPath(f, suffix), Body: body}
		if a := who(f); a != nil {
			r.Token = a.Token
		}
		return r
	}, status}
}

func adminOf(f *fixture) *apitest.Actor { return f.admin }
