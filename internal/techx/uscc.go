package techx

import "strings"

// usccAlphabet lists the 31 characters of GB 32100-2015 in value order:
// the digits 0-9 are worth 0-9 and the letters, which skip I, O, Z, S and
// V, are worth 10 (A) to 30 (Y).
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights holds 3^(i-1) mod 31 for the positions i = 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue returns the value of c in the GB 32100-2015 alphabet, or -1
// when c is not part of it (lower-case letters included).
func usccValue(c byte) int {
	return strings.IndexByte(usccAlphabet, c)
}

// ValidUSCC reports whether code is a unified social credit code
// (统一社会信用代码) as defined by GB 32100-2015: exactly 18 characters from
// 0-9 and the upper-case letters A-Z other than I, O, Z, S and V, the last
// one being the check character computed over the first 17.
//
// ValidUSCC does not trim or upper-case its input; see NormalizeUSCC.
func ValidUSCC(code string) bool {
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue(code[i])
		if v < 0 {
			return false
		}
		sum += v * usccWeights[i]
	}
	check := usccValue(code[17])
	return check >= 0 && check == (31-sum%31)%31
}

// NormalizeUSCC trims surrounding white space from s and upper-cases its
// ASCII letters, then validates the result with ValidUSCC. It returns the
// normalised code and true, or "" and false when s is not a valid code.
func NormalizeUSCC(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 18 {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	code := string(b)
	if !ValidUSCC(code) {
		return "", false
	}
	return code, true
}
