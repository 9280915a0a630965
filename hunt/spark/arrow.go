package spark

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/spark-connect-go/spark/sql/types"
)

// typeName returns the Spark SQL name of a client data type.
func typeName(t types.DataType) string {
	switch t := t.(type) {
	case types.BooleanType:
		return "boolean"
	case types.ByteType:
		return "tinyint"
	case types.ShortType:
		return "smallint"
	case types.IntegerType:
		return "int"
	case types.LongType:
		return "bigint"
	case types.FloatType:
		return "float"
	case types.DoubleType:
		return "double"
	case types.DecimalType:
		if t.Precision == 0 {
			return "decimal"
		}
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case types.StringType:
		return "string"
	case types.BinaryType:
		return "binary"
	case types.TimestampType:
		return "timestamp"
	case types.TimestampNtzType:
		return "timestamp_ntz"
	case types.DateType:
		return "date"
	case types.ArrayType:
		return "array<" + typeName(t.ElementType) + ">"
	case types.MapType:
		return "map<" + typeName(t.KeyType) + "," + typeName(t.ValueType) + ">"
	case types.StructType:
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			parts[i] = f.Name + ":" + typeName(f.DataType)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case *types.StructType:
		return typeName(*t)
	case nil:
		return "void"
	default:
		return strings.ToLower(strings.TrimSuffix(t.TypeName(), "Type"))
	}
}

// tableRows converts an Arrow table to Go rows (see DataFrame.Collect for the value types).
func tableRows(t arrow.Table) (*Rows, error) {
	n := int(t.NumRows())
	sc := t.Schema()
	r := &Rows{Columns: make([]string, sc.NumFields()), Types: make([]arrow.DataType, sc.NumFields()), Values: make([][]any, n)}
	for c, f := range sc.Fields() {
		r.Columns[c] = f.Name
		r.Types[c] = f.Type
	}
	for i := range r.Values {
		r.Values[i] = make([]any, len(r.Columns))
	}
	for c := 0; c < int(t.NumCols()); c++ {
		row := 0
		for _, chunk := range t.Column(c).Data().Chunks() {
			for j := 0; j < chunk.Len(); j++ {
				v, err := cellValue(chunk, j)
				if err != nil {
					return nil, fmt.Errorf("row %d, column %s: %w", row+1, r.Columns[c], err)
				}
				r.Values[row][c] = v
				row++
			}
		}
	}
	return r, nil
}

// cellValue returns element i of a as a Go value.
func cellValue(a arrow.Array, i int) (any, error) {
	if a.IsNull(i) {
		return nil, nil
	}
	switch a := a.(type) {
	case *array.Null:
		return nil, nil
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Uint8:
		return int64(a.Value(i)), nil
	case *array.Uint16:
		return int64(a.Value(i)), nil
	case *array.Uint32:
		return int64(a.Value(i)), nil
	case *array.Uint64:
		v := a.Value(i)
		if v > math.MaxInt64 {
			return nil, fmt.Errorf("unsigned value %d exceeds int64", v)
		}
		return int64(v), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.String:
		return a.Value(i), nil
	case *array.LargeString:
		return a.Value(i), nil
	case *array.Binary:
		return append([]byte{}, a.Value(i)...), nil
	case *array.LargeBinary:
		return append([]byte{}, a.Value(i)...), nil
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		return a.Value(i).ToString(dt.Scale), nil
	case *array.Date32:
		return a.Value(i).ToTime().UTC(), nil
	case *array.Date64:
		return a.Value(i).ToTime().UTC(), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC(), nil
	case *array.List:
		start, end := a.ValueOffsets(i)
		return listValues(a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		return listValues(a.ListValues(), int(start), int(end))
	case *array.Map:
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		out := make([][2]any, 0, end-start)
		for j := int(start); j < int(end); j++ {
			k, err := cellValue(keys, j)
			if err != nil {
				return nil, err
			}
			v, err := cellValue(items, j)
			if err != nil {
				return nil, err
			}
			out = append(out, [2]any{k, v})
		}
		return out, nil
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := make(map[string]any, a.NumField())
		for f := 0; f < a.NumField(); f++ {
			v, err := cellValue(a.Field(f), i)
			if err != nil {
				return nil, err
			}
			out[st.Field(f).Name] = v
		}
		return out, nil
	default:
		return nil, fmt.Errorf("Arrow type %s is not supported", a.DataType())
	}
}

func listValues(a arrow.Array, start, end int) ([]any, error) {
	out := make([]any, 0, end-start)
	for j := start; j < end; j++ {
		v, err := cellValue(a, j)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// RowsToArrow builds one record batch from Go rows. A column's type is that of its first
// non-NULL value: bool, any Go integer (int64), float32/float64 (float64), string, []byte,
// time.Time (timestamp, microseconds, UTC); a column of only NULLs is a string column. Every
// later value of the column must have the same kind (integers may widen to float64).
func RowsToArrow(mem memory.Allocator, columns []string, rows [][]any) (arrow.Record, error) {
	kinds := make([]arrow.DataType, len(columns))
	for c := range columns {
		for r, row := range rows {
			if len(row) != len(columns) {
				return nil, fmt.Errorf("row %d has %d values for %d columns", r+1, len(row), len(columns))
			}
			if row[c] == nil {
				continue
			}
			t, err := goType(row[c])
			if err != nil {
				return nil, fmt.Errorf("row %d, column %s: %w", r+1, columns[c], err)
			}
			if kinds[c] == nil {
				kinds[c] = t
			} else if !arrow.TypeEqual(kinds[c], t) {
				if kinds[c].ID() == arrow.INT64 && t.ID() == arrow.FLOAT64 {
					kinds[c] = t
				} else if !(kinds[c].ID() == arrow.FLOAT64 && t.ID() == arrow.INT64) {
					return nil, fmt.Errorf("row %d, column %s: a %s after %s values", r+1, columns[c], t, kinds[c])
				}
			}
		}
		if kinds[c] == nil {
			kinds[c] = arrow.BinaryTypes.String
		}
	}
	fields := make([]arrow.Field, len(columns))
	for c, name := range columns {
		fields[c] = arrow.Field{Name: name, Type: kinds[c], Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range rows {
		for c, v := range row {
			fb := b.Field(c)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.Int64Builder:
				n, _ := toInt64(v)
				fb.Append(n)
			case *array.Float64Builder:
				if n, ok := toInt64(v); ok {
					fb.Append(float64(n))
				} else if f, ok := v.(float32); ok {
					fb.Append(float64(f))
				} else {
					fb.Append(v.(float64))
				}
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.BinaryBuilder:
				fb.Append(v.([]byte))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
			}
		}
	}
	return b.NewRecordBatch(), nil
}

var tsMicroUTC = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

func goType(v any) (arrow.DataType, error) {
	switch v.(type) {
	case bool:
		return arrow.FixedWidthTypes.Boolean, nil
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return arrow.PrimitiveTypes.Int64, nil
	case uint, uint64:
		if _, ok := toInt64(v); !ok {
			return nil, fmt.Errorf("unsigned value %v exceeds int64", v)
		}
		return arrow.PrimitiveTypes.Int64, nil
	case float32, float64:
		return arrow.PrimitiveTypes.Float64, nil
	case string:
		return arrow.BinaryTypes.String, nil
	case []byte:
		return arrow.BinaryTypes.Binary, nil
	case time.Time:
		return tsMicroUTC, nil
	default:
		return nil, fmt.Errorf("a %T cannot be uploaded (want bool, integer, float, string, []byte or time.Time)", v)
	}
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		return int64(n), n <= math.MaxInt64
	case uint64:
		return int64(n), n <= math.MaxInt64
	}
	return 0, false
}
