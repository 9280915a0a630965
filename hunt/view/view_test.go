package view

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// svgDoc is what the structure checks read from an SVG: every text element
// and every filled path with its fill colour.
type svgDoc struct {
	texts []string
	fills map[string]int
	width string
}

// parseSVG parses s as XML (failing the test when it is not well-formed)
// and collects its texts and fills.
func parseSVG(t *testing.T, s string) svgDoc {
	t.Helper()
	d := svgDoc{fills: map[string]int{}}
	dec := xml.NewDecoder(strings.NewReader(s))
	var inText bool
	var text strings.Builder
	root := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%.2000s", err, s)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root {
				if el.Name.Local != "svg" {
					t.Fatalf("root element %q, want svg", el.Name.Local)
				}
				for _, a := range el.Attr {
					if a.Name.Local == "width" {
						d.width = a.Value
					}
				}
				root = false
			}
			switch el.Name.Local {
			case "script", "foreignObject", "image":
				t.Fatalf("SVG holds a <%s> element", el.Name.Local)
			case "text":
				inText = true
				text.Reset()
			case "path":
				for _, a := range el.Attr {
					if a.Name.Local == "style" && strings.Contains(a.Value, "fill:#") && !strings.Contains(a.Value, "stroke") {
						i := strings.Index(a.Value, "fill:#")
						d.fills[strings.ToLower(a.Value[i+5:i+12])]++
					}
				}
			}
			for _, a := range el.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Fatalf("SVG element %s has an event handler attribute %s", el.Name.Local, a.Name.Local)
				}
			}
		case xml.CharData:
			if inText {
				text.Write(el)
			}
		case xml.EndElement:
			if el.Name.Local == "text" {
				inText = false
				d.texts = append(d.texts, text.String())
			}
		}
	}
	return d
}

func (d svgDoc) has(s string) bool {
	for _, t := range d.texts {
		if t == s {
			return true
		}
	}
	return false
}

func (d svgDoc) hasPrefix(s string) bool {
	for _, t := range d.texts {
		if strings.HasPrefix(t, s) {
			return true
		}
	}
	return false
}

// allowStyle lets parseHTML accept <style> elements (the process tree has one).
const allowStyle = true

// parseHTML parses s as an HTML fragment and fails on script, iframe,
// object, embed or inline svg elements, images other than a well-formed SVG
// data: URL, and event handler attributes anywhere in it.
func parseHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader("<!DOCTYPE html><html><body>" + s + "</body></html>"))
	if err != nil {
		t.Fatalf("HTML does not parse: %v", err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "img":
				// Only the chart itself: an SVG as a data: URL, which must be well-formed.
				src, _ := attr(n, "src")
				const prefix = "data:image/svg+xml;base64,"
				if !strings.HasPrefix(src, prefix) {
					t.Fatalf("HTML holds an image that is not a data: SVG: %.200s", src)
				}
				raw, err := base64.StdEncoding.DecodeString(src[len(prefix):])
				if err != nil {
					t.Fatalf("image data: %v", err)
				}
				parseSVG(t, string(raw))
			case "script", "iframe", "object", "embed", "svg", "style", "link":
				if n.Data != "style" || !allowStyle {
					t.Fatalf("HTML holds a <%s> element:\n%.3000s", n.Data, s)
				}
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Fatalf("HTML element <%s> has an event handler %s=%q", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return doc
}

func findAll(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

const hostile1 = `<script>alert(1)</script>`
const hostile2 = `<img src=x onerror=alert(2)>`
const hostile3 = `</details></div><b>x</b> & "quotes" 'single'`

func TestBucketFor(t *testing.T) {
	t0 := time.Date(2020, 9, 21, 4, 14, 53, 831e6, time.UTC)
	for _, c := range []struct {
		span time.Duration
		want time.Duration
	}{
		{0, time.Millisecond},
		{500 * time.Millisecond, 5 * time.Millisecond},
		{90 * time.Second, time.Second},
		{6*time.Minute + 7*time.Second, 5 * time.Second},
		{time.Hour, time.Minute},
		{26 * time.Hour, 15 * time.Minute},
		{3 * 24 * time.Hour, time.Hour},
		{40 * 24 * time.Hour, 12 * time.Hour},
		{400 * 24 * time.Hour, 7 * 24 * time.Hour},
		{50 * 365 * 24 * time.Hour, 365 * 24 * time.Hour},
		{200 * 365 * 24 * time.Hour, 2 * 365 * 24 * time.Hour},
	} {
		got := BucketFor(t0, t0.Add(c.span), DefaultBuckets)
		if got != c.want {
			t.Errorf("BucketFor(span %v) = %v, want %v", c.span, got, c.want)
		}
		start := BucketStart(t0, got)
		if n := int(t0.Add(c.span).Sub(start)/got) + 1; n > DefaultBuckets {
			t.Errorf("span %v: %d buckets of %v, more than %d", c.span, n, got, DefaultBuckets)
		}
	}
	// Garbage times (year 1 to 9999) still give a drawable number of buckets.
	lo, hi := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if s := BucketFor(lo, hi, DefaultBuckets); int(hi.Sub(BucketStart(lo, s))/s)+1 > DefaultBuckets {
		t.Errorf("years 1..9999: step %v gives too many buckets", s)
	}
	if s := BucketStart(time.Date(2020, 9, 21, 4, 14, 53, 0, time.UTC), 24*time.Hour); !s.Equal(time.Date(2020, 9, 21, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("day bucket starts at %v, want midnight UTC", s)
	}
}

// sampleTimeline has three lanes over six minutes in 5s buckets with a
// known number of non-empty buckets per lane.
func sampleTimeline() *Timeline {
	first := time.Date(2020, 9, 21, 4, 14, 53, 831e6, time.UTC)
	last := first.Add(6*time.Minute + 7*time.Second)
	step := BucketFor(first, last, DefaultBuckets)
	start := BucketStart(first, step)
	nb := int(last.Sub(start)/step) + 1
	tl := &Timeline{TimeColumn: "UtcTime", By: "EventID", Start: start, Step: step, Buckets: nb, First: first, Last: last, Untimed: 3}
	for i, name := range []string{"10", "4688", hostile1} {
		l := Lane{Name: name, Label: EventLabel("Microsoft-Windows-Sysmon/Operational", name), Counts: make([]int64, nb)}
		if name == "4688" {
			l.Label = EventLabel("Security", name)
		}
		for k := i; k < nb; k += 3 + i {
			l.Counts[k] = int64(1 + k*k*(i+1))
		}
		tl.Lanes = append(tl.Lanes, l)
	}
	other := Lane{Other: true, Counts: make([]int64, nb)}
	other.Counts[nb-1] = 1
	tl.Lanes = append(tl.Lanes, other)
	return tl
}

func nonZero(c []int64) int {
	n := 0
	for _, v := range c {
		if v > 0 {
			n++
		}
	}
	return n
}

func TestTimelineSVGStructure(t *testing.T) {
	tl := sampleTimeline()
	// Lanes of event ids are named from the table of event names.
	if tl.laneLabel(tl.Lanes[0]) != "10 ProcessAccess" || tl.laneLabel(tl.Lanes[1]) != "4688 ProcessCreate" || tl.laneLabel(tl.Lanes[2]) != hostile1 {
		t.Errorf("lane labels %q, %q, %q", tl.laneLabel(tl.Lanes[0]), tl.laneLabel(tl.Lanes[1]), tl.laneLabel(tl.Lanes[2]))
	}
	if err := tl.Err(); err != nil {
		t.Fatal(err)
	}
	svg := tl.SVG()
	d := parseSVG(t, svg)
	// The whole picture, legend included, lies on white (dark notebook themes).
	if !regexp.MustCompile(`<path d="M0,0L900,0L900,([0-9.]+)L0,([0-9.]+)Z" style="fill:#FFFFFF"`).MatchString(svg) {
		t.Error("no white page under the whole timeline")
	}
	if d.width != "900" {
		t.Errorf("svg width %q, want 900 (CSS pixels)", d.width)
	}
	// Lanes on the y axis, top to bottom, and a legend entry with each lane's total.
	for _, l := range tl.Lanes {
		label := tl.laneLabel(l)
		if !d.has(shortenMiddle(label, 28)) {
			t.Errorf("no lane label %q among %q", label, d.texts)
		}
		if entry := shortenMiddle(label, legendLabel) + " (" + group(l.Total()) + ")"; !d.has(entry) {
			t.Errorf("no legend entry %q", entry)
		}
	}
	// One bar per non-empty bucket, in the lane's colour.
	for i, l := range tl.Lanes {
		c := colorString(laneColor(i))
		if l.Other {
			c = colorString(otherColor)
		}
		if got, want := d.fills[c], nonZero(l.Counts); got != want+1 { // +1: legend swatch
			t.Errorf("lane %q: %d shapes filled %s, want %d bars + 1 swatch", l.Name, got, c, want)
		}
	}
	// Time axis: UTC clock labels on round minutes, the date in the axis label.
	if !d.has("time (UTC, 2020-09-21)") {
		t.Errorf("no time axis label in %q", d.texts)
	}
	var clocks []string
	for _, s := range d.texts {
		if tm, err := time.Parse("15:04", s); err == nil && tm.Second() == 0 {
			clocks = append(clocks, s)
		}
	}
	if len(clocks) < 4 || clocks[0] != "04:15" {
		t.Errorf("time tick labels %q, want round minutes from 04:15", clocks)
	}
	if !d.hasPrefix(group(tl.Total()) + " events over time by EventID") {
		t.Errorf("no title in %q", d.texts)
	}
}

func colorString(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	const hex = "0123456789abcdef"
	out := []byte{'#', 0, 0, 0, 0, 0, 0}
	for i, v := range []uint32{r >> 8, g >> 8, b >> 8} {
		out[1+2*i], out[2+2*i] = hex[v>>4], hex[v&15]
	}
	return string(out)
}

func TestTimelineHTMLAndText(t *testing.T) {
	tl := sampleTimeline()
	h := tl.HTML()
	doc := parseHTML(t, h)
	figs := findAll(doc, "figure")
	if len(figs) != 1 || len(findAll(doc, "img")) != 1 || len(findAll(doc, "figcaption")) != 1 {
		t.Fatalf("want one figure with one image and a caption:\n%.500s", h)
	}
	cap := textOf(findAll(doc, "figcaption")[0])
	if alt, _ := attr(findAll(doc, "img")[0], "alt"); alt != cap {
		t.Errorf("image alt %q differs from the caption %q", alt, cap)
	}
	if w, _ := attr(findAll(doc, "img")[0], "width"); w != "900" {
		t.Errorf("image width %q", w)
	}
	for _, want := range []string{"Timeline of " + group(tl.Total()) + " events by EventID (4 lanes)", "2020-09-21 04:14:53.831 to 2020-09-21 04:21:00.831 UTC", "span 6m7s", "5s buckets", "3 events without a readable time left out"} {
		if !strings.Contains(cap, want) {
			t.Errorf("caption %q lacks %q", cap, want)
		}
	}
	if strings.Contains(h, "<script>") || !strings.Contains(tl.SVG(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("lane name not escaped")
	}
	s := tl.String()
	for _, want := range []string{"Timeline of", "span 6m7s", "(other values)", hostile1} {
		if !strings.Contains(s, want) {
			t.Errorf("text fallback lacks %q:\n%s", want, s)
		}
	}
}

func TestTimelineHostileLaneNames(t *testing.T) {
	tl := sampleTimeline()
	tl.Lanes[0].Name, tl.Lanes[0].Label = "10", hostile2
	tl.Lanes[1].Name, tl.Lanes[1].Label = "ctl\x01\x1b[31m\xffend", ""
	d := parseSVG(t, tl.SVG())
	if !d.has(hostile2) {
		t.Errorf("lane %q not shown as text: %q", hostile2, d.texts)
	}
	if !d.has(`ctl\x01\x1b[31m` + "\uFFFD" + "end") {
		t.Errorf("control characters not made visible: %q", d.texts)
	}
	parseHTML(t, tl.HTML())
}

func TestTimelineEmptyAndBroken(t *testing.T) {
	empty := &Timeline{TimeColumn: "UtcTime", Untimed: 5}
	parseSVG(t, empty.SVG())
	if s := empty.String(); !strings.Contains(s, "no events with a time") || !strings.Contains(s, "5 events without a readable time") {
		t.Errorf("empty timeline text: %q", s)
	}
	if h := empty.HTML(); !strings.Contains(h, "no events with a time") || strings.Contains(h, "<img") {
		t.Errorf("empty timeline HTML: %q", h)
	}
	bad := sampleTimeline()
	bad.Lanes[1].Counts = bad.Lanes[1].Counts[:3]
	if bad.Err() == nil {
		t.Fatal("lane with too few counts: no error")
	}
	if h := bad.HTML(); !strings.Contains(h, "timeline not drawn") || bad.SVG() != "" {
		t.Errorf("broken timeline rendered: %.200s", h)
	}
	failed := &Timeline{Error: errors.New("hunt: unknown column \"UtcTim\" <b>")}
	if h := failed.HTML(); !strings.Contains(h, "UtcTim") || !strings.Contains(h, "&lt;b&gt;") {
		t.Errorf("error HTML %q", h)
	}
}

func TestTickLabelsAcrossMidnight(t *testing.T) {
	lo := time.Date(2020, 9, 21, 23, 50, 0, 0, time.UTC)
	var labels []string
	for _, tk := range (timeTicks{}).Ticks(float64(lo.Unix()), float64(lo.Add(20*time.Minute).Unix())) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	want := []string{"23:50", "23:52", "23:54", "23:56", "23:58", "Sep 22 00:00", "00:02", "00:04", "00:06", "00:08", "00:10"}
	if strings.Join(labels, ",") != strings.Join(want, ",") {
		t.Errorf("labels %q, want %q", labels, want)
	}
}

func TestFmtSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		450 * time.Millisecond:                     "450ms",
		12*time.Second + 340*time.Millisecond:      "12.3s",
		5*time.Minute + 30*time.Second:             "5m30s",
		6*time.Minute + 7*time.Second:              "6m7s",
		time.Hour:                                  "1h",
		2*time.Hour + 5*time.Minute:                "2h5m",
		48*time.Hour - 253*time.Millisecond:        "2d",
		3*24*time.Hour + 4*time.Hour + time.Minute: "3d4h",
	} {
		if got := fmtSpan(d); got != want {
			t.Errorf("fmtSpan(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTimeTicksAcrossSpans(t *testing.T) {
	base := time.Date(2020, 9, 21, 23, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		span   time.Duration
		layout string
	}{
		{800 * time.Millisecond, "15:04:05.000"},
		{40 * time.Second, "15:04:05"},
		{50 * time.Minute, "15:04"},
		{20 * 24 * time.Hour, "2006-01-02"},
	} {
		lo := float64(base.Unix())
		ticks := timeTicks{}.Ticks(lo, lo+c.span.Seconds())
		labels := 0
		for _, tk := range ticks {
			if tk.Label == "" {
				continue
			}
			labels++
			l := tk.Label
			if len(l) > len(c.layout) { // "Jan 02 15:04" at a new day
				l = l[len(l)-len(c.layout):]
			}
			if _, err := time.Parse(c.layout, l); err != nil {
				t.Errorf("span %v: tick label %q is not %s", c.span, tk.Label, c.layout)
			}
		}
		if labels < 3 || labels > 12 {
			t.Errorf("span %v: %d labelled ticks", c.span, labels)
		}
	}
}

func sampleBars() *Bars {
	return &Bars{
		Title: "count by Image", Label: "Image", Value: "count", Rows: 7, Total: 1000,
		Bars: []Bar{
			{Label: `C:\Windows\System32\svchost.exe`, Count: 600},
			{Label: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, Count: 250},
			{Null: true, Count: 100},
			{Label: hostile1, Count: 10},
			{Label: hostile2, Count: 2},
			{Label: "", Count: 1},
		},
		Order: "most frequent first",
	}
}

func TestBarsStructure(t *testing.T) {
	b := sampleBars()
	d := parseSVG(t, b.SVG())
	for _, r := range b.Bars {
		if !d.has(shortenMiddle(b.label(r), 48)) {
			t.Errorf("no bar label %q in %q", shortenMiddle(b.label(r), 48), d.texts)
		}
		if !d.has(" " + fmtCount(r.Count)) {
			t.Errorf("no count label %q", fmtCount(r.Count))
		}
	}
	if got := d.fills[colorString(palette[0])]; got != len(b.Bars) {
		t.Errorf("%d bars drawn, want %d", got, len(b.Bars))
	}
	// Long paths keep their file name.
	if !d.hasPrefix(`C:\Windows\`) || !d.has(shortenMiddle(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, 48)) ||
		!strings.HasSuffix(shortenMiddle(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, 48), `powershell.exe`) {
		t.Errorf("long label not shortened in the middle: %q", d.texts)
	}
	doc := parseHTML(t, b.HTML())
	cap := textOf(findAll(doc, "figcaption")[0])
	if !strings.Contains(cap, "6 of 7 rows shown, most frequent first; the bars hold 963 of 1,000 (96.3%)") {
		t.Errorf("caption %q", cap)
	}
	s := b.String()
	for _, want := range []string{"(null)", "(empty)", hostile1, "600"} {
		if !strings.Contains(s, want) {
			t.Errorf("text fallback lacks %q:\n%s", want, s)
		}
	}
	if (&Bars{Bars: []Bar{{Label: "x", Count: -1}}}).Err() == nil {
		t.Error("negative count: no error")
	}
	parseSVG(t, (&Bars{Title: "nothing"}).SVG())
}
