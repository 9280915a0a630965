package view

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Lane is one row of a Timeline: the events whose grouping value is Name,
// counted per time bucket.
type Lane struct {
	// Name is the grouping value (for example an EventID or a host name).
	Name string
	// Label, when set, names the lane instead of Name, for example
	// "10 ProcessAccess" for the Sysmon events of EventID 10.
	Label string
	// Other marks the lane that gathers every value beyond the lanes shown.
	Other bool
	// Counts[i] is the number of events in bucket i, that is in
	// [Start + i*Step, Start + (i+1)*Step).
	Counts []int64
}

// Total returns the number of events in the lane.
func (l Lane) Total() int64 {
	var n int64
	for _, c := range l.Counts {
		n += c
	}
	return n
}

// Timeline shows events over time: one lane per value of a grouping
// column, one bar per time bucket whose height grows with the count.
// Times are UTC. Build one from counts (package hunt does so from a frame
// with Frame.Timeline) and display it; HTML, SVG and String render it.
type Timeline struct {
	// TimeColumn and By name the columns the counts come from; they are
	// used in the axis label and caption. By may be empty (a single lane).
	TimeColumn, By string
	// Start is the start of the first bucket; Step is the bucket width.
	Start time.Time
	Step  time.Duration
	// Buckets is the number of buckets on the time axis.
	Buckets int
	// Lanes are drawn top to bottom in this order.
	Lanes []Lane
	// First and Last are the times of the earliest and latest event.
	First, Last time.Time
	// Untimed counts events left out because their time was missing or
	// could not be read; the caption says so when it is not zero.
	Untimed int64
	// Source names where the counts were made (for example "DuckDB" or
	// "Elasticsearch date_histogram"); shown in the caption when set.
	Source string
	// Error, when set, is why the timeline could not be built; the views
	// then show the error instead of a picture.
	Error error
}

// niceSteps are the bucket widths a timeline may use, shortest first.
var niceSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
	30 * 24 * time.Hour, 90 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// DefaultBuckets is the number of buckets BucketFor aims at: fine enough to
// show bursts, coarse enough for every bar to be at least a few pixels wide.
const DefaultBuckets = 120

// BucketFor returns the bucket width for events spanning first..last: the
// shortest round width (1ms, 2ms, 5ms, ... 1s, 2s, 5s, 10s, 15s, 30s, 1m, ...
// 1h, 2h, 3h, 6h, 12h, 1d, 2d, 7d, 14d, 30d, 90d, 365d, then doubling years)
// that needs at most max buckets once first is rounded down to a multiple of it.
func BucketFor(first, last time.Time, max int) time.Duration {
	if max < 1 {
		max = 1
	}
	fits := func(s time.Duration) bool { return int64(last.Sub(first.Truncate(s))/s)+1 <= int64(max) }
	for _, s := range niceSteps {
		if fits(s) {
			return s
		}
	}
	// Centuries of span (bad times in the data): whole multiples of a year.
	s := niceSteps[len(niceSteps)-1]
	for !fits(s) && s < math.MaxInt64/4 {
		s *= 2
	}
	return s
}

// BucketStart returns the start of the bucket of width step holding t:
// t rounded down to a multiple of step (in UTC, so day buckets start at
// midnight UTC).
func BucketStart(t time.Time, step time.Duration) time.Time {
	return t.UTC().Truncate(step)
}

// Err reports why the timeline cannot be drawn, or nil.
func (t *Timeline) Err() error {
	switch {
	case t == nil:
		return errors.New("timeline: nil")
	case t.Error != nil:
		return t.Error
	case t.Buckets < 0:
		return fmt.Errorf("timeline: %d buckets", t.Buckets)
	case t.Buckets > 0 && t.Step <= 0:
		return fmt.Errorf("timeline: bucket width %v is not positive", t.Step)
	}
	for _, l := range t.Lanes {
		if len(l.Counts) != t.Buckets {
			return fmt.Errorf("timeline: lane %q has %d counts for %d buckets", clean(l.Name), len(l.Counts), t.Buckets)
		}
	}
	return nil
}

// Total returns the number of events drawn (Untimed ones excluded).
func (t *Timeline) Total() int64 {
	var n int64
	for _, l := range t.Lanes {
		n += l.Total()
	}
	return n
}

// Span returns the time from the first to the last event.
func (t *Timeline) Span() time.Duration { return t.Last.Sub(t.First) }

// String describes the timeline in plain text: events, span, bucket width
// and the count of each lane.
func (t *Timeline) String() string {
	if err := t.Err(); err != nil {
		return "timeline not drawn: " + err.Error()
	}
	var b strings.Builder
	b.WriteString(t.caption())
	if len(t.Lanes) > 0 {
		b.WriteString("\n")
		w := 0
		for _, l := range t.Lanes {
			w = max(w, len([]rune(clean(t.laneLabel(l)))))
		}
		for _, l := range t.Lanes {
			fmt.Fprintf(&b, "  %-*s %12s\n", w, clean(t.laneLabel(l)), group(l.Total()))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func (t *Timeline) laneLabel(l Lane) string {
	if l.Other {
		return "(other values)"
	}
	if l.Label != "" {
		return l.Label
	}
	if l.Name == "" {
		return "(empty)"
	}
	return l.Name
}

// legendEntry is a lane's legend text: "10 ProcessAccess (1,493)".
func (t *Timeline) legendEntry(l Lane, n int) string {
	return fmt.Sprintf("%s (%s)", shortenMiddle(clean(t.laneLabel(l)), n), group(l.Total()))
}

// caption says what the picture shows in one sentence.
func (t *Timeline) caption() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Timeline of %s events", group(t.Total()))
	if t.By != "" {
		fmt.Fprintf(&b, " by %s (%d lanes)", t.By, len(t.Lanes))
	}
	if t.Total() == 0 {
		b.WriteString(": no events with a time")
	} else {
		fmt.Fprintf(&b, ", %s to %s UTC (span %s), %s buckets, time from %s",
			fmtTime(t.First, 0), fmtTime(t.Last, 0), fmtSpan(t.Span()), fmtSpan(t.Step), t.TimeColumn)
	}
	if t.Untimed > 0 {
		fmt.Fprintf(&b, "; %s events without a readable time left out", group(t.Untimed))
	}
	if t.Source != "" {
		fmt.Fprintf(&b, "; counted by %s", t.Source)
	}
	b.WriteString(". Bar height: events per bucket, log scale.")
	return b.String()
}

// HTML returns the timeline as an inline SVG figure with a caption.
func (t *Timeline) HTML() string {
	if err := t.Err(); err != nil {
		return errorHTML("timeline not drawn", err)
	}
	if t.Total() == 0 {
		// Nothing to draw: say so rather than show empty axes.
		return `<div class="gohunt-timeline" style="font:12px sans-serif">` + esc(t.caption()) + `</div>`
	}
	svg, err := t.render()
	if err != nil {
		return errorHTML("timeline not drawn", err)
	}
	return figure("gohunt-timeline", svg, t.caption())
}

// SVG returns the timeline as a standalone SVG document.
func (t *Timeline) SVG() string {
	if err := t.Err(); err != nil {
		return ""
	}
	svg, err := t.render()
	if err != nil {
		return ""
	}
	return svg
}

const (
	timelineWidth = 900
	laneHeight    = 26
	legendLabel   = 30 // runes of a lane name in the legend
)

func (t *Timeline) render() (string, error) {
	p := newPlot()
	unix := func(tm time.Time) float64 { return float64(tm.UnixNano()) / 1e9 }
	end := t.Start.Add(time.Duration(t.Buckets) * t.Step)
	if t.Buckets == 0 {
		end = t.Start.Add(time.Minute)
	}
	p.X.Min, p.X.Max = unix(t.Start), unix(end)
	p.X.Tick.Marker = timeTicks{step: t.Step}
	p.X.Label.Text = "time (UTC, " + t.Start.UTC().Format("2006-01-02") + ")"
	p.Title.Text = strings.TrimSpace(fmt.Sprintf("%s events over time %s", group(t.Total()), byText(t.By)))

	names := make([]string, len(t.Lanes))
	for i, l := range t.Lanes {
		// NominalY puts names[0] at the bottom; lane 0 is drawn at the top.
		names[len(t.Lanes)-1-i] = shortenMiddle(clean(t.laneLabel(l)), 28)
	}
	if len(names) > 0 {
		p.NominalY(names...)
	} else {
		p.Y.Min, p.Y.Max = -0.5, 0.5
		p.HideY()
	}
	p.Y.Padding = 0
	p.X.Padding = 0
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	grid.Vertical.Color = color.Gray{0xe0}
	p.Add(grid)
	p.Add(&lanePlotter{t: t, unix: unix})

	// Legend: one entry per lane with its colour and total, right of the chart.
	leg := plot.NewLegend()
	leg.TextStyle.Font = sans(12)
	leg.Top = true
	leg.Left = true
	leg.Padding = 5
	leg.ThumbnailWidth = 12
	for i, l := range t.Lanes {
		c := color.Color(laneColor(i))
		if l.Other {
			c = otherColor
		}
		leg.Add(t.legendEntry(l, legendLabel), swatch{c})
	}
	legW := vg.Length(0)
	if len(t.Lanes) > 0 {
		legW = legendWidth(leg.TextStyle, t, legendLabel) + 30
	}
	h := vg.Length(90 + laneHeight*max(len(t.Lanes), 1))
	if lh := vg.Length(60 + 19*len(t.Lanes)); lh > h {
		h = lh
	}
	w := vg.Length(timelineWidth)
	return drawSVG(w, h, func(c draw.Canvas) {
		plotArea := c
		plotArea.Max.X -= legW
		p.Draw(plotArea)
		if legW > 0 {
			legArea := c
			legArea.Min.X = c.Max.X - legW + 10
			legArea.Max.Y -= 30
			leg.Draw(legArea)
		}
	})
}

func byText(by string) string {
	if by == "" {
		return ""
	}
	return "by " + shorten(clean(by), 40)
}

func legendWidth(sty text.Style, t *Timeline, n int) vg.Length {
	var w vg.Length
	for _, l := range t.Lanes {
		w = max(w, sty.Width(t.legendEntry(l, n)))
	}
	return w + 20
}

// swatch is a legend thumbnail: a filled square in the lane colour.
type swatch struct{ c color.Color }

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.c, c.ClipPolygonXY([]vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	}))
}

// lanePlotter draws the buckets of every lane as bars rising from the lane's
// baseline, heights on a log scale shared by all lanes so that a single event
// stays visible next to a burst of thousands.
type lanePlotter struct {
	t    *Timeline
	unix func(time.Time) float64
}

// Plot implements plot.Plotter.
func (lp *lanePlotter) Plot(c draw.Canvas, p *plot.Plot) {
	t := lp.t
	trX, trY := p.Transforms(&c)
	var peak int64
	for _, l := range t.Lanes {
		for _, n := range l.Counts {
			peak = max(peak, n)
		}
	}
	logPeak := math.Log1p(float64(peak))
	n := len(t.Lanes)
	for i, l := range t.Lanes {
		y := float64(n - 1 - i)
		base, top := trY(y-0.42), trY(y+0.42)
		c.StrokeLine2(draw.LineStyle{Color: color.Gray{0xc8}, Width: 0.5}, c.Min.X, base, c.Max.X, base)
		col := color.Color(laneColor(i))
		if l.Other {
			col = otherColor
		}
		for k, cnt := range l.Counts {
			if cnt <= 0 {
				continue
			}
			x0 := trX(lp.unix(t.Start.Add(time.Duration(k) * t.Step)))
			x1 := trX(lp.unix(t.Start.Add(time.Duration(k+1) * t.Step)))
			if x1-x0 > 2 {
				x1 -= 0.5 // a hair of space between neighbouring bars
			}
			if x1-x0 < 1 {
				x1 = x0 + 1
			}
			frac := 1.0
			if logPeak > 0 {
				frac = math.Log1p(float64(cnt)) / logPeak
			}
			frac = math.Max(frac, 0.12)
			yt := base + vg.Length(frac)*(top-base)
			c.FillPolygon(col, []vg.Point{{X: x0, Y: base}, {X: x1, Y: base}, {X: x1, Y: yt}, {X: x0, Y: yt}})
		}
	}
}

// DataRange implements plot.DataRanger.
func (lp *lanePlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	t := lp.t
	end := t.Start.Add(time.Duration(t.Buckets) * t.Step)
	return lp.unix(t.Start), lp.unix(end), -0.5, float64(len(t.Lanes)) - 0.5
}

// timeTicks places ticks on round UTC times (whole minutes, hours, days)
// and labels them with as much of the date and time as the span needs.
type timeTicks struct{ step time.Duration }

// tickSteps are the distances between major time ticks.
var tickSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour,
	6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour,
	14 * 24 * time.Hour, 28 * 24 * time.Hour, 91 * 24 * time.Hour, 182 * 24 * time.Hour, 364 * 24 * time.Hour,
}

// Ticks implements plot.Ticker for axis values in Unix seconds.
func (tt timeTicks) Ticks(min, max float64) []plot.Tick {
	toTime := func(v float64) time.Time {
		sec, frac := math.Modf(v)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
	}
	lo, hi := toTime(min), toTime(max)
	span := hi.Sub(lo)
	major := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 10 {
			major = s
			break
		}
	}
	var ticks []plot.Tick
	prev := time.Time{}
	for t := lo.Truncate(major); !t.After(hi); t = t.Add(major) {
		if t.Before(lo) {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: float64(t.UnixNano()) / 1e9, Label: tickLabel(t, prev, major)})
		prev = t
		if len(ticks) > 50 {
			break
		}
	}
	// Minor ticks at a fifth (or quarter) of the major step help read buckets.
	minor := major / 5
	if major%(4*time.Minute) == 0 || major == 15*time.Second || major == 15*time.Minute {
		minor = major / 3
	}
	if minor > 0 {
		n := 0
		for t := lo.Truncate(minor); !t.After(hi) && n < 400; t = t.Add(minor) {
			n++
			if t.Before(lo) || t.Truncate(major).Equal(t) {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: float64(t.UnixNano()) / 1e9})
		}
	}
	return ticks
}

// tickLabel formats a tick at t: the time of day at the precision of the
// tick step, preceded by the date at the first tick and whenever the day
// changes.
func tickLabel(t, prev time.Time, major time.Duration) string {
	var clock string
	switch {
	case major < time.Second:
		clock = t.Format("15:04:05.000")
	case major < time.Minute:
		clock = t.Format("15:04:05")
	case major < 24*time.Hour:
		clock = t.Format("15:04")
	}
	newDay := prev.IsZero() || prev.YearDay() != t.YearDay() || prev.Year() != t.Year()
	switch {
	case clock == "":
		return t.Format("2006-01-02")
	case newDay && (major >= time.Hour || !prev.IsZero()):
		// The date at the first tick of a day (the axis label names the first day).
		return t.Format("Jan 02") + " " + clock
	}
	return clock
}

// fmtTime formats a UTC time with milliseconds only when it has them.
func fmtTime(t time.Time, _ int) string {
	t = t.UTC()
	if t.Nanosecond()/1e6 != 0 {
		return t.Format("2006-01-02 15:04:05.000")
	}
	return t.Format("2006-01-02 15:04:05")
}

// fmtSpan formats a duration the way a hunter reads it: 450ms, 12s, 5m30s,
// 2h5m, 3d4h.
func fmtSpan(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		s := d.Round(time.Second).String() // "5m30s", "6m0s"
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		return s
	case d < 24*time.Hour:
		s := strings.TrimSuffix(d.Round(time.Minute).String(), "0s") // "2h5m0s" -> "2h5m"
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	}
	d = d.Round(time.Hour)
	days := d / (24 * time.Hour)
	rest := d % (24 * time.Hour) / time.Hour
	if rest == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, rest)
}
