package hunt

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// A frame on the session's DuckDB is a bound DuckDB query (Frame.sql): each operation renders
// itself to SQL at once. A frame whose data lives on another engine (Elasticsearch today) has a
// plan instead: a small tree of relational operations (node) whose leaf is a source relation
// on that engine. Each operation asks the relation whether its engine can absorb it (push);
// what it absorbs stays in the relation (an Elasticsearch query, _source filter, size,
// composite aggregation), the first operation it cannot absorb and everything above it run on
// DuckDB after the read. Nothing is read before a terminal operation or a display.

// relation is a source on an engine other than the session's DuckDB, with the operations its
// engine absorbed. It is the seam a further engine (Spark Connect) plugs into: such an engine
// implements relation and returns frames from newLazy.
type relation interface {
	// engineName names the engine in notes and errors ("Elasticsearch").
	engineName() string
	// push returns the relation with op applied on its engine, or false when the engine cannot
	// compute op exactly as DuckDB would. op.in[0] is the frame holding this relation.
	push(op *node) (relation, bool)
	// columns lists the relation's column names, known without reading rows.
	columns() []string
	// count counts the relation's rows on its engine.
	count(ctx context.Context) (int64, error)
	// read runs the relation and loads its rows into the session's DuckDB (progress shown
	// unless quiet); the frame it returns is local.
	read(ctx context.Context, e *engine, quiet bool) *Frame
	// explain says what runs on the engine, for Plan.
	explain() string
	// note is what the source reports before any read: where the data is ("in Elasticsearch
	// logs-*") and what the engine found (mapping conflicts).
	note() string
}

// node is one operation of a frame's plan. op "source" holds a relation (with what it
// absorbed); every other op applies to the frames in in (the first is the operand, then the
// other sides of a join or union) and runs on DuckDB.
type node struct {
	op   string // source, filter, project, drop, rename, with, sort, limit, distinct, sample, aggregate, describe, join, union, local
	rel  relation
	in   []*Frame
	args opArgs

	mu    sync.Mutex
	local *Frame // the plan's result on DuckDB, once read

	shown shownCache // a Spark source's display, kept for the cell that read it
}

// shownCache keeps the preview a display of a Spark frame read, for the rest of the cell that
// read it: the kernel renders a value as HTML and as text, and each would otherwise be a Spark
// job. A later cell reads again (the table may have changed). Outside a cell nothing is kept.
type shownCache struct {
	mu      sync.Mutex
	ctx     context.Context
	n, cols int
	p       *preview
}

func (c *shownCache) get(ctx context.Context, n, cols int) *preview {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != nil && c.ctx == ctx && c.n == n && c.cols == cols && ctx.Err() == nil {
		return c.p
	}
	return nil
}

func (c *shownCache) put(ctx context.Context, n, cols int, p *preview) {
	if ctx == context.Background() {
		return
	}
	c.mu.Lock()
	c.ctx, c.n, c.cols, c.p = ctx, n, cols, p
	c.mu.Unlock()
}

// opArgs are the arguments of one operation, as the user gave them.
type opArgs struct {
	cond  any                 // filter
	cols  []any               // project, sort
	names []string            // drop
	old   string              // rename
	name  string              // rename (new), with
	val   any                 // with
	n     int                 // limit
	frac  float64             // sample
	seed  []int64             // sample
	keys  []Expr              // aggregate
	aggs  []Expr              // aggregate
	on    any                 // join
	how   string              // join
	label string              // local: the operation's name, for Plan
	fn    func(*Frame) *Frame // local: the operation, run on DuckDB over the frame read
}

// newLazy returns a frame over relation r: nothing is read yet.
func newLazy(e *engine, r relation) *Frame {
	return &Frame{eng: e, plan: &node{op: "source", rel: r}, note: r.note()}
}

// lazy reports whether the frame's plan starts on another engine.
func (f *Frame) lazy() bool { return f != nil && f.plan != nil }

// then adds the operation op over f (and op.in, the other inputs) to the plan: absorbed by
// f's relation when its engine can, else run on DuckDB after the read.
func (f *Frame) then(op *node) *Frame {
	op.in = append([]*Frame{f}, op.in...)
	for _, in := range op.in {
		if in.err != nil {
			return in
		}
	}
	if f.lazy() && f.plan.op == "source" {
		// A relation whose columns are not known without a round trip (a Spark read not
		// analyzed yet) leaves the check to its engine.
		if d, ok := f.plan.rel.(interface{ columnsDeferred() bool }); !ok || !d.columnsDeferred() {
			if err := checkColumns(op, f.plan.rel.columns()); err != nil {
				return errFrame(f.eng, err)
			}
		}
		if r, ok := f.plan.rel.push(op); ok {
			return &Frame{eng: f.eng, plan: &node{op: "source", rel: r}, note: f.note}
		}
	}
	return &Frame{eng: f.eng, plan: op, note: f.note}
}

// Local returns the frame on the session's DuckDB: a frame whose plan starts on another
// engine is read now (its pushed-down part on that engine, the rest on DuckDB), once: later
// calls, displays and terminal operations of the same frame reuse the rows read. A DuckDB frame
// is returned as it is.
func (f *Frame) Local() *Frame {
	if f == nil || !f.lazy() || f.err != nil {
		return f
	}
	return f.plan.realize(f.eng)
}

// realize runs the plan (inputs first) and keeps the result; a failed or interrupted read is
// not kept, so that the next use tries again.
func (n *node) realize(e *engine) *Frame {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.local != nil {
		return n.local
	}
	var l *Frame
	if n.op == "source" {
		l = n.rel.read(cellCtx(), e, false)
	} else {
		ins := make([]*Frame, len(n.in))
		var moved []string
		for i, in := range n.in {
			ins[i] = in.Local()
			if ins[i].err != nil {
				return ins[i]
			}
			if in.lazy() && (n.op == "join" || n.op == "union") {
				rows, err := ins[i].Count()
				if err != nil {
					return errFrame(e, err)
				}
				moved = append(moved, fmt.Sprintf("moved %d rows from %s to DuckDB", rows, in.plan.engine()))
			}
		}
		l = n.apply(ins)
		if l.err == nil && len(moved) > 0 {
			l = l.withNote(strings.Join(moved, "; "))
		}
	}
	if l.err == nil {
		n.local = l
	}
	return l
}

// read returns the plan's result on DuckDB if it was read, else nil.
func (n *node) read() *Frame {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.local
}

// engine names the engine the plan starts on.
func (n *node) engine() string {
	for n.op != "source" {
		n = n.in[0].plan
		if n == nil {
			return "DuckDB"
		}
	}
	return n.rel.engineName()
}

// withNote returns f with s added to its note.
func (f *Frame) withNote(s string) *Frame {
	g := *f
	g.note = joinNote(f.note, s)
	return &g
}

// apply runs the operation on DuckDB over the frames read.
func (n *node) apply(ins []*Frame) *Frame {
	f, a := ins[0], n.args
	switch n.op {
	case "filter":
		return f.Where(a.cond)
	case "project":
		return f.Select(a.cols...)
	case "drop":
		return f.Drop(a.names...)
	case "rename":
		return f.Rename(a.old, a.name)
	case "with":
		return f.WithColumn(a.name, a.val)
	case "sort":
		return f.OrderBy(a.cols...)
	case "limit":
		return f.Limit(a.n)
	case "distinct":
		return f.Distinct()
	case "sample":
		return f.Sample(a.frac, a.seed...)
	case "aggregate":
		keys := make([]any, len(a.keys))
		for i, k := range a.keys {
			keys[i] = k
		}
		return f.GroupBy(keys...).Agg(a.aggs...)
	case "describe":
		return f.Describe()
	case "join":
		return f.Join(ins[1], a.on, a.how)
	case "union":
		return f.Union(ins[1:]...)
	case "local":
		return a.fn(f)
	}
	return errFrame(f.eng, errorf("hunt: unknown plan operation %q", n.op))
}

// afterRead adds to the plan of f (a frame on another engine) the operation fn, which runs on
// DuckDB over the rows read, under the user's name label (for Plan): a frame operation with no
// engine of its own to push into (Detect, for one) stays lazy on every engine this way.
func (f *Frame) afterRead(label string, fn func(*Frame) *Frame) *Frame {
	return f.then(&node{op: "local", args: opArgs{label: label, fn: fn}})
}

// opName is the user's name of an operation, for Plan.
var opName = map[string]string{"filter": "Where", "project": "Select", "drop": "Drop", "rename": "Rename",
	"with": "WithColumn", "sort": "OrderBy", "limit": "Limit", "distinct": "Distinct", "sample": "Sample",
	"aggregate": "GroupBy.Agg", "describe": "Describe", "join": "Join", "union": "Union"}

// Pushed reports whether the whole plan runs on the engine that holds the data: always for a
// DuckDB frame; for an Elasticsearch frame, whether every operation so far runs inside
// Elasticsearch (nothing is left to do on DuckDB after the read).
func (f *Frame) Pushed() bool { return !f.lazy() || f.plan.op == "source" }

// Plan describes where the frame's operations run: for a DuckDB frame its query; for a frame
// on another engine what that engine runs (the Elasticsearch query, _source fields, size or
// aggregation), then the operations left to DuckDB after the read.
func (f *Frame) Plan() string {
	if f == nil {
		return "nil frame"
	}
	if f.err != nil {
		return "error: " + f.err.Error()
	}
	if !f.lazy() {
		return "DuckDB: " + f.sql
	}
	var lines []string
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		pad := strings.Repeat("  ", depth)
		if n.op == "source" {
			lines = append(lines, pad+n.rel.engineName()+": "+n.rel.explain())
			return
		}
		name := opName[n.op]
		if n.op == "local" {
			name = n.args.label
		}
		lines = append(lines, pad+"DuckDB: "+name)
		for _, in := range n.in {
			if in.lazy() {
				walk(in.plan, depth+1)
			} else {
				lines = append(lines, pad+"  DuckDB frame")
			}
		}
	}
	walk(f.plan, 0)
	return strings.Join(lines, "\n")
}

// lazyPreview is preview for a frame on another engine: when the engine runs the whole plan,
// only n+1 rows are read (a size) and, on Elasticsearch, the total comes from its _count;
// otherwise the frame is read and previewed on DuckDB.
//
// A Spark frame's display costs only its first rows, as df.show() does: counting the rest is a
// second Spark job over all of them (as long as the read of every row, not of the first), so
// the total is left unknown (-1) and the summary says how to count (Count).
func (f *Frame) lazyPreview(n, maxCols int) (*preview, error) {
	if f.plan.op != "source" || f.plan.read() != nil {
		l := f.Local()
		if l.err != nil {
			return nil, l.err
		}
		return l.preview(n, maxCols)
	}
	_, onSpark := f.plan.rel.(*sparkRel)
	ctx := cellCtx()
	if onSpark {
		if p := f.plan.shown.get(ctx, n, maxCols); p != nil {
			return p, nil
		}
	}
	head := f.Limit(n + 1)
	var l *Frame
	if head.lazy() && head.plan.op == "source" {
		l = head.plan.rel.read(ctx, f.eng, true)
	} else {
		l = head.Local()
	}
	if l.err != nil {
		return nil, l.err
	}
	p, err := l.preview(n, maxCols)
	if err != nil {
		return nil, err
	}
	if onSpark {
		if p.more {
			p.total = -1
		}
		f.plan.shown.put(ctx, n, maxCols, p)
		return p, nil
	}
	if p.more {
		// An Elasticsearch _count is cheap and runs after the read, so that no request of a
		// display outlives it.
		c, err := f.plan.rel.count(ctx)
		if err != nil {
			return nil, err
		}
		p.total = c
	}
	return p, nil
}

// localFrames replaces the frames of used that are on another engine by their reads (SQL runs
// on DuckDB over registered frames; a frame read once is not read again).
func localFrames(used map[string]*Frame) error {
	for k, f := range used {
		if f.lazy() {
			l := f.Local()
			if l.err != nil {
				return l.err
			}
			used[k] = l
		}
	}
	return nil
}

// checkColumns reports a column that op names and the relation lacks, as an operation on a
// DuckDB frame does at once (with near matches), instead of at the read. Only names given as
// names or Col expressions are checked (SQL strings are checked by the engine that runs them).
func checkColumns(op *node, cols []string) error {
	have := map[string]bool{}
	for _, c := range cols {
		have[c] = true
	}
	var names []string
	var walk func(e Expr)
	walk = func(e Expr) {
		if e.op == "col" && e.name != "*" {
			names = append(names, e.name)
		}
		for _, a := range e.args {
			walk(a)
		}
	}
	items := func(xs []any) {
		for _, x := range xs {
			switch v := x.(type) {
			case Expr:
				walk(v)
			case string:
				if op.op == "project" && v != "*" {
					names = append(names, v)
				}
			}
		}
	}
	a := op.args
	switch op.op {
	case "filter":
		if e, ok := a.cond.(Expr); ok {
			walk(e)
		}
	case "project", "sort":
		items(a.cols)
	case "drop":
		names = append(names, a.names...)
	case "rename":
		names = append(names, a.old)
	case "aggregate":
		for _, k := range a.keys {
			walk(k)
		}
		for _, g := range a.aggs {
			walk(g)
		}
	}
	for _, n := range names {
		if !have[n] {
			return unknownColumn(n, cols)
		}
	}
	return nil
}
