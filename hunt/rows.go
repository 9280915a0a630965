package hunt

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// FromRows makes a frame from Go values: a []map[string]any (columns in sorted key order), or a
// slice of structs (columns in field order, named by their json tags when present), or a []any
// holding either. Values become columns as JSON would: numbers, strings, bools, nil as NULL,
// slices as lists, nested maps and structs as dotted columns, time.Time as an RFC 3339 string.
// The rows are copied into the session database when FromRows is called.
func FromRows(rows any) *Frame {
	e, err := defaultEngine()
	if err != nil {
		return &Frame{err: err}
	}
	v := reflect.ValueOf(rows)
	if !v.IsValid() || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array) {
		return errFrame(e, errorf("hunt.FromRows: want a slice of maps or structs, got %T", rows))
	}
	if v.Len() == 0 {
		return errFrame(e, errorf("hunt.FromRows: no rows (an empty slice has no columns)"))
	}
	ld := newJSONLoader(e, readConfig{})
	for i := 0; i < v.Len(); i++ {
		el := v.Index(i)
		for el.Kind() == reflect.Interface || el.Kind() == reflect.Pointer {
			if el.IsNil() {
				break
			}
			el = el.Elem()
		}
		if el.Kind() != reflect.Map && el.Kind() != reflect.Struct {
			ld.discard()
			return errFrame(e, errorf("hunt.FromRows: row %d is a %s, not a map or struct", i, el.Kind()))
		}
		b, err := json.Marshal(el.Interface())
		if err != nil {
			ld.discard()
			return errFrame(e, &Error{Msg: fmt.Sprintf("hunt.FromRows: row %d: %v", i, err), Err: err})
		}
		if err := ld.addLine(b, "row "+strconv.Itoa(i)); err != nil {
			ld.discard()
			return errFrame(e, err)
		}
	}
	f, err := ld.frame()
	if err != nil {
		return errFrame(e, err)
	}
	return f
}
