package sigma

import (
	"regexp"
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
	// Bind returns the SQL text that stands for the string v: a bound parameter ("?" while
	// collecting arguments, a reference into a parameter table) or a string literal quoted so
	// that every byte is handled. Rule values reach the SQL text only through Bind.
	Bind func(v string) string
	// Text, when set, returns an expression of the field's value as VARCHAR (for example a
	// column projected once for all rules); Lower the same, lower-cased. Without them each
	// match casts (and lower-cases) Column's expression itself.
	Text, Lower func(field string) string
	// Plain, when set, renders case-insensitive string matches as comparisons of the
	// lower-cased value with the lower-cased pattern: equality, starts_with, suffix or
	// contains when the pattern has only leading and trailing '*', LIKE otherwise. With
	// constant patterns (Bind returning literals) DuckDB runs these without a pattern matcher;
	// ILIKE with a bound pattern runs one per row.
	Plain bool
	// KeywordText, when set (with Plain), returns an expression of the event's text columns
	// (lower-cased when lower) joined into one string, each value preceded and followed by
	// KeywordSep and holding no KeywordSep itself. A keyword search whose pattern is a plain
	// text with only leading and trailing '*' is then one substring test of it instead of
	// one test per text column.
	//
	// search is the text the returned expression will be searched for (lower-cased when lower,
	// with a leading or trailing KeywordSep where the search is anchored to a value's start or
	// end): a target may use the searches to give NULL instead of the text for an event whose
	// text holds none of them (the renderer reads a NULL test as no match, also under NOT).
	KeywordText func(lower bool, search string) string
	// Number, when set (with Plain), returns the expression of a field held by one integer
	// column, or "": an equality with a canonical integer text ("4688", "-1") then compares
	// numbers, and an equality with any other text is false (no integer's text equals it).
	Number func(field string) string
}

// canonicalInt reports whether s is the text DuckDB writes for an integer: an optional '-',
// then 0 or digits without a leading zero; "-0" is not.
func canonicalInt(s string) bool {
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 18 || (d[0] == '0' && len(d) > 1) || (d == "0" && s != "0") {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// number returns the integer expression of the field when the target has one.
func (t *SQLTarget) number(field string) string {
	if t.Number == nil || field == "" {
		return ""
	}
	return t.Number(field)
}

// KeywordSep separates the values of SQLTarget.KeywordText (the ASCII unit separator).
const KeywordSep = "\x1f"

// text returns the field's value as VARCHAR through t, or "".
func (t *SQLTarget) text(field string, lower bool) string {
	if lower && t.Lower != nil {
		return t.Lower(field)
	}
	if !lower && t.Text != nil {
		return t.Text(field)
	}
	c := t.Column(field)
	if c == "" {
		return ""
	}
	if lower {
		return "lower(CAST(" + c + " AS VARCHAR))"
	}
	return "CAST(" + c + " AS VARCHAR)"
}

// Args collects bound values for "?" placeholders; its Bind method fits SQLTarget.Bind.
type Args struct{ Values []any }

// Bind appends v and returns "?".
func (a *Args) Bind(v string) string {
	a.Values = append(a.Values, v)
	return "?"
}

// SQL renders a condition as a DuckDB boolean expression. Every value reaches the text through
// t.Bind; identifiers come from t.Column (or t.Text, t.Lower, t.Number, t.KeywordText). A match on a field the events do not have is false,
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
		if t.Plain {
			return orSQL(x.Args, t)
		}
		return join(x.Args, " OR ", t)
	case Not:
		switch a := SQL(x.Arg, t); a {
		case "TRUE":
			return "FALSE"
		case "FALSE":
			return "TRUE"
		default:
			return "(NOT COALESCE(" + a + ", FALSE))"
		}
	case Str:
		if x.Field == "" {
			if q, ok := keywordSQL(x, t); ok {
				return q
			}
			var alts []string
			for _, k := range t.Keywords {
				alts = append(alts, strSQL(k, x, t))
			}
			if len(alts) == 0 {
				return "FALSE"
			}
			return "(" + strings.Join(alts, " OR ") + ")"
		}
		if t.Plain {
			if n := t.number(x.Field); n != "" {
				if shape, v, ok := plainShape(x); ok && shape == shapeEqual {
					if canonicalInt(v) {
						return "(" + n + " = " + v + ")"
					}
					return "FALSE"
				}
			}
			c := t.text(x.Field, !x.Cased)
			if c == "" {
				return "FALSE"
			}
			return plainSQL(c, x, t)
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
		} else if c := t.text(x.Field, false); c != "" {
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
		a, b := t.text(x.Field, !x.Cased), t.text(x.Other, !x.Cased)
		if a == "" || b == "" {
			return "FALSE"
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
		c := t.text(x.Field, false)
		if c == "" {
			return "FALSE"
		}
		return "(TRY_CAST(" + c + " AS DOUBLE) " + x.Op + " CAST(" + t.Bind(strconv.FormatFloat(x.Num, 'g', -1, 64)) + " AS DOUBLE))"
	}
	return "FALSE"
}

// join renders args joined by op (" AND " or " OR "), folding the constants TRUE and FALSE
// (a match on a field the events lack is FALSE): rules over absent fields cost nothing.
func join(args []Node, op string, t *SQLTarget) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, SQL(a, t))
	}
	return fold(parts, op)
}

// fold joins rendered parts by op, folding the constants TRUE and FALSE.
func fold(parts []string, op string) string {
	absorb, neutral := "FALSE", "TRUE"
	if op == " OR " {
		absorb, neutral = "TRUE", "FALSE"
	}
	out := parts[:0:0]
	for _, p := range parts {
		switch p {
		case absorb:
			return absorb
		case neutral:
		default:
			out = append(out, p)
		}
	}
	switch len(out) {
	case 0:
		return neutral
	case 1:
		return out[0]
	}
	return "(" + strings.Join(out, op) + ")"
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

// Shapes of a pattern with only leading and trailing '*' around plain text.
const (
	shapeEqual = iota
	shapePrefix
	shapeSuffix
	shapeContains
)

// plainShape returns the shape and the text of a Str's pattern (lower-cased unless Cased), or
// false when the pattern has '?' or an inner '*', or is only '*'.
func plainShape(x Str) (int, string, bool) {
	p := x.Pat
	lead, trail := p.starEnds()
	s, ok := p[lead:trail].Plain()
	if !ok || (s == "" && lead > 0) {
		return 0, "", false
	}
	if !x.Cased {
		s = strings.ToLower(s)
	}
	switch {
	case lead == 0 && trail == len(p):
		return shapeEqual, s, true
	case lead == 0:
		return shapePrefix, s, true
	case trail == len(p):
		return shapeSuffix, s, true
	}
	return shapeContains, s, true
}

// orSQL renders a disjunction; four or more plain string matches of one field (same
// case-sensitivity) become one test: IN for equalities, one regular expression (an
// alternation of the quoted texts, anchored per shape) for the others. RE2 runs such an
// alternation as one automaton, where a chain of OR-ed tests runs each test.
func orSQL(args []Node, t *SQLTarget) string {
	type key struct {
		field string
		cased bool
	}
	byField := map[key][]int{}
	for i, a := range args {
		if x, ok := a.(Str); ok && x.Field != "" {
			if _, _, ok := plainShape(x); ok {
				k := key{x.Field, x.Cased}
				byField[k] = append(byField[k], i)
			}
		}
	}
	done := map[int]bool{}
	var parts []string
	for i, a := range args {
		if done[i] {
			continue
		}
		x, ok := a.(Str)
		if !ok || x.Field == "" {
			parts = append(parts, SQL(a, t))
			continue
		}
		idx := byField[key{x.Field, x.Cased}]
		if len(idx) < 4 {
			parts = append(parts, SQL(a, t))
			continue
		}
		n := t.number(x.Field)
		c := n
		if n == "" {
			c = t.text(x.Field, !x.Cased)
		}
		if c == "" {
			parts = append(parts, "FALSE")
			for _, j := range idx {
				done[j] = true
			}
			continue
		}
		var in, alts []string
		for _, j := range idx {
			done[j] = true
			shape, s, _ := plainShape(args[j].(Str))
			q := regexp.QuoteMeta(s)
			switch {
			case shape == shapeEqual && n != "":
				if canonicalInt(s) {
					in = append(in, s)
				}
			case n != "":
				parts = append(parts, SQL(args[j], t))
			case shape == shapeEqual:
				in = append(in, t.Bind(s))
			case shape == shapePrefix:
				alts = append(alts, `\A`+q)
			case shape == shapeSuffix:
				alts = append(alts, q+`\z`)
			default:
				alts = append(alts, q)
			}
		}
		if len(in) > 0 {
			parts = append(parts, "("+c+" IN ("+strings.Join(in, ", ")+"))")
		}
		for len(alts) > 0 { // at most 256 alternatives an expression: RE2 bounds a program's memory
			n := min(len(alts), 256)
			parts = append(parts, "regexp_matches("+c+", "+t.Bind("(?:"+strings.Join(alts[:n], "|")+")")+")")
			alts = alts[n:]
		}
	}
	return fold(parts, " OR ")
}

// plainSQL matches the VARCHAR expression c (lower-cased unless |cased) against the pattern
// (lower-cased likewise) with the cheapest exact form: =, starts_with, suffix, contains, or
// LIKE (with an escape character only when the pattern's text holds % or _).
func plainSQL(c string, x Str, t *SQLTarget) string {
	p := x.Pat
	if !x.Cased {
		p = make(Pattern, len(x.Pat))
		for i, part := range x.Pat {
			p[i] = Part{Lit: strings.ToLower(part.Lit), Wild: part.Wild}
		}
	}
	lead, trail := 0, len(p)
	for lead < len(p) && p[lead].Wild == '*' {
		lead++
	}
	for trail > lead && p[trail-1].Wild == '*' {
		trail--
	}
	mid := p[lead:trail]
	if s, ok := mid.Plain(); ok {
		switch {
		case s == "" && lead > 0:
			return "(" + c + " IS NOT NULL)"
		case lead == 0 && trail == len(p):
			return "(" + c + " = " + t.Bind(s) + ")"
		case lead == 0:
			return "starts_with(" + c + ", " + t.Bind(s) + ")"
		case trail == len(p):
			return "suffix(" + c + ", " + t.Bind(s) + ")"
		default:
			return "contains(" + c + ", " + t.Bind(s) + ")"
		}
	}
	if !strings.ContainsAny(p.String(), "%_") {
		// No LIKE metacharacter in the text: the pattern needs no escapes (DuckDB's LIKE has
		// no escape character unless ESCAPE names one, so backslashes are plain).
		var b strings.Builder
		for _, part := range p {
			switch part.Wild {
			case '*':
				b.WriteByte('%')
			case '?':
				b.WriteByte('_')
			default:
				b.WriteString(part.Lit)
			}
		}
		return "(" + c + " LIKE " + t.Bind(b.String()) + ")"
	}
	return "(" + c + " LIKE " + t.Bind(p.Like()) + " ESCAPE '\\')"
}

// keywordSQL renders a keyword search as a substring test of t.KeywordText, when the pattern
// is plain text between leading and trailing '*' that holds no KeywordSep.
func keywordSQL(x Str, t *SQLTarget) (string, bool) {
	if !t.Plain || t.KeywordText == nil {
		return "", false
	}
	p := x.Pat
	lead, trail := p.starEnds()
	s, ok := p[lead:trail].Plain()
	if !ok || s == "" || strings.Contains(s, KeywordSep) {
		return "", false
	}
	if !x.Cased {
		s = strings.ToLower(s)
	}
	if lead == 0 {
		s = KeywordSep + s
	}
	if trail == len(p) {
		s += KeywordSep
	}
	return "contains(" + t.KeywordText(!x.Cased, s) + ", " + t.Bind(s) + ")", true
}

// regexFlags prefixes the expression with its inline flags.
func regexFlags(x Regex) string {
	if x.Flags == "" {
		return x.Expr
	}
	return "(?" + x.Flags + ")" + x.Expr
}
