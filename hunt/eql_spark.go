package hunt

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/gohunt/gohunt/hunt/eql"
)

// sparkEQL compiles q to Spark SQL over the relation's plan and returns the relation of its
// result: the whole query, sequences included (window functions over the events in time order),
// runs on Spark and nothing is read to DuckDB before the result is shown, counted or collected.
// The plan so far becomes a temporary view of the Spark session under a fresh name (Spark
// Connect has no other way to put a plan under a SQL query); creating it runs nothing.
//
// A query error (an unknown field or category) is returned as the local engine would say it;
// ok is false when Spark cannot take the query (its analysis failed), and then the caller runs
// it on DuckDB after the read.
func (r *sparkRel) sparkEQL(q *eql.Query, query string, cfg *eqlConfig) (rel relation, ok bool, err error) {
	ctx := cellCtx()
	schema, serr := r.df.Schema(ctx)
	if serr != nil {
		return nil, false, nil
	}
	cols := make([]eql.Column, len(schema))
	for i, c := range schema {
		cols[i] = eql.Column{Name: c.Name, Ident: c.Name, Type: sparkTypeForEQL(c.Type)}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, nil
	}
	view := "gohunt_eql_" + hex.EncodeToString(b[:])
	comp, cerr := eql.Compile(q, sparkIdent(view), eql.Options{
		Columns:    cols,
		Categories: cfg.cats,
		QuoteIdent: sparkIdent,
		Dialect:    eql.Spark,
		// The query's own literals, in Spark's string syntax; no event data goes into the text.
		Literal: func(v any) string {
			s, ok := sparkLit(v)
			if !ok {
				return "NULL"
			}
			return s
		},
	})
	if cerr != nil {
		return nil, false, &Error{Msg: "hunt.EQL: " + cerr.Error(), Err: cerr}
	}
	if r.df.CreateTempView(ctx, view, true) != nil {
		return nil, false, nil
	}
	df, qerr := r.sp.s.SQL(ctx, comp.SQL)
	if qerr != nil {
		return nil, false, nil
	}
	g := &sparkRel{sp: r.sp, df: df, steps: append(append([]string(nil), r.steps...), "EQL "+oneLine(query)), moved: r.moved}
	if g.bind() != nil {
		return nil, false, nil
	}
	return g, true, nil
}

// sparkTypeForEQL names a Spark SQL type (bigint, string, array<string>, ...) as the EQL
// compiler's column kinds know types (DuckDB's names); a type it does not know compares as text.
func sparkTypeForEQL(t string) string {
	switch strings.ToLower(t) {
	case "string":
		return "VARCHAR"
	case "bigint", "long":
		return "BIGINT"
	case "int", "integer":
		return "INTEGER"
	case "smallint", "short":
		return "SMALLINT"
	case "tinyint", "byte":
		return "TINYINT"
	case "double":
		return "DOUBLE"
	case "float":
		return "FLOAT"
	case "boolean":
		return "BOOLEAN"
	case "timestamp", "timestamp_ntz":
		return "TIMESTAMP"
	}
	l := strings.ToLower(t)
	switch {
	case strings.HasPrefix(l, "decimal"):
		return "DECIMAL"
	case strings.HasPrefix(l, "array"), strings.HasPrefix(l, "struct"), strings.HasPrefix(l, "map"):
		return "NESTED"
	}
	return strings.ToUpper(t)
}

// oneLine squeezes a query's white space for Plan.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
