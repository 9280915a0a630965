package view

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image/color"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// palette is Tableau 10 without its grey, which is kept for "other".
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff},
	{0x76, 0xb7, 0xb2, 0xff}, {0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff},
	{0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff}, {0x9c, 0x75, 0x5f, 0xff},
}

// otherColor is the colour of the lane or bar that gathers the remaining values.
var otherColor = color.RGBA{0xba, 0xb0, 0xac, 0xff}

func laneColor(i int) color.RGBA { return palette[i%len(palette)] }

// sans returns the plot font used for all text, at the given size.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// newPlot returns a plot whose text is all set in the sans font.
func newPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font = sans(14)
	p.X.Label.TextStyle.Font = sans(12)
	p.Y.Label.TextStyle.Font = sans(12)
	p.X.Tick.Label.Font = sans(12)
	p.Y.Tick.Label.Font = sans(12)
	p.Legend.TextStyle.Font = sans(12)
	return p
}

// drawSVG runs paint on a w×h SVG canvas and returns the finished document.
func drawSVG(w, h vg.Length, paint func(c draw.Canvas)) (svg string, err error) {
	defer func() {
		// gonum/plot reports some drawing failures by panicking; turn them into errors.
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing SVG: %v", r)
		}
	}()
	c := vgsvg.NewWith(vgsvg.UseWH(w, h))
	dc := draw.New(c)
	// A white page under everything (the legend lies outside the plot's own background), so
	// the picture reads the same on a dark notebook theme.
	dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: w, Y: 0}, {X: w, Y: h}, {X: 0, Y: h}})
	paint(dc)
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", fmt.Errorf("writing SVG: %w", err)
	}
	return tidySVG(b.String()), nil
}

var (
	svgSize   = regexp.MustCompile(`<svg width="([0-9.]+)pt" height="([0-9.]+)pt"`)
	svgFamily = regexp.MustCompile(`font-family:Liberation (Sans|Serif|Mono);`)
	svgProlog = regexp.MustCompile(`^<\?xml[^>]*>\s*(<!--[^>]*-->\s*)?`)
)

// tidySVG makes vgsvg's output fit notebooks: sizes in CSS pixels (one
// user unit per pixel, scaling down with the output area), a font fallback
// list for browsers without the Liberation fonts (Arial and Helvetica share
// their metrics), and no XML prolog, so that it can be inlined in HTML.
func tidySVG(s string) string {
	s = svgProlog.ReplaceAllString(s, "")
	s = svgSize.ReplaceAllString(s, `<svg width="$1" height="$2" style="max-width:100%;height:auto"`)
	return svgFamily.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case strings.Contains(m, "Sans"):
			return "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"
		case strings.Contains(m, "Mono"):
			return "font-family:'Liberation Mono','Courier New',monospace;"
		}
		return "font-family:'Liberation Serif','Times New Roman',serif;"
	})
}

// errorHTML renders err as a short HTML notice (escaped).
func errorHTML(what string, err error) string {
	return `<div style="color:#b00020"><b>` + html.EscapeString(what) + `:</b> ` + esc(err.Error()) + `</div>`
}

// Visible makes a data string safe to show: invalid UTF-8 becomes U+FFFD, and control
// characters (other than space), bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and
// the others that reorder text, as code hosts flag them) and the line and paragraph
// separators are written as Go escapes (\n, \x01, \u202e), so that they are visible, cannot
// disguise the text around them and cannot break XML, which forbids most of them even when
// escaped. Tables, trees and charts show data through it.
func Visible(s string) string { return clean(s) }

// hidden reports whether r is shown as an escape by clean.
func hidden(r rune) bool {
	switch r {
	case utf8.RuneError, 0xFFFE, 0xFFFF,
		0x061C, 0x200E, 0x200F, // Arabic letter mark, LRM, RLM
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E, // LRE, RLE, PDF, LRO, RLO
		0x2066, 0x2067, 0x2068, 0x2069, // LRI, RLI, FSI, PDI
		0x2028, 0x2029: // line and paragraph separators
		return true
	}
	return unicode.IsControl(r)
}

// clean is Visible.
func clean(s string) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if hidden(r) {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r != utf8.RuneError && hidden(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// esc cleans s and escapes it for HTML text or attribute values.
func esc(s string) string { return html.EscapeString(clean(s)) }

// shorten cuts s to at most n runes, ending it with "…" when it was cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// shortenMiddle cuts s to at most n runes by replacing its middle with
// "…", keeping the start and the end (for paths, the file name).
func shortenMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 5 {
		return shorten(s, n)
	}
	tail := (n - 1) * 3 / 5
	head := n - 1 - tail
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// group formats n with thousands separators: 1234567 -> "1,234,567".
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// figure wraps an SVG picture and a caption into an HTML figure. The SVG is
// an image with a data: URL rather than inline markup: notebook sanitizers
// (JupyterLab's for untrusted notebooks, code hosts') strip inline <svg>
// but keep images, and an SVG shown as an image can run nothing. The
// caption doubles as the image's alt text.
func figure(class, svg, caption string) string {
	var b strings.Builder
	b.WriteString(`<figure class="` + class + `" style="margin:0">`)
	b.WriteString(`<img src="data:image/svg+xml;base64,`)
	b.WriteString(base64.StdEncoding.EncodeToString([]byte(svg)))
	b.WriteString(`" alt="` + esc(caption) + `"`)
	if m := svgSizeAttrs.FindStringSubmatch(svg); m != nil {
		b.WriteString(` width="` + m[1] + `" height="` + m[2] + `"`)
	}
	b.WriteString(` style="max-width:100%;height:auto">`)
	b.WriteString(`<figcaption style="font:12px sans-serif;opacity:.8">`)
	b.WriteString(esc(caption))
	b.WriteString(`</figcaption></figure>`)
	return b.String()
}

var svgSizeAttrs = regexp.MustCompile(`^<svg width="([0-9.]+)" height="([0-9.]+)"`)
