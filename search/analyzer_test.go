package search

import (
	"slices"
	"strings"
	"testing"
)

// TestTokens prints the tokens of the techx_zh analyzer and asserts the
// ones that matter. Tokens depend on the process-wide user dictionary (other
// tests may add the product thesaurus), so the table lists tokens that must
// (want) and must not (not) appear rather than the exact stream.
func TestTokens(t *testing.T) {
	if err := addUserWords([]string{"锂离子电池隔膜", "盾构机", "隧道掘进机"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want []string
		not  []string
	}{
		// a user-dictionary word stays whole, and search mode adds its sub-words
		{"锂离子电池隔膜", []string{"锂离子电池隔膜", "锂离子", "离子", "电池", "隔膜"}, nil},
		// Latin run split from Han, lower-cased; user word 盾构机 plus sub-word 盾构
		{"TBM盾构机刀盘", []string{"tbm", "盾构机", "盾构"}, []string{"TBM"}},
		// a decimal stays one token, with its letter and number parts
		{"PM2.5", []string{"pm2.5", "pm", "2.5"}, []string{"pm2", "5"}},
		{"Laser welding of steel", []string{"laser", "welding", "of", "steel"}, nil},
		// full-width letters and digits are folded; punctuation dropped
		{"采用Ti-6Al-4V钛合金，ＰＭ２．５浓度下降30%", []string{"采用", "ti-6al-4v", "ti", "钛合金", "合金", "pm2.5", "浓度", "下降", "30"}, []string{"，", "%"}},
		// stand-alone function characters are dropped
		{"焊缝的气孔和裂纹", []string{"焊缝", "气孔", "裂纹"}, []string{"的", "和"}},
		{"", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Tokens(tt.in)
			t.Logf("%q -> %q", tt.in, got)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing token %q in %q", w, got)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("unexpected token %q in %q", n, got)
				}
			}
		})
	}
}

// TestTokenOffsets checks that token offsets point at the original bytes
// (highlighting depends on them), including after full-width folding.
func TestTokenOffsets(t *testing.T) {
	in := "ＰＭ２．５与锂离子电池"
	for _, tok := range tokenize([]byte(in)) {
		src := in[tok.Start:tok.End]
		if hasHan(src) && !strings.Contains(src, string(tok.Term)) {
			t.Errorf("token %q at %d:%d covers %q", tok.Term, tok.Start, tok.End, src)
		}
		if !hasHan(src) && normalizeTerm(src) != string(tok.Term) && !strings.Contains(normalizeTerm(src), string(tok.Term)) {
			t.Errorf("token %q at %d:%d covers %q", tok.Term, tok.Start, tok.End, src)
		}
	}
}

func TestCapText(t *testing.T) {
	long := strings.Repeat("锂", MaxTextRunes+10)
	if n := len([]rune(capText(long))); n != MaxTextRunes {
		t.Fatalf("capText kept %d runes, want %d", n, MaxTextRunes)
	}
	if got := capText("short"); got != "short" {
		t.Fatalf("capText(short) = %q", got)
	}
}

func TestThesaurus(t *testing.T) {
	in := `# comment

new-materials|锂电隔膜|锂离子电池隔膜|湿法隔膜
smart-equip| 盾构机 |隧道掘进机|ＴＢＭ
*|激光焊接|激光焊|激光焊接
`
	th, err := LoadThesaurus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(th.Groups) != 3 {
		t.Fatalf("groups = %d, want 3", len(th.Groups))
	}
	if got := th.Groups[1].Terms; !slices.Equal(got, []string{"盾构机", "隧道掘进机", "tbm"}) {
		t.Errorf("group 1 terms = %q", got)
	}
	if got := th.Groups[2].Terms; len(got) != 2 {
		t.Errorf("duplicate term kept: %q", got)
	}
	exp := th.Expand([]string{"TBM", "刀盘"})
	var terms []string
	for _, e := range exp {
		terms = append(terms, e.Term)
		if e.Via != "tbm" || e.Industry != "smart-equip" {
			t.Errorf("expansion %+v: want via tbm, industry smart-equip", e)
		}
	}
	if !slices.Equal(terms, []string{"盾构机", "隧道掘进机"}) {
		t.Errorf("Expand = %q", terms)
	}
	if got := th.Find("湿法隔膜和锂离子电池隔膜的TBM"); !slices.Contains(got, "锂离子电池隔膜") || !slices.Contains(got, "湿法隔膜") || !slices.Contains(got, "tbm") {
		t.Errorf("Find = %q", got)
	}
	for _, bad := range []string{"auto|only-one\n", "|a|b\n"} {
		if _, err := LoadThesaurus(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadThesaurus(%q): want error", bad)
		}
	}
}
