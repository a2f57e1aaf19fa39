package search

import (
	"regexp"
	"strings"
)

// Discourse roles of listing text.
//
// Needs and results are written in recognisable patterns, and which part
// of a text a term comes from says how much it counts (measured on the
// matching benchmark, search/DESIGN.md):
//
//   - A need states a wish ("希望…", "寻求…", "急需…"): the capability it
//     asks for. Terms there count most. It also introduces the company
//     ("我公司是/在/为…", "主要生产…", "配套…"): context shared with many
//     listings of the same trade that says little about the problem. Terms
//     there count least. The rest describes the problem.
//   - A result states its limits ("不适用于盐碱地块", "对飞边和毛刺无去除作用",
//     "对形状差异大的单件适应性有限", "仍需辐射防护"). Such a clause names
//     what the result does NOT do: its terms must not make it match a need
//     that asks for exactly that. Limitation clauses are left out of the
//     text a result is ranked by (they stay in the stored text, shown and
//     highlighted as written).
//
// Both are recognised by cue words within a clause (split at ，。；！？),
// never by anything specific to an industry.

// splitAfter splits text after every rune in seps, keeping it with the
// piece it ends.
func splitAfter(text, seps string) []string {
	var out []string
	start := 0
	for i, r := range text {
		if strings.ContainsRune(seps, r) {
			end := i + len(string(r))
			out = append(out, text[start:end])
			start = end
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// clauses splits text into clauses, each keeping its punctuation.
func clauses(text string) []string { return splitAfter(text, "，。；！？;!?\n") }

// sentences splits text into sentences (at 。；！？ and line ends).
func sentences(text string) []string { return splitAfter(text, "。；！？;!?\n") }

var (
	// limitCue marks a clause that states a limit of the result itself.
	limitCue = regexp.MustCompile(`不适用|不适合|不适宜|无[^，。；]{0,6}作用|效果有限|适应性有限|有限[，。；！？]?$|仍需|仍须|尚需|尚不能|不能实现|不解决|不包括|不涉及|暂不`)
	// limitNot marks a clause describing the problem a result addresses or
	// the state of the art, which reads like a limit but is not the
	// result's own ("针对…难以…的问题", "传统方法无法…").
	limitNot = regexp.MustCompile(`针对|问题|传统|现有|目前`)
)

// rankedText is the part of a result's text it is ranked by: the text
// without its limitation clauses. Needs' text is ranked whole (a need's
// "不能/无法" describe its problem).
func rankedText(kind, text string) string {
	if kind != KindResult || !mayLimit(text) || !limitCue.MatchString(text) {
		return text
	}
	var b strings.Builder
	for _, c := range clauses(text) {
		if limitCue.MatchString(strings.TrimSpace(c)) && !limitNot.MatchString(c) {
			continue
		}
		b.WriteString(c)
	}
	return b.String()
}

// limitLiterals are literal parts of limitCue, one of which every match
// holds: a cheap test before the regular expression.
var limitLiterals = []string{"不适", "作用", "有限", "仍需", "仍须", "尚需", "尚不能", "不能实现", "不解决", "不包括", "不涉及", "暂不"}

func mayLimit(text string) bool {
	for _, l := range limitLiterals {
		if strings.Contains(text, l) {
			return true
		}
	}
	return false
}

var (
	// wishCue marks a sentence stating what a need asks for.
	wishCue = regexp.MustCompile(`希望|想找|想要|寻求|急需|能否|有没有|寻找|求购|盼望`)
	// contextCue marks a clause introducing the enterprise rather than
	// the problem.
	contextCue = regexp.MustCompile(`我(公司|厂|们|司|单位)(是|在|为|给|主要|生产|专业|做)|本(公司|厂|单位)|主要生产|位于|年产|配套|供应`)
)

// needRoles splits a need's description into its wish sentences, its
// context clauses (the enterprise) and the rest (the problem).
func needRoles(text string) (wish, context, problem string) {
	var wb, cb, pb strings.Builder
	for _, s := range sentences(text) {
		if wishCue.MatchString(s) {
			wb.WriteString(s)
			continue
		}
		for _, c := range clauses(s) {
			if contextCue.MatchString(c) {
				cb.WriteString(c)
			} else {
				pb.WriteString(c)
			}
		}
	}
	return wb.String(), cb.String(), pb.String()
}
