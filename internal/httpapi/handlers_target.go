package httpapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

func handleTargetList(svc techx.TargetService) gin.HandlerFunc {
	return func(c *gin.Context) {
		ts, err := svc.FindTargets(c.Request.Context())
		if err != nil {
			writeError(c, err)
			return
		}
		writeList(c, ts, len(ts), "")
	}
}

func handleTargetCreate(svc techx.TargetService) gin.HandlerFunc {
	return func(c *gin.Context) {
		var nt techx.NewTarget
		if err := decode(c, &nt); err != nil {
			writeError(c, err)
			return
		}
		t, err := svc.CreateTarget(c.Request.Context(), &nt)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, t)
	}
}

// pathInt reads an integer path parameter, or writes a 422 naming it.
func pathInt(c *gin.Context, name string) (int, bool) {
	n, err := strconv.Atoi(c.Param(name))
	if err != nil || n < 0 || n > 9999 {
		writeError(c, &techx.Error{Code: techx.EINVALID, Message: fmt.Sprintf("%s must be a whole number.", name),
			Fields: []techx.FieldError{{Field: name, Message: "must be a whole number"}}})
		return 0, false
	}
	return n, true
}

type officialRequest struct {
	ValueYi *techx.Yi `json:"value_yi"`
}

func handleOfficialSet(svc techx.TargetService) gin.HandlerFunc {
	return func(c *gin.Context) {
		year, ok := pathInt(c, "year")
		if !ok {
			return
		}
		var r officialRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		if r.ValueYi == nil {
			writeError(c, &techx.Error{Code: techx.EINVALID, Message: "value_yi is required.",
				Fields: []techx.FieldError{{Field: "value_yi", Message: "is required (亿元, a decimal string)"}}})
			return
		}
		f, err := svc.SetOfficialFigure(c.Request.Context(), c.Param("code"), year, *r.ValueYi)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, gin.H{"code": c.Param("code"), "year": f.Year, "value_yi": f.ValueYi, "updated_at": f.UpdatedAt})
	}
}

func handleTargetProgress(svc techx.TargetService, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := svc.TargetProgress(c.Request.Context(), c.Param("code"), techx.Metric(c.DefaultQuery("metric", "all")), now())
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, p)
	}
}

func handleIndicatorList(svc techx.TargetService) gin.HandlerFunc {
	return func(c *gin.Context) {
		ins, err := svc.FindIndicators(c.Request.Context())
		if err != nil {
			writeError(c, err)
			return
		}
		writeList(c, ins, len(ins), "")
	}
}

type indicatorValueRequest struct {
	Value *string `json:"value"`
}

func handleIndicatorSet(svc techx.TargetService) gin.HandlerFunc {
	return func(c *gin.Context) {
		no, ok := pathInt(c, "no")
		if !ok {
			return
		}
		year, ok := pathInt(c, "year")
		if !ok {
			return
		}
		var r indicatorValueRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		if r.Value == nil {
			writeError(c, &techx.Error{Code: techx.EINVALID, Message: "value is required.",
				Fields: []techx.FieldError{{Field: "value", Message: "is required (a decimal string)"}}})
			return
		}
		in, err := svc.SetIndicatorValue(c.Request.Context(), no, year, *r.Value)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, in)
	}
}

func handleTargetChart(svc techx.TargetService, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := svc.TargetProgress(c.Request.Context(), c.Param("code"), techx.Metric(c.DefaultQuery("metric", "all")), now())
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", progressChart(p))
	}
}

// chartStep returns a "nice" axis step in fen (1, 2 or 5 × 10^k) that
// divides max into at most five intervals; all in integers.
func chartStep(max int64) int64 {
	step := int64(1)
	for {
		for _, m := range []int64{1, 2, 5} {
			if step*m*5 >= max {
				return step * m
			}
		}
		if step > (1<<62)/10 {
			return step
		}
		step *= 10
	}
}

// progressChart draws a target's figures by year as an SVG line chart:
// official figures, platform-recorded sums and the required compound path
// from the baseline to the target, with the value axis in 亿元.
func progressChart(p *techx.TargetProgress) []byte {
	const (
		w, h                     = 800, 420
		left, right, top, bottom = 80, 30, 50, 70
	)
	type pt struct {
		year int
		fen  int64
	}
	var official, recorded, required []pt
	minYear, maxYear := p.Baseline.Year, p.Target.Year
	maxFen := int64(p.Target.ValueYi)
	for _, y := range p.ByYear {
		minYear, maxYear = min(minYear, y.Year), max(maxYear, y.Year)
		if y.OfficialYi != nil {
			official = append(official, pt{y.Year, int64(*y.OfficialYi)})
			maxFen = max(maxFen, int64(*y.OfficialYi))
		}
		if y.RecordedYi != nil {
			recorded = append(recorded, pt{y.Year, int64(*y.RecordedYi)})
			maxFen = max(maxFen, int64(*y.RecordedYi))
		}
		if y.RequiredYi != nil {
			required = append(required, pt{y.Year, int64(*y.RequiredYi)})
		}
	}
	if maxYear == minYear {
		maxYear++
	}
	step := chartStep(max(maxFen, 1))
	top5 := step * ((max(maxFen, 1) + step - 1) / step)
	x := func(year int) float64 {
		return left + float64(year-minYear)*float64(w-left-right)/float64(maxYear-minYear)
	}
	y := func(fen int64) float64 { return float64(h-bottom) - float64(fen)/float64(top5)*float64(h-top-bottom) }

	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc(fmt.Sprintf("%s：%d年%s亿元 → %d年%s亿元", p.Name, p.Baseline.Year, p.Baseline.ValueYi, p.Target.Year, p.Target.ValueYi)))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16" font-weight="bold">%s</text>`+"\n", left, esc(p.Name+"（亿元）"))
	// Value axis with grid lines, labelled in 亿元.
	for v := int64(0); v <= top5; v += step {
		yy := y(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`+"\n", left, yy, w-right, yy)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-8, yy, esc(techx.Yi(v).String()))
	}
	fmt.Fprintf(&b, `<text x="18" y="%d" transform="rotate(-90 18 %d)" text-anchor="middle">亿元</text>`+"\n", (h-bottom+top)/2, (h-bottom+top)/2)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333333"/>`+"\n", left, h-bottom, w-right, h-bottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333333"/>`+"\n", left, top, left, h-bottom)
	yearStep := 1
	if maxYear-minYear > 12 {
		yearStep = (maxYear - minYear + 11) / 12
	}
	for yr := minYear; yr <= maxYear; yr += yearStep {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(yr), h-bottom+18, yr)
	}
	series := func(name, color, dash string, pts []pt) {
		if len(pts) == 0 {
			return
		}
		var d bytes.Buffer
		for i, q := range pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(q.year), y(q.fen))
		}
		fmt.Fprintf(&b, `<g><title>%s</title><path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, esc(name), bytes.TrimSpace(d.Bytes()), color, dash)
		for _, q := range pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s</title></circle>`, x(q.year), y(q.fen), color,
				esc(fmt.Sprintf("%s %d：%s亿元", name, q.year, techx.Yi(q.fen))))
		}
		b.WriteString("</g>\n")
	}
	series("目标路径（所需复合增长）", "#9e9e9e", ` stroke-dasharray="6 4"`, required)
	series("官方统计", "#1565c0", "", official)
	series("平台登记", "#ef6c00", "", recorded)
	// Legend.
	for i, l := range []struct{ name, color string }{{"目标路径", "#9e9e9e"}, {"官方统计", "#1565c0"}, {"平台登记", "#ef6c00"}} {
		lx := left + i*150
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, h-22, l.color, lx+20, h-17, esc(l.name))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}
