package view

import (
	"errors"
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bar is one bar of a Bars chart: a label and its count.
type Bar struct {
	Label string
	Count float64
	// Null marks the bar of missing values; it is labelled "(null)".
	Null bool
}

// Bars is a horizontal bar chart of counts, one bar per label, drawn top
// to bottom in the order given: value counts (most frequent first), rare
// values (least frequent first, the stack counting hunters do) or the bins
// of a histogram.
type Bars struct {
	// Title names what is counted, e.g. "Image by count" (escaped when shown).
	Title string
	// Label and Value name the label and count columns for the axes.
	Label, Value string
	// Bars are the bars shown.
	Bars []Bar
	// Rows is the number of rows (values or bins) there are in all;
	// when it exceeds len(Bars) the caption says how many are shown.
	Rows int64
	// Total is the sum of the counts of all rows, shown or not (0 = unknown).
	Total float64
	// Order describes the order of the bars for the caption, e.g. "most
	// frequent first".
	Order string
	// Note is added to the caption (for example how a histogram was binned).
	Note string
	// Error, when set, is why the chart could not be built.
	Error error
}

// Err reports why the chart cannot be drawn, or nil.
func (b *Bars) Err() error {
	switch {
	case b == nil:
		return errors.New("bars: nil")
	case b.Error != nil:
		return b.Error
	}
	for _, r := range b.Bars {
		if r.Count < 0 {
			return fmt.Errorf("bars: %q has a negative count %v", clean(r.Label), r.Count)
		}
	}
	return nil
}

func (b *Bars) label(r Bar) string {
	switch {
	case r.Null:
		return "(null)"
	case r.Label == "":
		return "(empty)"
	}
	return r.Label
}

func (b *Bars) shown() float64 {
	var s float64
	for _, r := range b.Bars {
		s += r.Count
	}
	return s
}

// caption says what the chart shows in one sentence.
func (b *Bars) caption() string {
	var s strings.Builder
	s.WriteString(clean(b.Title))
	rows := max(b.Rows, int64(len(b.Bars)))
	fmt.Fprintf(&s, ": %d of %s rows shown", len(b.Bars), group(rows))
	if b.Order != "" {
		s.WriteString(", " + b.Order)
	}
	if b.Total > 0 {
		fmt.Fprintf(&s, "; the bars hold %s of %s (%.1f%%)", fmtCount(b.shown()), fmtCount(b.Total), 100*b.shown()/b.Total)
	}
	if b.Note != "" {
		s.WriteString("; " + clean(b.Note))
	}
	s.WriteString(".")
	return s.String()
}

// String lists the bars as text: label and count, one per line.
func (b *Bars) String() string {
	if err := b.Err(); err != nil {
		return "chart not drawn: " + err.Error()
	}
	var s strings.Builder
	s.WriteString(b.caption())
	w := 0
	for _, r := range b.Bars {
		w = max(w, len([]rune(shortenMiddle(clean(b.label(r)), 80))))
	}
	for _, r := range b.Bars {
		fmt.Fprintf(&s, "\n  %-*s %12s", w, shortenMiddle(clean(b.label(r)), 80), fmtCount(r.Count))
	}
	return s.String()
}

// HTML returns the chart as an inline SVG figure with a caption.
func (b *Bars) HTML() string {
	if err := b.Err(); err != nil {
		return errorHTML("chart not drawn", err)
	}
	svg, err := b.render()
	if err != nil {
		return errorHTML("chart not drawn", err)
	}
	return figure("gohunt-bars", svg, b.caption())
}

// SVG returns the chart as a standalone SVG document.
func (b *Bars) SVG() string {
	if b.Err() != nil {
		return ""
	}
	svg, err := b.render()
	if err != nil {
		return ""
	}
	return svg
}

const barHeight = 20

func (b *Bars) render() (string, error) {
	p := newPlot()
	p.Title.Text = shorten(clean(b.Title), 90)
	p.X.Label.Text = shorten(clean(b.Value), 60)
	if p.X.Label.Text == "" {
		p.X.Label.Text = "count"
	}
	n := len(b.Bars)
	vals := make(plotter.Values, n)
	names := make([]string, n)
	labels := make([]string, n)
	xs := make([]float64, n)
	ys := make([]float64, n)
	var peak float64
	for i, r := range b.Bars {
		// NominalY puts the first name at the bottom; the first bar goes on top.
		j := n - 1 - i
		vals[j] = r.Count
		names[j] = shortenMiddle(clean(b.label(r)), 48)
		labels[j] = " " + fmtCount(r.Count)
		xs[j], ys[j] = r.Count, float64(j)
		peak = max(peak, r.Count)
	}
	if n > 0 {
		bc, err := plotter.NewBarChart(vals, vg.Length(barHeight*0.7))
		if err != nil {
			return "", fmt.Errorf("bar chart: %w", err)
		}
		bc.Horizontal = true
		bc.Color = palette[0]
		bc.LineStyle.Width = 0
		p.Add(bc)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xyPairs(xs, ys), Labels: labels})
		if err != nil {
			return "", fmt.Errorf("bar labels: %w", err)
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Font = sans(11)
			lb.TextStyle[i].YAlign = -0.5
			lb.TextStyle[i].Color = color.Gray{0x33}
		}
		p.Add(lb)
		p.NominalY(names...)
	} else {
		p.HideY()
	}
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	grid.Vertical.Color = color.Gray{0xe0}
	p.Add(grid)
	p.X.Min = 0
	// Room on the right for the count labels.
	p.X.Max = peak * 1.15
	if peak == 0 {
		p.X.Max = 1
	}
	p.X.Tick.Marker = countTicks{}
	h := vg.Length(90 + barHeight*max(n, 1))
	return drawSVG(vg.Length(760), h, func(c draw.Canvas) { p.Draw(c) })
}

func xyPairs(xs, ys []float64) plotter.XYs {
	out := make(plotter.XYs, len(xs))
	for i := range xs {
		out[i].X, out[i].Y = xs[i], ys[i]
	}
	return out
}

// countTicks labels a count axis with whole numbers only.
type countTicks struct{}

// Ticks implements plot.Ticker.
func (countTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Label != "" && t.Value != float64(int64(t.Value)) {
			continue
		}
		if t.Label != "" {
			t.Label = fmtCount(t.Value)
		}
		out = append(out, t)
	}
	return out
}

// fmtCount formats a count: whole numbers with thousands separators,
// others with up to three decimals.
func fmtCount(v float64) string {
	if v == float64(int64(v)) {
		return group(int64(v))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
