package hunt

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/gohunt/gohunt/hunt/sigma"
)

// sigmaCandidates runs Detect's prefilter and returns which rules can match. The rules' string
// matches imply atoms (sigma.Atoms: a field's lower-cased value equals, starts with, ends with
// or contains a text); one query reads the distinct lower-cased values of the atoms' fields
// (a hash aggregation per field, in the engine), and the atoms are tested against them field
// by field (sigma.Matcher: hash sets and a gram index, about linear in the values' text). A
// rule whose detection cannot hold given the atoms that hold for no event (sigma.Possible)
// could not have matched any event and is left out, so the hits are the same; the hits query
// then holds only the candidates' conditions, which makes it cheaper to bind and to run (most
// of SigmaHQ's rules look for values that no event of a given recording has).
//
// A field whose distinct values would hold more text than sigmaPrefilterBudget is not read
// (its atoms count as holding): see sigmaPrefilterSizes for the estimate.
func (f *Frame) sigmaCandidates(rules *SigmaRuleSet) (func(rule int) bool, error) {
	defer runtime.KeepAlive(f) // the values query reads f's table: see tableRef
	src := f.sigmaTargetAs(rules.mapping, quoteString, "__s")
	byCol := map[string]*prefilterField{}
	var fields []*prefilterField
	for _, r := range rules.set.Rules {
		if r.Correlation != nil {
			continue
		}
		sigma.Atoms(r.Detection, func(a sigma.Atom) {
			c := src.Column(a.Field)
			if c == "" {
				return // the events lack the field: the atom never holds
			}
			fl := byCol[c]
			if fl == nil {
				fl = &prefilterField{sql: c, index: map[sigma.Atom]int{}}
				byCol[c] = fl
				fields = append(fields, fl)
			}
			a.Field = ""
			if _, ok := fl.index[a]; !ok {
				fl.index[a] = len(fl.atoms)
				fl.atoms = append(fl.atoms, a)
			}
		})
	}
	read, err := f.sigmaPrefilterSizes(fields)
	if err != nil {
		return nil, err
	}
	if err := f.sigmaPrefilterValues(read); err != nil {
		return nil, err
	}
	holds := func(a sigma.Atom) bool {
		fl := byCol[src.Column(a.Field)]
		if fl == nil {
			return false
		}
		if fl.m == nil {
			return true // not read
		}
		a.Field = ""
		return fl.m.Held(fl.index[a])
	}
	keep := make([]bool, len(rules.set.Rules))
	for i, r := range rules.set.Rules {
		keep[i] = r.Correlation == nil && sigma.Possible(r.Detection, holds)
	}
	return func(rule int) bool { return keep[rule] }, nil
}

// prefilterField is one column (SQL expression) the prefilter reads: the atoms on it and,
// once its values are read, their Matcher (nil: not read, every atom counts as holding).
type prefilterField struct {
	sql   string
	atoms []sigma.Atom       // Field ""
	index map[sigma.Atom]int // position in atoms
	m     *sigma.Matcher
}

// sigmaPrefilterBudget bounds the text of one field's distinct values that Detect's prefilter
// reads and tests (bytes, estimated): about 20 ms of matching. A field with more (on the Mordor
// recordings PowerShell's ContextInfo, 47 MB, and the Security log's Message) is not read. A
// variable for tests.
var sigmaPrefilterBudget = float64(4 << 20)

// columnStats reads DuckDB's statistics of an expression (stats()): the approximate number
// of distinct values and the longest string.
var (
	statsUnique = regexp.MustCompile(`\[Approx Unique: ([0-9]+)\]`)
	statsMaxLen = regexp.MustCompile(`Max String Length: ([0-9]+)\]`)
)

// sigmaPrefilterSizes returns the fields whose distinct values' text is estimated within
// sigmaPrefilterBudget. The estimate is distinct values x longest value from the engine's
// column statistics (stats(): kept by session tables; no scan; the events' count stands for
// the distinct values where the statistics lack them), or, where that bound is over the budget
// or the statistics lack the longest value, approx_count_distinct x mean length from one scan
// of the frame.
func (f *Frame) sigmaPrefilterSizes(fields []*prefilterField) ([]*prefilterField, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	ctx := cellCtx()
	sel := make([]string, len(fields))
	stats := make([]sql.NullString, len(fields))
	dest := make([]any, len(fields)+1)
	for i, fl := range fields {
		sel[i] = "CAST(stats(" + fl.sql + ") AS VARCHAR)"
		dest[i] = &stats[i]
	}
	var rows float64
	dest[len(fields)] = &rows
	err := f.eng.db.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+", CAST((SELECT count(*) FROM ("+f.sql+")) AS DOUBLE) FROM ("+f.sql+") AS __s LIMIT 1").Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // no events: nothing to read (every rule is kept; none can match)
	}
	if err != nil {
		return nil, fmt.Errorf("hunt: Detect: prefilter statistics: %w", duckErr(err))
	}
	var read, scan []*prefilterField
	for i, fl := range fields {
		st := stats[i].String
		distinct := rows // at most one distinct value per event
		if u := statsUnique.FindStringSubmatch(st); u != nil {
			distinct, _ = strconv.ParseFloat(u[1], 64)
		}
		width := 24.0 // a number, a date...: a short text
		if l := statsMaxLen.FindStringSubmatch(st); l != nil {
			width, _ = strconv.ParseFloat(l[1], 64)
		} else if !strings.HasPrefix(st, "[Min:") || strings.Contains(st, "String") {
			scan = append(scan, fl) // no statistics, or a text of unknown length
			continue
		}
		switch {
		case distinct*width <= sigmaPrefilterBudget:
			read = append(read, fl)
		case distinct == rows:
			scan = append(scan, fl) // a bound too loose to judge by
		}
	}
	if len(scan) == 0 {
		return read, nil
	}
	sel = make([]string, len(scan))
	sizes := make([]sql.NullFloat64, len(scan))
	dest = make([]any, len(scan))
	for i, fl := range scan {
		c := "CAST(" + fl.sql + " AS VARCHAR)"
		sel[i] = "CAST(approx_count_distinct(" + c + ") AS DOUBLE) * avg(strlen(" + c + "))"
		dest[i] = &sizes[i]
	}
	if err := f.eng.db.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM ("+f.sql+") AS __s").Scan(dest...); err != nil {
		return nil, fmt.Errorf("hunt: Detect: prefilter statistics: %w", duckErr(err))
	}
	for i, fl := range scan {
		if sizes[i].Float64 <= sigmaPrefilterBudget {
			read = append(read, fl)
		}
	}
	return read, nil
}

// sigmaPrefilterValues reads the distinct values of the fields, lower-cased (one query, one
// DISTINCT per field, before lower-casing: fewer values to lower-case; a value may then come
// twice, which the Matcher does not mind) and tests each field's atoms against them. A field
// whose values hold more text than twice sigmaPrefilterBudget (the estimate was low) stops
// being tested (m nil).
func (f *Frame) sigmaPrefilterValues(fields []*prefilterField) error {
	if len(fields) == 0 {
		return nil
	}
	from := "(" + f.sql + ")"
	if m := tableFrame.FindStringSubmatch(f.sql); m != nil {
		from = m[1] // the table itself: not the frame's hundreds of columns bound once per field
	}
	vals := make([]string, len(fields))
	for i, fl := range fields {
		fl.m = sigma.NewMatcher(fl.atoms)
		vals[i] = "SELECT " + strconv.Itoa(i) + " AS f, lower(CAST(v AS VARCHAR)) AS v FROM (SELECT DISTINCT " + fl.sql + " AS v FROM " + from + " AS __s WHERE " + fl.sql + " IS NOT NULL)"
	}
	rows, err := f.eng.db.QueryContext(cellCtx(), strings.Join(vals, "\nUNION ALL "))
	if err != nil {
		return fmt.Errorf("hunt: Detect: prefilter: %w", duckErr(err))
	}
	defer rows.Close()
	size := make([]int, len(fields))
	var i int32
	var v sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&i, &v); err != nil {
			return fmt.Errorf("hunt: Detect: prefilter: %w", duckErr(err))
		}
		fl := fields[i]
		if fl.m == nil || fl.m.Done() {
			continue
		}
		if size[i] += len(v); float64(size[i]) > 2*sigmaPrefilterBudget {
			fl.m = nil
			continue
		}
		fl.m.Add(string(v))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("hunt: Detect: prefilter: %w", duckErr(err))
	}
	return nil
}
