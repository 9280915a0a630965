package hunt

import (
	"context"
	"reflect"
	"sync"

	"github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/hunt/spark"
)

func init() { session.OnSweep(sweepSession) }

// sweepSession drops the session's tables that no frame reachable from roots (the session's
// variables) or registered for SQL reads. It runs after each cell (session.Sweep).
func sweepSession(roots []reflect.Value) {
	defaultMu.Lock()
	e := defaultEng
	defaultMu.Unlock()
	if e != nil {
		e.sweep(roots)
	}
}

// sweepBudget bounds the values one sweep visits; a session holding more (a million collected
// rows in a variable) is not swept that time, and nothing is dropped.
const sweepBudget = 2_000_000

// sweep drops every table a frame once read that no frame reachable from roots or the
// registry reads.
func (e *engine) sweep(roots []reflect.Value) {
	w := &walker{live: map[string]bool{}, seen: map[visit]bool{}, budget: sweepBudget}
	e.mu.Lock()
	for _, f := range e.reg {
		w.walk(reflect.ValueOf(f))
	}
	e.mu.Unlock()
	for _, r := range roots {
		w.walk(r)
	}
	if w.budget < 0 {
		return
	}
	var drop []string
	e.tablesMu.Lock()
	for name, st := range e.tables {
		if st.held && !w.live[name] {
			st.dropped = true
			delete(e.tables, name)
			drop = append(drop, name)
		}
	}
	e.tablesMu.Unlock()
	for _, name := range drop {
		_ = e.exec(context.Background(), "DROP TABLE IF EXISTS "+memCatalog+".main."+quoteIdent(name))
		_ = e.exec(context.Background(), "DROP TABLE IF EXISTS "+quoteIdent(name))
	}
}

type visit struct {
	p uintptr
	t reflect.Type
}

// walker finds the tableRefs reachable from values.
type walker struct {
	live   map[string]bool
	seen   map[visit]bool
	budget int
}

var (
	tableRefType = reflect.TypeOf((*tableRef)(nil))
	// noTables are types that hold no frame: the walk does not enter them (the engine's frames
	// are its registry, walked on its own; clients hold connections).
	noTables = map[reflect.Type]bool{
		reflect.TypeOf((*engine)(nil)):          true,
		reflect.TypeOf((*ESClient)(nil)):        true,
		reflect.TypeOf((*SparkSession)(nil)):    true,
		reflect.TypeOf((*spark.DataFrame)(nil)): true,
	}
	mayHoldMu sync.Mutex
	mayHold   = map[reflect.Type]bool{} // a cache of holds, derived from the types alone
)

// holds reports whether a value of type t can reach a tableRef.
func holds(t reflect.Type) bool {
	mayHoldMu.Lock()
	defer mayHoldMu.Unlock()
	return holdsLocked(t)
}

func holdsLocked(t reflect.Type) bool {
	if v, ok := mayHold[t]; ok {
		return v
	}
	if noTables[t] {
		return false
	}
	mayHold[t] = true // assumed while the type's parts are looked at (recursive types)
	var v bool
	switch t.Kind() {
	case reflect.Interface:
		v = true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		v = t == tableRefType || holdsLocked(t.Elem())
	case reflect.Map:
		v = holdsLocked(t.Key()) || holdsLocked(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if holdsLocked(t.Field(i).Type) {
				v = true
				break
			}
		}
	}
	mayHold[t] = v
	return v
}

func (w *walker) walk(v reflect.Value) {
	if w.budget < 0 || !v.IsValid() {
		return
	}
	w.budget--
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
		return
	}
	if !holds(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		k := visit{v.Pointer(), v.Type()}
		if w.seen[k] {
			return
		}
		w.seen[k] = true
		if v.Type() == tableRefType {
			w.live[v.Elem().Field(0).String()] = true
			return
		}
		w.walk(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			w.walk(v.Field(i))
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		k := visit{v.Pointer(), v.Type()}
		if v.Len() > 0 && w.seen[k] {
			return
		}
		w.seen[k] = true
		fallthrough
	case reflect.Array:
		for i := 0; i < v.Len() && w.budget >= 0; i++ {
			w.walk(v.Index(i))
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() && w.budget >= 0 {
			w.walk(it.Key())
			w.walk(it.Value())
		}
	}
}
