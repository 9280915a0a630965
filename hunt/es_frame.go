package hunt

import (
	"encoding/json"
	"html"
	"strings"
	"sync"

	"github.com/gohunt/gohunt/hunt/elastic"
)

// Index is a lazy frame over the indices matching pattern (wildcards and comma lists as in
// Elasticsearch). Its columns come from the mappings, merged across the indices (a field
// mapped with different types is reported in Note). Where, Between, Select, Limit, Count,
// GroupBy(...).Count/Agg with Count/Min/Max, and ValueCounts run inside Elasticsearch when
// they can; everything else runs in DuckDB after the read, with the same result.
func (c *ESClient) Index(pattern string, opts ...ESOption) *ESFrame {
	conf := c.conf
	for _, o := range opts {
		o(&conf)
	}
	f := &ESFrame{c: c, pattern: pattern, conf: conf, limit: -1, exact: &sync.Map{}}
	if c.err != nil {
		f.err = c.err
		return f
	}
	if conf.err != nil {
		f.err = conf.err
		return f
	}
	s, err := c.c.Mapping(conf.context(), pattern)
	if err != nil {
		f.err = &Error{Msg: "hunt: " + err.Error(), Err: err}
		return f
	}
	f.schema = s
	return f
}

// ESFrame is a lazy frame over Elasticsearch indices: the operations it can push into
// Elasticsearch accumulate as a query, the others wait to run in DuckDB after the read. It
// has the methods of Frame; Frame() runs the read and returns the local frame.
type ESFrame struct {
	c       *ESClient
	pattern string
	conf    esConfig
	schema  *elastic.Schema
	filters []map[string]any // pushed query clauses, ANDed
	source  []string         // pushed _source includes (nil = all)
	limit   int64            // pushed size (-1 = none)
	group   *esGroup         // pushed composite aggregation
	tail    []func(*Frame) *Frame
	exact   *sync.Map // keyword field -> bool: no value is longer than its ignore_above
	err     error
}

type esGroup struct {
	keys    []elastic.GroupKey
	metrics []elastic.Metric
	outs    []esOut // output columns in order
}

type esOut struct {
	name   string
	kind   string // key, count, metric
	intish bool   // metric over an integer field
}

func (f *ESFrame) clone() *ESFrame {
	g := *f
	g.filters = append([]map[string]any(nil), f.filters...)
	if f.source != nil {
		g.source = append([]string(nil), f.source...)
	}
	g.tail = append([]func(*Frame) *Frame(nil), f.tail...)
	return &g
}

// then defers a local operation until after the read.
func (f *ESFrame) then(op func(*Frame) *Frame) *ESFrame {
	if f.err != nil {
		return f
	}
	g := f.clone()
	g.tail = append(g.tail, op)
	return g
}

func (f *ESFrame) pushable() bool { return f.err == nil && len(f.tail) == 0 && f.group == nil }

// Err returns the error the frame carries, or nil.
func (f *ESFrame) Err() error { return f.err }

// Pattern returns the index pattern the frame reads.
func (f *ESFrame) Pattern() string { return f.pattern }

// Indices returns the indices the pattern matched when the frame was made.
func (f *ESFrame) Indices() []string {
	if f.schema == nil {
		return nil
	}
	return append([]string(nil), f.schema.Indices...)
}

// Conflicts lists the fields mapped with different types in different indices.
func (f *ESFrame) Conflicts() []string {
	if f.schema == nil {
		return nil
	}
	out := make([]string, len(f.schema.Conflicts))
	for i, c := range f.schema.Conflicts {
		out[i] = c.String()
	}
	return out
}

// Note reports mapping conflicts (fields mapped with different types; they are read as the
// JSON holds them and never pushed down).
func (f *ESFrame) Note() string {
	cs := f.Conflicts()
	if len(cs) == 0 {
		return ""
	}
	return "mapping conflicts: " + strings.Join(cs, "; ")
}

// Query returns the Elasticsearch query the pushed-down filters make, as JSON ("null" for
// none).
func (f *ESFrame) Query() string {
	b, _ := json.Marshal(f.query())
	return string(b)
}

// Pushed reports whether every operation so far runs in Elasticsearch.
func (f *ESFrame) Pushed() bool { return len(f.tail) == 0 }

func (f *ESFrame) query() map[string]any {
	switch len(f.filters) {
	case 0:
		return nil
	case 1:
		return f.filters[0]
	}
	fs := make([]any, len(f.filters))
	for i, q := range f.filters {
		fs[i] = q
	}
	return map[string]any{"bool": map[string]any{"filter": fs}}
}

// Columns returns the column names: the mapped fields (or the selected ones) before the read,
// the local frame's after a local operation.
func (f *ESFrame) Columns() []string {
	if f.err != nil {
		return nil
	}
	if len(f.tail) > 0 || f.group != nil {
		return f.Frame().Columns()
	}
	if f.source != nil {
		return append([]string(nil), f.source...)
	}
	return f.mappedColumns()
}

// mappedColumns lists the columns a full read has: every mapped leaf field, dotted, except
// that the fields of a nested object make one list column named after it.
func (f *ESFrame) mappedColumns() []string {
	out := make([]string, 0, len(f.schema.Fields))
	seen := map[string]bool{}
	for _, fl := range f.schema.Fields {
		n := fl.Name
		if fl.Nested {
			n = fl.NestedRoot
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// Where keeps the rows for which cond is true (an Expr or a Spark SQL string, as Frame.Where).
// Comparisons, In, Between, Like, StartsWith/EndsWith/Contains, RLike (simple patterns),
// IsNull/IsNotNull, And, Or and Not of one comparison run in Elasticsearch (on the keyword
// multi-field of text fields); anything else runs locally after the read.
func (f *ESFrame) Where(cond any) *ESFrame {
	if f.err != nil {
		return f
	}
	if f.pushable() && f.limit < 0 {
		if e, ok := cond.(Expr); ok {
			if q, ok := f.dsl(e); ok {
				g := f.clone()
				g.filters = append(g.filters, q)
				return g
			}
		}
	}
	return f.then(func(l *Frame) *Frame { return l.Where(cond) })
}

// Filter is Where.
func (f *ESFrame) Filter(cond any) *ESFrame { return f.Where(cond) }

// Between keeps rows whose column col lies in [from, to]; on a date field with time.Time
// bounds (or on numbers) it runs in Elasticsearch as a range query.
func (f *ESFrame) Between(col string, from, to any) *ESFrame {
	return f.Where(Col(col).Between(from, to))
}

// Select keeps the given columns; plain column names run in Elasticsearch as _source
// filtering, so only those fields travel.
func (f *ESFrame) Select(cols ...any) *ESFrame {
	if f.err != nil {
		return f
	}
	if f.pushable() {
		names := make([]string, 0, len(cols))
		ok := true
		for _, c := range cols {
			var n string
			switch v := c.(type) {
			case string:
				n = v
			case Expr:
				if v.op != "col" {
					ok = false
				}
				n = v.name
			default:
				ok = false
			}
			if !ok || n == "*" || contains(names, n) {
				ok = false
				break
			}
			if fl, found := f.schema.Field(n); !found || fl.Nested {
				ok = false
				break
			}
			if f.source != nil && !contains(f.source, n) {
				ok = false
				break
			}
			names = append(names, n)
		}
		if ok && len(names) > 0 {
			g := f.clone()
			g.source = names
			return g
		}
	}
	return f.then(func(l *Frame) *Frame { return l.Select(cols...) })
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Limit keeps at most n rows; it runs in Elasticsearch as the read's size.
func (f *ESFrame) Limit(n int) *ESFrame {
	if f.err != nil {
		return f
	}
	if f.pushable() {
		g := f.clone()
		if g.limit < 0 || int64(n) < g.limit {
			g.limit = int64(max(n, 0))
		}
		return g
	}
	return f.then(func(l *Frame) *Frame { return l.Limit(n) })
}

// Head is Limit.
func (f *ESFrame) Head(n int) *ESFrame { return f.Limit(n) }

// Show prints the first rows as Frame.Show does (Spark's show(): Show() 20 rows, Show(n),
// Show(n, width)). It reads only those rows and one more, to say whether others follow: a
// size in Elasticsearch when everything before it was pushed down.
func (f *ESFrame) Show(args ...any) {
	f.Limit(showRows(args) + 1).Frame().Show(args...)
}

// Sample keeps a random fraction (0..1) of the rows (after the read), as Frame.Sample.
func (f *ESFrame) Sample(fraction float64, seed ...int64) *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.Sample(fraction, seed...) })
}

// Cache reads the frame into the session database now and returns the local frame, as
// Frame.Cache: later operations read the stored rows, not Elasticsearch.
func (f *ESFrame) Cache() *Frame { return f.Frame().Cache() }

// Count returns the number of rows: an Elasticsearch _count when everything so far was pushed
// down, else the local frame's count after the read.
func (f *ESFrame) Count() (int64, error) {
	if f.err != nil {
		return 0, f.err
	}
	if f.pushable() {
		n, err := f.c.c.Count(f.conf.context(), f.pattern, f.query())
		if err != nil {
			return 0, &Error{Msg: "hunt: " + err.Error(), Err: err}
		}
		if f.limit >= 0 && n > f.limit {
			n = f.limit
		}
		return n, nil
	}
	return f.Frame().Count()
}

// ESGrouped is an ESFrame grouped by key columns, waiting for Agg or Count.
type ESGrouped struct {
	f    *ESFrame
	keys []any
}

// GroupBy groups rows by the given columns; Count and Agg with Count, Min and Max of numeric
// fields run in Elasticsearch as a composite aggregation read to the last bucket.
func (f *ESFrame) GroupBy(cols ...any) *ESGrouped { return &ESGrouped{f: f, keys: cols} }

// Count counts rows per group (column "count").
func (g *ESGrouped) Count() *ESFrame { return g.Agg(Count()) }

// Agg computes aggregates per group, as Grouped.Agg.
func (g *ESGrouped) Agg(aggs ...Expr) *ESFrame {
	f := g.f
	if f.err != nil {
		return f
	}
	if len(aggs) == 0 {
		aggs = []Expr{Count()}
	}
	if f.pushable() && f.limit < 0 && f.source == nil {
		if grp, ok := f.compositePlan(g.keys, aggs); ok {
			h := f.clone()
			h.group = grp
			return h
		}
	}
	keys := g.keys
	return f.then(func(l *Frame) *Frame { return l.GroupBy(keys...).Agg(aggs...) })
}

func (f *ESFrame) compositePlan(keys []any, aggs []Expr) (*esGroup, bool) {
	grp := &esGroup{}
	for _, k := range keys {
		var n string
		switch v := k.(type) {
		case string:
			n = v
		case Expr:
			if v.op != "col" {
				return nil, false
			}
			n = v.name
		default:
			return nil, false
		}
		fl, ok := f.exactField(n)
		if !ok {
			return nil, false
		}
		grp.keys = append(grp.keys, elastic.GroupKey{Name: n, Field: fl.Keyword})
		grp.outs = append(grp.outs, esOut{name: n, kind: "key"})
	}
	if len(grp.keys) == 0 {
		return nil, false
	}
	for _, a := range aggs {
		switch {
		case a.op == "agg" && a.name == "count_star":
			grp.outs = append(grp.outs, esOut{name: a.String(), kind: "count"})
		case a.op == "agg" && (a.name == "min" || a.name == "max") && len(a.args) == 1 && a.args[0].op == "col":
			fl, ok := f.schema.Field(a.args[0].name)
			if !ok || f.schema.Conflicted(fl.Name) || fl.Nested {
				return nil, false
			}
			intish := false
			switch fl.Type {
			case "long", "integer", "short", "byte":
				intish = true
			case "double":
			default:
				return nil, false
			}
			name := a.String()
			grp.metrics = append(grp.metrics, elastic.Metric{Name: name, Op: a.name, Field: fl.Name})
			grp.outs = append(grp.outs, esOut{name: name, kind: "metric", intish: intish})
		default:
			return nil, false
		}
	}
	return grp, true
}

// ValueCounts counts rows per value of col, most frequent first (columns col and "count"); the
// counting runs in Elasticsearch when col can be aggregated exactly.
func (f *ESFrame) ValueCounts(col string) *ESFrame {
	return f.GroupBy(col).Agg(Count()).OrderBy(Col("count").Desc(), Col(col))
}

// OrderBy sorts the rows (in DuckDB, after the read), as Frame.OrderBy.
func (f *ESFrame) OrderBy(cols ...any) *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.OrderBy(cols...) })
}

// Sort is OrderBy.
func (f *ESFrame) Sort(cols ...any) *ESFrame { return f.OrderBy(cols...) }

// Drop removes columns (after the read), as Frame.Drop.
func (f *ESFrame) Drop(cols ...string) *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.Drop(cols...) })
}

// Rename renames a column (after the read), as Frame.Rename.
func (f *ESFrame) Rename(old, new string) *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.Rename(old, new) })
}

// WithColumn adds or replaces a column (after the read), as Frame.WithColumn.
func (f *ESFrame) WithColumn(name string, e any) *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.WithColumn(name, e) })
}

// Distinct keeps distinct rows (after the read), as Frame.Distinct.
func (f *ESFrame) Distinct() *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.Distinct() })
}

// Join joins with another frame (after the read), as Frame.Join; pass other.Frame() for an
// ESFrame.
func (f *ESFrame) Join(other *Frame, on any, how string) *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.Join(other, on, how) })
}

// Union appends other frames' rows (after the read), as Frame.Union.
func (f *ESFrame) Union(others ...*Frame) *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.Union(others...) })
}

// Describe summarises every column (after the full read), as Frame.Describe.
func (f *ESFrame) Describe() *ESFrame {
	return f.then(func(l *Frame) *Frame { return l.Describe() })
}

// As reads the frame and registers the result for SQL under name (as Frame.As), returning the
// local frame.
func (f *ESFrame) As(name string) *Frame { return f.Frame().As(name) }

// Collect reads the frame and returns its rows.
func (f *ESFrame) Collect() ([]map[string]any, error) { return f.Frame().Collect() }

// Rows reads the frame and iterates its rows.
func (f *ESFrame) Rows() (*RowIter, error) { return f.Frame().Rows() }

// Column reads the frame and returns one column's values, as Frame.Column.
func (f *ESFrame) Column(name string) (any, error) { return f.Frame().Column(name) }

// Strings reads the frame and returns one column as strings, as Frame.Strings.
func (f *ESFrame) Strings(name string) ([]string, error) { return f.Frame().Strings(name) }

// Schema reads the frame and returns its columns and types.
func (f *ESFrame) Schema() (Schema, error) { return f.Frame().Schema() }

// WriteCSV reads the frame and writes it as CSV.
func (f *ESFrame) WriteCSV(path string) error { return f.Frame().WriteCSV(path) }

// WriteJSON reads the frame and writes it as JSON lines.
func (f *ESFrame) WriteJSON(path string) error { return f.Frame().WriteJSON(path) }

// WriteParquet reads the frame and writes it as Parquet.
func (f *ESFrame) WriteParquet(path string) error { return f.Frame().WriteParquet(path) }

// HTML shows the first rows and the row count (reading only those rows when everything so far
// was pushed down). Every value is HTML-escaped.
func (f *ESFrame) HTML() string {
	if f.err != nil {
		return errorHTML(f.err)
	}
	l, extra := f.preview()
	s := l.HTML()
	if extra != "" {
		s += "<p>" + html.EscapeString(extra) + "</p>"
	}
	return s
}

// String is the text form of HTML.
func (f *ESFrame) String() string {
	if f.err != nil {
		return "hunt error: " + f.err.Error()
	}
	l, extra := f.preview()
	s := l.String()
	if extra != "" {
		s += "\n" + extra
	}
	return s
}
