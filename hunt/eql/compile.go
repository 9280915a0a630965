package eql

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Column is one column of the input relation: the name EQL queries use, the DuckDB identifier
// that holds it (unquoted) and its DuckDB type.
type Column struct {
	Name, Ident, Type string
}

// Options says what Compile compiles against.
type Options struct {
	Columns    []Column            // the input's columns, in order (the result of an event query keeps them)
	Categories Categories          // nil: DefaultCategories()
	QuoteIdent func(string) string // quotes a DuckDB identifier (required)
	Literal    func(v any) string  // nil: literals become $1, $2, ... parameters listed in Compiled.Args
	Timestamp  string              // the event-time field; "" means "@timestamp"
	Dialect    Dialect             // the SQL dialect written (DuckDB unless said)

	// InputOrder names a column of the source that numbers its rows in input order and is the
	// same on every read of the source, such as a table's rowid (DuckDB only). With it the plan
	// reads the source again where it needs it: a sequence keeps only its steps' narrow rows
	// (number, time, join keys) and fetches the matched events' columns by number at the end.
	// Without it the plan numbers the rows itself and holds that numbered copy of the source,
	// all its columns, for the whole query (a source read twice need not give its rows in the
	// same order).
	InputOrder string
}

// Dialect is the SQL dialect Compile writes: the same query plan (window functions over the
// events in time order) in each engine's spelling of types and functions.
type Dialect int

const (
	// DuckDB is the session's embedded engine.
	DuckDB Dialect = iota
	// Spark is Spark SQL (Spark 3.3 or later, ANSI mode or not). Literals must then be written
	// by Options.Literal in Spark's string syntax (backslash escapes): Spark SQL has no
	// positional parameters.
	Spark
)

// Compiled is a query as DuckDB SQL: a SELECT over the input relation whose text replaces
// the placeholder source (see Compile), with the parameter values of its $N placeholders.
type Compiled struct {
	SQL  string
	Args []any
}

type kind int

const (
	kAny kind = iota
	kStr
	kInt
	kFloat
	kBool
	kNull
)

type val struct {
	sql string
	k   kind
}

type compiler struct {
	q    *Query
	opt  Options
	cols map[string]Column
	args []any
}

// Compile compiles q to DuckDB SQL reading the relation source (SQL text usable after FROM,
// such as a parenthesized SELECT or a table name). Event queries return the input's columns,
// ordered by the timestamp and then by input order. Sequences return one row per matched
// sequence: join_key, then every column of each step prefixed s1_, s2_, ...
//
// Errors are *Error at the query position: unknown fields name near matches among the columns.
func Compile(q *Query, source string, opt Options) (*Compiled, error) {
	if opt.QuoteIdent == nil {
		return nil, fmt.Errorf("eql.Compile: Options.QuoteIdent is required")
	}
	if opt.Categories == nil {
		opt.Categories = DefaultCategories()
	}
	if opt.Dialect == Spark && opt.InputOrder != "" {
		return nil, fmt.Errorf("eql.Compile: Options.InputOrder is for the DuckDB dialect")
	}
	if opt.Dialect == Spark && opt.Literal == nil {
		return nil, fmt.Errorf("eql.Compile: the Spark dialect needs Options.Literal (Spark SQL has no $N parameters)")
	}
	if opt.Timestamp == "" {
		opt.Timestamp = "@timestamp"
	}
	c := &compiler{q: q, opt: opt, cols: map[string]Column{}}
	for _, col := range opt.Columns {
		c.cols[col.Name] = col
	}
	var sql string
	var err error
	if q.Event != nil {
		sql, err = c.event(source)
	} else {
		sql, err = c.sequence(source)
	}
	if err != nil {
		return nil, err
	}
	return &Compiled{SQL: sql, Args: c.args}, nil
}

func (c *compiler) errAt(pos int, format string, args ...any) error {
	return errAt(c.q.Src, pos, format, args...)
}

func (c *compiler) qi(s string) string { return c.opt.QuoteIdent(s) }

func (c *compiler) spark() bool { return c.opt.Dialect == Spark }

// str is the dialect's text type.
func (c *compiler) str() string {
	if c.spark() {
		return "STRING"
	}
	return "VARCHAR"
}

// castStr casts x to text.
func (c *compiler) castStr(x string) string { return "CAST(" + x + " AS " + c.str() + ")" }

// fn returns the dialect's name of a DuckDB string function.
func (c *compiler) fn(name string) string {
	if !c.spark() {
		return name
	}
	switch name {
	case "starts_with":
		return "startswith"
	case "suffix":
		return "endswith"
	case "strpos":
		return "instr"
	}
	return name
}

// fullMatch is TRUE when all of s matches the regular expression re (flags such as (?s) first).
func (c *compiler) fullMatch(s, flags, re string) string {
	if c.spark() {
		// Java's find() under RLIKE: anchored at both ends (\z: the very end, not before a final newline).
		return "(" + s + " RLIKE " + c.lit(flags+`^(?:`+re+`)\z`) + ")"
	}
	return "regexp_full_match(" + s + ", " + c.lit(flags+re) + ")"
}

// like matches s against a LIKE pattern with backslash as the escape character.
func (c *compiler) like(s, pattern string, insensitive bool) string {
	if c.spark() {
		op := " LIKE "
		if insensitive {
			op = " ILIKE "
		}
		return "(" + s + op + c.lit(pattern) + " ESCAPE " + c.lit(`\`) + ")"
	}
	fn := "like_escape"
	if insensitive {
		fn = "ilike_escape"
	}
	return fn + "(" + s + ", " + c.lit(pattern) + ", '\\')"
}

// lit renders a literal of the query: a parameter, or inline through Options.Literal.
func (c *compiler) lit(v any) string {
	if v == nil {
		return "NULL"
	}
	if c.opt.Literal != nil {
		return c.opt.Literal(v)
	}
	c.args = append(c.args, v)
	p := "$" + strconv.Itoa(len(c.args))
	switch v.(type) {
	case string:
		return "CAST(" + p + " AS VARCHAR)"
	case int64:
		return "CAST(" + p + " AS BIGINT)"
	case float64:
		return "CAST(" + p + " AS DOUBLE)"
	case bool:
		return "CAST(" + p + " AS BOOLEAN)"
	}
	return p
}

func kindOf(typ string) kind {
	t := strings.ToUpper(typ)
	switch {
	case t == "VARCHAR" || strings.HasPrefix(t, "VARCHAR("):
		return kStr
	case t == "BOOLEAN":
		return kBool
	case strings.Contains(t, "INT") && !strings.Contains(t, "INTERVAL") && !strings.HasSuffix(t, "[]"):
		return kInt
	case t == "DOUBLE" || t == "FLOAT" || t == "REAL" || strings.HasPrefix(t, "DECIMAL"):
		return kFloat
	}
	return kAny
}

func (c *compiler) columnNames() []string {
	var out []string
	for _, col := range c.opt.Columns {
		out = append(out, col.Name)
	}
	return out
}

func (c *compiler) field(f *Field) (val, error) {
	col, ok := c.cols[f.Name]
	if !ok {
		if f.Optional {
			return val{"NULL", kNull}, nil
		}
		return val{}, c.errAt(f.At, "unknown field %q%s", f.Name, didYouMean(f.Name, c.columnNames()))
	}
	return val{c.qi(col.Ident), kindOf(col.Type)}, nil
}

// timestamp returns the SQL of the event time as a TIMESTAMP.
func (c *compiler) timestamp() (string, error) {
	col, ok := c.cols[c.opt.Timestamp]
	if !ok {
		return "", c.errAt(0, "the events have no %q field to order them by%s", c.opt.Timestamp, didYouMean(c.opt.Timestamp, c.columnNames()))
	}
	t := strings.ToUpper(col.Type)
	if strings.HasPrefix(t, "TIMESTAMP") {
		return "CAST(" + c.qi(col.Ident) + " AS TIMESTAMP)", nil
	}
	return "TRY_CAST(" + c.qi(col.Ident) + " AS TIMESTAMP)", nil
}

func (c *compiler) category(name string, at int) (string, error) {
	if name == "any" {
		return "TRUE", nil
	}
	rules, ok := c.opt.Categories[name]
	if !ok {
		return "", c.errAt(at, "unknown event category %q%s (any matches every event)", name, didYouMean(name, c.opt.Categories.names()))
	}
	ch, ok1 := c.cols["Channel"]
	id, ok2 := c.cols["EventID"]
	if !ok1 || !ok2 {
		return "", c.errAt(at, "event category %q needs the fields Channel and EventID, which the events lack", name)
	}
	var parts []string
	for _, r := range rules {
		ids := make([]string, len(r.EventIDs))
		for i, v := range r.EventIDs {
			ids[i] = strconv.FormatInt(v, 10)
		}
		parts = append(parts, "(lower("+c.castStr(c.qi(ch.Ident))+") = lower("+c.lit(r.Channel)+") AND TRY_CAST("+c.qi(id.Ident)+" AS BIGINT) IN ("+strings.Join(ids, ", ")+"))")
	}
	return "COALESCE(" + strings.Join(parts, " OR ") + ", FALSE)", nil
}

func (c *compiler) filter(e *EventQuery) (string, error) {
	cat, err := c.category(e.Category, e.CatAt)
	if err != nil {
		return "", err
	}
	cond, err := c.cond(e.Cond)
	if err != nil {
		return "", err
	}
	return "(" + cat + " AND " + cond + ")", nil
}

const (
	seqCol = "__eql_seq"
	tsCol  = "__eql_ts"
	posCol = "__eql_pos"
)

// inputCTE is the CTE __eql_in: the source with its input order in seqCol, which breaks ties of
// time. With Options.InputOrder it is that column, and the CTE is inlined where it is read (each
// read of the source gives the same numbers); otherwise the rows are numbered here (Spark's
// row_number needs an ordered window; its monotonically_increasing_id grows in partition order,
// which is the input's order) and, when the plan reads the CTE several times, it is computed
// once and held, so that every read sees the same numbers: then keep (if not "") is a condition
// the rows the plan needs meet, and only those are held (numbered before the filter).
func (c *compiler) inputCTE(source string, reads int, keep string) string {
	if c.opt.InputOrder != "" {
		return "__eql_in AS NOT MATERIALIZED (SELECT *, __eql_src." + c.qi(c.opt.InputOrder) + " AS " + seqCol + " FROM " + source + " AS __eql_src)"
	}
	if c.spark() {
		return "__eql_in AS (SELECT *, monotonically_increasing_id() AS " + seqCol + " FROM " + source + " AS __eql_src)"
	}
	numbered := "SELECT *, row_number() OVER () AS " + seqCol + " FROM " + source + " AS __eql_src"
	if reads <= 1 {
		return "__eql_in AS (" + numbered + ")"
	}
	if keep != "" {
		numbered = "SELECT * FROM (" + numbered + ") WHERE " + keep
	}
	return "__eql_in AS MATERIALIZED (" + numbered + ")"
}

func (c *compiler) outCols(prefix, alias string) string {
	var out []string
	for _, col := range c.opt.Columns {
		out = append(out, alias+c.qi(col.Ident)+" AS "+c.qi(prefix+col.Ident))
	}
	return strings.Join(out, ", ")
}

// pipes wraps base (a SELECT with the ordering columns keys) in the head/tail pipes and the final order.
func (c *compiler) pipes(base string, keys []string, cols string) string {
	asc := make([]string, len(keys))
	desc := make([]string, len(keys))
	for i, k := range keys {
		asc[i] = k + " NULLS LAST"
		desc[i] = k + " DESC NULLS FIRST"
	}
	for _, p := range c.q.Pipes {
		n := strconv.FormatInt(p.N, 10)
		if p.Name == "head" {
			base = "SELECT * FROM (" + base + ") ORDER BY " + strings.Join(asc, ", ") + " LIMIT " + n
		} else {
			base = "SELECT * FROM (" + base + ") ORDER BY " + strings.Join(desc, ", ") + " LIMIT " + n
		}
	}
	return "SELECT " + cols + " FROM (" + base + ") ORDER BY " + strings.Join(asc, ", ")
}

func (c *compiler) event(source string) (string, error) {
	ts, err := c.timestamp()
	if err != nil {
		return "", err
	}
	f, err := c.filter(c.q.Event)
	if err != nil {
		return "", err
	}
	base := "SELECT *, " + ts + " AS " + tsCol + " FROM __eql_in WHERE " + f
	keys := []string{tsCol, seqCol}
	return "WITH " + c.inputCTE(source, 1, "") + " " + c.pipes(base, keys, c.outCols("", "")), nil
}

// cond compiles a condition to SQL that is TRUE or FALSE, never NULL (a missing value makes a
// comparison false, and `not` of it true, as Elasticsearch's must_not does).
func (c *compiler) cond(e Expr) (string, error) {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "and", "or":
			l, err := c.cond(x.L)
			if err != nil {
				return "", err
			}
			r, err := c.cond(x.R)
			if err != nil {
				return "", err
			}
			return "(" + l + " " + strings.ToUpper(x.Op) + " " + r + ")", nil
		}
	case *Not:
		v, err := c.cond(x.X)
		if err != nil {
			return "", err
		}
		return "(NOT " + v + ")", nil
	}
	v, err := c.expr(e)
	if err != nil {
		return "", err
	}
	if v.k != kBool && v.k != kAny && v.k != kNull {
		return "", c.errAt(e.Pos(), "a condition must be true or false, not a %s", kindName(v.k))
	}
	return "COALESCE(" + v.sql + ", FALSE)", nil
}

func kindName(k kind) string {
	return [...]string{"value", "string", "number", "number", "boolean", "null"}[k]
}

func numeric(k kind) bool { return k == kInt || k == kFloat }

// unify brings two operands to comparable types: a string against a number compares as numbers.
func (c *compiler) unify(a, b val) (val, val) {
	switch {
	case a.k == kStr && numeric(b.k):
		a = val{"TRY_CAST(" + a.sql + " AS DOUBLE)", kFloat}
	case b.k == kStr && numeric(a.k):
		b = val{"TRY_CAST(" + b.sql + " AS DOUBLE)", kFloat}
	case a.k == kAny && b.k == kStr:
		a = val{c.castStr(a.sql), kStr}
	case b.k == kAny && a.k == kStr:
		b = val{c.castStr(b.sql), kStr}
	}
	return a, b
}

func (c *compiler) asString(v val) string {
	if v.k == kStr {
		return v.sql
	}
	return c.castStr(v.sql)
}

func (c *compiler) expr(e Expr) (val, error) {
	switch x := e.(type) {
	case *Lit:
		switch v := x.Val.(type) {
		case nil:
			return val{"NULL", kNull}, nil
		case string:
			return val{c.lit(v), kStr}, nil
		case int64:
			return val{c.lit(v), kInt}, nil
		case float64:
			return val{c.lit(v), kFloat}, nil
		case bool:
			return val{c.lit(v), kBool}, nil
		}
	case *Field:
		return c.field(x)
	case *Binary:
		switch x.Op {
		case "and", "or":
			s, err := c.cond(x)
			return val{s, kBool}, err
		case "+", "-", "*", "/", "%":
			return c.arith(x.Op, x.L, x.R, x.At)
		}
		l, err := c.expr(x.L)
		if err != nil {
			return val{}, err
		}
		r, err := c.expr(x.R)
		if err != nil {
			return val{}, err
		}
		if l.k == kNull || r.k == kNull {
			o := l
			if l.k == kNull {
				o = r
			}
			switch x.Op {
			case "==":
				return val{"(" + o.sql + " IS NULL)", kBool}, nil
			case "!=":
				return val{"(" + o.sql + " IS NOT NULL)", kBool}, nil
			}
			return val{"FALSE", kBool}, nil
		}
		l, r = c.unify(l, r)
		switch x.Op {
		case "==":
			return val{"(" + l.sql + " = " + r.sql + ")", kBool}, nil
		case "!=":
			return val{"(" + l.sql + " IS DISTINCT FROM " + r.sql + ")", kBool}, nil
		default:
			return val{"(" + l.sql + " " + x.Op + " " + r.sql + ")", kBool}, nil
		}
	case *Not:
		s, err := c.cond(x)
		return val{s, kBool}, err
	case *Lookup:
		return c.lookup(x)
	case *Call:
		return c.call(x)
	}
	return val{}, c.errAt(e.Pos(), "unsupported expression")
}

func (c *compiler) arith(op string, le, re Expr, at int) (val, error) {
	l, err := c.expr(le)
	if err != nil {
		return val{}, err
	}
	r, err := c.expr(re)
	if err != nil {
		return val{}, err
	}
	for _, v := range []val{l, r} {
		if v.k == kStr || v.k == kBool {
			return val{}, c.errAt(at, "arithmetic needs numbers, not a %s", kindName(v.k))
		}
	}
	k := kFloat
	if l.k == kInt && r.k == kInt {
		k = kInt
	}
	sqlOp := op
	if op == "/" && k == kInt {
		sqlOp = "//"
		if c.spark() {
			sqlOp = "div"
		}
	}
	if op == "/" || op == "%" {
		return val{"(" + l.sql + " " + sqlOp + " NULLIF(" + r.sql + ", 0))", k}, nil
	}
	return val{"(" + l.sql + " " + sqlOp + " " + r.sql + ")", k}, nil
}

// wildcard turns an EQL wildcard pattern (* any run, ? one character) into a LIKE pattern with
// backslash as the escape character.
func wildcard(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (c *compiler) lookup(x *Lookup) (val, error) {
	v, err := c.expr(x.X)
	if err != nil {
		return val{}, err
	}
	var parts []string
	switch x.Op {
	case "in":
		var items []string
		for _, it := range x.List {
			w, err := c.expr(it)
			if err != nil {
				return val{}, err
			}
			a, b := c.unify(v, w)
			if x.Insensitive {
				a, b = val{"lower(" + c.asString(a) + ")", kStr}, val{"lower(" + c.asString(b) + ")", kStr}
			}
			parts = append(parts, "COALESCE("+a.sql+" = "+b.sql+", FALSE)")
			_ = items
		}
	case "like", ":", "regex":
		for _, it := range x.List {
			l, ok := it.(*Lit)
			s, isStr := "", false
			if ok {
				s, isStr = l.Val.(string)
			}
			if !isStr {
				if x.Op == ":" {
					w, err := c.expr(it)
					if err != nil {
						return val{}, err
					}
					parts = append(parts, "COALESCE(lower("+c.asString(v)+") = lower("+c.asString(w)+"), FALSE)")
					continue
				}
				return val{}, c.errAt(it.Pos(), "%s needs a string pattern", x.Op)
			}
			switch x.Op {
			case "regex":
				// Elasticsearch's (Lucene) regular expressions match the whole value and . matches a newline.
				flags := "(?s)"
				if x.Insensitive {
					flags = "(?si)"
				}
				parts = append(parts, "COALESCE("+c.fullMatch(c.asString(v), flags, s)+", FALSE)")
			default:
				parts = append(parts, "COALESCE("+c.like(c.asString(v), wildcard(s), x.Insensitive)+", FALSE)")
			}
		}
	}
	s := "(" + strings.Join(parts, " OR ") + ")"
	if x.Negate {
		s = "(NOT " + s + ")"
	}
	return val{s, kBool}, nil
}

var functions = map[string][2]int{ // name: min, max arguments (-1: any)
	"startsWith": {2, 2}, "endsWith": {2, 2}, "stringContains": {2, 2}, "length": {1, 1},
	"substring": {2, 3}, "concat": {1, -1}, "between": {3, 4}, "cidrMatch": {2, -1},
	"number": {1, 2}, "string": {1, 1}, "add": {2, 2}, "subtract": {2, 2}, "multiply": {2, 2},
	"divide": {2, 2}, "modulo": {2, 2}, "indexOf": {2, 3},
}

var insensitiveOK = map[string]bool{"startsWith": true, "endsWith": true, "stringContains": true, "indexOf": true, "between": true}

func (c *compiler) call(x *Call) (val, error) {
	lim, ok := functions[x.Name]
	if !ok {
		var names []string
		for k := range functions {
			names = append(names, k)
		}
		sort.Strings(names)
		return val{}, c.errAt(x.At, "unknown function %s%s", x.Name, didYouMean(x.Name, names))
	}
	if len(x.Args) < lim[0] || (lim[1] >= 0 && len(x.Args) > lim[1]) {
		return val{}, c.errAt(x.At, "%s takes %s arguments, got %d", x.Name, argCount(lim), len(x.Args))
	}
	if x.Insensitive && !insensitiveOK[x.Name] {
		return val{}, c.errAt(x.At, "%s has no case-insensitive form (~)", x.Name)
	}
	switch x.Name {
	case "add", "subtract", "multiply", "divide", "modulo":
		op := map[string]string{"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "modulo": "%"}[x.Name]
		return c.arith(op, x.Args[0], x.Args[1], x.At)
	case "cidrMatch":
		return c.cidr(x)
	}
	args := make([]val, len(x.Args))
	for i, a := range x.Args {
		v, err := c.expr(a)
		if err != nil {
			return val{}, err
		}
		args[i] = v
	}
	str := func(i int) string {
		s := c.asString(args[i])
		if x.Insensitive {
			return "lower(" + s + ")"
		}
		return s
	}
	switch x.Name {
	case "startsWith":
		return val{c.fn("starts_with") + "(" + str(0) + ", " + str(1) + ")", kBool}, nil
	case "endsWith":
		return val{c.fn("suffix") + "(" + str(0) + ", " + str(1) + ")", kBool}, nil
	case "stringContains":
		return val{"contains(" + str(0) + ", " + str(1) + ")", kBool}, nil
	case "length":
		return val{"length(" + str(0) + ")", kInt}, nil
	case "string":
		return val{c.asString(args[0]), kStr}, nil
	case "concat":
		var ps []string
		for i := range args {
			ps = append(ps, str(i))
		}
		return val{"(" + strings.Join(ps, " || ") + ")", kStr}, nil
	case "number":
		if len(args) == 2 {
			b, ok := x.Args[1].(*Lit)
			if !ok || b.Val != int64(16) && b.Val != int64(10) {
				return val{}, c.errAt(x.Args[1].Pos(), "number supports base 10 and 16")
			}
			if b.Val == int64(16) {
				digits := "regexp_replace(" + str(0) + ", " + c.lit("^0[xX]") + ", '')"
				if c.spark() {
					return val{"TRY_CAST(conv(" + digits + ", 16, 10) AS BIGINT)", kInt}, nil
				}
				return val{"TRY_CAST('0x' || " + digits + " AS BIGINT)", kInt}, nil
			}
		}
		return val{"TRY_CAST(" + str(0) + " AS DOUBLE)", kFloat}, nil
	case "indexOf":
		start := "0"
		if len(args) == 3 {
			if !numeric(args[2].k) {
				return val{}, c.errAt(x.Args[2].Pos(), "indexOf's start must be a number")
			}
			start = "greatest(CAST(" + args[2].sql + " AS BIGINT), 0)"
		}
		return val{"(NULLIF(" + c.fn("strpos") + "(substr(" + str(0) + ", " + start + " + 1), " + str(1) + "), 0) + " + start + " - 1)", kInt}, nil
	case "substring":
		for _, i := range []int{1, 2} {
			if i < len(args) && !numeric(args[i].k) {
				return val{}, c.errAt(x.Args[i].Pos(), "substring's positions must be numbers")
			}
		}
		s := c.asString(args[0])
		n := "length(" + s + ")"
		norm := func(v string) string {
			v = "CAST(" + v + " AS BIGINT)"
			return "(CASE WHEN " + v + " < 0 THEN greatest(" + n + " + " + v + ", 0) ELSE least(" + v + ", " + n + ") END)"
		}
		b := norm(args[1].sql)
		e := n
		if len(args) == 3 {
			e = norm(args[2].sql)
		}
		return val{"substr(" + s + ", " + b + " + 1, greatest(" + e + " - " + b + ", 0))", kStr}, nil
	case "between":
		greedy := false
		if len(x.Args) == 4 {
			g, ok := x.Args[3].(*Lit)
			bv, isBool := false, false
			if ok {
				bv, isBool = g.Val.(bool)
			}
			if !isBool {
				return val{}, c.errAt(x.Args[3].Pos(), "between's greedy argument must be true or false")
			}
			greedy = bv
		}
		// positions on the (maybe lower-cased) text; the result is cut from the original.
		src, cmp, l, r := c.asString(args[0]), str(0), str(1), str(2)
		strpos := c.fn("strpos")
		start := "(" + strpos + "(" + cmp + ", " + l + ") + length(" + l + "))"
		rest := "substr(" + cmp + ", " + start + ")"
		var end string
		if greedy {
			end = "(CASE WHEN " + strpos + "(reverse(" + rest + "), reverse(" + r + ")) = 0 THEN 0 ELSE length(" + rest + ") - " + strpos + "(reverse(" + rest + "), reverse(" + r + ")) - length(" + r + ") + 2 END)"
		} else {
			end = strpos + "(" + rest + ", " + r + ")"
		}
		return val{"(CASE WHEN " + strpos + "(" + cmp + ", " + l + ") = 0 OR " + end + " = 0 THEN '' ELSE substr(" + src + ", " + start + ", " + end + " - 1) END)", kStr}, nil
	}
	return val{}, c.errAt(x.At, "unsupported function %s", x.Name)
}

func argCount(l [2]int) string {
	switch {
	case l[1] < 0:
		return strconv.Itoa(l[0]) + " or more"
	case l[0] == l[1]:
		return strconv.Itoa(l[0])
	}
	return strconv.Itoa(l[0]) + " to " + strconv.Itoa(l[1])
}

// cidr compiles cidrMatch(ip, "a.b.c.d/n", ...) for IPv4 addresses and blocks.
func (c *compiler) cidr(x *Call) (val, error) {
	ip, err := c.expr(x.Args[0])
	if err != nil {
		return val{}, err
	}
	s := c.asString(ip)
	num := "(CASE WHEN " + c.fullMatch(s, "", `\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`) + " THEN " +
		"TRY_CAST(split_part(" + s + ", '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part(" + s + ", '.', 2) AS BIGINT) * 65536 + " +
		"TRY_CAST(split_part(" + s + ", '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part(" + s + ", '.', 4) AS BIGINT) END)"
	var parts []string
	for _, a := range x.Args[1:] {
		l, ok := a.(*Lit)
		str, isStr := "", false
		if ok {
			str, isStr = l.Val.(string)
		}
		if !isStr {
			return val{}, c.errAt(a.Pos(), "cidrMatch needs CIDR blocks as strings")
		}
		p, err := netip.ParsePrefix(str)
		if err != nil || !p.Addr().Is4() {
			return val{}, c.errAt(a.Pos(), "cidrMatch: %q is not an IPv4 CIDR block (IPv6 is not supported)", str)
		}
		p = p.Masked()
		b := p.Addr().As4()
		netNum := int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
		size := int64(1) << (32 - p.Bits())
		parts = append(parts, "("+num+" BETWEEN "+strconv.FormatInt(netNum, 10)+" AND "+strconv.FormatInt(netNum+size-1, 10)+")")
	}
	return val{"(" + strings.Join(parts, " OR ") + ")", kBool}, nil
}
