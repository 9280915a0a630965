package hunt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gohunt/gohunt/hunt/sigma"
)

// sigmaCandidates runs Detect's prefilter, in the engine: one query over the distinct values of
// the fields the rules' necessary conditions read (sigma.Necessary) tests every rule's atoms at
// once (a hash join on the field, then the atom's equality, starts_with, suffix or contains
// test) and returns which rules can match: those with an atom that holds for some event's
// value, and those without a known necessary condition. A rule left out could not have
// matched any event, so the hits are the same; the hits query then holds only the candidates'
// conditions, which makes it cheaper to bind and to run (most of SigmaHQ's rules look for
// values that no event of a given recording has).
//
// A contains atom is tested against every distinct value of its field: where that costs more
// than sigmaPrefilterBudget (distinct values x their mean length x the field's contains atoms,
// estimated by a first, one-scan query), the field's contains atoms are not used and a rule
// relying on them is kept (or prefiltered on another of its conditions).
func (f *Frame) sigmaCandidates(rules *SigmaRuleSet) (func(rule int) bool, error) {
	ctx := cellCtx()
	src := f.sigmaTargetAs(rules.mapping, quoteString, "__s")
	contains := map[string]int{} // field -> contains atoms
	var statFields []string
	for _, r := range rules.set.Rules {
		if r.Correlation != nil {
			continue
		}
		atoms, _ := sigma.Necessary(r.Detection, nil)
		for _, a := range atoms {
			if a.Shape == sigma.AtomContains && src.Column(a.Field) != "" {
				if contains[a.Field] == 0 {
					statFields = append(statFields, a.Field)
				}
				contains[a.Field]++
			}
		}
	}
	costly := map[string]bool{}
	if len(statFields) > 0 {
		var sel []string
		for _, fl := range statFields {
			c := "CAST(" + src.Column(fl) + " AS VARCHAR)"
			sel = append(sel, "CAST(approx_count_distinct("+c+") AS DOUBLE) * COALESCE(avg(strlen("+c+")), 0)")
		}
		sizes := make([]float64, len(sel))
		dest := make([]any, len(sel))
		for i := range sizes {
			dest[i] = &sizes[i]
		}
		if err := f.eng.db.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM ("+f.sql+") AS __s").Scan(dest...); err != nil {
			return nil, fmt.Errorf("hunt: Detect: prefilter statistics: %w", duckErr(err))
		}
		for i, fl := range statFields {
			if sizes[i]*float64(contains[fl]) > sigmaPrefilterBudget {
				costly[fl] = true
			}
		}
	}
	usable := func(a sigma.Atom) bool { return a.Shape != sigma.AtomContains || !costly[a.Field] }
	always := map[int]bool{}
	fieldIdx := map[string]int32{}
	var fieldSQL []string
	var ruleOf, fieldOf, shapeOf []int32
	var lits []string
	for i, r := range rules.set.Rules {
		if r.Correlation != nil {
			continue
		}
		atoms, ok := sigma.Necessary(r.Detection, usable)
		if !ok {
			always[i] = true
			continue
		}
		for _, a := range atoms {
			c := src.Column(a.Field)
			if c == "" {
				continue // the events lack the field: the atom never holds
			}
			fi, seen := fieldIdx[c]
			if !seen {
				fi = int32(len(fieldSQL))
				fieldIdx[c] = fi
				fieldSQL = append(fieldSQL, c)
			}
			ruleOf, fieldOf, shapeOf, lits = append(ruleOf, int32(i)), append(fieldOf, fi), append(shapeOf, int32(a.Shape)), append(lits, a.Lit)
		}
	}
	hold := map[int]bool{}
	if len(ruleOf) > 0 {
		vals := make([]string, len(fieldSQL))
		for i, c := range fieldSQL {
			vals[i] = "SELECT DISTINCT " + strconv.Itoa(i) + " AS f, lower(CAST(" + c + " AS VARCHAR)) AS v FROM (" + f.sql + ") AS __s WHERE " + c + " IS NOT NULL"
		}
		q := "SELECT DISTINCT __a.r FROM (SELECT unnest(CAST(? AS INTEGER[])) AS r, unnest(CAST(? AS INTEGER[])) AS f, " +
			"unnest(CAST(? AS INTEGER[])) AS s, unnest(CAST(? AS VARCHAR[])) AS l) AS __a JOIN (" + strings.Join(vals, "\nUNION ALL ") + ") AS __v ON __a.f = __v.f " +
			"WHERE CASE __a.s WHEN " + strconv.Itoa(sigma.AtomEqual) + " THEN __v.v = __a.l WHEN " + strconv.Itoa(sigma.AtomPrefix) + " THEN starts_with(__v.v, __a.l) " +
			"WHEN " + strconv.Itoa(sigma.AtomSuffix) + " THEN suffix(__v.v, __a.l) ELSE contains(__v.v, __a.l) END"
		rows, err := f.eng.db.QueryContext(ctx, q, ruleOf, fieldOf, shapeOf, lits)
		if err != nil {
			return nil, fmt.Errorf("hunt: Detect: prefilter: %w", duckErr(err))
		}
		defer rows.Close()
		for rows.Next() {
			var r int32
			if err := rows.Scan(&r); err != nil {
				return nil, fmt.Errorf("hunt: Detect: prefilter: %w", duckErr(err))
			}
			hold[int(r)] = true
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("hunt: Detect: prefilter: %w", duckErr(err))
		}
	}
	return func(rule int) bool { return always[rule] || hold[rule] }, nil
}

// sigmaPrefilterBudget bounds the text a field's contains atoms are tested against in Detect's
// prefilter (distinct values x mean length x atoms, in bytes): about a second of CPU. A
// variable for tests.
var sigmaPrefilterBudget = 1e9
