package techx

import (
	"strings"
	"testing"
	"time"
)

// Check characters below were worked out by hand (and cross-checked with an
// independent script). For 201710601862:
//
//	digits  2 0 1 7 1 0 6 0 1 8 6 2
//	weights 2 3 4 5 6 7 8 9 2 3 4 5
//	sum = 4+0+4+35+6+0+48+0+2+24+24+10 = 157; 157 mod 11 = 3.
//
// For 201310699744: 4+0+4+15+6+0+48+81+18+21+16+20 = 233; 233 mod 11 = 2.
// For 200310100002: 4+0+0+15+6+0+8+0+0+0+0+10 = 43; 43 mod 11 = 10,
// written X. For 202610000000: 4+0+8+30+6 = 48; 48 mod 11 = 4.

// withPatentYear runs the test with the current year fixed at year.
func withPatentYear(t *testing.T, year int) {
	t.Helper()
	old := patentNow
	patentNow = func() time.Time { return time.Date(year, time.June, 1, 0, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { patentNow = old })
}

func TestNormalizePatentNo(t *testing.T) {
	withPatentYear(t, 2026)
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string // a substring of the error message; "" for success
	}{
		{"bare", "201710601862.3", "CN201710601862.3", ""},
		{"second example", "201310699744.2", "CN201310699744.2", ""},
		{"with CN", "CN201710601862.3", "CN201710601862.3", ""},
		{"lower cn", "cn201710601862.3", "CN201710601862.3", ""},
		{"mixed Cn and spaces", "  Cn 201710601862.3 ", "CN201710601862.3", ""},
		{"check X", "200310100002.X", "CN200310100002.X", ""},
		{"check lower x", "cn200310100002.x", "CN200310100002.X", ""},
		{"utility model", "202020123456.8", "CN202020123456.8", ""},
		{"design", "201930012345.2", "CN201930012345.2", ""},
		{"pct 8", "201880000001.2", "CN201880000001.2", ""},
		{"pct 9", "202190000007.7", "CN202190000007.7", ""},
		{"current year", "202610000000.4", "CN202610000000.4", ""},
		{"old 8 digits", "98123456.9", "CN98123456.9", ""},
		{"old 2003", "03212345.0", "CN03212345.0", ""},
		{"old 1985", "CN85100001.0", "CN85100001.0", ""},
		{"old design", "93300123.1", "CN93300123.1", ""},
		{"old pct", "90800017.0", "CN90800017.0", ""},

		{"empty", "", "", "empty"},
		{"only CN", "CN ", "", "empty"},
		{"ZL prefix", "ZL201710601862.3", "", "only have digits"},
		{"no dot", "2017106018623", "", `needs a "."`},
		{"11 digits", "20171060186.3", "", "has 11 digits"},
		{"13 digits", "2017106018621.3", "", "has 13 digits"},
		{"9 digits", "981234561.3", "", "has 9 digits"},
		{"letter in digits", "2017106O1862.3", "", "only have digits"},
		{"inner space", "2017 10601862.3", "", "only have digits"},
		{"year 1984", "198410000000.0", "", "year 1984"},
		{"year in future", "202710000000.0", "", "year 2027"},
		{"old year 04", "04100001.0", "", "year 04"},
		{"old year 84", "84100001.0", "", "year 84"},
		{"type 4", "201740601862.3", "", "type digit 4"},
		{"type 0", "201700601862.3", "", "type digit 0"},
		{"old type 5", "98523456.9", "", "type digit 5"},
		{"wrong check", "201710601862.4", "", "check character 4; expected 3"},
		{"wrong check expects X", "200310100002.5", "", "check character 5; expected X"},
		{"X where digit due", "201710601862.X", "", "check character X; expected 3"},
		{"missing check", "201710601862.", "", "needs one check character"},
		{"two check chars", "201710601862.33", "", "needs one check character"},
		{"check letter", "201710601862.A", "", "expected 3"},
		{"two dots", "201710601862.3.3", "", "needs one check character"},
		{"full-width digit", "２01710601862.3", "", "only have digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePatentNo(tt.in)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizePatentNo(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NormalizePatentNo(%q) = %q, nil, want error containing %q", tt.in, got, tt.wantErr)
			}
			if got != "" {
				t.Errorf("NormalizePatentNo(%q) = %q with error, want empty string", tt.in, got)
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, tt.wantErr) {
				t.Errorf("NormalizePatentNo(%q) error %q, want it to contain %q", tt.in, msg, tt.wantErr)
			}
			if gotCode, wantCode := ErrorCode(err), EINVALID; gotCode != wantCode {
				t.Errorf("ErrorCode = %q, want %q", gotCode, wantCode)
			}
		})
	}
}

func TestPatentCheckTable(t *testing.T) {
	tests := []struct {
		digits string
		want   byte
	}{
		{"201710601862", '3'},
		{"201310699744", '2'},
		{"200310100002", 'X'},
		{"200610000005", 'X'},
		{"200610000004", '5'},
		{"200610000015", '3'},
		{"98123456", '9'},
		{"88100001", '9'},
		{"000000000000", '0'},
	}
	for _, tt := range tests {
		t.Run(tt.digits, func(t *testing.T) {
			if got := patentCheck(tt.digits); got != tt.want {
				t.Errorf("patentCheck(%q) = %c, want %c", tt.digits, got, tt.want)
			}
		})
	}
}

func TestPatentType(t *testing.T) {
	withPatentYear(t, 2026)
	tests := []struct {
		in   string
		want string
	}{
		{"CN201710601862.3", "invention"},
		{"201310699744.2", "invention"},
		{"CN202020123456.8", "utility_model"},
		{"CN201930012345.2", "design"},
		{"CN201880000001.2", "pct"},
		{"CN202190000007.7", "pct"},
		{"CN98123456.9", "invention"},
		{"CN03212345.0", "utility_model"},
		{"CN93300123.1", "design"},
		{"CN90800017.0", "pct"},
		{"CN201710601862.4", ""},
		{"", ""},
		{"garbage", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := PatentType(tt.in); got != tt.want {
				t.Errorf("PatentType(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzPatentNo(f *testing.F) {
	for _, s := range []string{
		"201710601862.3", "CN201310699744.2", "cn200310100002.x", " CN 98123456.9 ",
		"201710601862.4", "2017106018623", "CN", "", ".", "CN.X", "20171060186X.3",
		"202190000007.7", "90800017.0", "ZL201710601862.3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm, err := NormalizePatentNo(s)
		if err != nil {
			if norm != "" {
				t.Fatalf("NormalizePatentNo(%q) = %q with error %v", s, norm, err)
			}
			if ErrorCode(err) != EINVALID || ErrorMessage(err) == "" {
				t.Fatalf("NormalizePatentNo(%q) error %v is not an EINVALID *Error", s, err)
			}
			if PatentType(s) != "" {
				t.Fatalf("PatentType(%q) = %q for an invalid number", s, PatentType(s))
			}
			return
		}
		if !strings.HasPrefix(norm, "CN") || (len(norm) != 16 && len(norm) != 12) || norm[len(norm)-2] != '.' {
			t.Fatalf("NormalizePatentNo(%q) = %q: not CN + 12 or 8 digits + . + check", s, norm)
		}
		again, err := NormalizePatentNo(norm)
		if err != nil || again != norm {
			t.Fatalf("NormalizePatentNo(%q) = %q, %v; not idempotent", norm, again, err)
		}
		if bare, err := NormalizePatentNo(norm[2:]); err != nil || bare != norm {
			t.Fatalf("NormalizePatentNo(%q) = %q, %v; want %q", norm[2:], bare, err, norm)
		}
		if PatentType(s) == "" {
			t.Fatalf("PatentType(%q) is empty for a valid number", s)
		}
	})
}
