package search

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/go-ego/gse"
)

// Analyzer and tokenizer names registered with bleve. They are part of the
// mapping, so changing what they emit requires bumping MappingVersion.
const (
	// TokenizerName is the gse-based tokenizer (dictionary words, their
	// dictionary sub-words, and Latin/number tokens).
	TokenizerName = "techx_zh"
	// AnalyzerName is the analyzer built on TokenizerName.
	AnalyzerName = "techx_zh"
	// MaxTextRunes caps every analysed text; the rest is ignored.
	MaxTextRunes = 20000
)

// segmenter is the process-wide gse segmenter. gse loads an ~5 MB
// dictionary, which takes about a second, so it is loaded once, lazily.
var (
	segOnce  sync.Once
	segMu    sync.RWMutex // guards seg.Dict against AddToken during cuts
	seg      gse.Segmenter
	segErr   error
	userDict = map[string]bool{}
)

func segmenter() (*gse.Segmenter, error) {
	segOnce.Do(func() {
		s := gse.Segmenter{NotLoadHMM: true}
		segErr = s.LoadDictEmbed("zh_s")
		seg = s
	})
	return &seg, segErr
}

// userWordFreq is the dictionary frequency given to thesaurus terms so that
// the segmenter keeps them whole.
const userWordFreq = 20000

// addUserWords adds terms to the shared segmenter dictionary (once each).
func addUserWords(terms []string) error {
	s, err := segmenter()
	if err != nil {
		return err
	}
	segMu.Lock()
	defer segMu.Unlock()
	added := false
	for _, t := range terms {
		t = normalizeTerm(t)
		if t == "" || userDict[t] || !hasHan(t) {
			continue
		}
		userDict[t] = true
		if err := s.AddToken(t, userWordFreq, "n"); err != nil {
			return err
		}
		added = true
	}
	if added {
		s.CalcToken()
		segCacheReset()
	}
	return nil
}

// hanStop are single Han characters carrying no topical meaning; they are
// dropped when they stand alone as a segment.
var hanStop = map[string]bool{}

func init() {
	for _, r := range "的了和与及等在是对为中或其之以于把被将从向由而也就都并且又很更最已可能会要有个这那我你他她它们上下不没让使所但如若则即该各每此些" {
		hanStop[string(r)] = true
	}
	if err := registry.RegisterTokenizer(TokenizerName, func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
		return zhTokenizer{}, nil
	}); err != nil {
		panic(err)
	}
	if err := registry.RegisterAnalyzer(AnalyzerName, func(_ map[string]interface{}, c *registry.Cache) (analysis.Analyzer, error) {
		tok, err := c.TokenizerNamed(TokenizerName)
		if err != nil {
			return nil, err
		}
		return &analysis.DefaultAnalyzer{Tokenizer: tok}, nil
	}); err != nil {
		panic(err)
	}
}

type zhTokenizer struct{}

// Tokenize implements analysis.Tokenizer.
func (zhTokenizer) Tokenize(input []byte) analysis.TokenStream {
	return tokenize(input)
}

// capText returns s cut to at most MaxTextRunes runes.
func capText(s string) string {
	if len(s) <= MaxTextRunes { // bytes >= runes
		return s
	}
	n := 0
	for i := range s {
		if n == MaxTextRunes {
			return s[:i]
		}
		n++
	}
	return s
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func hasHan(s string) bool {
	for _, r := range s {
		if isHan(r) {
			return true
		}
	}
	return false
}

// fold maps full-width ASCII to half-width and lower-cases it.
func fold(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	} else if r == 0x3000 {
		r = ' '
	}
	return unicode.ToLower(r)
}

func isAlnum(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isHan(r)
}

// normalizeTerm folds width and case and trims space.
func normalizeTerm(s string) string {
	return strings.Map(fold, strings.TrimSpace(s))
}

// tokenize splits input into Han runs (segmented by gse, plus dictionary
// sub-words of long words: "search mode") and Latin/number runs. A
// Latin/number run keeps internal '.', '-', '+' between alphanumerics
// ("pm2.5", "ti-6al-4v"), and mixed runs also emit their letter and number
// parts of two runes or more ("pm", "2.5").
func tokenize(input []byte) analysis.TokenStream {
	text := capText(string(input))
	var out analysis.TokenStream
	pos := 0
	emit := func(term string, start, end int) {
		pos++
		out = append(out, &analysis.Token{Term: []byte(term), Start: start, End: end, Position: pos, Type: analysis.AlphaNumeric})
	}
	i := 0
	for i < len(text) {
		r, sz := utf8.DecodeRuneInString(text[i:])
		fr := fold(r)
		switch {
		case isHan(r):
			j := i + sz
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !isHan(r2) {
					break
				}
				j += s2
			}
			segHan(text[i:j], i, func(term string, s, e int, typ analysis.TokenType) {
				pos++
				out = append(out, &analysis.Token{Term: []byte(term), Start: s, End: e, Position: pos, Type: typ})
			})
			i = j
		case isAlnum(fr):
			j := i
			var b strings.Builder
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				f2 := fold(r2)
				if isAlnum(f2) {
					b.WriteRune(f2)
					j += s2
					continue
				}
				if f2 == '.' || f2 == '-' || f2 == '+' {
					// keep a joiner only between two alphanumerics
					r3, s3 := utf8.DecodeRuneInString(text[j+s2:])
					if j+s2 < len(text) && isAlnum(fold(r3)) && b.Len() > 0 {
						_ = s3
						b.WriteRune(f2)
						j += s2
						continue
					}
				}
				break
			}
			word := b.String()
			emit(word, i, j)
			emitParts(word, i, j, emit)
			i = j
		default:
			i += sz
		}
	}
	return out
}

// emitParts emits the letter-only and number-only parts of a mixed token.
func emitParts(word string, start, end int, emit func(string, int, int)) {
	var parts []string
	var cur strings.Builder
	kind := 0 // 1 letter, 2 number
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
		}
	}
	for _, r := range word {
		k := 1
		if unicode.IsDigit(r) || r == '.' {
			k = 2
		}
		if r == '-' || r == '+' {
			flush()
			kind = 0
			continue
		}
		if k != kind {
			flush()
			kind = k
		}
		cur.WriteRune(r)
	}
	flush()
	if len(parts) < 2 {
		return
	}
	for _, p := range parts {
		p = strings.Trim(p, ".")
		if utf8.RuneCountInString(p) >= 2 && p != word {
			emit(p, start, end)
		}
	}
}

// segTok is one token of a segmented Han run, offsets relative to the run.
type segTok struct {
	term       string
	start, end int
}

// segCache memoizes segHan per Han run: every text is analysed twice (its
// own stored field and the combined field all), and listings share many
// phrases. Two generations bound it (a full current generation becomes
// the previous one). A thesaurus change (addUserWords) clears it.
var segCache = struct {
	sync.Mutex
	cur, prev map[string][]segTok
}{cur: map[string][]segTok{}}

const segCacheGen = 20000 // runs per generation

func segCached(run string) ([]segTok, bool) {
	segCache.Lock()
	defer segCache.Unlock()
	if t, ok := segCache.cur[run]; ok {
		return t, true
	}
	if t, ok := segCache.prev[run]; ok {
		segCache.cur[run] = t
		return t, true
	}
	return nil, false
}

func segStore(run string, toks []segTok) {
	segCache.Lock()
	defer segCache.Unlock()
	if len(segCache.cur) >= segCacheGen {
		segCache.prev, segCache.cur = segCache.cur, make(map[string][]segTok, segCacheGen)
	}
	segCache.cur[run] = toks
}

func segCacheReset() {
	segCache.Lock()
	segCache.cur, segCache.prev = map[string][]segTok{}, nil
	segCache.Unlock()
}

// segHan segments a run of Han characters starting at byte offset base.
func segHan(run string, base int, emit func(term string, start, end int, typ analysis.TokenType)) {
	if toks, ok := segCached(run); ok {
		for _, t := range toks {
			emit(t.term, base+t.start, base+t.end, analysis.Ideographic)
		}
		return
	}
	s, err := segmenter()
	if err != nil || s.Dict == nil {
		// fall back to single characters
		for i, r := range run {
			emit(string(r), base+i, base+i+utf8.RuneLen(r), analysis.Ideographic)
		}
		return
	}
	run = strings.Clone(run) // tokens are kept: do not pin the input text
	var toks []segTok
	add := func(term string, start, end int, _ analysis.TokenType) {
		toks = append(toks, segTok{term: term, start: start, end: end})
	}
	segMu.RLock()
	segs := s.Segment([]byte(run))
	for _, sg := range segs {
		w := run[sg.Start():sg.End()]
		n := utf8.RuneCountInString(w)
		if n == 1 && hanStop[w] {
			continue
		}
		add(w, sg.Start(), sg.End(), analysis.Ideographic)
		if n >= 3 {
			subWords(s, w, sg.Start(), add)
		}
	}
	segMu.RUnlock()
	segStore(run, toks)
	for _, t := range toks {
		emit(t.term, base+t.start, base+t.end, analysis.Ideographic)
	}
}

// subWords emits the dictionary words strictly inside w (length 2 to n-1
// runes), like the search modes of jieba and gse.
func subWords(s *gse.Segmenter, w string, base int, emit func(string, int, int, analysis.TokenType)) {
	idx := make([]int, 0, len(w)/3+1)
	for i := range w {
		idx = append(idx, i)
	}
	idx = append(idx, len(w))
	n := len(idx) - 1
	for l := 2; l < n; l++ {
		for a := 0; a+l <= n; a++ {
			sub := w[idx[a]:idx[a+l]]
			if f, _, ok := s.Find(sub); ok && f > 0 {
				emit(sub, base+idx[a], base+idx[a+l], analysis.Ideographic)
			}
		}
	}
}

// Tokens returns the terms the techx_zh analyzer produces for s, in order.
// It is exported for tests, explanations and diagnostics.
func Tokens(s string) []string {
	ts := tokenize([]byte(s))
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t.Term)
	}
	return out
}

// countChars counts the single-character analysis of text (bleve's
// standard analyzer: every Han character a token of its own, the text
// between Han characters through the analyzer) into tf and returns the
// number of tokens.
func countChars(text string, tf map[string]int) int {
	n := 0
	var rest strings.Builder
	other := false
	for _, r := range text {
		if isHan(r) {
			tf[runeString(r)]++
			n++
			if other {
				rest.WriteByte(' ')
				other = false
			}
			continue
		}
		rest.WriteRune(r)
		other = true
	}
	if s := rest.String(); strings.TrimSpace(s) != "" {
		for _, t := range stdAnalyzer.Analyze([]byte(s)) {
			tf[string(t.Term)]++
			n++
		}
	}
	return n
}

// hanStrings holds a string for each CJK Unified Ideograph (U+4E00–U+9FFF)
// so that counting characters does not allocate one per occurrence.
var hanStrings = func() []string {
	out := make([]string, 0x9FFF-0x4E00+1)
	for r := rune(0x4E00); r <= 0x9FFF; r++ {
		out[r-0x4E00] = string(r)
	}
	return out
}()

func runeString(r rune) string {
	if r >= 0x4E00 && r <= 0x9FFF {
		return hanStrings[r-0x4E00]
	}
	return string(r)
}
