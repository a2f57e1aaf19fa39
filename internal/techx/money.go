package techx

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Money in TechX is exact fixed-point: an int64 count of the smallest unit
// and a scale, the number of decimal places that unit stands for. No
// floating-point value is ever used, not even while parsing.

// maxScale is the largest scale ParseDecimal supports: 10^18 still fits in
// an int64.
const maxScale = 18

// ParseDecimal parses a plain decimal number into an integer count of
// 10^-scale units: ParseDecimal("12.5", 2) is 1250.
//
// The accepted syntax is an optional '-', one or more ASCII digits and
// optionally a '.' followed by one to scale digits. Everything else is
// rejected: a '+' sign, white space, exponents ("1e3"), a missing integer
// or fraction part (".5", "5."), more than scale decimal places and values
// outside the int64 range. Negative numbers are accepted; callers that want
// only non-negative amounts must check the sign themselves.
//
// Syntax, precision and range errors are EINVALID *Error values whose
// message can be shown to users; a scale outside 0..18 is a programming
// error and yields a plain error.
func ParseDecimal(s string, scale int) (int64, error) {
	if scale < 0 || scale > maxScale {
		return 0, fmt.Errorf("techx.ParseDecimal: scale %d out of range 0..%d", scale, maxScale)
	}
	t := s
	neg := strings.HasPrefix(t, "-")
	if neg {
		t = t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || (hasDot && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return 0, Errorf(EINVALID, "%s is not a plain decimal number such as 1234.56.", quoteShort(s))
	}
	if len(frac) > scale {
		if scale == 0 {
			return 0, Errorf(EINVALID, "%s must be a whole number.", quoteShort(s))
		}
		return 0, Errorf(EINVALID, "%s may have at most %d decimal places.", quoteShort(s), scale)
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++ // -2^63 is representable.
	}
	var u uint64
	add := func(d uint64) bool {
		if u > (limit-d)/10 {
			return false
		}
		u = u*10 + d
		return true
	}
	ok := true
	for i := 0; ok && i < len(intPart); i++ {
		ok = add(uint64(intPart[i] - '0'))
	}
	for i := 0; ok && i < len(frac); i++ {
		ok = add(uint64(frac[i] - '0'))
	}
	for i := len(frac); ok && i < scale; i++ {
		ok = add(0)
	}
	if !ok {
		return 0, Errorf(EINVALID, "%s is too large.", quoteShort(s))
	}
	if neg {
		return int64(-u), nil // -u wraps to 2^63 for the minimum, as wanted.
	}
	return int64(u), nil
}

// FormatDecimal renders units, a count of 10^-scale units, with exactly
// scale decimal places: FormatDecimal(30, 2) is "0.30". A scale of zero or
// less renders a whole number. The result parses back to units with
// ParseDecimal for scales up to 18.
func FormatDecimal(units int64, scale int) string {
	mag := uint64(units)
	if units < 0 {
		mag = -mag
	}
	return formatDigits(units < 0, strconv.FormatUint(mag, 10), scale)
}

// FormatDecimalTrim is FormatDecimal without trailing zero decimals and,
// when nothing is left after it, the decimal point:
// FormatDecimalTrim(1500000, 4) is "150" and FormatDecimalTrim(125000, 4)
// is "12.5".
func FormatDecimalTrim(units int64, scale int) string {
	s := FormatDecimal(units, scale)
	if strings.IndexByte(s, '.') < 0 {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// formatDigits places a decimal point scale digits from the right of mag,
// the decimal digits of a magnitude, padding with zeros as needed, and
// prefixes '-' when neg is set and the magnitude is not zero.
func formatDigits(neg bool, mag string, scale int) string {
	if scale < 0 {
		scale = 0
	}
	if len(mag) <= scale {
		mag = strings.Repeat("0", scale+1-len(mag)) + mag
	}
	var b strings.Builder
	b.Grow(len(mag) + 2)
	if neg && strings.Trim(mag, "0") != "" {
		b.WriteByte('-')
	}
	b.WriteString(mag[:len(mag)-scale])
	if scale > 0 {
		b.WriteByte('.')
		b.WriteString(mag[len(mag)-scale:])
	}
	return b.String()
}

// allDigits reports whether s consists only of ASCII digits; it is true
// for the empty string.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoteShort quotes s for an error message, or names it generically when
// it is too long to echo back.
func quoteShort(s string) string {
	if len(s) > 40 {
		return "The amount"
	}
	return strconv.Quote(s)
}

// unmarshalDecimalJSON decodes a JSON number token or a JSON string holding
// a decimal into units of 10^-scale. The number token is parsed from its
// raw bytes, never through a float. JSON null is refused: a field that may
// be absent should be a pointer, which encoding/json sets to nil without
// calling the unmarshaler.
func unmarshalDecimalJSON(data []byte, scale int) (int64, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return 0, Errorf(EINVALID, "An amount is required.")
	case string(data) == "null":
		return 0, Errorf(EINVALID, "An amount is required; null is not allowed.")
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return 0, Errorf(EINVALID, "An amount must be a number or a string such as \"1234.56\".")
		}
		return ParseDecimal(s, scale)
	}
	return ParseDecimal(string(data), scale)
}

// scanInteger converts a database value holding an integer to int64. It
// accepts int64 (what database/sql drivers return for integer columns) and
// the decimal text of an integer as []byte or string; NULL and anything
// else, floats included, are errors.
func scanInteger(src any, typ string) (int64, error) {
	switch v := src.(type) {
	case int64:
		return v, nil
	case []byte:
		return parseScanned(string(v), typ)
	case string:
		return parseScanned(v, typ)
	case nil:
		return 0, fmt.Errorf("techx: cannot scan NULL into %s; use *%s or sql.Null[%s]", typ, typ, typ)
	}
	return 0, fmt.Errorf("techx: cannot scan %T into %s", src, typ)
}

// parseScanned parses the decimal text of an integer read from a database.
func parseScanned(s, typ string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("techx: cannot scan %q into %s: %w", s, typ, err)
	}
	return n, nil
}

// Yuan is an amount of money in yuan (元) held exactly as a count of fen
// (分, 0.01 yuan): Yuan(123450) is 1234.50 yuan.
//
// In JSON it is written as a string with exactly two decimals, "1234.50",
// and read from either a JSON number (1234.5) or a string ("1234.5") with
// at most two decimals. In SQL it is stored as an integer count of fen.
type Yuan int64

// yuanScale is the number of decimal places of a Yuan.
const yuanScale = 2

// String returns the amount in yuan with exactly two decimals, "1234.50".
func (y Yuan) String() string { return FormatDecimal(int64(y), yuanScale) }

// MarshalJSON encodes y as a JSON string with two decimals, "1234.50".
func (y Yuan) MarshalJSON() ([]byte, error) {
	return []byte(`"` + y.String() + `"`), nil
}

// UnmarshalJSON decodes a JSON number or string holding a decimal amount of
// yuan with at most two decimal places. Exponents and null are refused;
// use a *Yuan field for an optional amount.
func (y *Yuan) UnmarshalJSON(data []byte) error {
	v, err := unmarshalDecimalJSON(data, yuanScale)
	if err != nil {
		return err
	}
	*y = Yuan(v)
	return nil
}

// Value implements driver.Valuer: the amount is stored as int64 fen.
func (y Yuan) Value() (driver.Value, error) { return int64(y), nil }

// Scan implements sql.Scanner, reading an integer count of fen given as
// int64, []byte or string. NULL is an error.
func (y *Yuan) Scan(src any) error {
	v, err := scanInteger(src, "Yuan")
	if err != nil {
		return err
	}
	*y = Yuan(v)
	return nil
}

// SumYuan adds vs exactly. It returns an EINVALID *Error, and zero, when
// the total does not fit in a Yuan.
func SumYuan(vs ...Yuan) (Yuan, error) {
	var sum int64
	for _, v := range vs {
		x := int64(v)
		if (x > 0 && sum > math.MaxInt64-x) || (x < 0 && sum < math.MinInt64-x) {
			return 0, Errorf(EINVALID, "The amounts add up to more than can be represented.")
		}
		sum += x
	}
	return Yuan(sum), nil
}

// Wan is an amount of money in wan yuan (万元, 10,000 yuan), the unit of
// registered capital and of most official statistics, held exactly with
// four decimals, that is as a count of whole yuan: Wan(125000) is 12.5万元.
//
// In JSON it is written as a string with trailing zeros trimmed ("150",
// "12.5", "0.0001") and read from either a JSON number or a string with at
// most four decimals. In SQL it is stored as an integer count of yuan.
type Wan int64

// wanScale is the number of decimal places of a Wan.
const wanScale = 4

// String returns the amount in wan yuan without trailing zeros: "150",
// "12.5", "0.0001".
func (w Wan) String() string { return FormatDecimalTrim(int64(w), wanScale) }

// MarshalJSON encodes w as a JSON string without trailing zeros, "12.5".
func (w Wan) MarshalJSON() ([]byte, error) {
	return []byte(`"` + w.String() + `"`), nil
}

// UnmarshalJSON decodes a JSON number or string holding a decimal amount of
// wan yuan with at most four decimal places. Exponents and null are
// refused; use a *Wan field for an optional amount.
func (w *Wan) UnmarshalJSON(data []byte) error {
	v, err := unmarshalDecimalJSON(data, wanScale)
	if err != nil {
		return err
	}
	*w = Wan(v)
	return nil
}

// Value implements driver.Valuer: the amount is stored as int64 yuan.
func (w Wan) Value() (driver.Value, error) { return int64(w), nil }

// Scan implements sql.Scanner, reading an integer count of yuan given as
// int64, []byte or string. NULL is an error.
func (w *Wan) Scan(src any) error {
	v, err := scanInteger(src, "Wan")
	if err != nil {
		return err
	}
	*w = Wan(v)
	return nil
}

// fenPerYi is the number of fen in one yi yuan (亿元, 10^8 yuan).
var fenPerYi = big.NewInt(10_000_000_000)

// YuanToYiString renders an amount of fen in yi yuan (亿元, 10^8 yuan) with
// exactly decimals decimal places (none when decimals ≤ 0), rounding half
// away from zero in exact integer arithmetic: 682,000,000,000 fen is
// "68.2000" with four decimals and "68.20" with two.
func YuanToYiString(fen int64, decimals int) string {
	if decimals < 0 {
		decimals = 0
	}
	mag := new(big.Int).Abs(big.NewInt(fen))
	mag.Mul(mag, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
	q, r := new(big.Int).QuoRem(mag, fenPerYi, new(big.Int))
	if r.Lsh(r, 1).Cmp(fenPerYi) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return formatDigits(fen < 0, q.String(), decimals)
}
