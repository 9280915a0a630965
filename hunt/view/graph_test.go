package view

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

var hostileIDs = []string{
	`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `]]><x/>`, "a\x00b\x01c", "rtl\u202eexe.txt",
	"&amp;lt;", "bad\xffutf8", `{{7*7}}`, "line\nbreak",
}

// svgOf returns the SVG document inside a Graph's HTML figure.
func svgOf(t *testing.T, html string) string {
	t.Helper()
	m := regexp.MustCompile(`data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no SVG image in %.200q", html)
	}
	b, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wellFormed parses s as XML and returns its text nodes.
func wellFormed(t *testing.T, s string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	var texts []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return texts
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if c, ok := tok.(xml.CharData); ok && strings.TrimSpace(string(c)) != "" {
			texts = append(texts, string(c))
		}
		if se, ok := tok.(xml.StartElement); ok && strings.EqualFold(se.Name.Local, "script") {
			t.Fatal("SVG holds a script element")
		}
	}
}

func TestGraphHostileLabels(t *testing.T) {
	var edges []GraphEdge
	for i, id := range hostileIDs {
		edges = append(edges, GraphEdge{Src: "host", Dst: id, Count: int64(i + 1)})
	}
	g := NewGraph(edges).Highlight(`<b>path</b>`, "host", hostileIDs[0])
	html := g.HTML()
	for _, bad := range []string{"<script", "<img src=x", "onerror=alert(1)>", "\u202e", "<b>"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML holds %q raw", bad)
		}
	}
	svg := svgOf(t, html)
	if strings.Contains(svg, "<script") || strings.Contains(svg, "<img") || strings.Contains(svg, "<x/>") || strings.Contains(svg, "\u202e") {
		t.Errorf("SVG holds a hostile label raw: %s", svg)
	}
	texts := wellFormed(t, svg)
	want := map[string]bool{}
	for _, id := range append(hostileIDs, "host") {
		want[shortenMiddle(Visible(id), graphLabelN)] = true
	}
	for _, tx := range texts {
		if !want[tx] {
			t.Errorf("unexpected label %q", tx)
		}
		delete(want, tx)
	}
	if len(want) != 0 {
		t.Errorf("labels not drawn: %v", want)
	}
	if !strings.Contains(svg, `fill="#d62728"`) || !strings.Contains(svg, `marker-end="url(#h)"`) {
		t.Error("the highlighted path is not drawn in red")
	}
	if !strings.Contains(html, "in red: &lt;b&gt;path&lt;/b&gt;") {
		t.Errorf("caption does not name the highlighted path: %s", html[strings.Index(html, "<figcaption"):])
	}
}

// TestGraphLayoutNoOverlap lays out 500 vertices (one layer of 300, long chains, cycles) and
// checks that no two label boxes overlap and that every box is inside the picture.
func TestGraphLayoutNoOverlap(t *testing.T) {
	var edges []GraphEdge
	for i := 0; i < 300; i++ {
		edges = append(edges, GraphEdge{Src: "hub", Dst: fmt.Sprintf("leaf-with-a-rather-long-name-%03d.example.org", i), Count: 1})
	}
	for i := 0; i < 150; i++ {
		edges = append(edges, GraphEdge{Src: fmt.Sprintf("c%03d", i), Dst: fmt.Sprintf("c%03d", (i+1)%150), Count: int64(i)})
	}
	for i := 0; i < 60; i++ {
		edges = append(edges, GraphEdge{Src: fmt.Sprintf("leaf-with-a-rather-long-name-%03d.example.org", i), Dst: fmt.Sprintf("t%02d", i), Count: 3})
	}
	g := NewGraph(edges)
	boxes, w, h := g.Layout()
	if len(boxes) != MaxGraphNodes {
		t.Fatalf("%d vertices laid out, want %d (the most connected)", len(boxes), MaxGraphNodes)
	}
	if !strings.Contains(g.caption(), "left out") {
		t.Errorf("caption does not say vertices were left out: %q", g.caption())
	}
	for i, a := range boxes {
		if a.X-graphDotR < 0 || a.Y-a.H/2 < 0 || a.X-graphDotR+a.W > w || a.Y+a.H/2 > h {
			t.Fatalf("box %q (%v) outside the %vx%v picture", a.ID, a, w, h)
		}
		for _, b := range boxes[i+1:] {
			if a.X-graphDotR < b.X-graphDotR+b.W && b.X-graphDotR < a.X-graphDotR+a.W && a.Y-a.H/2 < b.Y+b.H/2 && b.Y-b.H/2 < a.Y+a.H/2 {
				t.Fatalf("labels overlap: %q at (%.0f,%.0f) and %q at (%.0f,%.0f)", a.ID, a.X, a.Y, b.ID, b.X, b.Y)
			}
		}
	}
	// a chain goes left to right
	at := map[string]NodeBox{}
	for _, b := range boxes {
		at[b.ID] = b
	}
	if !(at["hub"].Layer == 0 && at["leaf-with-a-rather-long-name-000.example.org"].Layer == 1 && at["t00"].Layer == 2) {
		t.Errorf("layers: hub %d, leaf %d, t00 %d; want 0, 1, 2", at["hub"].Layer, at["leaf-with-a-rather-long-name-000.example.org"].Layer, at["t00"].Layer)
	}
	wellFormed(t, g.SVG())
}

func TestGraphEmptyAndError(t *testing.T) {
	if h := NewGraph(nil).HTML(); !strings.Contains(h, "empty graph") {
		t.Errorf("empty graph: %q", h)
	}
	g := &Graph{Error: fmt.Errorf("bad <col>")}
	if h := g.HTML(); !strings.Contains(h, "bad &lt;col&gt;") {
		t.Errorf("error HTML: %q", h)
	}
	g.Highlight("x", "a", "b") // no panic on a zero Graph
}
