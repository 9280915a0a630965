package view

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// GraphEdge is one edge of a Graph picture: from Src to Dst, seen Count times.
type GraphEdge struct {
	Src, Dst string
	Count    int64
}

// Graph is a directed graph drawn as a static SVG picture (no script): vertices in layers from
// left to right (each vertex one layer right of the first vertex that points at it, breadth
// first from the vertices nothing points at), ordered inside a layer to shorten edges, labels
// one per row so that they never overlap. Build it with NewGraph; Highlight marks paths.
type Graph struct {
	// Title heads the caption ("" for none).
	Title string
	// Note is added to the caption, e.g. what was left out.
	Note string
	// Error, when set, is all the picture shows.
	Error error

	edges    []GraphEdge
	nodes    []string // drawn vertices
	left     int      // vertices not drawn (beyond MaxGraphNodes)
	hlNodes  map[string]bool
	hlEdges  map[[2]string]bool
	hlLabels []string
}

// MaxGraphNodes is how many vertices a picture draws: the most connected ones (and every
// highlighted one); the caption says how many were left out.
const MaxGraphNodes = 500

// Layout sizes, in CSS pixels.
const (
	graphRowH    = 20.0 // one label row
	graphColGap  = 80.0 // between a column's widest label and the next column
	graphMaxRows = 40   // rows per column; a bigger layer takes several columns
	graphMargin  = 24.0
	graphLabelN  = 34   // label runes at most
	graphCharW   = 6.6  // upper bound of the average glyph width at 11px (Liberation Sans/Arial)
	graphDotR    = 4.0  // vertex dot radius
	graphFontPx  = 11.0 // label font size
)

// NewGraph returns the picture of edges. Edges whose ends are empty are ignored; duplicate
// (Src, Dst) pairs are added up.
func NewGraph(edges []GraphEdge) *Graph {
	g := &Graph{hlNodes: map[string]bool{}, hlEdges: map[[2]string]bool{}}
	idx := map[[2]string]int{}
	for _, e := range edges {
		if e.Src == "" || e.Dst == "" {
			continue
		}
		k := [2]string{e.Src, e.Dst}
		if i, ok := idx[k]; ok {
			g.edges[i].Count += e.Count
			continue
		}
		idx[k] = len(g.edges)
		g.edges = append(g.edges, e)
	}
	return g
}

// Highlight marks the vertices of path and the edges between consecutive ones (in either
// direction) in red, and names the path label in the caption. It returns g.
func (g *Graph) Highlight(label string, path ...string) *Graph {
	if g.hlNodes == nil {
		g.hlNodes, g.hlEdges = map[string]bool{}, map[[2]string]bool{}
	}
	for i, v := range path {
		g.hlNodes[v] = true
		if i > 0 {
			g.hlEdges[[2]string{path[i-1], v}] = true
			g.hlEdges[[2]string{v, path[i-1]}] = true
		}
	}
	if label != "" {
		g.hlLabels = append(g.hlLabels, label)
	}
	return g
}

// Err returns the error the picture shows instead of a graph, or nil.
func (g *Graph) Err() error { return g.Error }

// NodeBox is where the layout puts a vertex: its dot at (X, Y), its label in the rectangle
// from (X-graphDotR, Y-H/2) of width W and height H (an upper bound of the text's extent).
type NodeBox struct {
	ID, Label  string
	X, Y, W, H float64
	Layer      int
}

// Layout computes the picture's vertex positions and its size.
func (g *Graph) Layout() (boxes []NodeBox, width, height float64) {
	nodes := g.pick()
	pos := map[string]int{}
	for i, n := range nodes {
		pos[n] = i
	}
	out := make([][]int, len(nodes))
	in := make([][]int, len(nodes))
	for _, e := range g.edges {
		a, okA := pos[e.Src]
		b, okB := pos[e.Dst]
		if !okA || !okB || a == b {
			continue
		}
		out[a] = append(out[a], b)
		in[b] = append(in[b], a)
	}
	// Layers: breadth first from the vertex with the most out-edges over in-edges among those
	// not yet placed, each new start one layer right of its placed predecessors.
	layer := make([]int, len(nodes))
	for i := range layer {
		layer[i] = -1
	}
	order := make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if (len(in[a]) == 0) != (len(in[b]) == 0) {
			return len(in[a]) == 0
		}
		return len(out[a])-len(in[a]) > len(out[b])-len(in[b])
	})
	var seq []int // discovery order
	for _, s := range order {
		if layer[s] >= 0 {
			continue
		}
		l := 0
		for _, p := range in[s] {
			if layer[p] >= 0 && layer[p]+1 > l {
				l = layer[p] + 1
			}
		}
		layer[s] = l
		queue := []int{s}
		seq = append(seq, s)
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			for _, w := range out[v] {
				if layer[w] < 0 {
					layer[w] = layer[v] + 1
					seq = append(seq, w)
					queue = append(queue, w)
				}
			}
		}
	}
	nl := 0
	for _, l := range layer {
		if l+1 > nl {
			nl = l + 1
		}
	}
	layers := make([][]int, nl)
	for _, v := range seq {
		layers[layer[v]] = append(layers[layer[v]], v)
	}
	// Order inside layers: barycentres of the neighbours in the previous (then the next) layer.
	rank := make([]float64, len(nodes))
	setRanks := func() {
		for _, vs := range layers {
			for i, v := range vs {
				rank[v] = float64(i) / math.Max(1, float64(len(vs)))
			}
		}
	}
	setRanks()
	sweep := func(l, ref int) {
		key := make(map[int]float64, len(layers[l]))
		for _, v := range layers[l] {
			sum, n := 0.0, 0
			for _, w := range append(append([]int(nil), in[v]...), out[v]...) {
				if layer[w] == ref {
					sum += rank[w]
					n++
				}
			}
			if n > 0 {
				key[v] = sum / float64(n)
			} else {
				key[v] = rank[v]
			}
		}
		sort.SliceStable(layers[l], func(i, j int) bool { return key[layers[l][i]] < key[layers[l][j]] })
		for i, v := range layers[l] {
			rank[v] = float64(i) / math.Max(1, float64(len(layers[l])))
		}
	}
	for it := 0; it < 4; it++ {
		for l := 1; l < nl; l++ {
			sweep(l, l-1)
		}
		for l := nl - 2; l >= 0; l-- {
			sweep(l, l+1)
		}
	}
	// Coordinates: a layer of more than graphMaxRows vertices takes several columns.
	rows := 0
	for _, vs := range layers {
		rows = max(rows, min(len(vs), graphMaxRows))
	}
	col := 0
	var cols []int // column of each box
	for l, vs := range layers {
		ncol := (len(vs) + graphMaxRows - 1) / graphMaxRows
		per := (len(vs) + ncol - 1) / max(ncol, 1)
		for i, v := range vs {
			c, r := i/per, i%per
			inCol := min(per, len(vs)-c*per)
			top := graphMargin + float64(rows-inCol)*graphRowH/2
			label := shortenMiddle(clean(nodes[v]), graphLabelN)
			boxes = append(boxes, NodeBox{
				ID: nodes[v], Label: label, Layer: l,
				Y: top + float64(r)*graphRowH + graphRowH/2,
				W: 2*graphDotR + 4 + float64(utf8.RuneCountInString(label))*graphCharW,
				H: graphFontPx + 4,
			})
			cols = append(cols, col+c)
		}
		col += ncol
	}
	// Each column is as wide as its widest label, plus room for the edges to the next.
	colW := make([]float64, max(col, 1))
	for i, b := range boxes {
		colW[cols[i]] = max(colW[cols[i]], b.W)
	}
	colX := make([]float64, len(colW)+1)
	colX[0] = graphMargin
	for c, w := range colW {
		colX[c+1] = colX[c] + w + graphColGap
	}
	for i := range boxes {
		boxes[i].X = colX[cols[i]] + graphDotR
	}
	width = colX[len(colW)] - graphColGap + graphMargin
	height = 2*graphMargin + float64(max(rows, 1))*graphRowH
	return boxes, width, height
}

// pick returns the vertices to draw, sorted: all when they are at most MaxGraphNodes, else the
// highlighted ones and then the most connected (ties by name); it sets g.left.
func (g *Graph) pick() []string {
	deg := map[string]int{}
	for _, e := range g.edges {
		deg[e.Src]++
		deg[e.Dst]++
	}
	all := make([]string, 0, len(deg))
	for v := range deg {
		all = append(all, v)
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if g.hlNodes[a] != g.hlNodes[b] {
			return g.hlNodes[a]
		}
		if deg[a] != deg[b] {
			return deg[a] > deg[b]
		}
		return a < b
	})
	g.left = 0
	if len(all) > MaxGraphNodes {
		g.left = len(all) - MaxGraphNodes
		all = all[:MaxGraphNodes]
	}
	sort.Strings(all)
	return all
}

// SVG returns the picture as an SVG document: vertex dots and labels (every label cleaned by
// Visible and XML-escaped), edges as curves with arrowheads whose width grows with the count's
// logarithm, highlighted vertices and edges in red and drawn last.
func (g *Graph) SVG() string {
	boxes, w, h := g.Layout()
	at := make(map[string]NodeBox, len(boxes))
	for _, b := range boxes {
		at[b.ID] = b
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" style="max-width:100%%;height:auto">`, w, h, w, h)
	s.WriteString(`<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#7a7a7a"/></marker>`)
	s.WriteString(`<marker id="h" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#d62728"/></marker></defs>`)
	fmt.Fprintf(&s, `<rect width="%.0f" height="%.0f" fill="#fff"/>`, w, h)
	edge := func(e GraphEdge, hl bool) {
		a, okA := at[e.Src]
		b, okB := at[e.Dst]
		if !okA || !okB {
			return
		}
		width := 0.8 + 0.6*math.Log10(float64(max(e.Count, 1)))
		stroke, marker, op := "#9a9a9a", "a", "0.55"
		if hl {
			stroke, marker, op, width = "#d62728", "h", "0.95", width+1.8
		}
		var d string
		switch {
		case e.Src == e.Dst:
			d = fmt.Sprintf("M%.1f,%.1f c-14,-16 -26,6 -%.1f,0", a.X-graphDotR, a.Y, graphDotR+1)
		case b.X > a.X:
			// from the end of the source's label, so that no edge runs over its own label
			sx := a.X - graphDotR + a.W
			mx := (sx + b.X) / 2
			d = fmt.Sprintf("M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f", sx, a.Y, mx, a.Y, mx, b.Y, b.X-graphDotR-1, b.Y)
		default: // same column or backwards: bow out to the left
			bow := 30 + math.Abs(a.Y-b.Y)/6
			d = fmt.Sprintf("M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f", a.X-graphDotR, a.Y, math.Min(a.X, b.X)-bow, a.Y, math.Min(a.X, b.X)-bow, b.Y, b.X-graphDotR-1, b.Y)
		}
		fmt.Fprintf(&s, `<path d="%s" fill="none" stroke="%s" stroke-opacity="%s" stroke-width="%.2f" marker-end="url(#%s)"/>`, d, stroke, op, width, marker)
	}
	for _, e := range g.edges {
		if !g.hlEdges[[2]string{e.Src, e.Dst}] {
			edge(e, false)
		}
	}
	for _, e := range g.edges {
		if g.hlEdges[[2]string{e.Src, e.Dst}] {
			edge(e, true)
		}
	}
	s.WriteString(`<g font-family="'Liberation Sans',Arial,Helvetica,sans-serif" font-size="11">`)
	for _, b := range boxes {
		fill, weight := "#4e79a7", ""
		if g.hlNodes[b.ID] {
			fill, weight = "#d62728", ` font-weight="bold"`
		}
		fmt.Fprintf(&s, `<circle cx="%.1f" cy="%.1f" r="%.0f" fill="%s"/>`, b.X, b.Y, graphDotR, fill)
		fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" dominant-baseline="middle" paint-order="stroke" stroke="#fff" stroke-width="3" fill="#222"%s>%s</text>`,
			b.X+graphDotR+4, b.Y, weight, xmlEsc(b.Label))
	}
	s.WriteString(`</g></svg>`)
	return s.String()
}

// xmlEsc escapes a cleaned label for XML text (clean has removed the characters XML forbids).
func xmlEsc(s string) string { return esc(s) }

// caption says what the picture shows.
func (g *Graph) caption() string {
	nodes := g.pick()
	drawn := map[string]bool{}
	for _, n := range nodes {
		drawn[n] = true
	}
	edges := 0
	for _, e := range g.edges {
		if drawn[e.Src] && drawn[e.Dst] {
			edges++
		}
	}
	var parts []string
	if g.Title != "" {
		parts = append(parts, g.Title+":")
	}
	parts = append(parts, fmt.Sprintf("%s vertices, %s edges", group(int64(len(nodes))), group(int64(edges))))
	if g.left > 0 {
		parts = append(parts, fmt.Sprintf("(%s less connected vertices left out: filter the frame to see them)", group(int64(g.left))))
	}
	c := strings.Join(parts, " ")
	if len(g.hlLabels) > 0 {
		c += "; in red: " + strings.Join(g.hlLabels, ", ")
	}
	if g.Note != "" {
		c += "; " + g.Note
	}
	return c
}

// HTML returns the picture as an HTML figure (the SVG as an image, so that it runs nothing and
// notebook sanitizers keep it) with its caption.
func (g *Graph) HTML() string {
	if g.Error != nil {
		return errorHTML("graph not drawn", g.Error)
	}
	if len(g.edges) == 0 {
		return `<div style="font:12px sans-serif;opacity:.8">` + esc(strings.TrimSpace("empty graph: no edges. "+g.Note)) + `</div>`
	}
	return figure("gohunt-graph", g.SVG(), g.caption())
}

// String describes the picture in text: the caption and then each drawn edge, one a line.
func (g *Graph) String() string {
	if g.Error != nil {
		return "graph not drawn: " + clean(g.Error.Error())
	}
	var b strings.Builder
	b.WriteString(clean(g.caption()))
	for i, e := range g.edges {
		if i == 50 {
			fmt.Fprintf(&b, "\n… %d more edges", len(g.edges)-50)
			break
		}
		mark := ""
		if g.hlEdges[[2]string{e.Src, e.Dst}] {
			mark = " *"
		}
		fmt.Fprintf(&b, "\n%s -> %s (%d)%s", clean(e.Src), clean(e.Dst), e.Count, mark)
	}
	return b.String()
}
