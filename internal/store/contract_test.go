package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/store/storetest"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/seeds"
)

func taxonomy(t *testing.T) *techx.Taxonomy {
	t.Helper()
	tx, err := techx.ParseTaxonomy(seeds.Taxonomy())
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// brokerCtx registers a broker and returns a context acting as them.
func brokerCtx(t *testing.T, db *store.DB, email string) context.Context {
	t.Helper()
	u, err := store.NewUserService(db).Register(context.Background(), &techx.Registration{Email: email, Password: "0123456789",
		Name: "经理人", Role: techx.RoleBroker, Organization: &techx.NewOrganization{Name: "沧州技术转移中心" + email, Kind: techx.OrgAgency, County: "yunhe"}}, "hash")
	if err != nil {
		t.Fatal(err)
	}
	return techx.NewContextWithUser(context.Background(), u)
}

func yuan(s string) *techx.Yuan {
	v, err := techx.ParseDecimal(s, 2)
	if err != nil {
		panic(err)
	}
	y := techx.Yuan(v)
	return &y
}

// newContract is an inflow contract: a Beijing university sells to a
// Botou enterprise.
func newContract(amount, signed string) *techx.NewContract {
	return &techx.NewContract{Title: "激光-电弧复合焊接工艺许可", Type: techx.TypeLicense,
		Seller:     techx.Party{Name: "北京某大学", Region: "beijing"},
		Buyer:      techx.Party{Name: "泊头模具有限公司", USCC: "91350100M000100Y43", Region: "botou"},
		AmountYuan: yuan(amount), TechAmountYuan: yuan(amount), SignedOn: signed, Industry: "laser"}
}

func TestContractIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := brokerCtx(t, db, "b@x.cn")
		s := store.NewContractService(db, taxonomy(t))
		nc := newContract("1000.50", "2024-03-01")
		key := techx.IdempotencyKey{Key: "k1", Fingerprint: nc.Fingerprint()}
		c, replayed, err := s.CreateContract(ctx, nc, key)
		if err != nil || replayed {
			t.Fatalf("create = %v, %v", replayed, err)
		}
		if c.Direction != techx.Inflow || c.SourceRegion != "beijing" || c.County != "botou" || c.Status != techx.ContractRecorded {
			t.Fatalf("derived: %+v", c)
		}
		again, replayed, err := s.CreateContract(ctx, newContract("1000.50", "2024-03-01"), key)
		if err != nil || !replayed || again.ID != c.ID {
			t.Fatalf("replay = %+v, %v, %v", again, replayed, err)
		}
		first, _ := json.Marshal(c)
		second, _ := json.Marshal(again)
		if string(first) != string(second) {
			t.Fatalf("replayed body differs:\n%s\n%s", first, second)
		}
		other := newContract("2000", "2024-03-01")
		if _, _, err := s.CreateContract(ctx, other, techx.IdempotencyKey{Key: "k1", Fingerprint: other.Fingerprint()}); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("same key, other body: %v, want invalid", err)
		}

		// Concurrent duplicates: exactly one contract.
		const n = 8
		var wg sync.WaitGroup
		ids := make([]string, n)
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				nc := newContract("77.70", "2024-04-01")
				c, _, err := s.CreateContract(ctx, nc, techx.IdempotencyKey{Key: "race", Fingerprint: nc.Fingerprint()})
				errs[i] = err
				if c != nil {
					ids[i] = c.ID
				}
			}(i)
		}
		wg.Wait()
		for i := 0; i < n; i++ {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("request %d: id %q err %v; want all %q", i, ids[i], errs[i], ids[0])
			}
		}
		_, total, _, err := s.FindContracts(ctx, techx.ContractFilter{From: "2024-04-01", To: "2024-04-01"})
		if err != nil || total != 1 {
			t.Fatalf("contracts recorded by the race = %d, %v; want 1", total, err)
		}
		var keys int64
		db.Gorm().Raw("SELECT COUNT(*) FROM idempotency_keys").Scan(&keys)
		if keys != 2 {
			t.Fatalf("idempotency rows = %d, want 2", keys)
		}
	})
}

func TestContractLifecycleAndAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := brokerCtx(t, db, "b@x.cn")
		s := store.NewContractService(db, taxonomy(t))
		nc := newContract("500", "2024-05-06")
		c, _, err := s.CreateContract(ctx, nc, techx.IdempotencyKey{Key: "a", Fingerprint: nc.Fingerprint()})
		if err != nil {
			t.Fatal(err)
		}
		title := "激光焊接工艺许可（修订）"
		seller := techx.Party{Name: "任丘石化装备", Region: "renqiu"}
		buyer := techx.Party{Name: "天津某研究院", Region: "tianjin"}
		u, err := s.UpdateContract(ctx, c.ID, &techx.ContractUpdate{Title: &title, Seller: &seller, Buyer: &buyer})
		if err != nil || u.Title != title || u.Direction != techx.Outflow || u.County != "renqiu" || u.SourceRegion != techx.SourceRegionCangzhou {
			t.Fatalf("update = %+v, %v", u, err)
		}
		tech := techx.Yuan(60000)
		if _, err := s.UpdateContract(ctx, c.ID, &techx.ContractUpdate{TechAmountYuan: &tech}); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("tech > amount: %v", err)
		}
		v, err := s.VerifyContract(ctx, c.ID, "")
		if err != nil || v.Status != techx.ContractVerified || v.RegistrationNo == nil || len(*v.RegistrationNo) != 16 ||
			!strings.HasPrefix(*v.RegistrationNo, store.RegistrationPrefix) || !strings.HasSuffix(*v.RegistrationNo, "000001") {
			t.Fatalf("verify = %+v, %v", v, err)
		}
		if _, err := s.UpdateContract(ctx, c.ID, &techx.ContractUpdate{Title: &title}); techx.ErrorCode(err) != techx.ECONFLICT {
			t.Fatalf("update verified: %v, want conflict", err)
		}
		if _, err := s.VerifyContract(ctx, c.ID, ""); techx.ErrorCode(err) != techx.ECONFLICT {
			t.Fatalf("verify twice: %v", err)
		}
		// A second contract gets the next number; a given one must be free.
		nc2 := newContract("1", "2024-05-07")
		c2, _, _ := s.CreateContract(ctx, nc2, techx.IdempotencyKey{Key: "b", Fingerprint: nc2.Fingerprint()})
		if _, err := s.VerifyContract(ctx, c2.ID, *v.RegistrationNo); techx.ErrorCode(err) != techx.ECONFLICT {
			t.Fatalf("taken registration number: %v", err)
		}
		v2, err := s.VerifyContract(ctx, c2.ID, "")
		if err != nil || !strings.HasSuffix(*v2.RegistrationNo, "000002") {
			t.Fatalf("second number = %v, %v", v2, err)
		}
		if _, err := s.VoidContract(ctx, c.ID, " "); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("void without reason: %v", err)
		}
		if _, err := s.VoidContract(ctx, c.ID, "重复登记"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VoidContract(ctx, c.ID, "重复登记"); techx.ErrorCode(err) != techx.ECONFLICT {
			t.Fatalf("void twice: %v", err)
		}
		audit, err := s.FindContractAudit(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Action)
		}
		if got := strings.Join(actions, ","); got != "create,update,verify,void" {
			t.Fatalf("audit actions = %s", got)
		}
		if string(audit[0].Before) != "null" || !strings.Contains(string(audit[1].Before), `"status":"recorded"`) ||
			!strings.Contains(string(audit[3].After), `"status":"void"`) || audit[2].ActorID == "" {
			t.Fatalf("audit = %s / %s", audit[1].Before, audit[3].After)
		}
		if _, err := s.FindContractAudit(ctx, "nope"); techx.ErrorCode(err) != techx.ENOTFOUND {
			t.Fatalf("audit of unknown: %v", err)
		}

		// The audit trail refuses changes, on PostgreSQL by trigger.
		g := db.Gorm()
		refused := func(stmt string) {
			t.Helper()
			err := g.Exec(stmt).Error
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: %v; want the append-only trigger to refuse it", stmt, err)
			}
		}
		refused("UPDATE contract_audit SET action = 'forged'")
		refused("UPDATE contract_audit SET after_json = '{}' WHERE id = 1")
		refused("DELETE FROM contract_audit")
		refused("DELETE FROM contract_audit WHERE action = 'void'")
		if db.Dialect() == store.Postgres {
			refused("TRUNCATE contract_audit")
		}
		if after, _ := s.FindContractAudit(ctx, c.ID); len(after) != 4 {
			t.Fatalf("audit now has %d records", len(after))
		}
	})
}

func TestTurnoverSumsExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := brokerCtx(t, db, "b@x.cn")
		s := store.NewContractService(db, taxonomy(t))
		add := func(amount, signed string) *techx.Contract {
			nc := newContract(amount, signed)
			c, _, err := s.CreateContract(ctx, nc, techx.IdempotencyKey{Key: amount + signed, Fingerprint: nc.Fingerprint()})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		add("0.10", "2023-01-15")
		add("0.20", "2023-02-15")
		v := add("5.00", "2023-05-01")
		add("0.01", "2022-12-31")
		if _, err := s.VoidContract(ctx, v.ID, "录入错误"); err != nil {
			t.Fatal(err)
		}
		rows, err := s.Turnover(ctx, techx.TurnoverFilter{GroupBy: techx.ByYear})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1].Key != "2023" || rows[1].AmountYuan.String() != "0.30" || rows[1].Contracts != 2 || rows[0].AmountYuan.String() != "0.01" {
			t.Fatalf("by year = %+v", rows)
		}
		rows, _ = s.Turnover(ctx, techx.TurnoverFilter{GroupBy: techx.ByQuarter})
		if len(rows) != 2 || rows[0].Key != "2022-Q4" || rows[1].Key != "2023-Q1" || rows[1].AmountYuan.String() != "0.30" {
			t.Fatalf("by quarter = %+v", rows)
		}
		rows, _ = s.Turnover(ctx, techx.TurnoverFilter{GroupBy: techx.ByDirection, ContractFilter: techx.ContractFilter{Year: 2023}})
		if len(rows) != 1 || rows[0].Key != "inflow" || rows[0].Name != "吸纳" || rows[0].AmountYuan.String() != "0.30" {
			t.Fatalf("by direction = %+v", rows)
		}
		if _, err := s.Turnover(ctx, techx.TurnoverFilter{GroupBy: "week"}); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("bad grouping: %v", err)
		}
		if _, err := s.Turnover(ctx, techx.TurnoverFilter{ContractFilter: techx.ContractFilter{Statuses: []techx.ContractStatus{techx.ContractVoid}}}); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("void turnover: %v", err)
		}
		// Paging through the list with the cursor visits every contract once.
		seen := map[string]bool{}
		cursor := ""
		for i := 0; i < 10; i++ {
			items, total, next, err := s.FindContracts(ctx, techx.ContractFilter{PageSize: 1, Cursor: cursor})
			if err != nil || total != 4 {
				t.Fatalf("page: %d %v", total, err)
			}
			for _, c := range items {
				if seen[c.ID] {
					t.Fatalf("contract %s twice", c.ID)
				}
				seen[c.ID] = true
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != 4 {
			t.Fatalf("paged through %d contracts, want 4", len(seen))
		}
	})
}

// TestTargetProgressByHand checks progress against figures worked out by
// hand. Target t_test: 100亿元 in 2020 → 121亿元 in 2022, so the required
// growth is (121/100)^(1/2) − 1 = 0.1 and the path is 100, 110, 121.
// 1亿元 = 10^8 yuan = 10^10 fen.
//
// Recorded: 2021: 60亿 + 50亿 = 110亿 (complete year); 2022: 61亿 by
// 2 July 2022, day 183 of 365. As of 2022-07-02:
//
//	latest         = 2022, 61亿 (recorded, year to date)
//	progress       = 61/121 = 0.504132231404958…
//	actual growth  = (110/100)^(1/1) − 1 = 0.1 (2020 → 2021)
//	run rate       = 610,000,000,000 fen × 365/183 = 1,216,666,666,666.67 → 1,216,666,666,667 fen = 121.6666666667亿
//	trend          = 110 × (110/100)^1 = 121亿 (from 2020 and 2021)
//	on track       = 121.67 ≥ 121 (the path's 2022 value) → true
//	gap            = 121 − 121.6666666667 = −0.6666666667亿 (ahead)
func TestTargetProgressByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := brokerCtx(t, db, "b@x.cn")
		tx := taxonomy(t)
		cs := store.NewContractService(db, tx)
		ts := store.NewTargetService(db, tx)
		yi := func(s string) *techx.Yi {
			v, err := techx.ParseYi(s)
			if err != nil {
				t.Fatal(err)
			}
			return &v
		}
		if _, err := ts.CreateTarget(ctx, &techx.NewTarget{Code: "t_test", Name: "测试目标", BaselineYear: 2020, BaselineYi: yi("100"),
			TargetYear: 2022, TargetYi: yi("121")}); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.CreateTarget(ctx, &techx.NewTarget{Code: "t_test", Name: "测试目标", BaselineYear: 2020, BaselineYi: yi("100"),
			TargetYear: 2022, TargetYi: yi("121")}); techx.ErrorCode(err) != techx.ECONFLICT {
			t.Fatalf("duplicate target: %v", err)
		}
		if _, err := ts.SetOfficialFigure(ctx, "t_test", 2020, *yi("100")); err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct{ amount, signed string }{
			{"6000000000.00", "2021-03-01"}, {"5000000000.00", "2021-11-30"}, {"6100000000.00", "2022-03-01"},
		} {
			nc := newContract(c.amount, c.signed)
			if _, _, err := cs.CreateContract(ctx, nc, techx.IdempotencyKey{Key: fmt.Sprint(i), Fingerprint: nc.Fingerprint()}); err != nil {
				t.Fatal(err)
			}
		}
		asOf := time.Date(2022, 7, 2, 4, 0, 0, 0, time.UTC) // noon in Cangzhou
		p, err := ts.TargetProgress(ctx, "t_test", techx.MetricAll, asOf)
		if err != nil {
			t.Fatal(err)
		}
		near := func(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-9 }
		str := func(y *techx.Yi) string {
			if y == nil {
				return "<nil>"
			}
			return y.String()
		}
		if p.AsOf != "2022-07-02" || p.Latest == nil || p.Latest.Year != 2022 || p.Latest.ValueYi.String() != "61" || p.Latest.Complete ||
			p.Latest.Source != "recorded" {
			t.Fatalf("latest = %+v (as of %s)", p.Latest, p.AsOf)
		}
		if !near(p.Progress, 61.0/121.0) || math.Abs(p.RequiredAnnualGrowth-0.1) > 1e-12 || !near(p.ActualAnnualGrowth, 0.1) {
			t.Fatalf("progress %v, required %v, actual %v", *p.Progress, p.RequiredAnnualGrowth, p.ActualAnnualGrowth)
		}
		if got := str(p.Projection.RunRateYi); got != "121.6666666667" {
			t.Errorf("run rate = %s, want 121.6666666667", got)
		}
		if got := str(p.Projection.TrendYi); got != "121" {
			t.Errorf("trend = %s, want 121", got)
		}
		if !p.OnTrack || str(p.GapYi) != "-0.6666666667" {
			t.Errorf("on track %v, gap %s; want true, -0.6666666667", p.OnTrack, str(p.GapYi))
		}
		want := map[int][3]string{ // official, recorded, required
			2020: {"100", "<nil>", "100"}, 2021: {"<nil>", "110", "110"}, 2022: {"<nil>", "61", "121"},
		}
		if len(p.ByYear) != 3 {
			t.Fatalf("by year = %+v", p.ByYear)
		}
		for _, y := range p.ByYear {
			got := [3]string{str(y.OfficialYi), str(y.RecordedYi), str(y.RequiredYi)}
			if got != want[y.Year] {
				t.Errorf("%d: official, recorded, required = %v, want %v", y.Year, got, want[y.Year])
			}
		}
		// Outflow: no contract flows out and official figures do not count.
		p, _ = ts.TargetProgress(ctx, "t_test", techx.MetricOutflow, asOf)
		if p.Latest != nil || p.Progress != nil || p.OnTrack {
			t.Errorf("outflow progress = %+v", p)
		}

		// The preloaded plan target: 68.2亿元 (2020) → 150亿元 (2025), official
		// 2015 7.63 and 2020 68.2; required growth (150/68.2)^(1/5) − 1 ≈ 0.1707.
		pl, err := ts.TargetProgress(ctx, techx.TurnoverTargetCode, techx.MetricAll, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if pl.Baseline.ValueYi.String() != "68.2" || pl.Target.ValueYi.String() != "150" || math.Abs(pl.RequiredAnnualGrowth-0.1707) > 1e-4 ||
			pl.ByYear[0].Year != 2015 || str(pl.ByYear[0].OfficialYi) != "7.63" {
			t.Fatalf("plan target = %+v", pl)
		}
		if _, err := ts.TargetProgress(ctx, "nope", techx.MetricAll, asOf); techx.ErrorCode(err) != techx.ENOTFOUND {
			t.Fatalf("unknown target: %v", err)
		}
		if _, err := ts.TargetProgress(ctx, "t_test", "sideways", asOf); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("bad metric: %v", err)
		}
	})
}

func TestIndicators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := brokerCtx(t, db, "b@x.cn")
		ts := store.NewTargetService(db, taxonomy(t))
		ins, err := ts.FindIndicators(ctx)
		if err != nil || len(ins) != 11 {
			t.Fatalf("indicators = %d, %v", len(ins), err)
		}
		if *ins[0].Value2020 != "1.29" || *ins[0].Target2025 != "2.1" || ins[3].Value2020 != nil || ins[0].Latest != nil {
			t.Fatalf("indicator 1 = %+v", ins[0])
		}
		// 1.68 / 2.1 = 0.8 exactly.
		in, err := ts.SetIndicatorValue(ctx, 1, 2023, "1.68")
		if err != nil || in.Latest == nil || in.Latest.Value != "1.68" || in.Progress == nil || math.Abs(*in.Progress-0.8) > 1e-12 {
			t.Fatalf("set = %+v, %v", in, err)
		}
		in, _ = ts.SetIndicatorValue(ctx, 1, 2023, "1.7")
		if len(in.Values) != 1 || in.Values[0].Value != "1.7" {
			t.Fatalf("replace = %+v", in.Values)
		}
		if _, err := ts.SetIndicatorValue(ctx, 12, 2023, "1"); techx.ErrorCode(err) != techx.ENOTFOUND {
			t.Fatalf("indicator 12: %v", err)
		}
		if _, err := ts.SetIndicatorValue(ctx, 1, 2023, "1.23456"); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("five decimals: %v", err)
		}
	})
}
