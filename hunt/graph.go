package hunt

import (
	"fmt"
	"runtime"
	"strings"
)

// Graph is a directed graph whose edges are the distinct (src, dst) pairs of a frame, each with
// the number of rows that made it (count), the first and last time it was seen and any other
// aggregate asked for (GraphAgg). Vertices are the values that appear as src or dst; rows where
// either is NULL or empty are not edges (Edges' note says nothing about them: filter or coalesce
// the frame first to keep them).
//
// Every operation (Vertices, Edges, Components, Paths, Neighbors, Motif) returns a lazy Frame
// whose query runs in DuckDB (recursive CTEs over the edge table): nothing walks rows in Go, so a
// graph of millions of events costs what its GROUP BY costs. A Graph is immutable; Undirected
// returns a copy whose traversals follow edges both ways.
type Graph struct {
	edges      *Frame // src, dst, count, first, last, extra aggregates
	undirected bool
	// numbered is set when edges also has __src_n and __dst_n, numbers of the vertices that
	// follow their ids' byte order (LogonGraph makes them on its way): Components uses them
	// instead of numbering the vertices again, and Edges leaves them out.
	numbered bool
}

// GraphOption configures Frame.Graph.
type GraphOption struct {
	time    string
	aggs    []Expr
	rawAggs []string // internal builders: "sql AS ident"
}

// GraphTime names the column that gives an event's time for the edges' first and last columns
// (a timestamp, an ISO 8601 string or Unix seconds/milliseconds). By default the first of
// "@timestamp", "UtcTime", "TimeCreated", "timestamp" that the frame has; with none of them
// first and last are NULL.
func GraphTime(col string) GraphOption { return GraphOption{time: col} }

// GraphAgg adds aggregates to every edge, computed over the rows of that (src, dst) pair, as in
// GroupBy(...).Agg: hunt.CountDistinct("LogonType").As("logon_types").
func GraphAgg(aggs ...Expr) GraphOption { return GraphOption{aggs: aggs} }

// graphTimeNames are the columns Graph reads time from when GraphTime is not given.
var graphTimeNames = []string{"@timestamp", "UtcTime", "event_data.UtcTime", "TimeCreated", "timestamp"}

// Graph builds the graph of the frame's rows from column (or Expr) src to column (or Expr) dst;
// both are compared as strings. The edge frame (Edges) has src, dst, count, first, last and the
// GraphAgg aggregates. A bad column gives a Graph whose frames carry the error.
func (f *Frame) Graph(src, dst any, opts ...GraphOption) *Graph {
	if f.lazy() {
		f = f.Local()
	}
	if f.err != nil {
		return &Graph{edges: f}
	}
	var o GraphOption
	for _, op := range opts {
		if op.time != "" {
			o.time = op.time
		}
		o.aggs = append(o.aggs, op.aggs...)
		o.rawAggs = append(o.rawAggs, op.rawAggs...)
	}
	s := frameScope(f)
	ends := make([]string, 2)
	for i, v := range []any{src, dst} {
		e, ok := v.(Expr)
		if !ok {
			n, isName := v.(string)
			if !isName {
				return &Graph{edges: errFrame(f.eng, errorf("hunt: Graph %s is a %T; give a column name or an Expr", []string{"src", "dst"}[i], v))}
			}
			e = Col(n)
		}
		r, err := e.render(s)
		if err != nil {
			return &Graph{edges: errFrame(f.eng, fmt.Errorf("hunt: Graph %s: %w", []string{"src", "dst"}[i], err))}
		}
		ends[i] = "CAST(" + r.sql + " AS VARCHAR)"
	}
	tm := "CAST(NULL AS TIMESTAMP)"
	if o.time != "" {
		c, err := f.resolve(o.time)
		if err != nil {
			return &Graph{edges: errFrame(f.eng, fmt.Errorf("hunt: Graph time: %w", err))}
		}
		tm = timeExpr(c)
	} else if c, ok := f.pick(graphTimeNames...); ok {
		tm = timeExpr(c)
	}
	sel := []string{ends[0] + " AS src", ends[1] + " AS dst", "count(*) AS \"count\"", "min(" + tm + ") AS \"first\"", "max(" + tm + ") AS \"last\""}
	if len(o.aggs) > 0 {
		vals, err := f.outCols(s, o.aggs)
		if err != nil {
			return &Graph{edges: errFrame(f.eng, fmt.Errorf("hunt: GraphAgg: %w", err))}
		}
		alloc := newIdentAllocator()
		for _, n := range []string{"src", "dst", "count", "first", "last"} {
			alloc.reserve(n)
		}
		for _, v := range vals {
			sel = append(sel, v.sql+" AS "+quoteIdent(alloc.ident(v.name)))
		}
	}
	sel = append(sel, o.rawAggs...)
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + f.from() +
		" WHERE nullif(" + ends[0] + ", '') IS NOT NULL AND nullif(" + ends[1] + ", '') IS NOT NULL GROUP BY 1, 2"
	return &Graph{edges: f.derive(q).context("Graph")}
}

// Cache builds the edge table now and keeps it in the session database, so that every later
// operation (Components, Paths, Vertices, ...) reads the stored edges instead of grouping the
// events again. Build once, ask many questions: g := hunt.LogonGraph(ev).Cache(). The table is
// dropped once no frame of the graph is reachable, as Frame.Cache's.
//
// The edge table is kept in DuckDB's in-memory catalog rather than compressed in the session
// file as Frame.Cache does: an edge table is a fraction of its events, and writing it through the
// file's compression cost about 0.3 s of CPU for the 225,000 edges of a million logons, a third
// of building them.
func (g *Graph) Cache() *Graph {
	defer runtime.KeepAlive(g) // see tableRef
	e := g.edges
	if e.err != nil {
		return g
	}
	table := memCatalog + ".main." + quoteIdent(e.eng.tableName("graph"))
	if err := e.eng.exec(cellCtx(), "CREATE TABLE "+table+" AS "+e.sql); err != nil {
		return &Graph{edges: errFrame(e.eng, fmt.Errorf("hunt: Graph.Cache: %w", err))}
	}
	c := newFrame(e.eng, "SELECT * FROM "+table)
	if c.err == nil {
		c.note = e.note
	}
	return &Graph{edges: c, undirected: g.undirected, numbered: g.numbered}
}

// Err returns the error building the graph ran into, or nil.
func (g *Graph) Err() error { return g.edges.Err() }

// Undirected returns the same graph with traversals (Components is always weakly connected;
// Paths, Neighbors) following every edge both ways. Edges and Vertices are unchanged.
func (g *Graph) Undirected() *Graph {
	return &Graph{edges: g.edges, undirected: true, numbered: g.numbered}
}

// String describes the graph in one line (it counts vertices and edges).
func (g *Graph) String() string {
	if err := g.Err(); err != nil {
		return errorText(err)
	}
	v, err := g.Vertices().Count()
	if err != nil {
		return errorText(err)
	}
	e, err := g.edges.Count()
	if err != nil {
		return errorText(err)
	}
	kind := "directed"
	if g.undirected {
		kind = "undirected"
	}
	vs := "vertices"
	if v == 1 {
		vs = "vertex"
	}
	return fmt.Sprintf("%s graph: %d %s, %s", kind, v, vs, plural(int(e), "edge"))
}

// derive runs a graph query over the edge table, named __e in q (columns src, dst, ...).
func (g *Graph) derive(op, q string) *Frame {
	e := g.edges
	if e.err != nil {
		return e
	}
	return e.derive("WITH __e AS (SELECT * FROM " + e.from() + ") " + q).context(op)
}

// arcs is the SQL of the traversed arcs (a, b): the edges, and their reverses when undirected.
func (g *Graph) arcs() string {
	if g.undirected {
		return "(SELECT src AS a, dst AS b FROM __e UNION SELECT dst, src FROM __e)"
	}
	return "(SELECT src AS a, dst AS b FROM __e)"
}

// Edges returns the edges: src, dst, count, first, last, the GraphAgg aggregates, then
// src_out_degree (edges leaving src) and dst_in_degree (edges entering dst), ordered by src, dst.
func (g *Graph) Edges() *Frame {
	all := "__e.*"
	if g.numbered {
		all = "__e.* EXCLUDE (__src_n, __dst_n)"
	}
	return g.derive("Edges", `SELECT `+all+`,
  count(*) OVER (PARTITION BY src) AS src_out_degree,
  count(*) OVER (PARTITION BY dst) AS dst_in_degree
FROM __e ORDER BY src, dst`)
}

// Vertices returns one row per vertex: id, in_degree and out_degree (distinct edges entering and
// leaving it; a self-loop counts in both), degree (their sum, as networkx's DiGraph.degree) and
// events (the rows of all its edges), ordered by id.
func (g *Graph) Vertices() *Frame {
	return g.derive("Vertices", `, __io AS (
  SELECT src AS id, 0 AS i, 1 AS o, "count" AS n FROM __e
  UNION ALL SELECT dst, 1, 0, CASE WHEN src = dst THEN 0 ELSE "count" END FROM __e)
SELECT id, sum(i)::BIGINT AS in_degree, sum(o)::BIGINT AS out_degree, (sum(i) + sum(o))::BIGINT AS degree, sum(n)::BIGINT AS events
FROM __io GROUP BY id ORDER BY id`)
}

// Components returns the weakly connected components: id, component (the smallest vertex id
// of its component, as a string order) and size (vertices in the component), ordered by
// component, id. It is label propagation in a recursive CTE: each round gives every vertex the
// smallest label among its neighbours, and only vertices whose label dropped carry on, so the
// rounds are the component's diameter and the work is about edges × rounds. The vertices are
// numbered in id order first (so the smallest number is the smallest id) and the rounds join
// integers, not strings; the numbered vertices and arcs are materialized once, not recomputed
// in every round.
func (g *Graph) Components() *Frame {
	if g.numbered {
		// The vertex numbers are on the edges already: label propagation over them, both ways
		// (an edge and its reverse may both be there; a repeated arc changes no minimum).
		return g.derive("Components", `, __v AS MATERIALIZED (
  SELECT n, any_value(id) AS id FROM (SELECT __src_n AS n, src AS id FROM __e UNION ALL SELECT __dst_n, dst FROM __e) GROUP BY n),
__u AS MATERIALIZED (SELECT __src_n AS a, __dst_n AS b FROM __e UNION ALL SELECT __dst_n, __src_n FROM __e),`+componentsLP)
	}
	return g.derive("Components", `, __v AS MATERIALIZED (
  SELECT id, (row_number() OVER (ORDER BY id))::BIGINT AS n FROM (SELECT src AS id FROM __e UNION SELECT dst FROM __e)),
__i AS (SELECT s.n AS a, d.n AS b FROM __e JOIN __v AS s ON __e.src = s.id JOIN __v AS d ON __e.dst = d.id),
__u AS MATERIALIZED (SELECT a, b FROM __i UNION SELECT b, a FROM __i),`+componentsLP)
}

// componentsLP is the label propagation of Components over __v (n, id: the vertices, numbered
// in id order) and __u (a, b: the arcs both ways, as numbers), and its result.
const componentsLP = `
__cc AS (WITH RECURSIVE __c(id, comp) USING KEY (id) AS (
    SELECT n, n FROM __v
    UNION
    SELECT __u.b, min(__c.comp) FROM __c JOIN __u ON __c.id = __u.a JOIN recurring.__c AS __r ON __r.id = __u.b
    GROUP BY __u.b HAVING min(__c.comp) < min(__r.comp))
  SELECT id, comp FROM __c)
SELECT v.id, c.id AS component, count(*) OVER (PARTITION BY __cc.comp) AS size
FROM __cc JOIN __v AS v ON v.n = __cc.id JOIN __v AS c ON c.n = __cc.comp ORDER BY __cc.comp, __cc.id`

// Paths returns every shortest path from vertex from to vertex to of at most maxHops edges:
// path (the vertex ids, from first), hops. No row means no such path. Directed unless the graph
// is Undirected. The search runs breadth first from both ends in DuckDB and then enumerates only
// edges that lie on a shortest path; several shortest paths are all returned, ordered by path.
func (g *Graph) Paths(from, to string, maxHops int) *Frame {
	if maxHops < 0 {
		return errFrame(g.edges.eng, errorf("hunt: Paths: maxHops is %d; it must be 0 or more", maxHops))
	}
	if g.edges.err != nil {
		return g.edges
	}
	f, t, m := quoteString(from), quoteString(to), fmt.Sprint(maxHops)
	return g.derive("Paths", `, __a AS `+g.arcs()+`,
__fw AS (WITH RECURSIVE __w(node, d) AS (SELECT `+f+`, 0 UNION SELECT __a.b, __w.d + 1 FROM __w JOIN __a ON __w.node = __a.a WHERE __w.d < `+m+`)
  SELECT node, min(d) AS d FROM __w GROUP BY node),
__bw AS (WITH RECURSIVE __w(node, d) AS (SELECT `+t+`, 0 UNION SELECT __a.a, __w.d + 1 FROM __w JOIN __a ON __w.node = __a.b WHERE __w.d < `+m+`)
  SELECT node, min(d) AS d FROM __w GROUP BY node),
__len AS (SELECT d FROM __fw WHERE node = `+t+`),
__se AS (SELECT __a.a, __a.b, __fw.d AS da FROM __a JOIN __fw ON __a.a = __fw.node JOIN __bw ON __a.b = __bw.node, __len
  WHERE __fw.d + 1 + __bw.d = __len.d),
__p AS (WITH RECURSIVE __r(node, path, hops) AS (
    SELECT `+f+`, [`+f+`], 0 FROM __len
    UNION ALL SELECT __se.b, list_append(__r.path, __se.b), __r.hops + 1 FROM __r JOIN __se ON __r.node = __se.a AND __se.da = __r.hops)
  SELECT path, hops FROM __r)
SELECT path, hops::BIGINT AS hops FROM __p WHERE path[-1] = `+t+` AND hops = (SELECT d FROM __len) ORDER BY path`)
}

// Neighbors returns the vertices within hops edges of vertex v (following edges forward, both
// ways when the graph is Undirected): id and hops (the fewest edges from v), ordered by hops,
// id; v itself is not in it.
func (g *Graph) Neighbors(v string, hops int) *Frame {
	if hops < 0 {
		return errFrame(g.edges.eng, errorf("hunt: Neighbors: hops is %d; it must be 0 or more", hops))
	}
	if g.edges.err != nil {
		return g.edges
	}
	s, m := quoteString(v), fmt.Sprint(hops)
	return g.derive("Neighbors", `, __a AS `+g.arcs()+`,
__fw AS (WITH RECURSIVE __w(node, d) AS (SELECT `+s+`, 0 UNION SELECT __a.b, __w.d + 1 FROM __w JOIN __a ON __w.node = __a.a WHERE __w.d < `+m+`)
  SELECT node, min(d) AS d FROM __w GROUP BY node)
SELECT node AS id, d::BIGINT AS hops FROM __fw WHERE node <> `+s+` ORDER BY hops, id`)
}
