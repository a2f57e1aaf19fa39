package search

import (
	"fmt"
	"html"
	"sort"
	"strings"
	"unicode/utf8"
)

// Highlighting: a hit's stored texts are analysed again with the ranking
// analysis (techx_zh, with byte offsets) and every token that is a query
// word is wrapped in <mark>. Fields: "title", "keywords" (one fragment per
// matching keyword) and "text" (one fragment of at most fragmentRunes
// runes around the first marks); a confidential need's text and keywords
// only for viewers who may see them. Text is HTML-escaped.

// fragmentRunes bounds a text fragment.
const fragmentRunes = 200

// wordSet is the set of query words highlighted.
func wordSet(words []qterm) map[string]bool {
	set := make(map[string]bool, len(words))
	for _, w := range words {
		set[w.term] = true
	}
	return set
}

// highlight returns the fragments of listing id (docID form) for the query
// words set, per field, or nil when nothing is marked.
func (ix *Index) highlight(id string, set map[string]bool, v Viewer) (map[string][]string, error) {
	if len(set) == 0 {
		return nil, nil
	}
	doc, err := ix.idx.Document(id)
	if err != nil {
		return nil, fmt.Errorf("search: highlight %s: %w", id, err)
	}
	if doc == nil {
		return nil, nil
	}
	fields, err := storedFields(doc)
	if err != nil {
		return nil, fmt.Errorf("search: highlight %s: %w", id, err)
	}
	seeConf := canSee(v, strings.Join(texts(fields, fOrg), ""))
	out := map[string][]string{}
	add := func(name, field string, window bool) {
		for _, t := range texts(fields, field) {
			if f, ok := markText(t, set, window); ok {
				out[name] = append(out[name], f)
			}
		}
	}
	add("title", fTitle, false)
	add("keywords", fKw, false)
	add("text", fText, true)
	if seeConf {
		add("keywords", fCKw, false)
		add("text", fCText, true)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// markText wraps the tokens of text that are in set in <mark> (overlapping
// ones merged), HTML-escaping the rest; window cuts a fragment of at most
// fragmentRunes runes starting shortly before the first mark. ok is false
// when nothing is marked.
func markText(text string, set map[string]bool, window bool) (string, bool) {
	type span struct{ s, e int }
	var spans []span
	for _, t := range tokenize([]byte(text)) {
		if set[string(t.Term)] {
			spans = append(spans, span{t.Start, t.End})
		}
	}
	if len(spans) == 0 {
		return "", false
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].s < spans[j].s })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.s < last.e {
			last.e = max(last.e, sp.e)
			continue
		}
		merged = append(merged, sp)
	}
	from, to := 0, len(text)
	if window && utf8.RuneCountInString(text) > fragmentRunes {
		// start up to 20 runes before the first mark, at a rune boundary
		from = merged[0].s
		for n := 0; n < 20 && from > 0; n++ {
			_, sz := utf8.DecodeLastRuneInString(text[:from])
			from -= sz
		}
		to = from
		for n := 0; to < len(text) && n < fragmentRunes; n++ {
			_, sz := utf8.DecodeRuneInString(text[to:])
			to += sz
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	at := from
	for _, sp := range merged {
		if sp.e <= from || sp.s >= to {
			continue
		}
		s, e := max(sp.s, from), min(sp.e, to)
		b.WriteString(html.EscapeString(text[at:s]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[s:e]))
		b.WriteString("</mark>")
		at = e
	}
	b.WriteString(html.EscapeString(text[at:to]))
	if to < len(text) {
		b.WriteString("…")
	}
	return b.String(), true
}
