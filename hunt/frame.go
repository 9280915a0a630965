package hunt

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Frame is a lazy table of events: a DuckDB query plan that nothing has run yet. Operations
// (Where, Select, GroupBy, Join, ...) return a new Frame and leave the receiver unchanged; the
// query runs only when the frame is shown, counted, collected or written, and then only as far as
// needed (showing reads the first rows and the count, not the whole frame).
//
// A Frame that an operation could not build carries the error: every later operation passes it
// on, Err returns it, terminal operations (Count, Collect, Write...) return it, and the kernel
// fails the cell with it when the frame is displayed. Frames are immutable and safe to use from
// several goroutines.
type Frame struct {
	eng  *engine
	sql  string   // DuckDB SELECT whose result columns are the frame's column idents
	cols []column // bound schema, in order
	err  error
	note string      // reported with results, e.g. "skipped 3 malformed lines"
	refs []*tableRef // the engine's tables the query reads: they live while the frame does
	plan *node       // non-nil: a frame whose data is on another engine, not read yet (see node)
	view string      // set on the frame As returns: it displays as one line naming the view
}

// column is one column of a frame's bound schema.
type column struct {
	ident string // DuckDB identifier, unique case-insensitively within the frame
	name  string // display name (what the user sees and types)
	typ   string // DuckDB type, e.g. BIGINT, VARCHAR, VARCHAR[], STRUCT(...)
}

// errFrame returns a frame carrying err.
func errFrame(e *engine, err error) *Frame { return &Frame{eng: e, err: err} }

// newFrame binds query (DuckDB SQL) and returns a frame of it, or a frame carrying the binding
// error. Binding runs DESCRIBE, which plans the query without reading data.
func newFrame(e *engine, query string) *Frame {
	return newFrameOver(e, query, nil)
}

// stubMin is the size of a frame's query from which a query derived from it is bound against a
// stub of the frame (see newFrameOver) instead of the query itself.
const stubMin = 64 << 10

// newFrameOver is newFrame for a query built over the frame src (holding src's query as a
// subquery), or over no frame (src nil). When src's query is large (a Detect query of hundreds
// of rules, whose binding costs tenths of a second), the new query's columns are found by
// binding it with src's query replaced by a stub of src's columns (NULLs of their types, no
// rows), which gives the same columns: the query itself is bound once, when it runs. If the
// stub does not bind, the query itself is.
func newFrameOver(e *engine, query string, src *Frame) *Frame {
	// The tableRefs first: they keep the tables the query reads while DESCRIBE binds it.
	refs := e.refs(query)
	var cols []column
	err := errors.New("no stub")
	if src != nil && len(src.sql) >= stubMin && len(src.cols) > 0 && strings.Contains(query, src.sql) {
		cols, err = e.describe(strings.ReplaceAll(query, src.sql, src.stub()))
	}
	if err != nil {
		cols, err = e.describe(query)
	}
	if err != nil {
		return errFrame(e, err)
	}
	// A query's result may hold names equal up to case (SELECT a, a); DuckDB would rename them
	// when the query becomes a subquery. Give them internal idents now, by position.
	seen := map[string]bool{}
	dup := false
	for _, c := range cols {
		k := strings.ToLower(c.ident)
		if seen[k] {
			dup = true
			break
		}
		seen[k] = true
	}
	if dup {
		alloc := newIdentAllocator()
		ids := make([]string, len(cols))
		for i := range cols {
			cols[i].ident = alloc.ident(cols[i].name)
			ids[i] = quoteIdent(cols[i].ident)
		}
		query = "SELECT * FROM (" + query + ") AS __q(" + strings.Join(ids, ", ") + ")"
	}
	return &Frame{eng: e, sql: query, cols: cols, refs: refs}
}

// frameOf returns a frame of query whose result columns the caller built (names, DuckDB types,
// idents unique regardless of case, in the query's order), without binding the query: for a
// large generated query, whose binding costs as much as planning it.
func frameOf(e *engine, query string, cols []column) *Frame {
	return &Frame{eng: e, sql: query, cols: cols, refs: e.refs(query)}
}

func (e *engine) describe(query string) ([]column, error) {
	rows, err := e.db.QueryContext(cellCtx(), "DESCRIBE "+query)
	if err != nil {
		return nil, duckErr(err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var cols []column
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		ident, _ := vals[0].(string)
		typ, _ := vals[1].(string)
		cols = append(cols, column{ident: ident, name: displayName(ident), typ: typ})
	}
	return cols, duckErr(rows.Err())
}

// derive builds a frame from f by query, passing on f's error.
func (f *Frame) derive(query string) *Frame {
	if f.err != nil {
		return f
	}
	g := newFrameOver(f.eng, query, f)
	if g.err == nil {
		g.note = f.note
	}
	return g
}

// stub returns a query of no rows with f's columns: their idents and types.
func (f *Frame) stub() string {
	parts := make([]string, len(f.cols))
	for i, c := range f.cols {
		parts[i] = "CAST(NULL AS " + c.typ + ") AS " + quoteIdent(c.ident)
	}
	return "SELECT " + strings.Join(parts, ", ") + " WHERE FALSE"
}

// context prefixes a new binding error of g (one f did not carry) with the operation that made it,
// so that a DuckDB type error says where it came from.
func (g *Frame) context(op string) *Frame {
	if g.err == nil {
		return g
	}
	var he *Error
	if errors.As(g.err, &he) && strings.HasPrefix(he.Msg, "hunt") {
		return g
	}
	return errFrame(g.eng, &Error{Msg: "hunt: " + op + ": " + cleanMessage(g.err.Error()), Err: g.err})
}

// Err returns the error that building this frame ran into, or nil. The kernel shows it as the
// cell's error when the frame is displayed.
func (f *Frame) Err() error {
	if f == nil {
		return errorf("hunt: nil frame")
	}
	return f.err
}

// Note returns what the source reported with the data, such as how many malformed lines were
// skipped, mapping conflicts of Elasticsearch indices, or what a join moved between engines
// (empty when there is nothing to report). A frame on another engine reports what its read
// found once it was read (see Local).
func (f *Frame) Note() string {
	if f.lazy() {
		if l := f.plan.read(); l != nil {
			return l.note
		}
	}
	return f.note
}

// SQLText returns the DuckDB query behind the frame (internal column names of case-colliding
// columns carry a private-use suffix). Useful to see what runs; hunt.DuckSQL accepts such queries.
// A frame on another engine has one only once read (Local); Plan shows what runs where.
func (f *Frame) SQLText() string {
	if f.lazy() {
		if l := f.plan.read(); l != nil {
			return l.sql
		}
		return ""
	}
	return f.sql
}

// Columns returns the frame's column names, in order. A frame on another engine knows them
// from the source (Elasticsearch's mappings) while its plan runs there; after an operation
// left to DuckDB they are known once it is read, so Columns reads it.
func (f *Frame) Columns() []string {
	if f.lazy() {
		if f.err != nil {
			return nil
		}
		if f.plan.op == "source" {
			return f.plan.rel.columns()
		}
		return f.Local().Columns()
	}
	out := make([]string, len(f.cols))
	for i, c := range f.cols {
		out[i] = c.name
	}
	return out
}

// names returns display names (for error suggestions).
func (f *Frame) names() []string { return f.Columns() }

// resolve finds the column named name (exactly, case-sensitive as in Spark with
// spark.sql.caseSensitive=true). An unknown name gives an error listing near matches.
func (f *Frame) resolve(name string) (column, error) {
	var found []column
	for _, c := range f.cols {
		if c.name == name {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return column{}, unknownColumn(name, f.names())
	default:
		return column{}, errorf("hunt: column %q is ambiguous: the frame has %d columns of that name (rename one first)", name, len(found))
	}
}

func unknownColumn(name string, names []string) error {
	near := nearNames(name, names)
	if len(near) == 0 {
		return errorf("hunt: unknown column %q (the frame has %d columns; see Columns())", name, len(names))
	}
	return errorf("hunt: unknown column %q; did you mean %s?", name, strings.Join(quoteAll(near), ", "))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// from returns "(sql) AS t" for use in a FROM clause.
func (f *Frame) from() string { return "(" + f.sql + ") AS __t" }

// selectList renders every column of f as an identifier list.
func (f *Frame) selectList(prefix string) string {
	parts := make([]string, len(f.cols))
	for i, c := range f.cols {
		parts[i] = prefix + quoteIdent(c.ident)
	}
	return strings.Join(parts, ", ")
}

// allocator returns an ident allocator holding f's idents.
func (f *Frame) allocator() *identAllocator {
	a := newIdentAllocator()
	for _, c := range f.cols {
		a.reserve(c.ident)
	}
	return a
}
