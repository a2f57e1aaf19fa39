package techx

import (
	"os"
	"strings"
	"testing"
)

func testTaxonomy(t testing.TB) *Taxonomy {
	t.Helper()
	b, err := os.ReadFile("../../seeds/taxonomy.json")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := ParseTaxonomy(b)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestDeriveDirection(t *testing.T) {
	tx := testTaxonomy(t)
	tests := []struct {
		seller, buyer string
		want          Direction
		ok            bool
		source        string
	}{
		{"botou", "beijing", Outflow, true, SourceRegionCangzhou},     // a Botou firm sells to Beijing: 输出
		{"cz-hitech", "tianjin", Outflow, true, SourceRegionCangzhou}, // zones are in Cangzhou too
		{"beijing", "botou", Inflow, true, "beijing"},                 // Beijing research bought by Botou: 吸纳
		{"abroad", "bohai", Inflow, true, "abroad"},
		{"hebei", "renqiu", Inflow, true, "hebei"}, // Hebei outside Cangzhou is outside
		{"yunhe", "xinhua", Local, true, SourceRegionCangzhou},
		{"bohai", "bohai", Local, true, SourceRegionCangzhou},
		{"beijing", "tianjin", "", false, "tianjin"}, // neither in Cangzhou
		{"beijing", "beijing", "", false, "beijing"},
		{"paris", "botou", "", false, ""}, // unknown region
		{"botou", "", "", false, ""},
	}
	for _, tt := range tests {
		got, ok := DeriveDirection(tx, tt.seller, tt.buyer)
		if got != tt.want || ok != tt.ok {
			t.Errorf("DeriveDirection(%q, %q) = %q, %v; want %q, %v", tt.seller, tt.buyer, got, ok, tt.want, tt.ok)
		}
		if ok {
			if src := SellerSourceRegion(tx, tt.seller); src != tt.source {
				t.Errorf("SellerSourceRegion(%q) = %q, want %q", tt.seller, src, tt.source)
			}
		}
	}
}

func TestNewContractValidate(t *testing.T) {
	tx := testTaxonomy(t)
	y := func(v int64) *Yuan { x := Yuan(v); return &x }
	valid := func() *NewContract {
		return &NewContract{Title: " 盾构机刀盘再制造 ", Type: TypeDevelopment,
			Seller:     Party{Name: "天津某研究院", Region: "tianjin"},
			Buyer:      Party{Name: "沧州某重工", USCC: "91350100m000100y43", Region: "huanghua"},
			AmountYuan: y(100000), TechAmountYuan: y(80000), SignedOn: "2024-06-30", Industry: "reman"}
	}
	nc := valid()
	d, err := nc.Validate(tx, "2024-07-01")
	if err != nil || d.Direction != Inflow || d.SourceRegion != "tianjin" || nc.County != "huanghua" ||
		nc.Title != "盾构机刀盘再制造" || nc.Buyer.USCC != "91350100M000100Y43" {
		t.Fatalf("valid contract: %+v, %v, %+v", d, err, nc)
	}
	tests := []struct {
		name  string
		edit  func(*NewContract)
		field string
	}{
		{"no amount", func(n *NewContract) { n.AmountYuan = nil }, "amount_yuan"},
		{"zero amount", func(n *NewContract) { n.AmountYuan = y(0) }, "amount_yuan"},
		{"negative tech", func(n *NewContract) { n.TechAmountYuan = y(-1) }, "tech_amount_yuan"},
		{"tech above amount", func(n *NewContract) { n.TechAmountYuan = y(100001) }, "tech_amount_yuan"},
		{"future date", func(n *NewContract) { n.SignedOn = "2024-07-02" }, "signed_on"},
		{"not a date", func(n *NewContract) { n.SignedOn = "2024-02-30" }, "signed_on"},
		{"bad type", func(n *NewContract) { n.Type = "gift" }, "type"},
		{"bad uscc", func(n *NewContract) { n.Buyer.USCC = "91350100M000100Y42" }, "buyer.uscc"},
		{"unknown region", func(n *NewContract) { n.Seller.Region = "mars" }, "seller.region"},
		{"neither in Cangzhou", func(n *NewContract) { n.Buyer.Region = "beijing" }, "buyer.region"},
		{"county not the Cangzhou party's", func(n *NewContract) { n.County = "botou" }, "county"},
		{"county outside Cangzhou", func(n *NewContract) { n.County = "tianjin" }, "county"},
		{"unknown industry", func(n *NewContract) { n.Industry = "x" }, "industry"},
		{"short title", func(n *NewContract) { n.Title = "a" }, "title"},
		{"empty deal", func(n *NewContract) { e := ""; n.DealID = &e }, "deal_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc := valid()
			tt.edit(nc)
			_, err := nc.Validate(tx, "2024-07-01")
			e, ok := err.(*Error)
			if !ok || e.Code != EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
			for _, f := range e.Fields {
				if f.Field == tt.field {
					return
				}
			}
			t.Fatalf("fields %v do not name %s", e.Fields, tt.field)
		})
	}
	// Both parties in Cangzhou: county is either party's, the buyer's by default.
	nc = valid()
	nc.Seller.Region = "renqiu"
	if d, err := nc.Validate(tx, "2024-07-01"); err != nil || d.Direction != Local || nc.County != "huanghua" {
		t.Fatalf("local: %+v %v county %s", d, err, nc.County)
	}
	nc = valid()
	nc.Seller.Region, nc.County = "renqiu", "renqiu"
	if _, err := nc.Validate(tx, "2024-07-01"); err != nil {
		t.Fatalf("local with the seller's county: %v", err)
	}
}

func TestContractUpdateApply(t *testing.T) {
	c := &Contract{Title: "旧", Type: TypeService, Seller: Party{Name: "甲", Region: "botou"}, Buyer: Party{Name: "乙", Region: "beijing"},
		AmountYuan: 100, TechAmountYuan: 50, SignedOn: "2024-01-01", County: "botou", Industry: "auto"}
	title, amount := "新", Yuan(200)
	nc := (&ContractUpdate{Title: &title, AmountYuan: &amount}).Apply(c)
	if nc.Title != "新" || *nc.AmountYuan != 200 || *nc.TechAmountYuan != 50 || nc.County != "botou" {
		t.Fatalf("Apply = %+v", nc)
	}
	// A party change derives the county again unless it is given.
	nc = (&ContractUpdate{Seller: &Party{Name: "丙", Region: "renqiu"}}).Apply(c)
	if nc.County != "" {
		t.Fatalf("county after a party change = %q, want it derived again", nc.County)
	}
}

func TestFingerprint(t *testing.T) {
	y := Yuan(1)
	a := &NewContract{Title: "x", AmountYuan: &y}
	b := &NewContract{Title: "x", AmountYuan: &y}
	c := &NewContract{Title: "y", AmountYuan: &y}
	if a.Fingerprint() != b.Fingerprint() || a.Fingerprint() == c.Fingerprint() {
		t.Fatal("fingerprints do not tell bodies apart")
	}
}

func TestContractCursor(t *testing.T) {
	c := ContractCursor{SignedOn: "2024-03-01", ID: "0190f3a2-7b1c-7def-8abc-0123456789ab"}
	got, err := ParseContractCursor(c.Encode())
	if err != nil || *got != c {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "!!", "YzF8MjAyNC0wMy0wMXw", "YzJ8MjAyNC0wMy0wMXxh", strings.Repeat("A", 300)} {
		if _, err := ParseContractCursor(bad); ErrorCode(err) != EINVALID {
			t.Errorf("ParseContractCursor(%q) = %v, want EINVALID", bad, err)
		}
	}
}

func FuzzParseContractCursor(f *testing.F) {
	f.Add(ContractCursor{SignedOn: "2024-03-01", ID: "abc-123"}.Encode())
	f.Add("")
	f.Add("YzF8MjAyNC0wMy0wMXxh")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseContractCursor(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		again, err := ParseContractCursor(c.Encode())
		if err != nil || *again != *c {
			t.Fatalf("re-encoded cursor %+v does not round-trip: %+v, %v", c, again, err)
		}
	})
}

func TestYiJSON(t *testing.T) {
	tests := []struct {
		in, out string
		fen     int64
	}{
		{`"68.2"`, `"68.2"`, 682_000_000_000},
		{`"150"`, `"150"`, 1_500_000_000_000},
		{`"7.63"`, `"7.63"`, 76_300_000_000},
		{`"0.0000000001"`, `"0.0000000001"`, 1},
		{`68.2`, `"68.2"`, 682_000_000_000},
	}
	for _, tt := range tests {
		var y Yi
		if err := y.UnmarshalJSON([]byte(tt.in)); err != nil || int64(y) != tt.fen {
			t.Errorf("Yi(%s) = %d, %v; want %d fen", tt.in, y, err, tt.fen)
		}
		if b, _ := y.MarshalJSON(); string(b) != tt.out {
			t.Errorf("Yi(%s) marshals to %s, want %s", tt.in, b, tt.out)
		}
	}
	for _, bad := range []string{`"0.00000000001"`, `"1e3"`, `null`, `"abc"`} {
		var y Yi
		if err := y.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("Yi(%s) accepted", bad)
		}
	}
}
