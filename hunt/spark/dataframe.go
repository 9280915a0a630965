package spark

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	sparksql "github.com/apache/spark-connect-go/spark/sql"
	"github.com/apache/spark-connect-go/spark/sql/column"
	"github.com/apache/spark-connect-go/spark/sql/functions"
	"github.com/apache/spark-connect-go/spark/sql/utils"
)

// DataFrame is a lazy Spark plan: building one sends nothing to the server (except SQL, which
// runs a statement's side effects at once, as Spark does); its terminal methods (Schema,
// Count, Head, Collect, Arrow, CreateTempView) run it. Operations take Spark SQL expressions as
// text ("EventID = 1", "count(*) AS n") and return a new DataFrame; a DataFrame is immutable and
// safe for concurrent use. A DataFrame made from a failed step carries the error, and every
// later step and terminal method returns it.
type DataFrame struct {
	s   *Session
	df  sparksql.DataFrame
	err error
}

// Err returns the error the DataFrame carries, or nil.
func (d *DataFrame) Err() error { return d.err }

// Session returns the session the DataFrame runs on.
func (d *DataFrame) Session() *Session { return d.s }

func (s *Session) frame(df sparksql.DataFrame, err error, op string) *DataFrame {
	if err != nil {
		return &DataFrame{s: s, err: wrapErr(nil, op, err)}
	}
	return &DataFrame{s: s, df: df}
}

// SQL runs Spark SQL as written (no translation) and returns its result as a DataFrame. As in
// Spark, a statement with side effects (CREATE VIEW, SET, ...) runs now; a query is only planned
// now and runs when a terminal method is called.
func (s *Session) SQL(ctx context.Context, query string) (*DataFrame, error) {
	if s.closed.Load() {
		return nil, &Error{Op: "SQL", Message: errClosed.Error()}
	}
	df, err := s.spark.Sql(ctx, query)
	if err != nil {
		return nil, wrapErr(ctx, "SQL", err)
	}
	return &DataFrame{s: s, df: df}, nil
}

// Table returns the table or view name (a catalog name, as Spark SQL resolves it). An unknown
// name fails when the DataFrame first runs.
func (s *Session) Table(name string) *DataFrame {
	df, err := s.spark.Table(name)
	return s.frame(df, err, "Table "+name)
}

// Format is a file format Read understands.
type Format string

// The formats of Read; JSONL is JSON with one object per line, Spark's default for json.
const (
	JSON    Format = "json"
	JSONL   Format = "jsonl"
	Parquet Format = "parquet"
	CSV     Format = "csv"
	ORC     Format = "orc"
)

// Read returns the files at path (as the server sees the path: a file, a directory or a glob)
// in format with Spark's reader options (e.g. "header": "true" for CSV, "multiLine": "true" for
// a JSON document per file). Nothing is read until the DataFrame runs; JSON and CSV schema
// inference then reads the files once more.
func (s *Session) Read(path string, format Format, options map[string]string) *DataFrame {
	var f string
	switch format {
	case JSON, JSONL:
		f = "json"
	case Parquet, CSV, ORC:
		f = string(format)
	default:
		return &DataFrame{s: s, err: &Error{Op: "Read " + path, Message: fmt.Sprintf("unknown format %q (want json, jsonl, parquet, csv or orc)", format)}}
	}
	r := s.spark.Read().Format(f)
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r = r.Option(k, options[k])
	}
	df, err := r.Load(path)
	return s.frame(df, err, "Read "+path)
}

// next returns the DataFrame of step, or d when d carries an error.
func (d *DataFrame) next(op string, step func(ctx context.Context) (sparksql.DataFrame, error)) *DataFrame {
	if d.err != nil {
		return d
	}
	df, err := step(context.Background()) // building a plan sends nothing
	if err != nil {
		return &DataFrame{s: d.s, err: wrapErr(nil, op, err)}
	}
	return &DataFrame{s: d.s, df: df}
}

// Where keeps the rows for which the Spark SQL condition is true.
func (d *DataFrame) Where(cond string) *DataFrame {
	return d.next("Where", func(ctx context.Context) (sparksql.DataFrame, error) {
		return d.df.FilterByString(ctx, cond)
	})
}

// Select projects Spark SQL expressions ("a", "b + 1 AS c", "*").
func (d *DataFrame) Select(exprs ...string) *DataFrame {
	return d.next("Select", func(ctx context.Context) (sparksql.DataFrame, error) {
		if len(exprs) == 0 {
			return nil, fmt.Errorf("no expressions to select")
		}
		return d.df.SelectExpr(ctx, exprs...)
	})
}

// Limit keeps the first n rows (in the frame's order, when it has one).
func (d *DataFrame) Limit(n int) *DataFrame {
	return d.next("Limit", func(ctx context.Context) (sparksql.DataFrame, error) {
		if n < 0 || n > 1<<31-1 {
			return nil, fmt.Errorf("limit %d out of range", n)
		}
		return d.df.Limit(ctx, int32(n)), nil
	})
}

// SortKey is one key of OrderBy: a Spark SQL expression, ascending with NULLs first or
// descending with NULLs last (Spark's defaults).
type SortKey struct {
	Expr string
	Desc bool
}

// OrderBy sorts by keys.
func (d *DataFrame) OrderBy(keys ...SortKey) *DataFrame {
	return d.next("OrderBy", func(ctx context.Context) (sparksql.DataFrame, error) {
		if len(keys) == 0 {
			return nil, fmt.Errorf("no sort keys")
		}
		cols := make([]column.Convertible, len(keys))
		for i, k := range keys {
			if k.Desc {
				cols[i] = functions.Expr(k.Expr).Desc()
			} else {
				cols[i] = functions.Expr(k.Expr).Asc()
			}
		}
		return d.df.Sort(ctx, cols...)
	})
}

// GroupBy groups by the key expressions and computes the aggregate expressions
// ("count(*) AS n"); the result has the keys, then the aggregates. With no keys it aggregates
// the whole frame into one row.
func (d *DataFrame) GroupBy(keys []string, aggs ...string) *DataFrame {
	return d.next("GroupBy", func(ctx context.Context) (sparksql.DataFrame, error) {
		if len(aggs) == 0 {
			return nil, fmt.Errorf("no aggregate expressions")
		}
		kc := make([]column.Convertible, len(keys))
		for i, k := range keys {
			kc[i] = functions.Expr(k)
		}
		ac := make([]column.Convertible, len(aggs))
		for i, a := range aggs {
			ac[i] = functions.Expr(a)
		}
		return d.df.GroupBy(kc...).Agg(ctx, ac...)
	})
}

// Distinct keeps one of each set of equal rows.
func (d *DataFrame) Distinct() *DataFrame {
	return d.next("Distinct", func(ctx context.Context) (sparksql.DataFrame, error) {
		return d.df.Distinct(ctx), nil
	})
}

// Alias names the frame for expressions of a later Join or Select ("l.Image").
func (d *DataFrame) Alias(name string) *DataFrame {
	return d.next("Alias", func(ctx context.Context) (sparksql.DataFrame, error) {
		return d.df.Alias(ctx, name), nil
	})
}

// JoinKind is how Join matches rows.
type JoinKind string

// The joins of Join.
const (
	Inner JoinKind = "inner"
	Left  JoinKind = "left"
	Right JoinKind = "right"
	Full  JoinKind = "full"
	Semi  JoinKind = "semi"
	Anti  JoinKind = "anti"
	Cross JoinKind = "cross"
)

// Join joins d with other on the Spark SQL condition on (empty for a cross join), which names
// the sides by their aliases (see Alias): d.Alias("l").Join(r.Alias("r"), Inner, "l.pid = r.ppid").
// Both frames must be on the same session.
func (d *DataFrame) Join(other *DataFrame, kind JoinKind, on string) *DataFrame {
	if d.err == nil && other.err != nil {
		return other
	}
	return d.next("Join", func(ctx context.Context) (sparksql.DataFrame, error) {
		if other.s != d.s {
			return nil, fmt.Errorf("the frames are on different Spark sessions")
		}
		var jt utils.JoinType
		switch kind {
		case Inner, "":
			jt = utils.JoinTypeInner
		case Left:
			jt = utils.JoinTypeLeftOuter
		case Right:
			jt = utils.JoinTypeRightOuter
		case Full:
			jt = utils.JoinTypeFullOuter
		case Semi:
			jt = utils.JoinTypeLeftSemi
		case Anti:
			jt = utils.JoinTypeLeftAnti
		case Cross:
			return d.df.CrossJoin(ctx, other.df), nil
		default:
			return nil, fmt.Errorf("unknown join kind %q", kind)
		}
		if strings.TrimSpace(on) == "" {
			return nil, fmt.Errorf("a %s join needs a condition", kind)
		}
		return d.df.Join(ctx, other.df, functions.Expr(on), jt)
	})
}

// Union appends other's rows (UNION ALL: columns matched by position, duplicates kept).
func (d *DataFrame) Union(other *DataFrame) *DataFrame {
	if d.err == nil && other.err != nil {
		return other
	}
	return d.next("Union", func(ctx context.Context) (sparksql.DataFrame, error) {
		if other.s != d.s {
			return nil, fmt.Errorf("the frames are on different Spark sessions")
		}
		return d.df.UnionAll(ctx, other.df), nil
	})
}

// Column is one column of a frame's schema.
type Column struct {
	Name     string
	Type     string // Spark SQL type: bigint, string, array<string>, struct<a:int>, ...
	Nullable bool
}

// Schema returns the frame's columns: the server analyzes the plan (no job runs, though JSON
// and CSV schema inference reads the files).
func (d *DataFrame) Schema(ctx context.Context) ([]Column, error) {
	if d.err != nil {
		return nil, d.err
	}
	st, err := d.df.Schema(ctx)
	if err != nil {
		return nil, wrapErr(ctx, "Schema", err)
	}
	cols := make([]Column, len(st.Fields))
	for i, f := range st.Fields {
		cols[i] = Column{Name: f.Name, Type: typeName(f.DataType), Nullable: f.Nullable}
	}
	return cols, nil
}

// Count returns the number of rows.
func (d *DataFrame) Count(ctx context.Context) (int64, error) {
	if d.err != nil {
		return 0, d.err
	}
	t, err := d.GroupBy(nil, "count(1) AS n").arrow(ctx, "Count")
	if err != nil {
		return 0, err
	}
	defer t.Release()
	if t.NumRows() != 1 || t.NumCols() != 1 {
		return 0, &Error{Op: "Count", Message: fmt.Sprintf("the server returned %d rows of %d columns for a count", t.NumRows(), t.NumCols())}
	}
	v, err := cellValue(t.Column(0).Data().Chunk(0), 0)
	if err != nil {
		return 0, &Error{Op: "Count", Message: err.Error(), Err: err}
	}
	n, ok := v.(int64)
	if !ok {
		return 0, &Error{Op: "Count", Message: fmt.Sprintf("the server returned a %T for a count", v)}
	}
	return n, nil
}

// Arrow runs the frame and returns its result as an Arrow table (the caller releases it). Its
// chunks are the record batches as the server sent them.
func (d *DataFrame) Arrow(ctx context.Context) (arrow.Table, error) {
	return d.arrow(ctx, "Collect")
}

func (d *DataFrame) arrow(ctx context.Context, op string) (arrow.Table, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.s.closed.Load() {
		return nil, &Error{Op: op, Message: errClosed.Error()}
	}
	t, err := d.df.ToArrow(ctx)
	if err != nil {
		return nil, wrapErr(ctx, op, err)
	}
	if t == nil || *t == nil {
		return nil, &Error{Op: op, Message: "the server returned no result"}
	}
	return *t, nil
}

// Rows is a result as Go values: Columns in order, and one []any per row (see Collect for the
// value types).
type Rows struct {
	Columns []string
	Types   []arrow.DataType
	Values  [][]any
}

// Collect runs the frame and returns every row as Go values: nil for NULL, bool, int64 (every
// integer type), float64 (float and double), string, []byte, time.Time (timestamps in UTC,
// dates at midnight UTC), a decimal as its string, []any for arrays, map[string]any for
// structs, and [][2]any key/value pairs for maps (Spark's map keys need not be strings).
func (d *DataFrame) Collect(ctx context.Context) (*Rows, error) {
	t, err := d.arrow(ctx, "Collect")
	if err != nil {
		return nil, err
	}
	defer t.Release()
	rows, err := tableRows(t)
	if err != nil {
		return nil, &Error{Op: "Collect", Message: err.Error(), Err: err}
	}
	return rows, nil
}

// Head returns the first n rows (n+1 lets a display tell whether there are more).
func (d *DataFrame) Head(ctx context.Context, n int) (*Rows, error) {
	return d.Limit(n).Collect(ctx)
}

// CreateTempView registers the frame as a temporary view of the session under name, for
// Session.SQL and Session.Table; replace allows an existing view of that name to be replaced.
func (d *DataFrame) CreateTempView(ctx context.Context, name string, replace bool) error {
	if d.err != nil {
		return d.err
	}
	if err := d.df.CreateTempView(ctx, name, replace, false); err != nil {
		return wrapErr(ctx, "CreateTempView "+name, err)
	}
	return nil
}

// FromArrow uploads t to the server (an Arrow IPC stream inside the plan) and returns it as a
// DataFrame; this is how local data reaches Spark (e.g. a DuckDB result for a join).
func (s *Session) FromArrow(ctx context.Context, t arrow.Table) (*DataFrame, error) {
	if s.closed.Load() {
		return nil, &Error{Op: "FromArrow", Message: errClosed.Error()}
	}
	df, err := s.spark.CreateDataFrameFromArrow(ctx, t)
	if err != nil {
		return nil, wrapErr(ctx, "FromArrow", err)
	}
	return &DataFrame{s: s, df: df}, nil
}

// FromRecords uploads record batches sharing one schema (see FromArrow).
func (s *Session) FromRecords(ctx context.Context, schema *arrow.Schema, recs []arrow.Record) (*DataFrame, error) {
	t := array.NewTableFromRecords(schema, recs)
	defer t.Release()
	return s.FromArrow(ctx, t)
}

// FromRows uploads Go rows (see RowsToArrow for the values accepted).
func (s *Session) FromRows(ctx context.Context, columns []string, rows [][]any) (*DataFrame, error) {
	rec, err := RowsToArrow(memory.DefaultAllocator, columns, rows)
	if err != nil {
		return nil, &Error{Op: "FromRows", Message: err.Error(), Err: err}
	}
	defer rec.Release()
	return s.FromRecords(ctx, rec.Schema(), []arrow.Record{rec})
}
