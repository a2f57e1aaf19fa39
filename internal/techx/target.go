package techx

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Yi is an amount of money in yi yuan (亿元, 10^8 yuan) held exactly as a
// count of fen: Yi(682_000_000_000) is 68.2亿元. Targets and official
// figures are published in 亿元.
//
// In JSON it is a string in 亿元 without trailing zeros ("68.2", "150",
// "0.0000000001" for one fen), read from a string or number with at most
// ten decimals, the precision of a fen. In SQL it is an integer count of fen.
type Yi int64

// yiScale is the number of decimal places of a Yi: 1亿元 = 10^10 fen.
const yiScale = 10

// FenPerYi is the number of fen in one 亿元.
const FenPerYi int64 = 10_000_000_000

// String renders the amount in 亿元 without trailing zeros.
func (y Yi) String() string { return FormatDecimalTrim(int64(y), yiScale) }

// MarshalJSON encodes y as a JSON string in 亿元, "68.2".
func (y Yi) MarshalJSON() ([]byte, error) { return []byte(`"` + y.String() + `"`), nil }

// UnmarshalJSON decodes an amount in 亿元 with at most ten decimals.
func (y *Yi) UnmarshalJSON(data []byte) error {
	v, err := unmarshalDecimalJSON(data, yiScale)
	if err != nil {
		return err
	}
	*y = Yi(v)
	return nil
}

// ParseYi parses a decimal amount in 亿元 (at most ten decimals) into fen.
func ParseYi(s string) (Yi, error) {
	v, err := ParseDecimal(s, yiScale)
	return Yi(v), err
}

// Metric is what a target's progress is measured on: all contracts, or
// those of one direction. Official figures count for MetricAll only.
type Metric string

// The metrics of target progress.
const (
	MetricAll     Metric = "all"
	MetricOutflow Metric = "outflow"
	MetricInflow  Metric = "inflow"
)

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool { return m == MetricAll || m == MetricOutflow || m == MetricInflow }

// TurnoverTargetCode is the code of the plan's target for technology
// contract turnover: 68.2亿元 in 2020 → 150亿元 in 2025.
const TurnoverTargetCode = "tech_contract_turnover"

// Target is a technology-contract turnover target: from a baseline in one
// year to a target in a later one, both in 亿元.
type Target struct {
	Code         string           `json:"code"`
	Name         string           `json:"name"`
	Unit         string           `json:"unit"`
	BaselineYear int              `json:"baseline_year"`
	BaselineYi   Yi               `json:"baseline_yi"`
	TargetYear   int              `json:"target_year"`
	TargetYi     Yi               `json:"target_yi"`
	Official     []OfficialFigure `json:"official"`
	CreatedAt    time.Time        `json:"created_at"`
}

// OfficialFigure is a published yearly turnover, entered by an admin; it is
// shown apart from the sums of contracts recorded on the platform.
type OfficialFigure struct {
	Year      int       `json:"year"`
	ValueYi   Yi        `json:"value_yi"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewTarget is the input of POST /targets.
type NewTarget struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	BaselineYear int    `json:"baseline_year"`
	BaselineYi   *Yi    `json:"baseline_yi"`
	TargetYear   int    `json:"target_year"`
	TargetYi     *Yi    `json:"target_yi"`
}

var targetCodePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,63}$`)

// ValidYear reports whether y is a plausible statistics year.
func ValidYear(y int) bool { return y >= 1980 && y <= 2100 }

// Validate checks the new target.
func (t *NewTarget) Validate() error {
	t.Code = strings.TrimSpace(t.Code)
	t.Name = strings.TrimSpace(t.Name)
	var v Validation
	v.Check(targetCodePattern.MatchString(t.Code), "code", "must be 2 to 64 lower-case letters, digits or _, starting with a letter")
	n := utf8.RuneCountInString(t.Name)
	v.Check(n >= 2 && n <= 100, "name", "must be 2 to 100 characters")
	v.Check(ValidYear(t.BaselineYear), "baseline_year", "must be a year between 1980 and 2100")
	v.Check(ValidYear(t.TargetYear), "target_year", "must be a year between 1980 and 2100")
	if ValidYear(t.BaselineYear) && ValidYear(t.TargetYear) {
		v.Check(t.TargetYear > t.BaselineYear, "target_year", "must be after baseline_year")
	}
	v.Check(t.BaselineYi != nil && *t.BaselineYi > 0, "baseline_yi", "is required and must be greater than 0")
	v.Check(t.TargetYi != nil && *t.TargetYi > 0, "target_yi", "is required and must be greater than 0")
	return v.Err()
}

// YearFigure is an amount in 亿元 for a year.
type YearFigure struct {
	Year    int `json:"year"`
	ValueYi Yi  `json:"value_yi"`
}

// YearProgress is one year of a target's progress: the official figure and
// the platform-recorded sum side by side, and the value the required
// compound path asks for in that year (between baseline and target years).
type YearProgress struct {
	Year         int   `json:"year"`
	OfficialYi   *Yi   `json:"official_yi"`
	RecordedYuan *Yuan `json:"recorded_yuan"`
	RecordedYi   *Yi   `json:"recorded_yi"`
	Contracts    int64 `json:"contracts"`
	RequiredYi   *Yi   `json:"required_yi"`
}

// LatestFigure is the figure progress is measured on.
type LatestFigure struct {
	Year    int    `json:"year"`
	ValueYi Yi     `json:"value_yi"`
	Source  string `json:"source"` // "official" or "recorded"
	// Complete is false for the current year, whose figure is year to date.
	Complete bool `json:"complete"`
}

// Projection is the projected figure for the target year.
type Projection struct {
	Year int `json:"year"`
	// RunRateYi scales the current year's recorded figure to the full year
	// and, before the target year, carries it on at the growth from the
	// baseline; in or after the target year it is that year's figure.
	RunRateYi *Yi `json:"run_rate_yi"`
	// TrendYi extends the compound growth from the baseline year to the
	// latest complete year.
	TrendYi *Yi `json:"trend_yi"`
}

// TargetProgress is how far a target has come.
type TargetProgress struct {
	Code                 string         `json:"code"`
	Name                 string         `json:"name"`
	Unit                 string         `json:"unit"`
	Metric               Metric         `json:"metric"`
	AsOf                 string         `json:"as_of"`
	Baseline             YearFigure     `json:"baseline"`
	Target               YearFigure     `json:"target"`
	ByYear               []YearProgress `json:"by_year"`
	Latest               *LatestFigure  `json:"latest"`
	Progress             *float64       `json:"progress"`
	RequiredAnnualGrowth float64        `json:"required_annual_growth"`
	ActualAnnualGrowth   *float64       `json:"actual_annual_growth"`
	Projection           Projection     `json:"projection"`
	OnTrack              bool           `json:"on_track"`
	GapYi                *Yi            `json:"gap_yi"`
}

// IndicatorValue is a yearly value of one of the plan's indicators, a
// decimal string with at most four decimals (the values are percentages
// and counts, not money).
type IndicatorValue struct {
	Year      int       `json:"year"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
}

// IndicatorScale is the number of decimals indicator values keep.
const IndicatorScale = 4

// Indicator is one of the plan's indicators with its recorded values.
type Indicator struct {
	No         int              `json:"no"`
	Name       string           `json:"name"`
	Unit       string           `json:"unit"`
	Kind       string           `json:"kind"`
	Value2020  *string          `json:"value_2020"`
	Target2025 *string          `json:"target_2025"`
	Values     []IndicatorValue `json:"values"`
	Latest     *IndicatorValue  `json:"latest"`
	// Progress is the latest value over the 2025 target (null without
	// either).
	Progress *float64 `json:"progress"`
}

// TargetService stores targets, official figures and indicator values,
// and measures progress against the recorded contracts.
type TargetService interface {
	// FindTargets returns every target with its official figures.
	FindTargets(ctx context.Context) ([]*Target, error)
	// FindTargetByCode returns one target. ENOTFOUND.
	FindTargetByCode(ctx context.Context, code string) (*Target, error)
	// CreateTarget adds a target. EINVALID, ECONFLICT (code taken).
	CreateTarget(ctx context.Context, nt *NewTarget) (*Target, error)
	// SetOfficialFigure enters or replaces the published figure of a year.
	// ENOTFOUND, EINVALID.
	SetOfficialFigure(ctx context.Context, code string, year int, value Yi) (*OfficialFigure, error)
	// TargetProgress measures a target's progress as of a time. ENOTFOUND,
	// EINVALID (unknown metric).
	TargetProgress(ctx context.Context, code string, metric Metric, asOf time.Time) (*TargetProgress, error)
	// FindIndicators returns the plan's indicators with their values.
	FindIndicators(ctx context.Context) ([]*Indicator, error)
	// SetIndicatorValue enters or replaces an indicator's value for a year.
	// ENOTFOUND (unknown indicator), EINVALID.
	SetIndicatorValue(ctx context.Context, no, year int, value string) (*Indicator, error)
}
