package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/techx-cz/techx/internal/stats"
	"github.com/techx-cz/techx/internal/techx"
)

type targetRow struct {
	Code         string
	Name         string
	Unit         string
	BaselineYear int
	BaselineFen  int64
	TargetYear   int
	TargetFen    int64
	CreatedAt    time.Time
}

func (targetRow) TableName() string { return "targets" }

type officialRow struct {
	Code      string
	Year      int
	ValueFen  int64
	UpdatedBy *string
	UpdatedAt time.Time
}

func (officialRow) TableName() string { return "target_official" }

type indicatorValueRow struct {
	No        int
	Year      int
	ValueE4   int64 `gorm:"column:value_e4"`
	UpdatedBy *string
	UpdatedAt time.Time
}

func (indicatorValueRow) TableName() string { return "indicator_values" }

// TargetService implements techx.TargetService on the database.
type TargetService struct {
	db *DB
	tx *techx.Taxonomy
}

// NewTargetService returns a TargetService on db; the indicators come
// from tx.
func NewTargetService(db *DB, tx *techx.Taxonomy) *TargetService {
	return &TargetService{db: db, tx: tx}
}

var _ techx.TargetService = (*TargetService)(nil)

func targetNotFound() error { return techx.Errorf(techx.ENOTFOUND, "Target not found.") }

func (r *targetRow) domain(official []officialRow) *techx.Target {
	t := &techx.Target{Code: r.Code, Name: r.Name, Unit: r.Unit, BaselineYear: r.BaselineYear, BaselineYi: techx.Yi(r.BaselineFen),
		TargetYear: r.TargetYear, TargetYi: techx.Yi(r.TargetFen), Official: []techx.OfficialFigure{}, CreatedAt: r.CreatedAt.UTC()}
	for _, o := range official {
		if o.Code == r.Code {
			t.Official = append(t.Official, techx.OfficialFigure{Year: o.Year, ValueYi: techx.Yi(o.ValueFen), UpdatedAt: o.UpdatedAt.UTC()})
		}
	}
	return t
}

// FindTargets implements techx.TargetService.
func (s *TargetService) FindTargets(ctx context.Context) ([]*techx.Target, error) {
	g := s.db.gorm.WithContext(ctx)
	var rows []targetRow
	if err := g.Order("target_year, code").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	var off []officialRow
	if err := g.Order("code, year").Find(&off).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.Target, len(rows))
	for i := range rows {
		out[i] = rows[i].domain(off)
	}
	return out, nil
}

// FindTargetByCode implements techx.TargetService.
func (s *TargetService) FindTargetByCode(ctx context.Context, code string) (*techx.Target, error) {
	g := s.db.gorm.WithContext(ctx)
	var row targetRow
	err := g.Where("code = ?", code).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, targetNotFound()
	} else if err != nil {
		return nil, dbError(err)
	}
	var off []officialRow
	if err := g.Where("code = ?", code).Order("year").Find(&off).Error; err != nil {
		return nil, dbError(err)
	}
	return row.domain(off), nil
}

// CreateTarget implements techx.TargetService.
func (s *TargetService) CreateTarget(ctx context.Context, nt *techx.NewTarget) (*techx.Target, error) {
	if err := nt.Validate(); err != nil {
		return nil, err
	}
	row := targetRow{Code: nt.Code, Name: nt.Name, Unit: "亿元", BaselineYear: nt.BaselineYear, BaselineFen: int64(*nt.BaselineYi),
		TargetYear: nt.TargetYear, TargetFen: int64(*nt.TargetYi), CreatedAt: s.db.Now()}
	if err := s.db.gorm.WithContext(ctx).Create(&row).Error; err != nil {
		if isUniqueViolation(err) {
			return nil, &techx.Error{Code: techx.ECONFLICT, Message: "A target with this code already exists.",
				Fields: []techx.FieldError{{Field: "code", Message: "already taken"}}}
		}
		return nil, dbError(err)
	}
	return row.domain(nil), nil
}

func targetEditor(ctx context.Context) *string {
	if u := techx.UserFromContext(ctx); u != nil {
		return &u.ID
	}
	return nil
}

// SetOfficialFigure implements techx.TargetService.
func (s *TargetService) SetOfficialFigure(ctx context.Context, code string, year int, value techx.Yi) (*techx.OfficialFigure, error) {
	if _, err := s.FindTargetByCode(ctx, code); err != nil {
		return nil, err
	}
	now := s.db.Now()
	thisYear, _ := strconv.Atoi(techx.Today(now)[:4])
	var v techx.Validation
	v.Check(techx.ValidYear(year) && year <= thisYear, "year", "must be a year from 1980 to this year")
	v.Check(value >= 0, "value_yi", "must not be negative")
	if err := v.Err(); err != nil {
		return nil, err
	}
	row := officialRow{Code: code, Year: year, ValueFen: int64(value), UpdatedBy: targetEditor(ctx), UpdatedAt: now}
	err := s.db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "code"}, {Name: "year"}},
		DoUpdates: clause.AssignmentColumns([]string{"value_fen", "updated_by", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return nil, dbError(err)
	}
	return &techx.OfficialFigure{Year: year, ValueYi: value, UpdatedAt: now}, nil
}

// yearSum is the recorded turnover of one year.
type yearSum struct {
	Y      string
	N      int64
	Amount int64
}

// recordedByYear adds up the contract amounts (合同成交额) of recorded and
// verified contracts signed up to the day asOf, by year, for the metric.
func (s *TargetService) recordedByYear(ctx context.Context, metric techx.Metric, asOf string) (map[int]yearSum, error) {
	q := s.db.gorm.WithContext(ctx).Model(&contractRow{}).
		Select("substr(signed_on, 1, 4) AS y, COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS amount").
		Where("status IN ?", []string{string(techx.ContractRecorded), string(techx.ContractVerified)}).
		Where("signed_on <= ?", asOf).Group("substr(signed_on, 1, 4)")
	if metric != techx.MetricAll {
		q = q.Where("direction = ?", string(metric))
	}
	var rows []yearSum
	if err := q.Scan(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := map[int]yearSum{}
	for _, r := range rows {
		y, err := strconv.Atoi(r.Y)
		if err != nil {
			return nil, fmt.Errorf("year %q: %w", r.Y, err)
		}
		out[y] = r
	}
	return out, nil
}

func yiPtr(fen int64) *techx.Yi { y := techx.Yi(fen); return &y }

func ratioPtr(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// TargetProgress implements techx.TargetService.
//
// A year's figure is its official figure when one is published (metric
// all only), else the sum of the contracts recorded on the platform. The
// current year's figure is year to date; its full-year estimate scales it
// by the days elapsed (stats.ProjectRunRate).
func (s *TargetService) TargetProgress(ctx context.Context, code string, metric techx.Metric, asOf time.Time) (*techx.TargetProgress, error) {
	if metric == "" {
		metric = techx.MetricAll
	}
	if !metric.Valid() {
		return nil, &techx.Error{Code: techx.EINVALID, Message: "Unknown metric.",
			Fields: []techx.FieldError{{Field: "metric", Message: "must be all, outflow or inflow"}}}
	}
	t, err := s.FindTargetByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	today := techx.Today(asOf)
	day, _ := time.Parse(techx.DateLayout, today) // the calendar day in Cangzhou
	thisYear := day.Year()
	recorded, err := s.recordedByYear(ctx, metric, today)
	if err != nil {
		return nil, err
	}
	official := map[int]int64{}
	if metric == techx.MetricAll {
		for _, o := range t.Official {
			official[o.Year] = int64(o.ValueYi)
		}
	}
	B, T := t.BaselineYear, t.TargetYear
	baseline, target := int64(t.BaselineYi), int64(t.TargetYi)
	path := stats.RequiredPath(B, baseline, T, target)
	required := map[int]int64{}
	for _, p := range path {
		required[p.Year] = p.Fen
	}
	// value returns a year's figure and where it comes from.
	value := func(y int) (int64, string, bool) {
		if v, ok := official[y]; ok {
			return v, "official", true
		}
		if r, ok := recorded[y]; ok && r.N > 0 {
			return r.Amount, "recorded", true
		}
		return 0, "", false
	}

	p := &techx.TargetProgress{Code: t.Code, Name: t.Name, Unit: t.Unit, Metric: metric, AsOf: today,
		Baseline: techx.YearFigure{Year: B, ValueYi: t.BaselineYi}, Target: techx.YearFigure{Year: T, ValueYi: t.TargetYi},
		RequiredAnnualGrowth: stats.RequiredAnnualGrowth(baseline, target, T-B), Projection: techx.Projection{Year: T}}

	years := map[int]bool{}
	for y := range official {
		years[y] = true
	}
	for y := range recorded {
		years[y] = true
	}
	for y := range required {
		years[y] = true
	}
	sorted := make([]int, 0, len(years))
	for y := range years {
		sorted = append(sorted, y)
	}
	sort.Ints(sorted)
	p.ByYear = make([]techx.YearProgress, 0, len(sorted))
	for _, y := range sorted {
		yp := techx.YearProgress{Year: y}
		if v, ok := official[y]; ok {
			yp.OfficialYi = yiPtr(v)
		}
		if r, ok := recorded[y]; ok {
			a := techx.Yuan(r.Amount)
			yp.RecordedYuan, yp.RecordedYi, yp.Contracts = &a, yiPtr(r.Amount), r.N
		}
		if v, ok := required[y]; ok {
			yp.RequiredYi = yiPtr(v)
		}
		p.ByYear = append(p.ByYear, yp)
	}

	// The latest figure within [B, min(this year, T)], and the latest
	// complete year after the baseline.
	complete := 0
	for y := min(thisYear, T); y >= B; y-- {
		v, src, ok := value(y)
		if !ok {
			continue
		}
		if p.Latest == nil {
			p.Latest = &techx.LatestFigure{Year: y, ValueYi: techx.Yi(v), Source: src, Complete: y < thisYear}
			p.Progress = ratioPtr(stats.Progress(v, target))
		}
		if y < thisYear && y > B && complete == 0 {
			complete = y
		}
	}
	if complete != 0 {
		v, _, _ := value(complete)
		if g, ok := stats.ActualAnnualGrowth(B, baseline, complete, v); ok {
			p.ActualAnnualGrowth = ratioPtr(g)
		}
	}

	// Trend: the baseline and every complete year after it up to T.
	points := []stats.YearValue{{Year: B, Fen: baseline}}
	for y := B + 1; y <= min(thisYear-1, T); y++ {
		if v, _, ok := value(y); ok && v > 0 {
			points = append(points, stats.YearValue{Year: y, Fen: v})
		}
	}
	if v, ok := stats.ProjectTrend(points, T); ok {
		p.Projection.TrendYi = yiPtr(v)
	}

	// Run rate: this year's figure scaled to the full year.
	var estimate int64
	haveEstimate := false
	if thisYear >= B && thisYear <= T {
		if v, ok := official[thisYear]; ok {
			estimate, haveEstimate = v, true
		} else if r, ok := recorded[thisYear]; ok && r.Amount > 0 {
			estimate, haveEstimate = stats.ProjectRunRate(r.Amount, day), true
		}
	}
	switch {
	case thisYear > T:
		if v, _, ok := value(T); ok {
			p.Projection.RunRateYi = yiPtr(v)
		}
	case haveEstimate && thisYear == T:
		p.Projection.RunRateYi = yiPtr(estimate)
	case haveEstimate && thisYear > B:
		if v, ok := stats.ProjectTrend([]stats.YearValue{{Year: B, Fen: baseline}, {Year: thisYear, Fen: estimate}}, T); ok {
			p.Projection.RunRateYi = yiPtr(v)
		}
	}

	// On track: this year's estimate against the required path, else the
	// latest complete year's figure.
	switch {
	case haveEstimate:
		p.OnTrack = stats.OnTrack(thisYear, estimate, path)
	case complete != 0:
		v, _, _ := value(complete)
		p.OnTrack = stats.OnTrack(complete, v, path)
	}
	if thisYear > T {
		v, _, ok := value(T)
		p.OnTrack = ok && v >= target
	}

	switch {
	case p.Projection.RunRateYi != nil:
		p.GapYi = yiPtr(stats.Gap(target, int64(*p.Projection.RunRateYi)))
	case p.Projection.TrendYi != nil:
		p.GapYi = yiPtr(stats.Gap(target, int64(*p.Projection.TrendYi)))
	}
	return p, nil
}

// planValue parses a value of taxonomy.json's indicators (a JSON number or
// null) exactly, without a float.
func planValue(raw []byte) *string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil
	}
	v, err := techx.ParseDecimal(s, techx.IndicatorScale)
	if err != nil {
		return nil
	}
	out := techx.FormatDecimalTrim(v, techx.IndicatorScale)
	return &out
}

// FindIndicators implements techx.TargetService.
func (s *TargetService) FindIndicators(ctx context.Context) ([]*techx.Indicator, error) {
	var rows []indicatorValueRow
	if err := s.db.gorm.WithContext(ctx).Order("no, year").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.Indicator, 0, len(s.tx.Indicators))
	for _, pi := range s.tx.Indicators {
		out = append(out, s.indicator(pi, rows))
	}
	return out, nil
}

func (s *TargetService) indicator(pi techx.PlanIndicator, rows []indicatorValueRow) *techx.Indicator {
	in := &techx.Indicator{No: pi.No, Name: pi.Name, Unit: pi.Unit, Kind: pi.Kind, Value2020: planValue(pi.Value),
		Target2025: planValue(pi.Target), Values: []techx.IndicatorValue{}}
	var latest int64
	for _, r := range rows {
		if r.No != pi.No {
			continue
		}
		in.Values = append(in.Values, techx.IndicatorValue{Year: r.Year,
			Value: techx.FormatDecimalTrim(r.ValueE4, techx.IndicatorScale), UpdatedAt: r.UpdatedAt.UTC()})
		latest = r.ValueE4
	}
	if n := len(in.Values); n > 0 {
		l := in.Values[n-1]
		in.Latest = &l
		if in.Target2025 != nil {
			t, _ := techx.ParseDecimal(*in.Target2025, techx.IndicatorScale)
			if t > 0 {
				f, _ := new(big.Rat).SetFrac64(latest, t).Float64()
				in.Progress = &f
			}
		}
	}
	return in
}

// SetIndicatorValue implements techx.TargetService.
func (s *TargetService) SetIndicatorValue(ctx context.Context, no, year int, value string) (*techx.Indicator, error) {
	var plan *techx.PlanIndicator
	for i := range s.tx.Indicators {
		if s.tx.Indicators[i].No == no {
			plan = &s.tx.Indicators[i]
		}
	}
	if plan == nil {
		return nil, techx.Errorf(techx.ENOTFOUND, "The plan has no indicator %d.", no)
	}
	var v techx.Validation
	v.Check(techx.ValidYear(year), "year", "must be a year between 1980 and 2100")
	units, err := techx.ParseDecimal(strings.TrimSpace(value), techx.IndicatorScale)
	switch {
	case err != nil:
		v.Add("value", "%s", techx.ErrorMessage(err))
	case units < 0:
		v.Add("value", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	g := s.db.gorm.WithContext(ctx)
	row := indicatorValueRow{No: no, Year: year, ValueE4: units, UpdatedBy: targetEditor(ctx), UpdatedAt: s.db.Now()}
	err = g.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "no"}, {Name: "year"}},
		DoUpdates: clause.AssignmentColumns([]string{"value_e4", "updated_by", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return nil, dbError(err)
	}
	var rows []indicatorValueRow
	if err := g.Where("no = ?", no).Order("year").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	return s.indicator(*plan, rows), nil
}
