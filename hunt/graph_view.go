package hunt

import (
	"database/sql"
	"fmt"
	"runtime"

	"github.com/gohunt/gohunt/hunt/view"
)

// GraphView is a graph drawn as a static SVG picture; see Graph.Draw.
type GraphView = view.Graph

// GraphDrawEdges is how many edges Draw reads from the engine: the most frequent ones (by
// count); the caption says when there were more.
const GraphDrawEdges = 20000

// Draw returns the graph's picture: vertices in layers from left to right, at most
// view.MaxGraphNodes of them (the most connected), labels that never overlap, every label
// escaped. Highlight marks paths on it:
//
//	g.Draw().Highlight("foothold to DC", "10.0.0.5", "WKST5", "DC1")
func (g *Graph) Draw() *GraphView {
	defer runtime.KeepAlive(g) // see tableRef
	if err := g.Err(); err != nil {
		return &view.Graph{Error: err}
	}
	e := g.edges
	q := "SELECT src, dst, \"count\", count(*) OVER () FROM " + e.from() + " ORDER BY \"count\" DESC, src, dst LIMIT " + fmt.Sprint(GraphDrawEdges)
	rows, err := e.eng.db.QueryContext(viewCtx(), q)
	if err != nil {
		return &view.Graph{Error: fmt.Errorf("hunt: drawing the graph: %w", duckErr(err))}
	}
	defer rows.Close()
	var edges []view.GraphEdge
	var total int64
	for rows.Next() {
		var src, dst sql.NullString
		var n, all int64
		if err := rows.Scan(&src, &dst, &n, &all); err != nil {
			return &view.Graph{Error: fmt.Errorf("hunt: drawing the graph: %w", err)}
		}
		total = all
		edges = append(edges, view.GraphEdge{Src: src.String, Dst: dst.String, Count: n})
	}
	if err := rows.Err(); err != nil {
		return &view.Graph{Error: fmt.Errorf("hunt: drawing the graph: %w", duckErr(err))}
	}
	v := view.NewGraph(edges)
	if total > int64(len(edges)) {
		v.Note = fmt.Sprintf("the %d most frequent of %d edges", len(edges), total)
	}
	return v
}

// DrawPaths draws the graph with every shortest path from from to to (at most maxHops edges,
// as Paths) in red; the caption says when there is none.
func (g *Graph) DrawPaths(from, to string, maxHops int) *GraphView {
	v := g.Draw()
	if v.Error != nil {
		return v
	}
	p := g.Paths(from, to, maxHops)
	rows, err := p.Collect()
	if err != nil {
		return &view.Graph{Error: err}
	}
	label := fmt.Sprintf("shortest paths from %s to %s", from, to)
	if len(rows) == 0 {
		v.Note = joinNote(v.Note, fmt.Sprintf("no path of at most %d edges from %s to %s", maxHops, from, to))
		return v
	}
	for _, r := range rows {
		var path []string
		for _, x := range r["path"].([]any) {
			path = append(path, fmt.Sprint(x))
		}
		v.Highlight(label, path...)
		label = ""
	}
	return v
}

// HTML draws the graph (Draw), so that a Graph shown in a notebook is its picture.
func (g *Graph) HTML() string { return g.Draw().HTML() }
