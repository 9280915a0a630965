package hunt

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// query runs a DuckDB query (built on f.sql) and returns its rows. A query asked for under
// context.Background() runs under the running cell's context, so that an interrupt stops it.
func (f *Frame) query(ctx context.Context, q string) (*sql.Rows, error) {
	defer runtime.KeepAlive(f) // see tableRef
	if f.err != nil {
		return nil, f.err
	}
	if ctx == context.Background() {
		ctx = cellCtx()
	}
	rows, err := f.eng.db.QueryContext(ctx, q)
	if err != nil {
		return nil, duckErr(err)
	}
	return rows, nil
}

// Count runs the frame and returns its number of rows.
func (f *Frame) Count() (int64, error) {
	defer runtime.KeepAlive(f) // see tableRef
	if f == nil {
		return 0, errorf("hunt: nil frame")
	}
	if f.err != nil {
		return 0, f.err
	}
	if f.lazy() {
		if f.plan.op == "source" {
			// The engine counts (an Elasticsearch _count): nothing is read.
			return f.plan.rel.count(cellCtx())
		}
		return f.Local().Count()
	}
	var n int64
	if err := f.eng.db.QueryRowContext(cellCtx(), "SELECT count(*) FROM "+f.from()).Scan(&n); err != nil {
		return 0, duckErr(err)
	}
	return n, nil
}

// Field is one column of a Schema.
type Field struct {
	Name string // column name
	Type string // DuckDB type: BIGINT, VARCHAR, VARCHAR[], STRUCT(...), ...
}

// Schema is a frame's columns, in order.
type Schema []Field

// String lists the columns one per line, "name: TYPE", like Spark's printSchema.
func (s Schema) String() string {
	var b strings.Builder
	b.WriteString("root\n")
	for _, f := range s {
		fmt.Fprintf(&b, " |-- %s: %s\n", f.Name, f.Type)
	}
	return b.String()
}

// Schema returns the frame's columns and their types (known without running a DuckDB frame;
// a frame on another engine is read first, since its types are those of the read).
func (f *Frame) Schema() (Schema, error) {
	if f == nil {
		return nil, errorf("hunt: nil frame")
	}
	if f.err != nil {
		return nil, f.err
	}
	if f.lazy() {
		return f.Local().Schema()
	}
	s := make(Schema, len(f.cols))
	for i, c := range f.cols {
		s[i] = Field{Name: c.name, Type: c.typ}
	}
	return s, nil
}

// RowIter iterates over a frame's rows: for it.Next() { it.Row() }; then check it.Err() and
// Close it (Close is safe to call twice; Next returning false closes it).
type RowIter struct {
	f     *Frame // keeps the tables the query reads while it runs
	rows  *sql.Rows
	names []string
	vals  []any
	ptrs  []any
	err   error
}

// Rows runs the frame and returns an iterator over its rows, streaming them from DuckDB.
func (f *Frame) Rows() (*RowIter, error) {
	defer runtime.KeepAlive(f) // see tableRef
	if f.lazy() && f.err == nil {
		return f.Local().Rows()
	}
	rows, err := f.query(cellCtx(), "SELECT * FROM "+f.from())
	if err != nil {
		return nil, err
	}
	it := &RowIter{f: f, rows: rows, names: f.Columns()}
	it.vals = make([]any, len(it.names))
	it.ptrs = make([]any, len(it.names))
	for i := range it.vals {
		it.ptrs[i] = &it.vals[i]
	}
	return it, nil
}

// Next advances to the next row; false at the end or on an error (see Err).
func (it *RowIter) Next() bool {
	if it.rows == nil {
		return false
	}
	if !it.rows.Next() {
		it.err = duckErr(it.rows.Err())
		it.Close()
		return false
	}
	if err := it.rows.Scan(it.ptrs...); err != nil {
		it.err = err
		it.Close()
		return false
	}
	return true
}

// Columns returns the column names, in the order of Values.
func (it *RowIter) Columns() []string { return it.names }

// Values returns the current row's values in column order (a fresh slice).
func (it *RowIter) Values() []any {
	out := make([]any, len(it.vals))
	for i, v := range it.vals {
		out[i] = goValue(v)
	}
	return out
}

// Row returns the current row as a map from column name to value (NULL is nil). When two columns
// share a name (after a join), the later one is keyed "name#2".
func (it *RowIter) Row() map[string]any {
	m := make(map[string]any, len(it.names))
	for i, n := range it.names {
		k := n
		for j := 2; ; j++ {
			if _, dup := m[k]; !dup {
				break
			}
			k = fmt.Sprintf("%s#%d", n, j)
		}
		m[k] = goValue(it.vals[i])
	}
	return m
}

// Err returns the error that ended the iteration, if any.
func (it *RowIter) Err() error { return it.err }

// Close releases the iterator's result.
func (it *RowIter) Close() error {
	if it.rows == nil {
		return nil
	}
	err := it.rows.Close()
	it.rows = nil
	return err
}

// goValue converts a scanned DuckDB value to the Go value hunt hands out: integers int64 (HUGEINT
// *big.Int), floats float64, strings, bool, time.Time, lists []any, structs map[string]any.
func goValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = goValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[displayName(k)] = goValue(e)
		}
		return out
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case duckdb.Decimal:
		return x.Float64()
	}
	return v
}

// Collect runs the frame and returns every row as a map from column name to value. Use it on
// small frames; Rows streams large ones.
func (f *Frame) Collect() ([]map[string]any, error) {
	it, err := f.Rows()
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []map[string]any
	for it.Next() {
		out = append(out, it.Row())
	}
	return out, it.Err()
}

// Column runs the frame and returns one column as a typed slice: []int64 for integer columns
// (HUGEINT gives []*big.Int), []float64, []string, []bool, []time.Time, and []any for lists,
// structs and other types. NULL becomes the zero value ("" , 0, false) in typed slices and nil
// in []any; use Where(Col(name).IsNotNull()) first to leave NULLs out.
func (f *Frame) Column(name string) (any, error) {
	defer runtime.KeepAlive(f) // see tableRef
	if f.err != nil {
		return nil, f.err
	}
	if f.lazy() {
		return f.Local().Column(name)
	}
	c, err := f.resolve(name)
	if err != nil {
		return nil, err
	}
	rows, err := f.query(cellCtx(), "SELECT "+quoteIdent(c.ident)+" FROM "+f.from())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ints []int64
	var huges []*big.Int
	var floats []float64
	var strs []string
	var bools []bool
	var times []time.Time
	var anys []any
	typ := c.typ
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		v = goValue(v)
		switch {
		case isIntegerType(typ) && typ == "HUGEINT" || typ == "UHUGEINT":
			x, _ := v.(*big.Int)
			huges = append(huges, x)
		case isIntegerType(typ):
			x, _ := v.(int64)
			if u, ok := v.(uint64); ok {
				x = int64(u)
			}
			ints = append(ints, x)
		case isFloatType(typ):
			x, _ := v.(float64)
			floats = append(floats, x)
		case typ == "VARCHAR":
			x, _ := v.(string)
			strs = append(strs, x)
		case typ == "BOOLEAN":
			x, _ := v.(bool)
			bools = append(bools, x)
		case strings.HasPrefix(typ, "TIMESTAMP") || typ == "DATE":
			x, _ := v.(time.Time)
			times = append(times, x)
		default:
			anys = append(anys, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, duckErr(err)
	}
	switch {
	case typ == "HUGEINT" || typ == "UHUGEINT":
		return nonNil(huges), nil
	case isIntegerType(typ):
		return nonNilI(ints), nil
	case isFloatType(typ):
		if floats == nil {
			floats = []float64{}
		}
		return floats, nil
	case typ == "VARCHAR":
		if strs == nil {
			strs = []string{}
		}
		return strs, nil
	case typ == "BOOLEAN":
		if bools == nil {
			bools = []bool{}
		}
		return bools, nil
	case strings.HasPrefix(typ, "TIMESTAMP") || typ == "DATE":
		if times == nil {
			times = []time.Time{}
		}
		return times, nil
	}
	if anys == nil {
		anys = []any{}
	}
	return anys, nil
}

func nonNil(x []*big.Int) []*big.Int {
	if x == nil {
		return []*big.Int{}
	}
	return x
}

func nonNilI(x []int64) []int64 {
	if x == nil {
		return []int64{}
	}
	return x
}

// Strings runs the frame and returns column name as strings (other types are converted as
// DuckDB casts them to VARCHAR; NULL becomes "").
func (f *Frame) Strings(name string) ([]string, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.lazy() {
		return f.Local().Strings(name)
	}
	c, err := f.resolve(name)
	if err != nil {
		return nil, err
	}
	g := f.eng.frameOrErr(fmt.Sprintf("SELECT coalesce(CAST(%s AS VARCHAR), '') AS v FROM %s", quoteIdent(c.ident), f.from()))
	v, err := g.Column("v")
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

func (e *engine) frameOrErr(q string) *Frame { return newFrame(e, q) }

// outputSelect selects f's columns under their display names, for writing files.
func (f *Frame) outputSelect() string {
	parts := make([]string, len(f.cols))
	seen := map[string]int{}
	for i, c := range f.cols {
		name := c.name
		// Output formats want unique names (case-insensitively for DuckDB): suffix repeats.
		low := strings.ToLower(name)
		if n := seen[low]; n > 0 {
			name = fmt.Sprintf("%s_%d", name, n+1)
		}
		seen[low]++
		parts[i] = quoteIdent(c.ident) + " AS " + quoteIdent(name)
	}
	return "SELECT " + strings.Join(parts, ", ") + " FROM " + f.from()
}

func (f *Frame) copyTo(path, opts string) error {
	defer runtime.KeepAlive(f) // see tableRef
	if f == nil {
		return errorf("hunt: nil frame")
	}
	if f.err != nil {
		return f.err
	}
	if path == "" {
		return errorf("hunt: empty output path")
	}
	if f.lazy() {
		return f.Local().copyTo(path, opts)
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return &Error{Msg: fmt.Sprintf("hunt: writing %s: %v", path, err), Err: err}
		}
	}
	q := "COPY (" + f.outputSelect() + ") TO " + quoteString(path) + " (" + opts + ")"
	if err := f.eng.exec(cellCtx(), q); err != nil {
		return fmt.Errorf("hunt: writing %s: %w", path, err)
	}
	return nil
}

// WriteCSV runs the frame and writes it to path as CSV with a header row. When two columns
// differ only by case, the later one is written as name_2.
func (f *Frame) WriteCSV(path string) error { return f.copyTo(path, "FORMAT csv, HEADER true") }

// WriteJSON runs the frame and writes it to path as JSON lines (one object per row; NULLs are
// written as null).
func (f *Frame) WriteJSON(path string) error {
	return f.copyTo(path, "FORMAT json")
}

// WriteParquet runs the frame and writes it to path as a Parquet file (zstd-compressed).
func (f *Frame) WriteParquet(path string) error {
	return f.copyTo(path, "FORMAT parquet, COMPRESSION zstd")
}
