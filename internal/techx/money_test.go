package techx

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"strings"
	"testing"
)

// TestMoneyHasNoFloats guards the promise that money.go never touches a
// floating-point value.
func TestMoneyHasNoFloats(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "money.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			switch id.Name {
			case "float32", "float64", "ParseFloat", "FormatFloat", "Float", "NewFloat":
				t.Errorf("money.go uses %s", id.Name)
			}
		}
		return true
	})
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		scale   int
		want    int64
		wantErr string // a substring of the error message; "" for success
	}{
		{"integer", "123", 2, 12300, ""},
		{"one decimal", "123.4", 2, 12340, ""},
		{"two decimals", "123.45", 2, 12345, ""},
		{"ten fen", "0.10", 2, 10, ""},
		{"zero", "0", 2, 0, ""},
		{"negative", "-1.5", 2, -150, ""},
		{"negative zero", "-0.00", 2, 0, ""},
		{"leading zeros", "007", 0, 7, ""},
		{"scale 4", "12.5", 4, 125000, ""},
		{"scale 18", "9.223372036854775807", 18, math.MaxInt64, ""},
		{"max int64", "9223372036854775807", 0, math.MaxInt64, ""},
		{"min int64", "-9223372036854775808", 0, math.MinInt64, ""},
		{"max yuan", "92233720368547758.07", 2, math.MaxInt64, ""},
		{"min yuan", "-92233720368547758.08", 2, math.MinInt64, ""},

		{"leading dot", ".5", 2, 0, "not a plain decimal"},
		{"trailing dot", "5.", 2, 0, "not a plain decimal"},
		{"exponent", "1e3", 2, 0, "not a plain decimal"},
		{"upper exponent", "1.5E2", 2, 0, "not a plain decimal"},
		{"leading space", " 1", 2, 0, "not a plain decimal"},
		{"trailing space", "1 ", 2, 0, "not a plain decimal"},
		{"plus", "+1", 2, 0, "not a plain decimal"},
		{"empty", "", 2, 0, "not a plain decimal"},
		{"lone minus", "-", 2, 0, "not a plain decimal"},
		{"double minus", "--1", 2, 0, "not a plain decimal"},
		{"two dots", "1.2.3", 2, 0, "not a plain decimal"},
		{"thousands separator", "1,000", 2, 0, "not a plain decimal"},
		{"hex", "0x10", 2, 0, "not a plain decimal"},
		{"underscore", "1_000", 2, 0, "not a plain decimal"},
		{"Inf", "Inf", 2, 0, "not a plain decimal"},
		{"NaN", "NaN", 2, 0, "not a plain decimal"},
		{"full-width digits", "１２", 2, 0, "not a plain decimal"},
		{"too many decimals", "12.345", 2, 0, "at most 2 decimal places"},
		{"trailing zero beyond scale", "1.230", 2, 0, "at most 2 decimal places"},
		{"too many decimals scale 4", "0.00001", 4, 0, "at most 4 decimal places"},
		{"decimals at scale 0", "1.5", 0, 0, "whole number"},
		{"overflow", "9223372036854775808", 0, 0, "too large"},
		{"negative overflow", "-9223372036854775809", 0, 0, "too large"},
		{"yuan overflow", "92233720368547758.08", 2, 0, "too large"},
		{"huge", "99999999999999999999999999999999999999999999999999", 2, 0, "too large"},
		{"overflow from padding", "100000000000000000", 2, 0, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDecimal(tt.s, tt.scale)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseDecimal(%q, %d) = %d, %v, want %d, nil", tt.s, tt.scale, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseDecimal(%q, %d) = %d, nil, want error containing %q", tt.s, tt.scale, got, tt.wantErr)
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, tt.wantErr) {
				t.Errorf("ParseDecimal(%q, %d) error %q, want it to contain %q", tt.s, tt.scale, msg, tt.wantErr)
			}
			if gotCode, wantCode := ErrorCode(err), EINVALID; gotCode != wantCode {
				t.Errorf("ErrorCode = %q, want %q", gotCode, wantCode)
			}
		})
	}
}

func TestParseDecimalBadScale(t *testing.T) {
	for _, scale := range []int{-1, 19, 1000} {
		t.Run("", func(t *testing.T) {
			_, err := ParseDecimal("1", scale)
			if got, want := ErrorCode(err), EINTERNAL; got != want {
				t.Errorf("ParseDecimal(\"1\", %d) error code %q (%v), want %q", scale, got, err, want)
			}
		})
	}
}

func TestFormatDecimal(t *testing.T) {
	tests := []struct {
		units    int64
		scale    int
		want     string
		wantTrim string
	}{
		{0, 2, "0.00", "0"},
		{30, 2, "0.30", "0.3"},
		{5, 2, "0.05", "0.05"},
		{123450, 2, "1234.50", "1234.5"},
		{-150, 2, "-1.50", "-1.5"},
		{-1, 4, "-0.0001", "-0.0001"},
		{1500000, 4, "150.0000", "150"},
		{125000, 4, "12.5000", "12.5"},
		{1, 4, "0.0001", "0.0001"},
		{100, 0, "100", "100"},
		{100, -3, "100", "100"},
		{7, 20, "0.00000000000000000007", "0.00000000000000000007"},
		{math.MaxInt64, 2, "92233720368547758.07", "92233720368547758.07"},
		{math.MinInt64, 2, "-92233720368547758.08", "-92233720368547758.08"},
		{math.MinInt64, 0, "-9223372036854775808", "-9223372036854775808"},
		{math.MinInt64, 19, "-0.9223372036854775808", "-0.9223372036854775808"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatDecimal(tt.units, tt.scale); got != tt.want {
				t.Errorf("FormatDecimal(%d, %d) = %q, want %q", tt.units, tt.scale, got, tt.want)
			}
			if got := FormatDecimalTrim(tt.units, tt.scale); got != tt.wantTrim {
				t.Errorf("FormatDecimalTrim(%d, %d) = %q, want %q", tt.units, tt.scale, got, tt.wantTrim)
			}
		})
	}
}

func TestYuanSumIsExact(t *testing.T) {
	a, err := ParseDecimal("0.10", 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseDecimal("0.20", 2)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := SumYuan(Yuan(a), Yuan(b))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sum.String(), "0.30"; got != want {
		t.Errorf("0.10 + 0.20 = %s, want %s", got, want)
	}
	if got, want := sum, Yuan(30); got != want {
		t.Errorf("0.10 + 0.20 = %d fen, want %d", got, want)
	}
}

func TestSumYuan(t *testing.T) {
	tests := []struct {
		name    string
		vs      []Yuan
		want    Yuan
		wantErr bool
	}{
		{"none", nil, 0, false},
		{"one", []Yuan{5}, 5, false},
		{"mixed signs", []Yuan{100, -30, 7}, 77, false},
		{"up to max", []Yuan{math.MaxInt64 - 1, 1}, math.MaxInt64, false},
		{"down to min", []Yuan{math.MinInt64 + 1, -1}, math.MinInt64, false},
		{"overflow", []Yuan{math.MaxInt64, 1}, 0, true},
		{"underflow", []Yuan{math.MinInt64, -1}, 0, true},
		{"back in range does not hide overflow", []Yuan{math.MaxInt64, 1, -1}, 0, true},
		{"max plus min", []Yuan{math.MaxInt64, math.MinInt64}, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SumYuan(tt.vs...)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("SumYuan(%v) = %d, %v, want %d, error %v", tt.vs, got, err, tt.want, tt.wantErr)
			}
			if err != nil && ErrorCode(err) != EINVALID {
				t.Errorf("SumYuan error code %q, want %q", ErrorCode(err), EINVALID)
			}
		})
	}
}

func TestYuanJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Yuan
		wantErr string // a substring of the error message; "" for success
	}{
		{"number", `1234.5`, 123450, ""},
		{"number two decimals", `1234.50`, 123450, ""},
		{"integer", `7`, 700, ""},
		{"string", `"1234.50"`, 123450, ""},
		{"string with escape", `"\u0031.5"`, 150, ""},
		{"negative", `-0.01`, -1, ""},
		{"surrounding space", " 1.5 ", 150, ""},
		{"exponent", `1e3`, 0, "not a plain decimal"},
		{"exponent in string", `"1e3"`, 0, "not a plain decimal"},
		{"three decimals", `12.345`, 0, "at most 2 decimal places"},
		{"three decimals string", `"12.345"`, 0, "at most 2 decimal places"},
		{"null", `null`, 0, "null"},
		{"empty string", `""`, 0, "not a plain decimal"},
		{"spaces in string", `" 1"`, 0, "not a plain decimal"},
		{"bool", `true`, 0, "not a plain decimal"},
		{"array", `[1]`, 0, "not a plain decimal"},
		{"bad string", `"1`, 0, "number or a string"},
		{"huge", `100000000000000000000`, 0, "too large"},
		{"huge string", `"92233720368547758.08"`, 0, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Yuan
			err := got.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("UnmarshalJSON(%s) = %d, %v, want %d, nil", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("UnmarshalJSON(%s) = %d, nil, want error containing %q", tt.in, got, tt.wantErr)
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, tt.wantErr) {
				t.Errorf("UnmarshalJSON(%s) error %q, want it to contain %q", tt.in, msg, tt.wantErr)
			}
		})
	}
}

func TestYuanJSONInStruct(t *testing.T) {
	type contract struct {
		Amount Yuan  `json:"amount"`
		Budget *Yuan `json:"budget"`
	}
	tests := []struct {
		name       string
		in         string
		wantAmount Yuan
		wantBudget *Yuan
		wantErr    bool
		wantOut    string
	}{
		{"number and null pointer", `{"amount":1234.5,"budget":null}`, 123450, nil, false, `{"amount":"1234.50","budget":null}`},
		{"strings", `{"amount":"0.30","budget":"12"}`, 30, ptr(Yuan(1200)), false, `{"amount":"0.30","budget":"12.00"}`},
		{"null amount", `{"amount":null}`, 0, nil, true, ""},
		{"exponent", `{"amount":1e3}`, 0, nil, true, ""},
		{"too precise budget", `{"amount":1,"budget":0.001}`, 0, nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got contract
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("json.Unmarshal(%s) = %+v, nil, want error", tt.in, got)
				}
				if ErrorCode(err) != EINVALID {
					t.Errorf("json.Unmarshal(%s) error %v, want an EINVALID *Error", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", tt.in, err)
			}
			if got.Amount != tt.wantAmount {
				t.Errorf("Amount = %d, want %d", got.Amount, tt.wantAmount)
			}
			if (got.Budget == nil) != (tt.wantBudget == nil) || (got.Budget != nil && *got.Budget != *tt.wantBudget) {
				t.Errorf("Budget = %v, want %v", got.Budget, tt.wantBudget)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.wantOut {
				t.Errorf("json.Marshal = %s, want %s", out, tt.wantOut)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestWanJSON(t *testing.T) {
	marshal := []struct {
		in   Wan
		want string
	}{
		{1500000, `"150"`},
		{125000, `"12.5"`},
		{1, `"0.0001"`},
		{0, `"0"`},
		{-25000, `"-2.5"`},
	}
	for _, tt := range marshal {
		t.Run("marshal "+tt.want, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			if err != nil || string(got) != tt.want {
				t.Errorf("json.Marshal(Wan(%d)) = %s, %v, want %s", tt.in, got, err, tt.want)
			}
		})
	}
	unmarshal := []struct {
		in      string
		want    Wan
		wantErr bool
	}{
		{`150`, 1500000, false},
		{`12.5`, 125000, false},
		{`"0.0001"`, 1, false},
		{`"12.5000"`, 125000, false},
		{`0.00001`, 0, true},
		{`1.5e2`, 0, true},
		{`null`, 0, true},
		{`"abc"`, 0, true},
	}
	for _, tt := range unmarshal {
		t.Run("unmarshal "+tt.in, func(t *testing.T) {
			var got Wan
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("json.Unmarshal(%s) = %d, %v, want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestYuanWanString(t *testing.T) {
	if got, want := Yuan(30).String(), "0.30"; got != want {
		t.Errorf("Yuan(30).String() = %q, want %q", got, want)
	}
	if got, want := Wan(125000).String(), "12.5"; got != want {
		t.Errorf("Wan(125000).String() = %q, want %q", got, want)
	}
}

func TestMoneySQL(t *testing.T) {
	var (
		_ driver.Valuer = Yuan(0)
		_ sql.Scanner   = (*Yuan)(nil)
		_ driver.Valuer = Wan(0)
		_ sql.Scanner   = (*Wan)(nil)
	)
	tests := []struct {
		name    string
		src     any
		want    int64
		wantErr bool
	}{
		{"int64", int64(123450), 123450, false},
		{"negative int64", int64(-5), -5, false},
		{"bytes", []byte("123450"), 123450, false},
		{"string", "-42", -42, false},
		{"decimal string", "1234.50", 0, true},
		{"empty string", "", 0, true},
		{"nil", nil, 0, true},
		{"float", float64(1.5), 0, true},
		{"bool", true, 0, true},
		{"overflowing string", "9223372036854775808", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var y Yuan
			err := y.Scan(tt.src)
			if (err != nil) != tt.wantErr || int64(y) != tt.want {
				t.Errorf("Yuan.Scan(%#v) = %d, %v, want %d, error %v", tt.src, y, err, tt.want, tt.wantErr)
			}
			var w Wan
			err = w.Scan(tt.src)
			if (err != nil) != tt.wantErr || int64(w) != tt.want {
				t.Errorf("Wan.Scan(%#v) = %d, %v, want %d, error %v", tt.src, w, err, tt.want, tt.wantErr)
			}
		})
	}
	for _, v := range []int64{0, 1, -1, 123450, math.MaxInt64, math.MinInt64} {
		gotY, err := Yuan(v).Value()
		if err != nil || gotY != driver.Value(v) {
			t.Errorf("Yuan(%d).Value() = %#v, %v, want int64 %d", v, gotY, err, v)
		}
		gotW, err := Wan(v).Value()
		if err != nil || gotW != driver.Value(v) {
			t.Errorf("Wan(%d).Value() = %#v, %v, want int64 %d", v, gotW, err, v)
		}
	}
}

func TestYuanToYiString(t *testing.T) {
	// One yi yuan (亿元) is 10^8 yuan = 10^10 fen.
	// 68.2亿元 = 6,820,000,000 yuan = 682,000,000,000 fen.
	// 150亿元 = 15,000,000,000 yuan = 1,500,000,000,000 fen.
	tests := []struct {
		fen      int64
		decimals int
		want     string
	}{
		{682_000_000_000, 4, "68.2000"},
		{682_000_000_000, 2, "68.20"},
		{682_000_000_000, 1, "68.2"},
		{682_000_000_000, 0, "68"},
		{682_000_000_000, -1, "68"},
		{682_000_000_000, 12, "68.200000000000"},
		{1_500_000_000_000, 2, "150.00"},
		{0, 2, "0.00"},
		// 0.00005亿元 = 500,000 fen rounds up; 499,999 fen rounds down.
		{500_000, 4, "0.0001"},
		{499_999, 4, "0.0000"},
		{-500_000, 4, "-0.0001"},
		{-499_999, 4, "0.0000"},
		// 68.245亿元 rounds half up to 68.25, 68.2449999999 to 68.24.
		{682_450_000_000, 2, "68.25"},
		{682_449_999_999, 2, "68.24"},
		// 1 fen is 10^-10 亿元.
		{1, 10, "0.0000000001"},
		{1, 9, "0.000000000"},
		{5, 9, "0.000000001"},
		{math.MaxInt64, 2, "922337203.69"},
		{math.MinInt64, 2, "-922337203.69"},
		{math.MaxInt64, 10, "922337203.6854775807"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := YuanToYiString(tt.fen, tt.decimals); got != tt.want {
				t.Errorf("YuanToYiString(%d, %d) = %q, want %q", tt.fen, tt.decimals, got, tt.want)
			}
		})
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{
		"0", "123", "123.4", "123.45", "0.10", "-1.5", ".5", "5.", "1e3", "+1", " 1",
		"9223372036854775807", "-9223372036854775808", "92233720368547758.08", "007.0",
	} {
		f.Add(s, uint8(2))
	}
	f.Add("12.5", uint8(4))
	f.Add("1.5", uint8(0))
	f.Add("9.223372036854775807", uint8(18))
	f.Fuzz(func(t *testing.T, s string, scaleByte uint8) {
		scale := int(scaleByte % (maxScale + 1))
		v, err := ParseDecimal(s, scale)
		if err != nil {
			if v != 0 {
				t.Fatalf("ParseDecimal(%q, %d) = %d with error %v", s, scale, v, err)
			}
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseDecimal(%q, %d) error %v is not EINVALID", s, scale, err)
			}
			return
		}
		formatted := FormatDecimal(v, scale)
		back, err := ParseDecimal(formatted, scale)
		if err != nil || back != v {
			t.Fatalf("ParseDecimal(FormatDecimal(%d, %d) = %q) = %d, %v", v, scale, formatted, back, err)
		}
		if again := FormatDecimal(back, scale); again != formatted {
			t.Fatalf("FormatDecimal not canonical: %q then %q", formatted, again)
		}
		trimmed := FormatDecimalTrim(v, scale)
		if back, err := ParseDecimal(trimmed, scale); err != nil || back != v {
			t.Fatalf("ParseDecimal(FormatDecimalTrim(%d, %d) = %q) = %d, %v", v, scale, trimmed, back, err)
		}
		if strings.HasSuffix(trimmed, ".") || (strings.Contains(trimmed, ".") && strings.HasSuffix(trimmed, "0")) {
			t.Fatalf("FormatDecimalTrim(%d, %d) = %q is not trimmed", v, scale, trimmed)
		}
	})
}

func FuzzYuanJSON(f *testing.F) {
	for _, s := range []string{
		`1234.5`, `"1234.50"`, `1e3`, `"12.345"`, `null`, `-0.01`, `"\u0031.5"`, `""`,
		`100000000000000000000`, `"92233720368547758.07"`, `{"a":1}`, `0`, `-0`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var y Yuan
		if err := json.Unmarshal(data, &y); err == nil {
			out, err := json.Marshal(y)
			if err != nil {
				t.Fatalf("json.Marshal(Yuan(%d)): %v", y, err)
			}
			if want := `"` + y.String() + `"`; string(out) != want {
				t.Fatalf("json.Marshal(Yuan(%d)) = %s, want %s", y, out, want)
			}
			var back Yuan
			if err := json.Unmarshal(out, &back); err != nil || back != y {
				t.Fatalf("json.Unmarshal(%s) = %d, %v, want %d", out, back, err, y)
			}
		}
		var w Wan
		if err := json.Unmarshal(data, &w); err == nil {
			out, err := json.Marshal(w)
			if err != nil {
				t.Fatalf("json.Marshal(Wan(%d)): %v", w, err)
			}
			var back Wan
			if err := json.Unmarshal(out, &back); err != nil || back != w {
				t.Fatalf("json.Unmarshal(%s) = %d, %v, want %d", out, back, err, w)
			}
		}
	})
}
