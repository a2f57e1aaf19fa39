// Package stats computes progress toward a numeric target, such as Hebei's
// goal of raising the turnover of technology contracts (技术合同成交额)
// from 68.2亿元 in 2020 to 150亿元 in 2025.
//
// Money is always an int64 count of fen (0.01 yuan); official figures in
// 亿元 are converted by the caller (1亿元 = 10^10 fen). Floating point is
// used only for ratios and growth rates, never to add up money: values
// derived from a growth rate are computed as one exact product of an
// integer and a float64 factor and rounded half away from zero.
package stats

import (
	"math"
	"math/big"
	"time"
)

// YearValue is a yearly figure: a money amount in fen for a calendar year.
type YearValue struct {
	Year int
	Fen  int64
}

// RequiredAnnualGrowth returns the constant yearly growth rate that takes
// baseline to target in years years: (target/baseline)^(1/years) − 1.
// Going from 68.2亿元 to 150亿元 in 5 years needs about 0.170742 (17.07 %)
// a year. It returns NaN unless baseline and target are positive and years
// is at least 1.
func RequiredAnnualGrowth(baseline, target int64, years int) float64 {
	if baseline <= 0 || target <= 0 || years < 1 {
		return math.NaN()
	}
	return math.Pow(float64(target)/float64(baseline), 1/float64(years)) - 1
}

// ActualAnnualGrowth returns the compound annual growth rate (CAGR) from
// firstValue in firstYear to lastValue in lastYear:
// (lastValue/firstValue)^(1/(lastYear−firstYear)) − 1. The result is
// undefined, and ok false, unless lastYear is after firstYear, firstValue
// is positive and lastValue is not negative (a fall to zero is −1).
func ActualAnnualGrowth(firstYear int, firstValue int64, lastYear int, lastValue int64) (rate float64, ok bool) {
	if lastYear <= firstYear || firstValue <= 0 || lastValue < 0 {
		return 0, false
	}
	years := float64(lastYear - firstYear)
	return math.Pow(float64(lastValue)/float64(firstValue), 1/years) - 1, true
}

// RequiredPath returns the compound path from baseline in baselineYear to
// target in targetYear, one value for each year from baselineYear to
// targetYear inclusive. The value for year y is
// baseline × (target/baseline)^((y−baselineYear)/(targetYear−baselineYear)),
// rounded half up to a whole fen; the two ends are baseline and target
// exactly, and every value lies between them. The growth factor is a
// float64, so values are exact to the fen up to about 2^53 fen (90万亿元) and
// carry a relative error of about 1e-15 beyond. It returns nil unless
// targetYear is after baselineYear and both values are positive.
func RequiredPath(baselineYear int, baseline int64, targetYear int, target int64) []YearValue {
	if targetYear <= baselineYear || baseline <= 0 || target <= 0 {
		return nil
	}
	n := targetYear - baselineYear
	ratio := float64(target) / float64(baseline)
	lo, hi := min(baseline, target), max(baseline, target)
	path := make([]YearValue, 0, n+1)
	path = append(path, YearValue{Year: baselineYear, Fen: baseline})
	for k := 1; k < n; k++ {
		v, ok := mulRound(baseline, math.Pow(ratio, float64(k)/float64(n)))
		if !ok {
			v = hi // cannot happen: the factor lies between 1 and ratio
		}
		// The float64 factor is accurate to about 1e-15, so beyond 2^53 fen
		// rounding could step just outside the ends; keep within them.
		path = append(path, YearValue{Year: baselineYear + k, Fen: min(max(v, lo), hi)})
	}
	return append(path, YearValue{Year: targetYear, Fen: target})
}

// ProjectRunRate scales a year-to-date total to a full year in proportion
// to the days elapsed: ytd × daysInYear / dayOfYear, rounded half away from
// zero in integer arithmetic. asOf counts as a complete day: the figure up
// to and including 1 January is multiplied by 365 (366 in a leap year), up
// to 31 December by 1. The date is asOf's calendar date in its own
// location. A result beyond the int64 range is clamped to it.
func ProjectRunRate(ytd int64, asOf time.Time) int64 {
	elapsed := int64(asOf.YearDay())
	days := int64(daysIn(asOf.Year()))
	num := new(big.Int).Mul(big.NewInt(ytd), big.NewInt(days))
	return clampInt(divRound(num, big.NewInt(elapsed)))
}

// ProjectTrend extrapolates points to year using the compound annual
// growth rate between the earliest and the latest point (by year; points
// in between are ignored, so one odd year in the middle does not skew the
// trend): latest × (latest/earliest)^((year − latestYear)/(latestYear −
// earliestYear)), rounded half up to a whole fen. A year before the latest
// interpolates along the same curve.
//
// It reports false when there are fewer than two points, when two points
// share a year, when any value is not positive, or when the projection does
// not fit in an int64.
func ProjectTrend(points []YearValue, year int) (int64, bool) {
	if len(points) < 2 {
		return 0, false
	}
	seen := make(map[int]bool, len(points))
	first, last := points[0], points[0]
	for _, p := range points {
		if p.Fen <= 0 || seen[p.Year] {
			return 0, false
		}
		seen[p.Year] = true
		if p.Year < first.Year {
			first = p
		}
		if p.Year > last.Year {
			last = p
		}
	}
	if year == last.Year {
		return last.Fen, true
	}
	exp := float64(year-last.Year) / float64(last.Year-first.Year)
	return mulRound(last.Fen, math.Pow(float64(last.Fen)/float64(first.Fen), exp))
}

// Progress returns the share of target that latest has reached:
// latest/target, so 0.5 is half-way and values above 1 exceed the target.
// It returns NaN unless target is positive.
func Progress(latest, target int64) float64 {
	if target <= 0 {
		return math.NaN()
	}
	return float64(latest) / float64(target)
}

// OnTrack reports whether latest, the figure for latestYear, is at least
// the value the path requires for that year. It is false when path has no
// value for latestYear.
func OnTrack(latestYear int, latest int64, path []YearValue) bool {
	for _, p := range path {
		if p.Year == latestYear {
			return latest >= p.Fen
		}
	}
	return false
}

// Gap returns target − projected: positive is the shortfall still to be
// made up, negative the margin by which the projection exceeds the target.
// A difference beyond the int64 range is clamped to it.
func Gap(target, projected int64) int64 {
	d := new(big.Int).Sub(big.NewInt(target), big.NewInt(projected))
	return clampInt(d)
}

// daysIn returns the number of days in the Gregorian year y.
func daysIn(y int) int {
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 366
	}
	return 365
}

// mulRound returns v × f rounded half away from zero. The product is
// computed exactly (a 64-bit integer times a 53-bit mantissa fits in 256
// bits). It reports false when f is not finite or the result does not fit
// in an int64.
func mulRound(v int64, f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	x := new(big.Float).SetPrec(256).SetInt64(v)
	x.Mul(x, new(big.Float).SetFloat64(f))
	half := big.NewFloat(0.5)
	if x.Sign() < 0 {
		x.Sub(x, half)
	} else {
		x.Add(x, half)
	}
	i, _ := x.Int(nil) // truncates toward zero
	if !i.IsInt64() {
		return 0, false
	}
	return i.Int64(), true
}

// divRound returns num/den rounded half away from zero; den must be
// positive.
func divRound(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// clampInt returns x as an int64, clamped to the int64 range.
func clampInt(x *big.Int) int64 {
	switch {
	case x.IsInt64():
		return x.Int64()
	case x.Sign() > 0:
		return math.MaxInt64
	}
	return math.MinInt64
}
