package techx

import (
	"strings"
	"time"
)

// patentWeights are the weights of the application-number check character;
// an 8-digit (pre-October-2003) number uses the first eight.
var patentWeights = [12]int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}

// patentNow is the clock NormalizePatentNo reads the current year from;
// tests replace it.
var patentNow = time.Now

// NormalizePatentNo validates a Chinese patent application number
// (专利申请号) and returns it in the canonical form "CN" + digits + "." +
// check character, e.g. "CN201710601862.3".
//
// The input may carry an optional "CN" prefix in any case, and white space
// around the number and after the prefix is ignored. Two layouts exist:
//
//   - since October 2003: 12 digits, "." and the check character; digits
//     1-4 are the filing year (1985 to the current year) and digit 5 the
//     type: 1 invention, 2 utility model, 3 design, 8 or 9 PCT;
//   - before: 8 digits, "." and the check character; digits 1-2 are the
//     year (85-99 or 00-03) and digit 3 the type, with the same codes.
//
// The check character is Σ digit_i × w_i mod 11 with weights
// 2,3,4,5,6,7,8,9,2,3,4,5 (the first eight for an 8-digit number); the
// value 10 is written X, and a lower-case x is accepted.
//
// The error is an EINVALID *Error whose message says what is wrong.
func NormalizePatentNo(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && strings.EqualFold(s[:2], "CN") {
		s = strings.TrimSpace(s[2:])
	}
	if s == "" {
		return "", Errorf(EINVALID, "The patent application number is empty.")
	}
	digits, check, found := strings.Cut(s, ".")
	if !found {
		return "", Errorf(EINVALID, "The patent application number needs a \".\" before its check character, as in CN201710601862.3.")
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", Errorf(EINVALID, "The patent application number may only have digits before the \".\".")
		}
	}
	var typ byte
	switch len(digits) {
	case 12:
		year := atoiDigits(digits[:4])
		if now := patentNow().Year(); year < 1985 || year > now {
			return "", Errorf(EINVALID, "The patent application number starts with the year %d, which is not between 1985 and %d.", year, now)
		}
		typ = digits[4]
	case 8:
		year := atoiDigits(digits[:2])
		if year > 3 && year < 85 {
			return "", Errorf(EINVALID, "The 8-digit patent application number starts with the year %s, which is not between 85 and 03.", digits[:2])
		}
		typ = digits[2]
	default:
		return "", Errorf(EINVALID, "The patent application number has %d digits before the \".\"; it needs 12 (8 for applications filed before October 2003).", len(digits))
	}
	if patentTypeName(typ) == "" {
		return "", Errorf(EINVALID, "The patent application number has type digit %c; it must be 1 (invention), 2 (utility model), 3 (design), 8 or 9 (PCT).", typ)
	}
	want := patentCheck(digits)
	if check == "x" {
		check = "X"
	}
	if len(check) != 1 || (check[0] != 'X' && (check[0] < '0' || check[0] > '9')) {
		return "", Errorf(EINVALID, "The patent application number needs one check character (a digit or X) after the \".\"; expected %c.", want)
	}
	if check[0] != want {
		return "", Errorf(EINVALID, "The patent application number has check character %s; expected %c.", check, want)
	}
	return "CN" + digits + "." + check, nil
}

// PatentType returns the kind of patent an application number designates:
// "invention", "utility_model", "design" or "pct". It accepts any form
// NormalizePatentNo accepts and returns "" for an invalid number.
func PatentType(norm string) string {
	n, err := NormalizePatentNo(norm)
	if err != nil {
		return ""
	}
	digits := n[2:strings.IndexByte(n, '.')]
	if len(digits) == 12 {
		return patentTypeName(digits[4])
	}
	return patentTypeName(digits[2])
}

// patentTypeName maps a type digit to its name, or "" when it is unknown.
func patentTypeName(c byte) string {
	switch c {
	case '1':
		return "invention"
	case '2':
		return "utility_model"
	case '3':
		return "design"
	case '8', '9':
		return "pct"
	}
	return ""
}

// patentCheck returns the check character of digits, which must be 8 or 12
// ASCII digits.
func patentCheck(digits string) byte {
	sum := 0
	for i := 0; i < len(digits); i++ {
		sum += int(digits[i]-'0') * patentWeights[i]
	}
	if r := sum % 11; r < 10 {
		return byte('0' + r)
	}
	return 'X'
}

// atoiDigits converts a short string of ASCII digits to an int.
func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
