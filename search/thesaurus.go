package search

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Thesaurus is a domain thesaurus: groups of synonymous or closely related
// terms, each group tagged with an industry code ("*" = cross-industry).
// It feeds the segmenter's user dictionary and query expansion.
type Thesaurus struct {
	// Groups holds the synonym groups in file order.
	Groups []ThesaurusGroup
	byTerm map[string][]int // normalized term -> group indexes
	terms  []string         // all normalized terms, longest first
}

// ThesaurusGroup is one line of the thesaurus file.
type ThesaurusGroup struct {
	// Industry is the industry code of the group, or "*".
	Industry string
	// Terms are the group's terms, normalized (width-folded, lower-case).
	Terms []string
	// Line is the 1-based line number in the source file.
	Line int
}

// Expansion is one term added to a query by the thesaurus.
type Expansion struct {
	// Term is the added term.
	Term string
	// Via is the term of the user's text that triggered the expansion.
	Via string
	// Group is the index of the group in Thesaurus.Groups.
	Group int
	// Industry is the group's industry code ("*" = cross-industry).
	Industry string
}

// LoadThesaurus parses the thesaurus format: UTF-8 lines; a line starting
// with '#' is a comment; blank lines are ignored; every other line is
// "industry_code|term1|term2|..." (industry "*" = cross-industry). A line
// with fewer than two distinct terms is an error.
func LoadThesaurus(r io.Reader) (*Thesaurus, error) {
	th := &Thesaurus{byTerm: map[string][]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimSpace(sc.Text())
		if ln == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		ind := strings.TrimSpace(parts[0])
		if ind == "" {
			return nil, fmt.Errorf("thesaurus line %d: empty industry code", ln)
		}
		seen := map[string]bool{}
		var terms []string
		for _, p := range parts[1:] {
			t := normalizeTerm(p)
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			terms = append(terms, t)
		}
		if len(terms) < 2 {
			return nil, fmt.Errorf("thesaurus line %d: a group needs at least two terms", ln)
		}
		gi := len(th.Groups)
		th.Groups = append(th.Groups, ThesaurusGroup{Industry: ind, Terms: terms, Line: ln})
		for _, t := range terms {
			th.byTerm[t] = append(th.byTerm[t], gi)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("thesaurus: %w", err)
	}
	for t := range th.byTerm {
		th.terms = append(th.terms, t)
	}
	sort.Slice(th.terms, func(i, j int) bool {
		if len(th.terms[i]) != len(th.terms[j]) {
			return len(th.terms[i]) > len(th.terms[j])
		}
		return th.terms[i] < th.terms[j]
	})
	return th, nil
}

// Terms returns every distinct term of the thesaurus.
func (th *Thesaurus) Terms() []string {
	if th == nil {
		return nil
	}
	return append([]string(nil), th.terms...)
}

// Expand returns the terms of every group containing one of tokens, other
// than the tokens themselves, each naming the token that triggered it.
func (th *Thesaurus) Expand(tokens []string) []Expansion {
	if th == nil {
		return nil
	}
	have := map[string]bool{}
	for _, t := range tokens {
		have[normalizeTerm(t)] = true
	}
	var out []Expansion
	added := map[string]bool{}
	for _, tok := range tokens {
		tok = normalizeTerm(tok)
		for _, gi := range th.byTerm[tok] {
			g := th.Groups[gi]
			for _, t := range g.Terms {
				if have[t] || added[t] {
					continue
				}
				added[t] = true
				out = append(out, Expansion{Term: t, Via: tok, Group: gi, Industry: g.Industry})
			}
		}
	}
	return out
}

// Find returns the thesaurus terms occurring in text as substrings,
// longest first; a term inside an already found longer term is skipped.
func (th *Thesaurus) Find(text string) []string {
	if th == nil || text == "" {
		return nil
	}
	text = strings.Map(fold, text)
	var found []string
	var covered []string
	for _, t := range th.terms {
		if !strings.Contains(text, t) {
			continue
		}
		inside := false
		for _, c := range covered {
			if strings.Contains(c, t) && strings.Count(text, t) <= strings.Count(text, c) {
				inside = true
				break
			}
		}
		if inside {
			continue
		}
		found = append(found, t)
		covered = append(covered, t)
	}
	return found
}

// ExpandText finds thesaurus terms in text (see Find) and expands them.
func (th *Thesaurus) ExpandText(text string) []Expansion {
	return th.Expand(th.Find(text))
}
