package sigma

import (
	"strconv"
	"strings"
)

// SQLTarget tells the DuckDB renderer how to reach the event's columns and how to bind values.
type SQLTarget struct {
	// Column returns the SQL expression of a Sigma field's value (quoted identifiers, casts),
	// or "" when the events have no such column: a match on it is then false.
	Column func(field string) string
	// Keywords lists the SQL expressions (as text) a keyword search looks in.
	Keywords []string
	// Bind returns the SQL text that stands for a bound string parameter holding v (for
	// example "?" while collecting arguments, or a reference into a parameter table). Values
	// from rules never enter the SQL text.
	Bind func(v string) string
}

// Args collects bound values for "?" placeholders; its Bind method fits SQLTarget.Bind.
type Args struct{ Values []any }

// Bind appends v and returns "?".
func (a *Args) Bind(v string) string {
	a.Values = append(a.Values, v)
	return "?"
}

// SQL renders a condition as a DuckDB boolean expression. Every value is bound through
// t.Bind; identifiers come from t.Column. A match on a field the events do not have is false,
// and NOT is two-valued: NOT COALESCE(x, false).
func SQL(n Node, t *SQLTarget) string {
	switch x := n.(type) {
	case Const:
		if x {
			return "TRUE"
		}
		return "FALSE"
	case And:
		return join(x.Args, " AND ", t)
	case Or:
		return join(x.Args, " OR ", t)
	case Not:
		return "(NOT COALESCE(" + SQL(x.Arg, t) + ", FALSE))"
	case Str:
		if x.Field == "" {
			var alts []string
			for _, k := range t.Keywords {
				alts = append(alts, strSQL(k, x, t))
			}
			if len(alts) == 0 {
				return "FALSE"
			}
			return "(" + strings.Join(alts, " OR ") + ")"
		}
		c := t.Column(x.Field)
		if c == "" {
			return "FALSE"
		}
		return strSQL(c, x, t)
	case Regex:
		cols := []string{}
		if x.Field == "" {
			cols = t.Keywords
		} else if c := t.Column(x.Field); c != "" {
			cols = []string{c}
		}
		var alts []string
		for _, c := range cols {
			alts = append(alts, "regexp_matches(CAST("+c+" AS VARCHAR), "+t.Bind(regexFlags(x))+")")
		}
		if len(alts) == 0 {
			return "FALSE"
		}
		return "(" + strings.Join(alts, " OR ") + ")"
	case Null:
		c := t.Column(x.Field)
		if c == "" {
			return "TRUE"
		}
		return "(" + c + " IS NULL)"
	case Exists:
		c := t.Column(x.Field)
		if c == "" {
			return strings.ToUpper(strconv.FormatBool(!x.Want))
		}
		if x.Want {
			return "(" + c + " IS NOT NULL)"
		}
		return "(" + c + " IS NULL)"
	case FieldRef:
		a, b := t.Column(x.Field), t.Column(x.Other)
		if a == "" || b == "" {
			return "FALSE"
		}
		a, b = "CAST("+a+" AS VARCHAR)", "CAST("+b+" AS VARCHAR)"
		if !x.Cased {
			a, b = "lower("+a+")", "lower("+b+")"
		}
		switch {
		case x.Prefix && x.Suffix:
			return "contains(" + a + ", " + b + ")"
		case x.Prefix:
			return "starts_with(" + a + ", " + b + ")"
		case x.Suffix:
			return "suffix(" + a + ", " + b + ")"
		}
		return "(" + a + " = " + b + ")"
	case Compare:
		c := t.Column(x.Field)
		if c == "" {
			return "FALSE"
		}
		return "(TRY_CAST(CAST(" + c + " AS VARCHAR) AS DOUBLE) " + x.Op + " CAST(" + t.Bind(strconv.FormatFloat(x.Num, 'g', -1, 64)) + " AS DOUBLE))"
	}
	return "FALSE"
}

func join(args []Node, op string, t *SQLTarget) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = SQL(a, t)
	}
	return "(" + strings.Join(parts, op) + ")"
}

// strSQL matches the text of column expression c against the pattern: LIKE (|cased) or ILIKE
// with backslash escapes; the pattern is bound.
func strSQL(c string, x Str, t *SQLTarget) string {
	op := " ILIKE "
	if x.Cased {
		op = " LIKE "
	}
	return "(CAST(" + c + " AS VARCHAR)" + op + t.Bind(x.Pat.Like()) + " ESCAPE '\\')"
}

// regexFlags prefixes the expression with its inline flags.
func regexFlags(x Regex) string {
	if x.Flags == "" {
		return x.Expr
	}
	return "(?" + x.Flags + ")" + x.Expr
}
