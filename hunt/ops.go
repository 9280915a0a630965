package hunt

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// Where keeps the rows for which cond is true. cond is an Expr (hunt.Col("EventID").Eq(1)) or a
// string holding a Spark SQL predicate ("EventID = 1 AND lower(Image) LIKE '%powershell.exe'").
// Filter is the same operation under Spark's name.
func (f *Frame) Where(cond any) *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "filter", args: opArgs{cond: cond}})
	}
	e, err := condExpr(cond, "Where")
	if err != nil {
		return errFrame(f.eng, err)
	}
	r, err := e.render(frameScope(f))
	if err != nil {
		return errFrame(f.eng, err)
	}
	return f.derive("SELECT * FROM " + f.from() + " WHERE " + r.sql).context("Where(" + e.String() + ")")
}

// Filter is Where (Spark's name for it).
func (f *Frame) Filter(cond any) *Frame { return f.Where(cond) }

func condExpr(cond any, op string) (Expr, error) {
	switch c := cond.(type) {
	case Expr:
		return c, nil
	case string:
		return SQLExpr(c), nil
	}
	return Expr{}, errorf("hunt: %s takes an Expr or a Spark SQL string, not %T", op, cond)
}

// Between keeps rows whose column col lies in [from, to] (both ends included). On a TIMESTAMP
// column (the event times Read types: "@timestamp", "UtcTime", ...) the bounds may be time.Time
// values or strings ("2020-09-22", "2020-09-22 08:28:30", "2020-09-22T08:28:30.5Z"), read as UTC
// unless they carry a zone offset ("+02:00"), which is converted to UTC. On a string column,
// time.Time bounds read the column as a timestamp, and string bounds compare as strings (as Spark
// does with string columns).
func (f *Frame) Between(col string, from, to any) *Frame {
	return f.Where(Col(col).Between(from, to))
}

// outCol is one output column of a projection.
type outCol struct {
	sql   string
	name  string
	ident string // kept ident for a plain column reference, "" for a fresh one
}

func exprsOf(op string, items []any) ([]Expr, error) {
	out := make([]Expr, 0, len(items))
	for _, it := range items {
		switch v := it.(type) {
		case string:
			out = append(out, Col(v))
		case Expr:
			out = append(out, v)
		case []string:
			for _, s := range v {
				out = append(out, Col(s))
			}
		default:
			return nil, errorf("hunt: %s takes column names or Exprs, not %T", op, it)
		}
	}
	return out, nil
}

// project builds SELECT <cols> FROM f with fresh, unique idents.
func (f *Frame) project(cols []outCol, tail string) *Frame {
	alloc := newIdentAllocator()
	parts := make([]string, len(cols))
	for i, c := range cols {
		var id string
		if c.ident != "" && displayName(c.ident) == c.name && !alloc.used[strings.ToLower(c.ident)] {
			id = c.ident
			alloc.reserve(id)
		} else {
			id = alloc.ident(c.name)
		}
		parts[i] = c.sql + " AS " + quoteIdent(id)
	}
	return f.derive("SELECT " + strings.Join(parts, ", ") + " FROM " + f.from() + tail)
}

func (f *Frame) outCols(s scope, es []Expr) ([]outCol, error) {
	var out []outCol
	for _, e := range es {
		if e.op == "col" && e.name == "*" {
			for _, c := range f.cols {
				out = append(out, outCol{sql: quoteIdent(c.ident), name: c.name, ident: c.ident})
			}
			continue
		}
		r, err := e.render(s)
		if err != nil {
			return nil, err
		}
		oc := outCol{sql: r.sql, name: e.String()}
		if e.op == "col" {
			c, _ := f.resolve(e.name)
			oc.ident = c.ident
		}
		out = append(out, oc)
	}
	return out, nil
}

// Select keeps the given columns, in that order: column names, "*" for all, or Exprs
// (hunt.Col("Image").Lower().As("image")).
func (f *Frame) Select(cols ...any) *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "project", args: opArgs{cols: cols}})
	}
	es, err := exprsOf("Select", cols)
	if err != nil {
		return errFrame(f.eng, err)
	}
	oc, err := f.outCols(frameScope(f), es)
	if err != nil {
		return errFrame(f.eng, err)
	}
	return f.project(oc, "").context("Select")
}

// Drop removes the named columns; naming a column the frame lacks is an error.
func (f *Frame) Drop(cols ...string) *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "drop", args: opArgs{names: cols}})
	}
	drop := map[string]bool{}
	for _, n := range cols {
		c, err := f.resolve(n)
		if err != nil {
			return errFrame(f.eng, err)
		}
		drop[c.ident] = true
	}
	var oc []outCol
	for _, c := range f.cols {
		if !drop[c.ident] {
			oc = append(oc, outCol{sql: quoteIdent(c.ident), name: c.name, ident: c.ident})
		}
	}
	if len(oc) == 0 {
		return errFrame(f.eng, errorf("hunt: Drop would remove every column"))
	}
	return f.project(oc, "")
}

// Rename renames column old to new.
func (f *Frame) Rename(old, new string) *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "rename", args: opArgs{old: old, name: new}})
	}
	c, err := f.resolve(old)
	if err != nil {
		return errFrame(f.eng, err)
	}
	if new == "" {
		return errFrame(f.eng, errorf("hunt: Rename(%q): empty new name", old))
	}
	var oc []outCol
	for _, x := range f.cols {
		if x.ident == c.ident {
			oc = append(oc, outCol{sql: quoteIdent(x.ident), name: new})
		} else {
			oc = append(oc, outCol{sql: quoteIdent(x.ident), name: x.name, ident: x.ident})
		}
	}
	return f.project(oc, "")
}

// WithColumn adds a column named name computed by e (an Expr, a Spark SQL expression string, or a
// Go literal), or replaces the column of that name.
func (f *Frame) WithColumn(name string, e any) *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "with", args: opArgs{name: name, val: e}})
	}
	var ex Expr
	switch v := e.(type) {
	case string:
		ex = SQLExpr(v)
	default:
		ex = toExpr(v)
	}
	r, err := ex.render(frameScope(f))
	if err != nil {
		return errFrame(f.eng, err)
	}
	var oc []outCol
	replaced := false
	for _, c := range f.cols {
		if c.name == name {
			oc = append(oc, outCol{sql: r.sql, name: name})
			replaced = true
		} else {
			oc = append(oc, outCol{sql: quoteIdent(c.ident), name: c.name, ident: c.ident})
		}
	}
	if !replaced {
		oc = append(oc, outCol{sql: r.sql, name: name})
	}
	return f.project(oc, "").context("WithColumn(" + name + ")")
}

// OrderBy sorts by the given columns: names ("EventID", or "-EventID" / "EventID DESC" for
// descending) or Exprs (hunt.Col("hits").Desc()). NULLs sort first ascending and last
// descending, as in Spark.
func (f *Frame) OrderBy(cols ...any) *Frame {
	if f.err != nil {
		return f
	}
	if len(cols) == 0 {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "sort", args: opArgs{cols: cols}})
	}
	var keys []string
	for _, it := range cols {
		var e Expr
		switch v := it.(type) {
		case string:
			s := strings.TrimSpace(v)
			desc := false
			switch {
			case strings.HasPrefix(s, "-"):
				s, desc = s[1:], true
			case strings.HasSuffix(strings.ToUpper(s), " DESC"):
				s, desc = strings.TrimSpace(s[:len(s)-5]), true
			case strings.HasSuffix(strings.ToUpper(s), " ASC"):
				s = strings.TrimSpace(s[:len(s)-4])
			}
			e = Col(s)
			if desc {
				e = e.Desc()
			}
		case Expr:
			e = v
		default:
			return errFrame(f.eng, errorf("hunt: OrderBy takes column names or Exprs, not %T", it))
		}
		r, err := e.render(frameScope(f))
		if err != nil {
			return errFrame(f.eng, err)
		}
		if e.op == "desc" {
			keys = append(keys, r.sql+" DESC NULLS LAST")
		} else {
			keys = append(keys, r.sql+" ASC NULLS FIRST")
		}
	}
	return f.derive("SELECT * FROM " + f.from() + " ORDER BY " + strings.Join(keys, ", ")).context("OrderBy")
}

// Sort is OrderBy (Spark's other name for it).
func (f *Frame) Sort(cols ...any) *Frame { return f.OrderBy(cols...) }

// Limit keeps the first n rows (in the frame's order, if it has one).
func (f *Frame) Limit(n int) *Frame {
	if f.err != nil {
		return f
	}
	if n < 0 {
		return errFrame(f.eng, errorf("hunt: Limit(%d): negative", n))
	}
	if f.lazy() {
		return f.then(&node{op: "limit", args: opArgs{n: n}})
	}
	return f.derive("SELECT * FROM " + f.from() + " LIMIT " + strconv.Itoa(n))
}

// Head is the first n rows as a frame (Limit(n)); shown as the last expression of a cell it
// displays them.
func (f *Frame) Head(n int) *Frame { return f.Limit(n) }

// Distinct removes duplicate rows.
func (f *Frame) Distinct() *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "distinct"})
	}
	return f.derive("SELECT DISTINCT * FROM " + f.from())
}

// Sample keeps a random fraction (0..1) of the rows (Bernoulli sampling); a seed makes the sample
// repeatable.
func (f *Frame) Sample(fraction float64, seed ...int64) *Frame {
	if f.err != nil {
		return f
	}
	if !(fraction >= 0 && fraction <= 1) {
		return errFrame(f.eng, errorf("hunt: Sample(%v): fraction must be between 0 and 1", fraction))
	}
	if f.lazy() {
		return f.then(&node{op: "sample", args: opArgs{frac: fraction, seed: seed}})
	}
	q := fmt.Sprintf("SELECT * FROM %s USING SAMPLE %s%% (bernoulli", f.from(), strconv.FormatFloat(fraction*100, 'f', -1, 64))
	if len(seed) > 0 {
		q += fmt.Sprintf(", %d", seed[0])
	}
	return f.derive(q + ")")
}

// anyLazy reports whether one of fs is on another engine.
func anyLazy(fs []*Frame) bool {
	for _, f := range fs {
		if f.lazy() {
			return true
		}
	}
	return false
}

// Union appends the rows of others, matching columns by name (Spark's unionByName with
// allowMissingColumns): a column missing on one side is NULL there, and types widen.
func (f *Frame) Union(others ...*Frame) *Frame {
	defer runtime.KeepAlive(others) // see tableRef
	if f.err != nil {
		return f
	}
	for _, o := range others {
		if o == nil {
			return errFrame(f.eng, errorf("hunt: Union: nil frame"))
		}
	}
	if f.lazy() || anyLazy(others) {
		// A Spark frame not yet read and small DuckDB frames: the DuckDB sides move to
		// Spark. Otherwise the sides on other engines are read into DuckDB.
		if g, ok := moveUnion(f, others); ok {
			return g
		}
		return f.then(&node{op: "union", in: others})
	}
	parts := []string{"SELECT * FROM " + f.from()}
	for _, o := range others {
		if o == nil {
			return errFrame(f.eng, errorf("hunt: Union: nil frame"))
		}
		if o.err != nil {
			return o
		}
		if o.eng != f.eng {
			return errFrame(f.eng, errorf("hunt: Union: frames from different sessions"))
		}
		parts = append(parts, "SELECT * FROM "+o.from())
	}
	return f.derive(strings.Join(parts, " UNION ALL BY NAME ")).context("Union")
}

// As registers the frame for SQL under name (see Register) and returns it, so that
// hunt.Read(path).As("mordorTable") reads like Spark's createOrReplaceTempView. A frame on
// another engine is registered as it is (a hunt.SQL query over it reads it then); one on Spark
// also becomes a temporary view of its Spark session.
func (f *Frame) As(name string) *Frame {
	if f.err != nil {
		return f
	}
	if err := Register(name, f); err != nil {
		return errFrame(f.eng, err)
	}
	if f.lazy() && f.plan.op == "source" {
		// A frame whose plan runs on an engine with views (Spark) is registered there too, so
		// that queries run on that engine (%%sql -e sp) see it.
		if v, ok := f.plan.rel.(viewer); ok {
			if err := v.createView(name); err != nil {
				return errFrame(f.eng, err)
			}
		}
	}
	g := *f
	g.view = name
	return &g
}

// viewer is a relation whose engine can register it as a view under a name.
type viewer interface {
	createView(name string) error
}

// ValueCounts counts the rows per value of col, most frequent first: columns col and "count".
func (f *Frame) ValueCounts(col string) *Frame {
	if f.err != nil {
		return f
	}
	return f.GroupBy(col).Agg(Count()).OrderBy(Col("count").Desc(), Col(col))
}

// Describe summarises every column (DuckDB's SUMMARIZE): its type, min, max, approximate distinct
// count, mean, quartiles, count and NULL percentage. It runs over the whole frame when shown.
func (f *Frame) Describe() *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.then(&node{op: "describe"})
	}
	return f.derive(`SELECT split_part(column_name, '` + identMark + `', 1) AS column_name, * EXCLUDE (column_name) FROM (SUMMARIZE ` + f.sql + `)`)
}

// Grouped is a frame grouped by key columns, waiting for Agg.
type Grouped struct {
	f    *Frame
	keys []Expr
	err  error
}

// GroupBy groups rows by the given columns (names or Exprs); call Agg on the result.
func (f *Frame) GroupBy(cols ...any) *Grouped {
	if f.err != nil {
		return &Grouped{f: f, err: f.err}
	}
	es, err := exprsOf("GroupBy", cols)
	return &Grouped{f: f, keys: es, err: err}
}

// Agg computes aggregates (Count, CountDistinct, Min, Max, Sum, Avg, First, Collect, or any Expr
// with .As) per group; the result has the key columns, then one column per aggregate.
// With no aggregates it counts rows per group (column "count").
func (g *Grouped) Agg(aggs ...Expr) *Frame {
	f := g.f
	if g.err != nil {
		return errFrame(f.eng, g.err)
	}
	if len(aggs) == 0 {
		aggs = []Expr{Count()}
	}
	if f.lazy() {
		return f.then(&node{op: "aggregate", args: opArgs{keys: g.keys, aggs: aggs}})
	}
	s := frameScope(f)
	keys, err := f.outCols(s, g.keys)
	if err != nil {
		return errFrame(f.eng, err)
	}
	vals, err := f.outCols(s, aggs)
	if err != nil {
		return errFrame(f.eng, err)
	}
	var groupBy []string
	for _, k := range keys {
		groupBy = append(groupBy, k.sql)
	}
	tail := ""
	if len(groupBy) > 0 {
		tail = " GROUP BY " + strings.Join(groupBy, ", ")
	}
	return f.project(append(keys, vals...), tail).context("GroupBy(...).Agg")
}

// Count counts the rows of the grouped frame per group (column "count"), as Spark's
// groupBy(...).count().
func (g *Grouped) Count() *Frame { return g.Agg(Count()) }

// Join joins f with other. on is a column name or a []string of names present in both frames
// (the key columns appear once in the result, as in Spark), or an Expr over LeftCol/RightCol
// (hunt.LeftCol("TargetLogonId").Eq(hunt.RightCol("SubjectLogonId"))), in which case every column
// of both sides is kept. how is "inner" (also ""), "left", "right", "full", "semi" or "anti";
// semi and anti keep only f's columns.
func (f *Frame) Join(other *Frame, on any, how string) *Frame {
	defer runtime.KeepAlive(other) // see tableRef
	if f.err != nil {
		return f
	}
	if other == nil {
		return errFrame(f.eng, errorf("hunt: Join: nil frame"))
	}
	if other.err != nil {
		return other
	}
	if f.lazy() || other.lazy() {
		// A Spark frame not yet read and a small DuckDB frame: the DuckDB side moves to
		// Spark as Arrow and the join runs there. Otherwise the side on another engine is
		// read into DuckDB (its pushed-down part running there) and joined here. Either way
		// the result's Note says how many rows moved.
		if g, ok := moveJoin(f, other, on, how); ok {
			return g
		}
		return f.then(&node{op: "join", in: []*Frame{other}, args: opArgs{on: on, how: how}})
	}
	kind, ok := map[string]string{"": "INNER", "inner": "INNER", "left": "LEFT", "left_outer": "LEFT", "leftouter": "LEFT",
		"right": "RIGHT", "right_outer": "RIGHT", "rightouter": "RIGHT", "full": "FULL", "outer": "FULL", "full_outer": "FULL", "fullouter": "FULL",
		"semi": "SEMI", "left_semi": "SEMI", "leftsemi": "SEMI", "anti": "ANTI", "left_anti": "ANTI", "leftanti": "ANTI"}[strings.ToLower(how)]
	if !ok {
		return errFrame(f.eng, errorf("hunt: Join: unknown join type %q (inner, left, right, full, semi, anti)", how))
	}
	s := scope{frames: []*Frame{f, other}, prefixes: []string{"__l.", "__r."}}
	var cond string
	var keyNames []string
	switch v := on.(type) {
	case string:
		keyNames = []string{v}
	case []string:
		keyNames = v
	case Expr:
		r, err := v.render(s)
		if err != nil {
			return errFrame(f.eng, err)
		}
		cond = r.sql
	default:
		return errFrame(f.eng, errorf("hunt: Join: on must be a column name, []string or Expr, not %T", on))
	}
	keyIdx := map[string]bool{}
	var keyOut []outCol
	if keyNames != nil {
		var conds []string
		for _, k := range keyNames {
			lc, err := f.resolve(k)
			if err != nil {
				return errFrame(f.eng, fmt.Errorf("%w (left side of the join)", err))
			}
			rc, err := other.resolve(k)
			if err != nil {
				return errFrame(f.eng, fmt.Errorf("%w (right side of the join)", err))
			}
			conds = append(conds, "__l."+quoteIdent(lc.ident)+" = __r."+quoteIdent(rc.ident))
			keyIdx[k] = true
			sql := "__l." + quoteIdent(lc.ident)
			switch kind {
			case "RIGHT":
				sql = "__r." + quoteIdent(rc.ident)
			case "FULL":
				sql = "coalesce(__l." + quoteIdent(lc.ident) + ", __r." + quoteIdent(rc.ident) + ")"
			}
			keyOut = append(keyOut, outCol{sql: sql, name: k, ident: lc.ident})
		}
		if len(conds) == 0 {
			return errFrame(f.eng, errorf("hunt: Join: no key columns"))
		}
		cond = strings.Join(conds, " AND ")
	}
	var cols []outCol
	cols = append(cols, keyOut...)
	for _, c := range f.cols {
		if !keyIdx[c.name] {
			cols = append(cols, outCol{sql: "__l." + quoteIdent(c.ident), name: c.name})
		}
	}
	if kind != "SEMI" && kind != "ANTI" {
		for _, c := range other.cols {
			if !keyIdx[c.name] {
				cols = append(cols, outCol{sql: "__r." + quoteIdent(c.ident), name: c.name})
			}
		}
	}
	alloc := newIdentAllocator()
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.sql + " AS " + quoteIdent(alloc.ident(c.name))
	}
	q := "SELECT " + strings.Join(parts, ", ") + " FROM (" + f.sql + ") AS __l " + kind + " JOIN (" + other.sql + ") AS __r ON " + cond
	return f.derive(q).context("Join")
}

// Cache runs the frame now and keeps its rows as a table in the session database (Spark's
// cache()), so that later operations read the stored rows instead of re-running the query or
// re-reading the source. It is the one chain operation that does work at once.
func (f *Frame) Cache() *Frame {
	defer runtime.KeepAlive(f) // see tableRef
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.Local().Cache()
	}
	table := f.eng.tableName("cache")
	if err := f.eng.exec(cellCtx(), "CREATE TABLE "+quoteIdent(table)+" AS "+f.sql); err != nil {
		return errFrame(f.eng, fmt.Errorf("hunt: Cache: %w", err))
	}
	g := newFrame(f.eng, "SELECT * FROM "+quoteIdent(table))
	if g.err == nil {
		g.note = f.note
	}
	return g
}
