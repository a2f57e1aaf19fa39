package techx

import (
	"strings"
	"testing"
)

// Check characters in this file were computed by hand from GB 32100-2015
// (and cross-checked with an independent script). For the standard's own
// example 91350100M000100Y43:
//
//	values  9 1 3  5  0  1  0  0 21  0  0  0 1  0  0 30  4
//	weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
//	sum = 9+3+27+135+26+420+8+900+112 = 1640; 1640 mod 31 = 28; 31-28 = 3.
var validUSCCs = []string{
	"91350100M000100Y43",
	"91130900MA0CXXXX1Y",
	"12130900000000000A",
	"111111111111111115",
	"93130922MA07LQ4D0C",
	"52130900MA0FK12345",
	"Y1000000000000000X",
	"000000000000000000",
	"91130903MAX7L8T1PR",
}

func TestUSCCWeights(t *testing.T) {
	w := 1
	for i := range usccWeights {
		if got, want := usccWeights[i], w; got != want {
			t.Errorf("usccWeights[%d] = %d, want %d", i, got, want)
		}
		w = w * 3 % 31
	}
	if got, want := len(usccAlphabet), 31; got != want {
		t.Errorf("len(usccAlphabet) = %d, want %d", got, want)
	}
	for _, c := range "IOZSV" {
		if strings.ContainsRune(usccAlphabet, c) {
			t.Errorf("usccAlphabet contains excluded letter %q", c)
		}
	}
}

func TestValidUSCC(t *testing.T) {
	tests := []struct {
		name string
		code string
		want bool
	}{
		{"empty", "", false},
		{"17 chars", "91350100M000100Y4", false},
		{"19 chars", "91350100M000100Y430", false},
		{"wrong check", "91350100M000100Y44", false},
		{"check is excluded letter I", "91350100M000100Y4I", false},
		{"I in body", "91350100I000100Y43", false},
		{"O in body", "91350100O000100Y43", false},
		{"Z in body", "91350100Z000100Y43", false},
		{"S in body", "91350100S000100Y43", false},
		{"V in body", "91350100V000100Y43", false},
		{"lower case", "91130900ma0cxxxx1y", false},
		{"leading space", " 91350100M000100Y43", false},
		{"inner space", "91350100M 00100Y43", false},
		{"punctuation", "91350100M-00100Y43", false},
		{"full-width digit", "９1350100M000100Y4", false},
		{"swapped digits", "19350100M000100Y43", false},
	}
	for _, code := range validUSCCs {
		tests = append(tests, struct {
			name string
			code string
			want bool
		}{"valid " + code, code, true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidUSCC(tt.code); got != tt.want {
				t.Errorf("ValidUSCC(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

// TestValidUSCCSingleChange checks that changing any one character of a
// valid code to any other character of the alphabet makes it invalid: the
// weights are non-zero modulo the prime 31, so every single substitution
// changes the checksum.
func TestValidUSCCSingleChange(t *testing.T) {
	for _, code := range validUSCCs {
		for i := 0; i < len(code); i++ {
			for j := 0; j < len(usccAlphabet); j++ {
				c := usccAlphabet[j]
				if c == code[i] {
					continue
				}
				mutated := code[:i] + string(c) + code[i+1:]
				if ValidUSCC(mutated) {
					t.Errorf("ValidUSCC(%q) = true, a one-character change of %q", mutated, code)
				}
			}
		}
	}
}

func TestNormalizeUSCC(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{"already normal", "91350100M000100Y43", "91350100M000100Y43", true},
		{"lower case", "91350100m000100y43", "91350100M000100Y43", true},
		{"mixed case", "91130900Ma0cXxXx1y", "91130900MA0CXXXX1Y", true},
		{"surrounding spaces", "  91350100M000100Y43\t\n", "91350100M000100Y43", true},
		{"full-width space trimmed", "\u300091350100M000100Y43", "91350100M000100Y43", true},
		{"inner space", "91350100M 000100Y43", "", false},
		{"lower excluded letter", "91350100m000100y4i", "", false},
		{"lower s in body", "91350100s000100y43", "", false},
		{"wrong check", "91350100m000100y44", "", false},
		{"empty", "   ", "", false},
		{"dotless ı is not upper-cased to I", "91350100M000100Y4ı", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotOK := NormalizeUSCC(tt.in)
			if got != tt.want || gotOK != tt.wantOK {
				t.Errorf("NormalizeUSCC(%q) = %q, %v, want %q, %v", tt.in, got, gotOK, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzUSCC(f *testing.F) {
	for _, code := range validUSCCs {
		f.Add(code)
		f.Add(strings.ToLower(code))
		f.Add(" " + code + " ")
	}
	f.Add("")
	f.Add("91350100M000100Y44")
	f.Add("91350100I000100Y43")
	f.Add("ıııııııııııııııııı")
	f.Fuzz(func(t *testing.T, s string) {
		valid := ValidUSCC(s)
		norm, ok := NormalizeUSCC(s)
		if valid && (!ok || norm != s) {
			t.Fatalf("ValidUSCC(%q) but NormalizeUSCC = %q, %v", s, norm, ok)
		}
		if !ok {
			if norm != "" {
				t.Fatalf("NormalizeUSCC(%q) = %q, false; want empty string", s, norm)
			}
			return
		}
		if !ValidUSCC(norm) {
			t.Fatalf("NormalizeUSCC(%q) = %q, which ValidUSCC rejects", s, norm)
		}
		if again, ok := NormalizeUSCC(norm); !ok || again != norm {
			t.Fatalf("NormalizeUSCC(%q) = %q, %v; not idempotent", norm, again, ok)
		}
		if len(norm) != 18 || strings.ToUpper(norm) != norm {
			t.Fatalf("NormalizeUSCC(%q) = %q: not 18 upper-case characters", s, norm)
		}
	})
}
