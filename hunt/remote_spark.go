package hunt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/hunt/spark"
)

// SparkSession is a Spark Connect session, made by Spark. Its frames (Read, Table, SQL) are
// *Frame values whose plan runs on Spark; printing it never shows a credential.
type SparkSession struct {
	s   *spark.Session
	err error
}

// SparkOption configures Spark.
type SparkOption = spark.Option

// SparkToken authenticates every request with a bearer token (sent only over TLS).
func SparkToken(token string) SparkOption { return spark.WithToken(token) }

// Spark opens a Spark Connect session on the server at url ("sc://host:port", with Spark
// Connect's optional parameters "/;token=T;user_id=U;use_ssl=true"). It checks that the server
// answers; a session that could not be opened carries the error (Err), passed on to its frames.
//
//	sp := hunt.Spark("sc://127.0.0.1:15002")
//	ev := sp.Read("/data/mordor/empire_shell.json")   // the path as the cluster sees it
//	ev.Where("EventID = 10").Select("SourceImage", "TargetImage")
//
// The session lasts as long as the hunt session: when that closes (the kernel shuts down or
// restarts its worker; a program calls session.Close), every Spark session opened by Spark is
// closed and released on the server, which drops its temporary views; frames on it fail
// afterwards.
func Spark(url string, opts ...SparkOption) *SparkSession {
	s, err := spark.Connect(cellCtx(), url, opts...)
	if err != nil {
		return &SparkSession{err: &Error{Msg: "hunt.Spark: " + err.Error(), Err: err}}
	}
	sparkOpen.add(s)
	return &SparkSession{s: s}
}

// sparkSessions are the Spark sessions Spark opened in the hunt session, closed with it.
type sparkSessions struct {
	mu   sync.Mutex
	open []*spark.Session
}

// sparkOpen is part of the hunt session's state, emptied by session.Close as the DuckDB engine is.
var sparkOpen sparkSessions

func init() { session.OnClose(sparkOpen.closeAll) }

func (o *sparkSessions) add(s *spark.Session) {
	o.mu.Lock()
	o.open = append(o.open, s)
	o.mu.Unlock()
}

func (o *sparkSessions) remove(s *spark.Session) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, x := range o.open {
		if x == s {
			o.open = append(o.open[:i], o.open[i+1:]...)
			return
		}
	}
}

// closeAll closes every session (concurrently: each may wait for an unreachable server) and
// returns their errors joined, each naming its session.
func (o *sparkSessions) closeAll() error {
	o.mu.Lock()
	open := o.open
	o.open = nil
	o.mu.Unlock()
	errs := make([]error, len(open))
	var wg sync.WaitGroup
	for i, s := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Close(); err != nil {
				errs[i] = fmt.Errorf("hunt: closing %s: %w", s, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ID returns the Spark Connect session id, by which the server's logs and UI name the session
// ("" for a session that could not be opened).
func (sp *SparkSession) ID() string {
	if sp.s == nil {
		return ""
	}
	return sp.s.ID()
}

// Close closes the session and releases it on the server now, instead of when the hunt
// session closes; frames on it fail afterwards.
func (sp *SparkSession) Close() error {
	if sp.s == nil {
		return nil
	}
	sparkOpen.remove(sp.s)
	if err := sp.s.Close(); err != nil {
		return &Error{Msg: "hunt: closing " + sp.s.String() + ": " + err.Error(), Err: err}
	}
	return nil
}

// Err returns the error of a session that could not be opened, or nil.
func (sp *SparkSession) Err() error { return sp.err }

// String describes the session (its address, never a credential).
func (sp *SparkSession) String() string {
	if sp.s == nil {
		if sp.err != nil {
			return sp.err.Error()
		}
		return "hunt.Spark (not connected)"
	}
	return sp.s.String()
}

// Read returns a frame over the files at path, as the cluster sees the path (a file, a
// directory or a glob). The format comes from the extension (.json/.jsonl/.ndjson: JSON lines,
// .parquet, .csv with a header row, .orc) unless format names it ("json", "parquet", "csv",
// "orc").
func (sp *SparkSession) Read(path string, format ...string) *Frame {
	f := ""
	if len(format) > 0 {
		f = strings.ToLower(format[0])
	} else {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json", ".jsonl", ".ndjson":
			f = "json"
		case ".parquet":
			f = "parquet"
		case ".csv":
			f = "csv"
		case ".orc":
			f = "orc"
		default:
			return sp.errFrame(errorf("hunt: Spark Read(%q): cannot tell the format from the extension; name it: Read(path, \"json\")", path))
		}
	}
	opts := map[string]string{}
	if f == "csv" {
		opts["header"] = "true"
		opts["inferSchema"] = "true"
	}
	if sp.err != nil {
		return sp.errFrame(sp.err)
	}
	return sp.lazyFrame(sp.s.Read(path, spark.Format(f), opts), nil, "Read "+path)
}

// Table returns a frame over a table or temporary view of the session.
func (sp *SparkSession) Table(name string) *Frame {
	if sp.err != nil {
		return sp.errFrame(sp.err)
	}
	return sp.frame(sp.s.Table(name), nil, "Table "+name)
}

// SQL returns a frame of a Spark SQL query, run on Spark as written (no translation).
func (sp *SparkSession) SQL(query string) *Frame {
	if sp.err != nil {
		return sp.errFrame(sp.err)
	}
	df, err := sp.s.SQL(cellCtx(), query)
	return sp.lazyFrame(df, err, "SQL")
}

func (sp *SparkSession) errFrame(err error) *Frame {
	e, eerr := defaultEngine()
	if eerr != nil {
		return &Frame{err: eerr}
	}
	return errFrame(e, err)
}

// frame makes a lazy frame of df: its schema is asked of the server (analysis, no job), so
// that a bad table fails here.
func (sp *SparkSession) frame(df *spark.DataFrame, err error, what string) *Frame {
	e, r, ferr := sp.rel(df, err, what)
	if ferr != nil {
		return ferr
	}
	if err := r.bind(); err != nil {
		return errFrame(e, err)
	}
	return newLazy(e, r)
}

// lazyFrame makes a lazy frame of df whose columns are asked of the server only when something
// needs them (Columns, an operation that cannot be pushed, ...), as PySpark defers analysis to
// the action. Each analysis of a read is work Spark does again when the plan runs (listing the
// files, reading the Parquet footers or sampling JSON for the schema): 0.1 to 0.5 s for 10M
// events in Parquet on the 2-core test machine (2026-11-30). A bad path then fails at the first
// read, with Spark's error (PATH_NOT_FOUND), and an operation naming a column the data lacks
// fails on Spark (UNRESOLVED_COLUMN, with Spark's suggestions). A SQL query was analyzed
// already when its statement ran (sp.SQL runs it at once), so it fails at SQL.
func (sp *SparkSession) lazyFrame(df *spark.DataFrame, err error, what string) *Frame {
	e, r, ferr := sp.rel(df, err, what)
	if ferr != nil {
		return ferr
	}
	r.schema = &sparkSchema{df: df, what: what}
	return newLazy(e, r)
}

func (sp *SparkSession) rel(df *spark.DataFrame, err error, what string) (*engine, *sparkRel, *Frame) {
	e, eerr := defaultEngine()
	if eerr != nil {
		return nil, nil, &Frame{err: eerr}
	}
	if err != nil {
		return nil, nil, errFrame(e, &Error{Msg: "hunt: Spark " + what + ": " + err.Error(), Err: err})
	}
	if df.Err() != nil {
		return nil, nil, errFrame(e, &Error{Msg: "hunt: Spark " + what + ": " + df.Err().Error(), Err: df.Err()})
	}
	return e, &sparkRel{sp: sp, df: df, steps: []string{what}}, nil
}

// sparkRel is a frame's source on Spark: a DataFrame whose plan holds the operations pushed
// so far.
type sparkRel struct {
	sp     *SparkSession
	df     *spark.DataFrame
	cols   []string
	schema *sparkSchema // non-nil: the columns are those of a source not analyzed yet (cols unused)
	steps  []string     // what was pushed, for Plan
	moved  string       // what a join or union moved from DuckDB to build the plan, for the note
}

// sparkSchema is the columns of a Spark source, asked of the server on first need, once.
type sparkSchema struct {
	df   *spark.DataFrame
	what string

	mu   sync.Mutex
	done bool
	cols []string
	err  error
}

// get asks the server once (a failure is asked again next time: an interrupt is not the
// source's fault).
func (s *sparkSchema) get() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s.cols, nil
	}
	cs, err := s.df.Schema(cellCtx())
	if err != nil {
		return nil, &Error{Msg: "hunt: Spark " + s.what + ": " + err.Error(), Err: err}
	}
	s.cols = make([]string, len(cs))
	for i, c := range cs {
		s.cols[i] = c.Name
	}
	s.done = true
	return s.cols, nil
}

// known returns the columns when they were asked already.
func (s *sparkSchema) known() ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cols, s.done
}

// bind asks the server for the plan's columns.
func (r *sparkRel) bind() error {
	cs, err := r.df.Schema(cellCtx())
	if err != nil {
		return &Error{Msg: "hunt: Spark " + strings.Join(r.steps, " | ") + ": " + err.Error(), Err: err}
	}
	r.cols = make([]string, len(cs))
	for i, c := range cs {
		r.cols[i] = c.Name
	}
	r.schema = nil
	return nil
}

// columns returns the plan's columns, asking the server for a deferred source's (nil when that
// fails: the read reports the error).
func (r *sparkRel) columns() []string {
	if r.schema != nil {
		cols, _ := r.schema.get()
		return append([]string(nil), cols...)
	}
	return append([]string(nil), r.cols...)
}

// columnsDeferred reports whether the columns are not known without asking the server: then
// operations are not checked against them here (Spark checks them when the plan runs).
func (r *sparkRel) columnsDeferred() bool {
	if r.schema == nil {
		return false
	}
	_, ok := r.schema.known()
	return !ok
}

// has reports whether the plan has column name; with columns not asked yet, every name is
// taken as one (Spark resolves it when the plan runs, and fails naming it when it is not).
func (r *sparkRel) has(name string) bool {
	if r.schema != nil {
		cols, ok := r.schema.known()
		return !ok || contains(cols, name)
	}
	return contains(r.cols, name)
}

func (r *sparkRel) engineName() string { return "Spark" }
func (r *sparkRel) explain() string    { return r.sp.String() + ": " + strings.Join(r.steps, " | ") }
func (r *sparkRel) note() string       { return "in " + r.sp.String() }

// push builds the operation into the Spark plan when it can be said in Spark SQL exactly:
// Where with a Spark SQL string or simple comparisons, Select and OrderBy of columns, Limit,
// Distinct, and GroupBy with Count. The rest runs on DuckDB after the read.
func (r *sparkRel) push(op *node) (relation, bool) {
	var df *spark.DataFrame
	var step string
	switch op.op {
	case "filter":
		var cond string
		switch c := op.args.cond.(type) {
		case string:
			cond = c
		case Expr:
			s, ok := sparkExpr(c, r.has)
			if !ok {
				return nil, false
			}
			cond = s
		default:
			return nil, false
		}
		df, step = r.df.Where(cond), "Where "+cond
	case "project":
		var names []string
		for _, c := range op.args.cols {
			n, ok := colName(c)
			if !ok || !r.has(n) {
				return nil, false
			}
			names = append(names, sparkIdent(n))
		}
		df, step = r.df.Select(names...), "Select "+strings.Join(names, ", ")
	case "limit":
		df, step = r.df.Limit(op.args.n), "Limit "+strconv.Itoa(op.args.n)
	case "distinct":
		df, step = r.df.Distinct(), "Distinct"
	case "sort":
		var keys []spark.SortKey
		for _, c := range op.args.cols {
			desc := false
			if e, ok := c.(Expr); ok && (e.op == "desc" || e.op == "asc") {
				desc, c = e.op == "desc", e.args[0]
			}
			n, ok := colName(c)
			if !ok || !r.has(n) {
				return nil, false
			}
			keys = append(keys, spark.SortKey{Expr: sparkIdent(n), Desc: desc})
		}
		df, step = r.df.OrderBy(keys...), "OrderBy"
	case "aggregate":
		var keys []string
		for _, k := range op.args.keys {
			if k.op != "col" || !r.has(k.name) {
				return nil, false
			}
			keys = append(keys, sparkIdent(k.name))
		}
		if len(op.args.aggs) != 1 || op.args.aggs[0].op != "agg" || op.args.aggs[0].name != "count_star" {
			return nil, false
		}
		df, step = r.df.GroupBy(keys, "count(1) AS `count`"), "GroupBy "+strings.Join(keys, ", ")+" count"
	default:
		return nil, false
	}
	g := &sparkRel{sp: r.sp, df: df, steps: append(append([]string(nil), r.steps...), step), moved: r.moved}
	keep := func() { g.cols, g.schema = r.cols, r.schema }
	// The columns of what was built from checked column names are known here: no analysis
	// round trip to the server (PySpark defers analysis to the action, too). A Spark SQL string
	// condition is analyzed now, so that one Spark cannot run falls back to DuckDB.
	switch op.op {
	case "limit", "distinct", "sort":
		keep()
		return g, true
	case "filter":
		if _, ok := op.args.cond.(Expr); ok {
			keep()
			return g, true
		}
	case "project":
		for _, c := range op.args.cols {
			n, _ := colName(c)
			g.cols = append(g.cols, n)
		}
		return g, true
	case "aggregate":
		for _, k := range op.args.keys {
			g.cols = append(g.cols, k.name)
		}
		g.cols = append(g.cols, "count")
		return g, true
	}
	if err := g.bind(); err != nil {
		// Spark cannot analyze it (a wrong column): DuckDB reports it after the read.
		return nil, false
	}
	return g, true
}

// createView makes the plan a temporary view of the Spark session (replacing one of that name).
func (r *sparkRel) createView(name string) error {
	if err := r.df.CreateTempView(cellCtx(), name, true); err != nil {
		return &Error{Msg: "hunt: Spark view " + name + ": " + err.Error(), Err: err}
	}
	return nil
}

// count counts on Spark.
func (r *sparkRel) count(ctx context.Context) (int64, error) {
	n, err := r.df.Count(ctx)
	if err != nil {
		return 0, &Error{Msg: "hunt: Spark count: " + err.Error(), Err: err}
	}
	return n, nil
}

// read runs the plan on Spark and loads its rows into DuckDB (as JSON lines, through the
// loader Read uses: the same column types as a local read of the same events).
func (r *sparkRel) read(ctx context.Context, e *engine, quiet bool) *Frame {
	rows, err := r.df.Collect(ctx)
	if err != nil {
		return errFrame(e, &Error{Msg: "hunt: Spark: " + err.Error(), Err: err})
	}
	if len(rows.Values) == 0 {
		parts := make([]string, len(rows.Columns))
		alloc := newIdentAllocator()
		for i, c := range rows.Columns {
			parts[i] = "CAST(NULL AS VARCHAR) AS " + quoteIdent(alloc.ident(c))
		}
		if len(parts) == 0 {
			parts = []string{"NULL AS empty"}
		}
		return newFrame(e, "SELECT "+strings.Join(parts, ", ")+" WHERE false").withNote(r.moved)
	}
	ld := newJSONLoader(e, readConfig{keepStructs: true})
	for i, row := range rows.Values {
		m := make(map[string]any, len(row))
		for j, v := range row {
			if t, ok := v.(time.Time); ok {
				v = t.UTC().Format("2006-01-02 15:04:05.999999")
			}
			m[rows.Columns[j]] = v
		}
		b, err := json.Marshal(m)
		if err != nil {
			ld.discard()
			return errFrame(e, &Error{Msg: fmt.Sprintf("hunt: Spark row %d: %v", i+1, err), Err: err})
		}
		if err := ld.addLine(b, fmt.Sprintf("Spark row %d", i+1)); err != nil {
			ld.discard()
			return errFrame(e, err)
		}
	}
	l, err := ld.frame()
	if err != nil {
		return errFrame(e, err)
	}
	// The loader orders columns by first appearance; keep Spark's order.
	l = l.Select(anySlice(rows.Columns)...)
	if r.moved != "" && l.err == nil {
		l = l.withNote(r.moved)
	}
	return l
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// colName is the column a Select/OrderBy item names, if it is a plain column.
func colName(c any) (string, bool) {
	switch v := c.(type) {
	case string:
		return v, v != "*" && !strings.ContainsAny(v, " ()")
	case Expr:
		return v.name, v.op == "col"
	}
	return "", false
}

// sparkIdent quotes a column name for Spark SQL.
func sparkIdent(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// sparkLit renders a literal for Spark SQL: strings with Spark's backslash escapes.
func sparkLit(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\x00", `\0`)
		return "'" + r.Replace(x) + "'", true
	case bool:
		return strconv.FormatBool(x), true
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return fmt.Sprint(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64) + "D", true
	}
	return "", false
}

// sparkExprs writes each of es in Spark SQL; false if one cannot be.
func sparkExprs(es []Expr, has func(string) bool) ([]string, bool) {
	out := make([]string, len(es))
	for i, a := range es {
		s, ok := sparkExpr(a, has)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// sparkExpr renders the comparisons, In, IsNull/IsNotNull, And, Or and Not of columns with
// literals in Spark SQL.
func sparkExpr(e Expr, has func(string) bool) (string, bool) {
	switch e.op {
	case "col":
		return sparkIdent(e.name), has(e.name)
	case "lit":
		return sparkLit(e.val)
	case "bin":
		switch e.name {
		case "AND", "OR", "=", "<>", ">", ">=", "<", "<=":
		default:
			return "", false
		}
		parts, ok := sparkExprs(e.args, has)
		if !ok {
			return "", false
		}
		return "(" + strings.Join(parts, " "+e.name+" ") + ")", true
	case "un":
		if e.name != "NOT" || len(e.args) != 1 {
			return "", false
		}
		s, ok := sparkExpr(e.args[0], has)
		return "(NOT " + s + ")", ok
	case "isnull", "notnull":
		if len(e.args) != 1 {
			return "", false
		}
		s, ok := sparkExpr(e.args[0], has)
		if e.op == "isnull" {
			return "(" + s + " IS NULL)", ok
		}
		return "(" + s + " IS NOT NULL)", ok
	case "in":
		if len(e.args) < 2 {
			return "", false
		}
		parts, ok := sparkExprs(e.args, has)
		if !ok {
			return "", false
		}
		return "(" + parts[0] + " IN (" + strings.Join(parts[1:], ", ") + "))", true
	}
	return "", false
}
