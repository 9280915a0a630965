package hunt

import (
	"fmt"
	"strings"

	"github.com/gohunt/gohunt/hunt/spark"
)

// maxMoveRows is the most rows a DuckDB frame may hold to be moved to Spark for a join or
// union with a Spark frame (one Arrow upload inside one Spark Connect request). A larger
// DuckDB side stays where it is and the Spark side is read into DuckDB instead.
const maxMoveRows = 100_000

// sparkSide returns f's relation when f's whole plan runs on Spark and nothing was read yet.
func sparkSide(f *Frame) (*sparkRel, bool) {
	if f == nil || f.err != nil || !f.lazy() || f.plan.op != "source" || f.plan.read() != nil {
		return nil, false
	}
	r, ok := f.plan.rel.(*sparkRel)
	return r, ok
}

// localSide reports whether f is a frame on the session's DuckDB.
func localSide(f *Frame) bool { return f != nil && f.err == nil && !f.lazy() }

// moveToSpark uploads the rows of the DuckDB frame f to the Spark session of r as Arrow and
// returns the relation over them with the number of rows moved. It fails (and nothing moves)
// when f holds more than maxMoveRows rows or a value the upload does not take (see
// spark.RowsToArrow); the caller then moves the Spark side to DuckDB.
func moveToSpark(f *Frame, r *sparkRel) (*sparkRel, int, error) {
	it, err := f.Rows()
	if err != nil {
		return nil, 0, err
	}
	defer it.Close()
	var rows [][]any
	for it.Next() {
		if len(rows) == maxMoveRows {
			return nil, 0, fmt.Errorf("more than %d rows", maxMoveRows)
		}
		rows = append(rows, it.Values())
	}
	if err := it.Err(); err != nil {
		return nil, 0, err
	}
	df, err := r.sp.s.FromRows(cellCtx(), it.Columns(), rows)
	if err != nil {
		return nil, 0, err
	}
	up := &sparkRel{sp: r.sp, df: df, steps: []string{fmt.Sprintf("%d rows moved from DuckDB", len(rows))}}
	if err := up.bind(); err != nil {
		return nil, 0, err
	}
	return up, len(rows), nil
}

// sameSpark reports whether two relations are on one Spark session.
func sameSpark(a, b *sparkRel) bool { return a.sp.s == b.sp.s }

// moveJoin runs a join between a Spark frame whose plan is not yet read and a small DuckDB
// frame (or another Spark frame of the same session) on Spark: the DuckDB side moves to Spark
// as an Arrow batch, and the Spark side stays unread. It returns false when the join is not one
// Spark computes exactly as DuckDB would (an Expr condition, a column name on both sides
// outside the keys, a large DuckDB side); the join then runs on DuckDB.
func moveJoin(f, other *Frame, on any, how string) (*Frame, bool) {
	var keys []string
	switch v := on.(type) {
	case string:
		keys = []string{v}
	case []string:
		keys = v
	default:
		return nil, false
	}
	kind, ok := map[string]spark.JoinKind{"": spark.Inner, "inner": spark.Inner, "left": spark.Left, "left_outer": spark.Left, "leftouter": spark.Left,
		"right": spark.Right, "right_outer": spark.Right, "rightouter": spark.Right, "full": spark.Full, "outer": spark.Full, "full_outer": spark.Full, "fullouter": spark.Full,
		"semi": spark.Semi, "left_semi": spark.Semi, "leftsemi": spark.Semi, "anti": spark.Anti, "left_anti": spark.Anti, "leftanti": spark.Anti}[strings.ToLower(how)]
	if !ok || len(keys) == 0 {
		return nil, false
	}
	l, lok := sparkSide(f)
	r, rok := sparkSide(other)
	if !lok && !rok {
		return nil, false
	}
	if (lok && !rok && !localSide(other)) || (rok && !lok && !localSide(f)) || (lok && rok && !sameSpark(l, r)) {
		return nil, false
	}
	lcols, rcols := f.Columns(), other.Columns()
	if !namesFit(keys, lcols, rcols, kind == spark.Semi || kind == spark.Anti) {
		return nil, false
	}
	var moved string
	switch {
	case !lok:
		up, n, err := moveToSpark(f, r)
		if err != nil {
			return nil, false
		}
		l, moved = up, fmt.Sprintf("moved %d rows from DuckDB to Spark (Arrow)", n)
	case !rok:
		up, n, err := moveToSpark(other, l)
		if err != nil {
			return nil, false
		}
		r, moved = up, fmt.Sprintf("moved %d rows from DuckDB to Spark (Arrow)", n)
	}
	isKey := map[string]bool{}
	var conds, sel []string
	for _, k := range keys {
		isKey[k] = true
		lk, rk := "__l."+sparkIdent(k), "__r."+sparkIdent(k)
		conds = append(conds, lk+" = "+rk)
		switch kind {
		case spark.Right:
			sel = append(sel, rk+" AS "+sparkIdent(k))
		case spark.Full:
			sel = append(sel, "coalesce("+lk+", "+rk+") AS "+sparkIdent(k))
		default:
			sel = append(sel, lk+" AS "+sparkIdent(k))
		}
	}
	for _, c := range lcols {
		if !isKey[c] {
			sel = append(sel, "__l."+sparkIdent(c)+" AS "+sparkIdent(c))
		}
	}
	if kind != spark.Semi && kind != spark.Anti {
		for _, c := range rcols {
			if !isKey[c] {
				sel = append(sel, "__r."+sparkIdent(c)+" AS "+sparkIdent(c))
			}
		}
	}
	df := l.df.Alias("__l").Join(r.df.Alias("__r"), kind, strings.Join(conds, " AND ")).Select(sel...)
	step := fmt.Sprintf("Join %s on %s with (%s)", kind, strings.Join(keys, ", "), strings.Join(r.steps, " | "))
	return sparkResult(f, l, df, step, joinNote(joinNote(l.moved, r.moved), moved))
}

// moveUnion runs a union of a Spark frame whose plan is not yet read with small DuckDB frames
// and Spark frames of the same session on Spark, when every side has the same columns (the
// DuckDB sides move to Spark as Arrow batches). It returns false otherwise; the union then runs
// on DuckDB.
func moveUnion(f *Frame, others []*Frame) (*Frame, bool) {
	sides := append([]*Frame{f}, others...)
	var base *sparkRel
	for _, s := range sides {
		if r, ok := sparkSide(s); ok && base == nil {
			base = r
		}
	}
	if base == nil {
		return nil, false
	}
	for _, s := range sides {
		if _, ok := sparkSide(s); !ok && !localSide(s) {
			return nil, false // asking its columns would read it
		}
	}
	cols := f.Columns()
	rels := make([]*sparkRel, len(sides))
	var notes []string
	total := 0
	for i, s := range sides {
		if !sameNames(cols, s.Columns()) {
			return nil, false
		}
		if r, ok := sparkSide(s); ok {
			if !sameSpark(r, base) {
				return nil, false
			}
			rels[i] = r
			notes = append(notes, r.moved)
			continue
		}
		total++
	}
	if total == 0 {
		return nil, false
	}
	moved := 0
	for i, s := range sides {
		if rels[i] != nil {
			continue
		}
		up, n, err := moveToSpark(s, base)
		if err != nil {
			return nil, false
		}
		rels[i], moved = up, moved+n
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = sparkIdent(c)
	}
	df := rels[0].df.Select(sel...)
	for _, r := range rels[1:] {
		df = df.Union(r.df.Select(sel...))
	}
	note := ""
	for _, n := range notes {
		note = joinNote(note, n)
	}
	note = joinNote(note, fmt.Sprintf("moved %d rows from DuckDB to Spark (Arrow)", moved))
	return sparkResult(f, rels[0], df, fmt.Sprintf("Union of %d frames", len(sides)), note)
}

// sparkResult is the lazy frame of a join or union built on Spark; false when Spark cannot
// analyze it (the operation then runs on DuckDB).
func sparkResult(f *Frame, base *sparkRel, df *spark.DataFrame, step, moved string) (*Frame, bool) {
	if df.Err() != nil {
		return nil, false
	}
	g := &sparkRel{sp: base.sp, df: df, steps: append(append([]string(nil), base.steps...), step), moved: moved}
	if err := g.bind(); err != nil {
		return nil, false
	}
	return &Frame{eng: f.eng, plan: &node{op: "source", rel: g}, note: joinNote(g.note(), moved)}, true
}

// namesFit reports whether every key is a column of both sides and no other column name
// appears on both sides (DuckDB would rename one; Spark would keep both under one name).
func namesFit(keys, lcols, rcols []string, leftOnly bool) bool {
	isKey := map[string]bool{}
	for _, k := range keys {
		if !contains(lcols, k) || !contains(rcols, k) {
			return false
		}
		isKey[strings.ToLower(k)] = true
	}
	seen := map[string]bool{}
	for _, c := range lcols {
		lc := strings.ToLower(c)
		if seen[lc] {
			return false
		}
		seen[lc] = true
	}
	if leftOnly {
		return true
	}
	for _, c := range rcols {
		lc := strings.ToLower(c)
		if isKey[lc] {
			continue
		}
		if seen[lc] {
			return false
		}
		seen[lc] = true
	}
	return true
}

// sameNames reports whether a and b hold the same column names (in any order).
func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}
