package stats

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// The worked example: 技术合同成交额 68.2亿元 in 2020, target 150亿元 in 2025.
// 1亿元 = 10^8 yuan = 10^10 fen, so
//
//	68.2亿元 =   682,000,000,000 fen
//	150亿元  = 1,500,000,000,000 fen
//
// 150/68.2 = 2.199413489736...; ln of that = 0.787190...; /5 = 0.157438...;
// e^0.157438 = 1.170742..., so the required growth is 0.17074248002511611
// (worked to 50 digits with decimal arithmetic).
//
// The path year by year, 682,000,000,000 × 1.17074248002511611^k:
//
//	2021:   798,446,371,377.129 fen ≈ 79.84亿元
//	2022:   934,775,084,993.115 fen ≈ 93.48亿元
//	2023: 1,094,380,901,270.528 fen ≈ 109.44亿元
//	2024: 1,281,238,210,445.580 fen ≈ 128.12亿元
//	2025: 1,500,000,000,000 fen     = 150亿元
const (
	baseline2020 int64 = 682_000_000_000
	target2025   int64 = 1_500_000_000_000
)

func TestRequiredAnnualGrowth(t *testing.T) {
	tests := []struct {
		name             string
		baseline, target int64
		years            int
		want             float64 // NaN for undefined
	}{
		{"68.2 to 150 in 5 years", baseline2020, target2025, 5, 0.17074248002511611},
		{"100 to 121 in 2 years", 100, 121, 2, 0.1},
		{"doubling in 1 year", 5, 10, 1, 1},
		{"no growth", 7, 7, 3, 0},
		{"halving in 1 year", 10, 5, 1, -0.5},
		{"zero baseline", 0, 10, 5, math.NaN()},
		{"negative target", 10, -1, 5, math.NaN()},
		{"zero years", 10, 20, 0, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RequiredAnnualGrowth(tt.baseline, tt.target, tt.years)
			if math.IsNaN(tt.want) {
				if !math.IsNaN(got) {
					t.Errorf("RequiredAnnualGrowth(%d, %d, %d) = %v, want NaN", tt.baseline, tt.target, tt.years, got)
				}
				return
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("RequiredAnnualGrowth(%d, %d, %d) = %.15f, want %.15f", tt.baseline, tt.target, tt.years, got, tt.want)
			}
		})
	}
	// The headline figure, to the 1e-4 the dashboard shows: 17.07 %.
	if got := RequiredAnnualGrowth(baseline2020, target2025, 5); math.Abs(got-0.1707) > 1e-4 {
		t.Errorf("required growth = %v, want 0.1707 ± 1e-4", got)
	}
}

func TestActualAnnualGrowth(t *testing.T) {
	tests := []struct {
		name                  string
		firstYear, lastYear   int
		firstValue, lastValue int64
		want                  float64
		wantOK                bool
	}{
		// 68.2亿元 (2020) → 100亿元 (2023): (100/68.2)^(1/3) − 1 = 0.136070305520361.
		{"68.2 to 100 over 3 years", 2020, 2023, baseline2020, 1_000_000_000_000, 0.136070305520361, true},
		// 10000 → 14641 over 4 years is 1.1^4: exactly 10 % a year.
		{"ten percent", 2020, 2024, 10_000, 14_641, 0.1, true},
		{"fall", 2020, 2022, 400, 100, -0.5, true},
		{"fall to zero", 2020, 2021, 400, 0, -1, true},
		{"same year", 2020, 2020, 400, 500, 0, false},
		{"years reversed", 2021, 2020, 400, 500, 0, false},
		{"zero first value", 2020, 2021, 0, 500, 0, false},
		{"negative last value", 2020, 2021, 400, -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotOK := ActualAnnualGrowth(tt.firstYear, tt.firstValue, tt.lastYear, tt.lastValue)
			if gotOK != tt.wantOK || math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("ActualAnnualGrowth(%d, %d, %d, %d) = %.15f, %v, want %.15f, %v",
					tt.firstYear, tt.firstValue, tt.lastYear, tt.lastValue, got, gotOK, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRequiredPath(t *testing.T) {
	tests := []struct {
		name                     string
		baselineYear, targetYear int
		baseline, target         int64
		want                     []YearValue
	}{
		{"68.2 to 150 by 2025", 2020, 2025, baseline2020, target2025, []YearValue{
			{2020, 682_000_000_000},
			{2021, 798_446_371_377},   // .129 rounds down
			{2022, 934_775_084_993},   // .115 rounds down
			{2023, 1_094_380_901_271}, // .528 rounds up
			{2024, 1_281_238_210_446}, // .580 rounds up
			{2025, 1_500_000_000_000},
		}},
		// 1.1^k: 10000, 11000, 12100, 13310, 14641.
		{"ten percent a year", 2020, 2024, 10_000, 14_641, []YearValue{
			{2020, 10_000}, {2021, 11_000}, {2022, 12_100}, {2023, 13_310}, {2024, 14_641},
		}},
		// 100 → 400 over 2 years: 100, 200, 400; 100 → 150 over 2 years:
		// 100 × √1.5 = 122.47 → 122; 4 → 9 over 2 years: 4 × 1.5 = 6.
		{"doubling", 2020, 2022, 100, 400, []YearValue{{2020, 100}, {2021, 200}, {2022, 400}}},
		{"rounding down", 2020, 2022, 100, 150, []YearValue{{2020, 100}, {2021, 122}, {2022, 150}}},
		{"half-way exact", 2020, 2022, 4, 9, []YearValue{{2020, 4}, {2021, 6}, {2022, 9}}},
		{"one year", 2024, 2025, 5, 6, []YearValue{{2024, 5}, {2025, 6}}},
		{"declining", 2020, 2022, 400, 100, []YearValue{{2020, 400}, {2021, 200}, {2022, 100}}},
		{"same year", 2020, 2020, 5, 5, nil},
		{"reversed", 2025, 2020, 5, 6, nil},
		{"zero baseline", 2020, 2025, 0, 6, nil},
		{"negative target", 2020, 2025, 5, -6, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RequiredPath(tt.baselineYear, tt.baseline, tt.targetYear, tt.target)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("RequiredPath(%d, %d, %d, %d) =\n%v, want\n%v", tt.baselineYear, tt.baseline, tt.targetYear, tt.target, got, tt.want)
			}
		})
	}
}

func TestRequiredPathLarge(t *testing.T) {
	// Values near the top of int64 still round exactly and keep the ends.
	base, target := int64(math.MaxInt64/4), int64(math.MaxInt64)
	got := RequiredPath(2000, base, 2002, target)
	if len(got) != 3 || got[0].Fen != base || got[2].Fen != target {
		t.Fatalf("RequiredPath large = %v", got)
	}
	// √4 = 2 exactly, so the middle is base × 2 = 4611686018427387902.
	if gotMid, wantMid := got[1].Fen, base*2; gotMid != wantMid {
		t.Errorf("middle = %d, want %d", gotMid, wantMid)
	}
}

func TestProjectRunRate(t *testing.T) {
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		ytd  int64
		asOf time.Time
		want int64
	}{
		{"31 December", 100, date(2023, time.December, 31), 100},
		{"31 December leap year", 100, date(2024, time.December, 31), 100},
		{"1 January", 100, date(2023, time.January, 1), 36_500},
		{"1 January leap year", 100, date(2024, time.January, 1), 36_600},
		// 29 February 2024 is day 60 of 366: 6000 × 366 / 60 = 36600.
		{"29 February", 6_000, date(2024, time.February, 29), 36_600},
		// 1 March is day 60 of 365 in 2023: 6000 × 365 / 60 = 36500.
		{"1 March", 6_000, date(2023, time.March, 1), 36_500},
		// 2 July 2023 is day 183 of 365: 1000 × 365 / 183 = 1994.54 → 1995.
		{"2 July rounds up", 1_000, date(2023, time.July, 2), 1_995},
		// 1 July 2024 is day 183 of 366: 1000 × 366 / 183 = 2000 exactly.
		{"1 July leap year", 1_000, date(2024, time.July, 1), 2_000},
		// 30 June 2023 is day 181: 100 × 365 / 181 = 201.66 → 202.
		{"30 June", 100, date(2023, time.June, 30), 202},
		// 1 × 365 / 2 = 182.5 → 183 (half up), and −182.5 → −183.
		{"exact half", 1, date(2023, time.January, 2), 183},
		{"negative half", -1, date(2023, time.January, 2), -183},
		// 2100 is not a leap year (divisible by 100, not 400); 2000 was.
		{"2100 not leap", 10, date(2100, time.January, 1), 3_650},
		{"2000 leap", 10, date(2000, time.January, 1), 3_660},
		{"zero", 0, date(2023, time.May, 5), 0},
		// 68.2亿元 by 30 June 2025 (day 181 of 365):
		// 682,000,000,000 × 365 / 181 = 1,375,303,867,403.31 fen ≈ 137.53亿元.
		{"68.2亿元 by 30 June", baseline2020, date(2025, time.June, 30), 1_375_303_867_403},
		{"clamped", math.MaxInt64, date(2023, time.January, 1), math.MaxInt64},
		{"clamped negative", math.MinInt64, date(2023, time.January, 1), math.MinInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ProjectRunRate(tt.ytd, tt.asOf); got != tt.want {
				t.Errorf("ProjectRunRate(%d, %s) = %d, want %d", tt.ytd, tt.asOf.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

func TestProjectRunRateUsesLocalDate(t *testing.T) {
	// 2023-12-31 20:00 in UTC is already 1 January 2024 in Beijing.
	shanghai := time.FixedZone("CST", 8*3600)
	utc := time.Date(2023, time.December, 31, 20, 0, 0, 0, time.UTC)
	if got, want := ProjectRunRate(100, utc), int64(100); got != want {
		t.Errorf("UTC: got %d, want %d", got, want)
	}
	if got, want := ProjectRunRate(100, utc.In(shanghai)), int64(36_600); got != want {
		t.Errorf("Beijing: got %d, want %d", got, want)
	}
}

func TestProjectTrend(t *testing.T) {
	tests := []struct {
		name   string
		points []YearValue
		year   int
		want   int64
		wantOK bool
	}{
		// 10000 (2020) → 12100 (2022) is 10 % a year: 2023 = 13310, 2024 = 14641.
		{"one year ahead", []YearValue{{2020, 10_000}, {2022, 12_100}}, 2023, 13_310, true},
		{"two years ahead", []YearValue{{2020, 10_000}, {2022, 12_100}}, 2024, 14_641, true},
		{"interpolate", []YearValue{{2020, 10_000}, {2022, 12_100}}, 2021, 11_000, true},
		{"backcast", []YearValue{{2020, 10_000}, {2022, 12_100}}, 2019, 9_091, true}, // 10000/1.1 = 9090.9
		{"latest year", []YearValue{{2020, 10_000}, {2022, 12_100}}, 2022, 12_100, true},
		{"unsorted, middle ignored", []YearValue{{2022, 12_100}, {2021, 1}, {2020, 10_000}}, 2024, 14_641, true},
		// 68.2亿元 (2020) → 100亿元 (2023) at 13.6070 % a year:
		// 2025 = 100亿元 × 1.136070305520361^2 = 100亿元 × (100/68.2)^(2/3)
		//      = 1,000,000,000,000 × 1.29065573908512... = 1,290,655,739,085.126 fen
		//      ≈ 129.07亿元.
		{"technology contracts 2025", []YearValue{{2020, baseline2020}, {2023, 1_000_000_000_000}}, 2025, 1_290_655_739_085, true},
		{"one point", []YearValue{{2020, 10}}, 2021, 0, false},
		{"no points", nil, 2021, 0, false},
		{"zero value", []YearValue{{2020, 0}, {2021, 10}}, 2022, 0, false},
		{"negative value", []YearValue{{2020, 10}, {2021, -10}}, 2022, 0, false},
		{"duplicate year", []YearValue{{2020, 10}, {2020, 20}}, 2022, 0, false},
		{"overflow", []YearValue{{2020, 1}, {2021, math.MaxInt64 / 2}}, 2022, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotOK := ProjectTrend(tt.points, tt.year)
			if got != tt.want || gotOK != tt.wantOK {
				t.Errorf("ProjectTrend(%v, %d) = %d, %v, want %d, %v", tt.points, tt.year, got, gotOK, tt.want, tt.wantOK)
			}
		})
	}
}

func TestProgress(t *testing.T) {
	tests := []struct {
		name           string
		latest, target int64
		want           float64 // NaN for undefined
	}{
		{"half", 750, 1500, 0.5},
		// 68.2 / 150 = 0.454666...
		{"baseline share", baseline2020, target2025, 0.45466666666666666},
		{"exceeded", 1800, 1500, 1.2},
		{"nothing", 0, 1500, 0},
		{"zero target", 10, 0, math.NaN()},
		{"negative target", 10, -5, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Progress(tt.latest, tt.target)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-15) {
				t.Errorf("Progress(%d, %d) = %v, want %v", tt.latest, tt.target, got, tt.want)
			}
		})
	}
}

func TestOnTrack(t *testing.T) {
	path := RequiredPath(2020, baseline2020, 2025, target2025)
	tests := []struct {
		name   string
		year   int
		latest int64
		want   bool
	}{
		{"exactly on the path", 2021, 798_446_371_377, true},
		{"one fen short", 2021, 798_446_371_376, false},
		// 2023 turnover of 100亿元 is below the 109.44亿元 the path requires.
		{"behind in 2023", 2023, 1_000_000_000_000, false},
		{"ahead in 2024", 2024, 1_300_000_000_000, true},
		{"target met", 2025, target2025, true},
		{"year off the path", 2026, target2025 * 2, false},
		{"year before the path", 2019, target2025, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OnTrack(tt.year, tt.latest, path); got != tt.want {
				t.Errorf("OnTrack(%d, %d, path) = %v, want %v", tt.year, tt.latest, got, tt.want)
			}
		})
	}
	if OnTrack(2021, 1, nil) {
		t.Error("OnTrack with a nil path = true, want false")
	}
}

func TestGap(t *testing.T) {
	tests := []struct {
		name              string
		target, projected int64
		want              int64
	}{
		// 150亿元 − 129.0655739085亿元 = 20.9344260915亿元 still to make up.
		{"shortfall", target2025, 1_290_655_739_085, 209_344_260_915},
		{"surplus", 100, 130, -30},
		{"met", 100, 100, 0},
		{"clamped high", math.MaxInt64, -10, math.MaxInt64},
		{"clamped low", math.MinInt64, 10, math.MinInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Gap(tt.target, tt.projected); got != tt.want {
				t.Errorf("Gap(%d, %d) = %d, want %d", tt.target, tt.projected, got, tt.want)
			}
		})
	}
}

func FuzzRequiredPath(f *testing.F) {
	f.Add(2020, baseline2020, 2025, target2025)
	f.Add(2020, int64(10_000), 2024, int64(14_641))
	f.Add(2020, int64(400), 2022, int64(100))
	f.Add(2020, int64(1), 2060, int64(math.MaxInt64))
	f.Add(2020, int64(0), 2021, int64(1))
	f.Fuzz(func(t *testing.T, baselineYear int, baseline int64, targetYear int, target int64) {
		if targetYear-baselineYear > 200 || targetYear-baselineYear < -200 {
			return // keep paths short
		}
		path := RequiredPath(baselineYear, baseline, targetYear, target)
		if targetYear <= baselineYear || baseline <= 0 || target <= 0 {
			if path != nil {
				t.Fatalf("RequiredPath(%d, %d, %d, %d) = %v, want nil", baselineYear, baseline, targetYear, target, path)
			}
			return
		}
		if len(path) != targetYear-baselineYear+1 {
			t.Fatalf("len(path) = %d, want %d", len(path), targetYear-baselineYear+1)
		}
		if path[0].Fen != baseline || path[len(path)-1].Fen != target {
			t.Fatalf("path ends %d, %d, want %d, %d", path[0].Fen, path[len(path)-1].Fen, baseline, target)
		}
		lo, hi := min(baseline, target), max(baseline, target)
		for i, p := range path {
			if p.Year != baselineYear+i {
				t.Fatalf("path[%d].Year = %d, want %d", i, p.Year, baselineYear+i)
			}
			if p.Fen < lo || p.Fen > hi {
				t.Fatalf("path[%d] = %d outside [%d, %d]", i, p.Fen, lo, hi)
			}
			if i > 0 && ((target >= baseline && p.Fen < path[i-1].Fen) || (target < baseline && p.Fen > path[i-1].Fen)) {
				t.Fatalf("path not monotonic at %d: %v", i, path)
			}
		}
		if !OnTrack(targetYear, target, path) {
			t.Fatalf("reaching the target is not on track")
		}
	})
}

func FuzzProjectRunRate(f *testing.F) {
	f.Add(int64(100), int64(1_700_000_000))
	f.Add(int64(-1), int64(0))
	f.Add(int64(math.MaxInt64), int64(1_704_067_200))
	f.Fuzz(func(t *testing.T, ytd int64, unix int64) {
		asOf := time.Unix(unix%(1<<40), 0).UTC()
		got := ProjectRunRate(ytd, asOf)
		// The projection never shrinks the total and keeps its sign.
		if (ytd >= 0 && got < ytd) || (ytd <= 0 && got > ytd) {
			t.Fatalf("ProjectRunRate(%d, %s) = %d", ytd, asOf, got)
		}
		if asOf.Month() == time.December && asOf.Day() == 31 && got != ytd {
			t.Fatalf("ProjectRunRate(%d, 31 December) = %d, want %d", ytd, got, ytd)
		}
	})
}
