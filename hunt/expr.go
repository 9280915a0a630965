package hunt

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Expr is a column expression: built with Col, Lit, SQLExpr and the methods below, and used by
// Where, Select, WithColumn, OrderBy, GroupBy(...).Agg and Join. An Expr is a description, not
// a value: it is checked against a frame's columns when an operation uses it, and a wrong column
// name then becomes the frame's error, naming the column and near matches.
//
// Comparisons follow Spark: comparing a string column with a number casts the string to a number
// (a string that is not a number compares as NULL, so the row does not match), and LIKE is
// case-sensitive with backslash as its escape character.
type Expr struct {
	op   string // col, lcol, rcol, lit, sql, bin, un, fn, agg, like, rlike, in, between, isnull, notnull, alias, asc, desc, star, cast
	name string // column name, operator, function, alias, SQL text or cast type
	val  any    // literal value
	args []Expr
}

// Col refers to the column named name. Names are case-sensitive: "EventID" and "EventId" are
// different columns, as in Spark with spark.sql.caseSensitive=true (the playbooks' setting).
func Col(name string) Expr { return Expr{op: "col", name: name} }

// LeftCol refers to a column of the left frame of a Join (f in f.Join(g, ...)).
func LeftCol(name string) Expr { return Expr{op: "lcol", name: name} }

// RightCol refers to a column of the right frame of a Join (g in f.Join(g, ...)).
func RightCol(name string) Expr { return Expr{op: "rcol", name: name} }

// Lit is a literal value: nil, bool, a Go integer or float, string, or time.Time.
func Lit(v any) Expr { return Expr{op: "lit", val: v} }

// SQLExpr is an expression written in Spark SQL, as in df.filter("EventID = 1") or
// F.expr("lower(Image)"); column names in it are case-sensitive and `backticks` quote them.
func SQLExpr(spark string) Expr { return Expr{op: "sql", name: spark} }

// And is true when every one of exprs is true (SQL AND).
func And(exprs ...Expr) Expr { return Expr{op: "bin", name: "AND", args: exprs} }

// Or is true when any one of exprs is true (SQL OR).
func Or(exprs ...Expr) Expr { return Expr{op: "bin", name: "OR", args: exprs} }

// Not negates e (SQL NOT).
func Not(e Expr) Expr { return Expr{op: "un", name: "NOT", args: []Expr{e}} }

// toExpr turns a Go value into an Expr (an Expr stays itself).
func toExpr(v any) Expr {
	if e, ok := v.(Expr); ok {
		return e
	}
	return Lit(v)
}

func (e Expr) cmp(op string, v any) Expr {
	return Expr{op: "bin", name: op, args: []Expr{e, toExpr(v)}}
}

// Eq is e = v; v is a Go value or an Expr.
func (e Expr) Eq(v any) Expr { return e.cmp("=", v) }

// Ne is e <> v.
func (e Expr) Ne(v any) Expr { return e.cmp("<>", v) }

// Gt is e > v.
func (e Expr) Gt(v any) Expr { return e.cmp(">", v) }

// Ge is e >= v.
func (e Expr) Ge(v any) Expr { return e.cmp(">=", v) }

// Lt is e < v.
func (e Expr) Lt(v any) Expr { return e.cmp("<", v) }

// Le is e <= v.
func (e Expr) Le(v any) Expr { return e.cmp("<=", v) }

// And is e AND o.
func (e Expr) And(o Expr) Expr { return And(e, o) }

// Or is e OR o.
func (e Expr) Or(o Expr) Expr { return Or(e, o) }

// Not is NOT e.
func (e Expr) Not() Expr { return Not(e) }

// Like matches e against a SQL LIKE pattern, case-sensitively: % any run of characters, _ one
// character, backslash escapes the next character (Spark's LIKE).
func (e Expr) Like(pattern string) Expr { return Expr{op: "like", args: []Expr{e}, val: pattern} }

// RLike is true when the regular expression re matches anywhere in e (Spark's RLIKE; the regex
// dialect is RE2's).
func (e Expr) RLike(re string) Expr { return Expr{op: "rlike", args: []Expr{e}, val: re} }

// Contains is true when e contains s (case-sensitive).
func (e Expr) Contains(s string) Expr {
	return Expr{op: "fn", name: "contains", args: []Expr{e, Lit(s)}}
}

// StartsWith is true when e starts with s (case-sensitive).
func (e Expr) StartsWith(s string) Expr {
	return Expr{op: "fn", name: "starts_with", args: []Expr{e, Lit(s)}}
}

// EndsWith is true when e ends with s (case-sensitive).
func (e Expr) EndsWith(s string) Expr { return Expr{op: "fn", name: "suffix", args: []Expr{e, Lit(s)}} }

// In is true when e equals one of vals.
func (e Expr) In(vals ...any) Expr {
	args := []Expr{e}
	for _, v := range vals {
		args = append(args, toExpr(v))
	}
	return Expr{op: "in", args: args}
}

// Between is true when from <= e <= to. For a TIMESTAMP e, string bounds are read as UTC times
// (a bound with a zone offset is converted to UTC); for a string column and time.Time bounds, the
// column is read as a timestamp (ISO 8601).
func (e Expr) Between(from, to any) Expr {
	return Expr{op: "between", args: []Expr{e, toExpr(from), toExpr(to)}}
}

// IsNull is true when e is NULL (a missing key in the event).
func (e Expr) IsNull() Expr { return Expr{op: "isnull", args: []Expr{e}} }

// IsNotNull is true when e is not NULL.
func (e Expr) IsNotNull() Expr { return Expr{op: "notnull", args: []Expr{e}} }

// Lower is e in lower case.
func (e Expr) Lower() Expr { return Expr{op: "fn", name: "lower", args: []Expr{e}} }

// Upper is e in upper case.
func (e Expr) Upper() Expr { return Expr{op: "fn", name: "upper", args: []Expr{e}} }

// Cast converts e to a DuckDB type (BIGINT, DOUBLE, VARCHAR, TIMESTAMP, ...); a value that does
// not convert becomes NULL, as Spark's CAST does.
func (e Expr) Cast(typ string) Expr { return Expr{op: "cast", name: typ, args: []Expr{e}} }

// As names the expression's result column.
func (e Expr) As(name string) Expr { return Expr{op: "alias", name: name, args: []Expr{e}} }

// Desc orders by e descending (NULLs last) in OrderBy.
func (e Expr) Desc() Expr { return Expr{op: "desc", args: []Expr{e}} }

// Asc orders by e ascending (NULLs first, as Spark) in OrderBy.
func (e Expr) Asc() Expr { return Expr{op: "asc", args: []Expr{e}} }

// String shows the expression in SQL-like form (the default name of its result column).
func (e Expr) String() string {
	switch e.op {
	case "col", "lcol", "rcol":
		return e.name
	case "lit":
		if s, ok := e.val.(string); ok {
			return s
		}
		return fmt.Sprint(e.val)
	case "sql":
		return e.name
	case "bin":
		parts := make([]string, len(e.args))
		for i, a := range e.args {
			parts[i] = a.String()
		}
		return "(" + strings.Join(parts, " "+e.name+" ") + ")"
	case "un":
		return e.name + " " + e.args[0].String()
	case "fn":
		parts := make([]string, len(e.args))
		for i, a := range e.args {
			parts[i] = a.String()
		}
		return e.name + "(" + strings.Join(parts, ", ") + ")"
	case "agg":
		switch e.name {
		case "count_star":
			return "count"
		case "count_distinct":
			return "count(DISTINCT " + e.args[0].String() + ")"
		case "collect_list":
			return "collect_list(" + e.args[0].String() + ")"
		}
		return e.name + "(" + e.args[0].String() + ")"
	case "like":
		return e.args[0].String() + " LIKE " + fmt.Sprint(e.val)
	case "rlike":
		return e.args[0].String() + " RLIKE " + fmt.Sprint(e.val)
	case "in":
		parts := make([]string, len(e.args)-1)
		for i, a := range e.args[1:] {
			parts[i] = a.String()
		}
		return e.args[0].String() + " IN (" + strings.Join(parts, ", ") + ")"
	case "between":
		return e.args[0].String() + " BETWEEN " + e.args[1].String() + " AND " + e.args[2].String()
	case "isnull":
		return e.args[0].String() + " IS NULL"
	case "notnull":
		return e.args[0].String() + " IS NOT NULL"
	case "alias":
		return e.name
	case "asc", "desc", "cast":
		return e.args[0].String()
	}
	return e.op
}

// scope is what an expression's column references resolve against: one frame, or the two sides
// of a join.
type scope struct {
	frames   []*Frame
	prefixes []string // qualifier per frame, e.g. "__l." ("" for a single frame)
}

func frameScope(f *Frame) scope { return scope{frames: []*Frame{f}, prefixes: []string{""}} }

// rendered is an expression as DuckDB SQL and its type when known ("" otherwise).
type rendered struct {
	sql string
	typ string
}

func (s scope) lookup(name string, side int) (rendered, error) {
	if side >= 0 {
		if side >= len(s.frames) {
			return rendered{}, errorf("hunt: LeftCol/RightCol(%q) used outside a join", name)
		}
		c, err := s.frames[side].resolve(name)
		if err != nil {
			return rendered{}, err
		}
		return rendered{s.prefixes[side] + quoteIdent(c.ident), c.typ}, nil
	}
	var hits []rendered
	var all []string
	for i, f := range s.frames {
		for _, c := range f.cols {
			all = append(all, c.name)
			if c.name == name {
				hits = append(hits, rendered{s.prefixes[i] + quoteIdent(c.ident), c.typ})
			}
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return rendered{}, unknownColumn(name, all)
	}
	return rendered{}, errorf("hunt: column %q is ambiguous (use LeftCol/RightCol in a join, or rename)", name)
}

func (s scope) columnTypes() map[string]string {
	m := map[string]string{}
	for _, f := range s.frames {
		for _, c := range f.cols {
			m[c.name] = c.typ
		}
	}
	return m
}

// render turns e into DuckDB SQL within scope s.
func (e Expr) render(s scope) (rendered, error) {
	switch e.op {
	case "col":
		return s.lookup(e.name, -1)
	case "lcol":
		return s.lookup(e.name, 0)
	case "rcol":
		return s.lookup(e.name, 1)
	case "lit":
		return renderLit(e.val)
	case "star":
		return rendered{sql: "*"}, nil
	case "sql":
		q, err := translateSparkExpr(e.name, s)
		if err != nil {
			return rendered{}, err
		}
		return rendered{sql: "(" + q + ")"}, nil
	case "bin":
		if len(e.args) == 0 {
			if e.name == "AND" {
				return rendered{"TRUE", "BOOLEAN"}, nil
			}
			return rendered{"FALSE", "BOOLEAN"}, nil
		}
		rs, err := renderAll(e.args, s)
		if err != nil {
			return rendered{}, err
		}
		if len(rs) == 2 && e.name != "AND" && e.name != "OR" {
			l, r := coerceCompare(rs[0], rs[1])
			return rendered{"(" + l + " " + e.name + " " + r + ")", "BOOLEAN"}, nil
		}
		parts := make([]string, len(rs))
		for i, r := range rs {
			parts[i] = r.sql
		}
		return rendered{"(" + strings.Join(parts, " "+e.name+" ") + ")", "BOOLEAN"}, nil
	case "un":
		r, err := e.args[0].render(s)
		if err != nil {
			return rendered{}, err
		}
		return rendered{"(" + e.name + " " + r.sql + ")", r.typ}, nil
	case "fn":
		rs, err := renderAll(e.args, s)
		if err != nil {
			return rendered{}, err
		}
		parts := make([]string, len(rs))
		for i, r := range rs {
			parts[i] = r.sql
		}
		typ := ""
		switch e.name {
		case "lower", "upper":
			typ = "VARCHAR"
			parts[0] = "CAST(" + parts[0] + " AS VARCHAR)"
		case "contains", "starts_with", "suffix":
			typ = "BOOLEAN"
			parts[0] = "CAST(" + parts[0] + " AS VARCHAR)"
		}
		return rendered{e.name + "(" + strings.Join(parts, ", ") + ")", typ}, nil
	case "agg":
		return e.renderAgg(s)
	case "like":
		r, err := e.args[0].render(s)
		if err != nil {
			return rendered{}, err
		}
		return rendered{"(CAST(" + r.sql + " AS VARCHAR) LIKE " + quoteString(e.val.(string)) + " ESCAPE '\\')", "BOOLEAN"}, nil
	case "rlike":
		r, err := e.args[0].render(s)
		if err != nil {
			return rendered{}, err
		}
		return rendered{"regexp_matches(CAST(" + r.sql + " AS VARCHAR), " + quoteString(e.val.(string)) + ")", "BOOLEAN"}, nil
	case "in":
		rs, err := renderAll(e.args, s)
		if err != nil {
			return rendered{}, err
		}
		if len(rs) == 1 {
			return rendered{"FALSE", "BOOLEAN"}, nil
		}
		parts := make([]string, 0, len(rs)-1)
		left := rs[0].sql
		for _, r := range rs[1:] {
			l, rr := coerceCompare(rs[0], r)
			left = l
			parts = append(parts, rr)
		}
		return rendered{"(" + left + " IN (" + strings.Join(parts, ", ") + "))", "BOOLEAN"}, nil
	case "between":
		rs, err := renderAll(e.args, s)
		if err != nil {
			return rendered{}, err
		}
		v := rs[0]
		if isStringType(v.typ) && (rs[1].typ == "TIMESTAMP" || rs[2].typ == "TIMESTAMP") {
			v = rendered{"TRY_CAST(" + v.sql + " AS TIMESTAMP)", "TIMESTAMP"}
		}
		l, lo := coerceCompare(v, rs[1])
		_, hi := coerceCompare(v, rs[2])
		return rendered{"(" + l + " BETWEEN " + lo + " AND " + hi + ")", "BOOLEAN"}, nil
	case "isnull", "notnull":
		r, err := e.args[0].render(s)
		if err != nil {
			return rendered{}, err
		}
		kw := " IS NULL)"
		if e.op == "notnull" {
			kw = " IS NOT NULL)"
		}
		return rendered{"(" + r.sql + kw, "BOOLEAN"}, nil
	case "cast":
		r, err := e.args[0].render(s)
		if err != nil {
			return rendered{}, err
		}
		if !validTypeName(e.name) {
			return rendered{}, errorf("hunt: Cast: %q is not a type name", e.name)
		}
		return rendered{"TRY_CAST(" + r.sql + " AS " + e.name + ")", strings.ToUpper(e.name)}, nil
	case "alias", "asc", "desc":
		return e.args[0].render(s)
	}
	return rendered{}, errorf("hunt: cannot use expression %s here", e)
}

func renderAll(es []Expr, s scope) ([]rendered, error) {
	out := make([]rendered, len(es))
	for i, a := range es {
		r, err := a.render(s)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func validTypeName(t string) bool {
	if t == "" {
		return false
	}
	for _, r := range t {
		if !(r == '_' || r == '[' || r == ']' || r == ' ' || r == '(' || r == ')' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

func renderLit(v any) (rendered, error) {
	switch x := v.(type) {
	case nil:
		return rendered{"NULL", ""}, nil
	case bool:
		if x {
			return rendered{"TRUE", "BOOLEAN"}, nil
		}
		return rendered{"FALSE", "BOOLEAN"}, nil
	case int:
		return rendered{strconv.FormatInt(int64(x), 10), "BIGINT"}, nil
	case int8, int16, int32, int64:
		return rendered{fmt.Sprint(x), "BIGINT"}, nil
	case uint, uint8, uint16, uint32, uint64:
		return rendered{fmt.Sprint(x), "HUGEINT"}, nil
	case float32:
		return renderLit(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return rendered{"CAST(" + quoteString(strconv.FormatFloat(x, 'g', -1, 64)) + " AS DOUBLE)", "DOUBLE"}, nil
		}
		return rendered{"CAST(" + strconv.FormatFloat(x, 'g', -1, 64) + " AS DOUBLE)", "DOUBLE"}, nil
	case string:
		return rendered{quoteString(x), "VARCHAR"}, nil
	case time.Time:
		return rendered{"TIMESTAMP " + quoteString(x.UTC().Format("2006-01-02 15:04:05.999999")), "TIMESTAMP"}, nil
	case Expr:
		return rendered{}, errorf("hunt: an Expr cannot be a literal")
	}
	return rendered{}, errorf("hunt: cannot use a %T as a literal (use bool, a number, string, time.Time or nil)", v)
}

func isStringType(t string) bool { return t == "VARCHAR" }

func isIntegerType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return true
	}
	return false
}

func isFloatType(t string) bool {
	return t == "DOUBLE" || t == "FLOAT" || strings.HasPrefix(t, "DECIMAL")
}

// coerceCompare applies Spark's implicit cast for comparing a string with a number: the string
// side becomes a number (NULL when it is not one), never an error.
func coerceCompare(l, r rendered) (string, string) {
	switch {
	case isStringType(l.typ) && isIntegerType(r.typ):
		return "spark_long(" + l.sql + ")", r.sql
	case isStringType(l.typ) && isFloatType(r.typ):
		return "spark_double(" + l.sql + ")", r.sql
	case isIntegerType(l.typ) && isStringType(r.typ):
		return l.sql, "spark_long(" + r.sql + ")"
	case isFloatType(l.typ) && isStringType(r.typ):
		return l.sql, "spark_double(" + r.sql + ")"
	case l.typ == "TIMESTAMP" && isStringType(r.typ):
		// event times are UTC: a bound with a zone (Z, +02:00) is converted to UTC, one without is UTC
		return l.sql, "hunt_utc_timestamp(" + r.sql + ")"
	case isStringType(l.typ) && r.typ == "TIMESTAMP":
		return "hunt_utc_timestamp(" + l.sql + ")", r.sql
	}
	return l.sql, r.sql
}

// Aggregates, for GroupBy(...).Agg.

// Count counts rows (no argument) or the non-NULL values of a column. Its result column is named
// "count" or "count(col)".
func Count(col ...string) Expr {
	if len(col) == 0 || col[0] == "*" {
		return Expr{op: "agg", name: "count_star"}
	}
	return Expr{op: "agg", name: "count", args: []Expr{Col(col[0])}}
}

// CountDistinct counts the distinct non-NULL values of col ("count(DISTINCT col)").
func CountDistinct(col string) Expr {
	return Expr{op: "agg", name: "count_distinct", args: []Expr{Col(col)}}
}

// Min is the smallest value of col ("min(col)").
func Min(col string) Expr { return Expr{op: "agg", name: "min", args: []Expr{Col(col)}} }

// Max is the largest value of col ("max(col)").
func Max(col string) Expr { return Expr{op: "agg", name: "max", args: []Expr{Col(col)}} }

// Sum is the sum of col ("sum(col)").
func Sum(col string) Expr { return Expr{op: "agg", name: "sum", args: []Expr{Col(col)}} }

// Avg is the mean of col ("avg(col)").
func Avg(col string) Expr { return Expr{op: "agg", name: "avg", args: []Expr{Col(col)}} }

// First is a value of col from the group (the first one DuckDB meets; like Spark's first, not
// ordered unless the input is) ("first(col)").
func First(col string) Expr { return Expr{op: "agg", name: "first", args: []Expr{Col(col)}} }

// Collect gathers the non-NULL values of col in a list ("collect_list(col)", Spark's
// collect_list).
func Collect(col string) Expr { return Expr{op: "agg", name: "collect_list", args: []Expr{Col(col)}} }

func (e Expr) renderAgg(s scope) (rendered, error) {
	if e.name == "count_star" {
		return rendered{"count(*)", "BIGINT"}, nil
	}
	r, err := e.args[0].render(s)
	if err != nil {
		return rendered{}, err
	}
	switch e.name {
	case "count":
		return rendered{"count(" + r.sql + ")", "BIGINT"}, nil
	case "count_distinct":
		return rendered{"count(DISTINCT " + r.sql + ")", "BIGINT"}, nil
	case "collect_list":
		return rendered{"list(" + r.sql + ") FILTER (WHERE " + r.sql + " IS NOT NULL)", ""}, nil
	}
	return rendered{e.name + "(" + r.sql + ")", ""}, nil
}
