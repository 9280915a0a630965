package sigma

import (
	"fmt"
	"strings"
)

// ESTarget tells the Elasticsearch renderer which index fields hold a Sigma field.
type ESTarget struct {
	// Fields returns the exact-value (keyword) fields that may hold a Sigma field, in order;
	// none when the index has no such field (a match on it is then false).
	Fields func(field string) []string
}

// ES renders a condition as an Elasticsearch query (the value of "query" in a search body).
// Strings match with wildcard or term queries on keyword fields, case-insensitively unless
// |cased (case_insensitive: true); numbers compare with range queries; null and exists use
// exists queries; NOT is bool must_not, which is true on events without the field, as Sigma
// wants. Regular expressions run as Lucene regexp queries, whose syntax is narrower than RE2's
// (no \d, \w, \s classes, no ^ $ anchors, no inline flags other than case): an expression
// outside it gives an error. Keyword search and fieldref have no Elasticsearch query without
// scripts and give an error: such rules run on local frames.
func ES(n Node, t *ESTarget) (map[string]any, error) {
	switch x := n.(type) {
	case Const:
		if x {
			return map[string]any{"match_all": map[string]any{}}, nil
		}
		return map[string]any{"match_none": map[string]any{}}, nil
	case And, Or:
		var args []Node
		key := "filter"
		if a, ok := x.(And); ok {
			args = a.Args
		} else {
			args = x.(Or).Args
			key = "should"
		}
		var qs []any
		for _, a := range args {
			q, err := ES(a, t)
			if err != nil {
				return nil, err
			}
			qs = append(qs, q)
		}
		b := map[string]any{key: qs}
		if key == "should" {
			b["minimum_should_match"] = 1
		}
		return map[string]any{"bool": b}, nil
	case Not:
		q, err := ES(x.Arg, t)
		if err != nil {
			return nil, err
		}
		return map[string]any{"bool": map[string]any{"must_not": []any{q}}}, nil
	case Str:
		if x.Field == "" {
			return nil, fmt.Errorf("keyword search (a value without a field) has no Elasticsearch query here; run the rule on a local frame")
		}
		return perField(t.Fields(x.Field), func(f string) map[string]any {
			if s, ok := x.Pat.Plain(); ok {
				return map[string]any{"term": map[string]any{f: map[string]any{"value": s, "case_insensitive": !x.Cased}}}
			}
			return map[string]any{"wildcard": map[string]any{f: map[string]any{"value": x.Pat.esWildcard(), "case_insensitive": !x.Cased}}}
		}), nil
	case Regex:
		if x.Field == "" {
			return nil, fmt.Errorf("keyword regular expressions have no Elasticsearch query here")
		}
		re, err := luceneRegexp(x.Expr)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(x.Flags, "ms") {
			return nil, fmt.Errorf("regular expression flags m and s have no Lucene equivalent")
		}
		return perField(t.Fields(x.Field), func(f string) map[string]any {
			return map[string]any{"regexp": map[string]any{f: map[string]any{"value": re, "case_insensitive": strings.Contains(x.Flags, "i"), "flags": "NONE"}}}
		}), nil
	case Null:
		q := perField(t.Fields(x.Field), func(f string) map[string]any { return map[string]any{"exists": map[string]any{"field": f}} })
		return map[string]any{"bool": map[string]any{"must_not": []any{q}}}, nil
	case Exists:
		q := perField(t.Fields(x.Field), func(f string) map[string]any { return map[string]any{"exists": map[string]any{"field": f}} })
		if x.Want {
			return q, nil
		}
		return map[string]any{"bool": map[string]any{"must_not": []any{q}}}, nil
	case Compare:
		op := map[string]string{"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}[x.Op]
		return perField(t.Fields(x.Field), func(f string) map[string]any {
			return map[string]any{"range": map[string]any{f: map[string]any{op: x.Num}}}
		}), nil
	case FieldRef:
		return nil, fmt.Errorf("fieldref compares two fields of an event: no Elasticsearch query without scripts; run the rule on a local frame")
	}
	return nil, fmt.Errorf("unknown condition node %T", n)
}

// perField ORs q over the candidate fields; no field is match_none.
func perField(fields []string, q func(string) map[string]any) map[string]any {
	switch len(fields) {
	case 0:
		return map[string]any{"match_none": map[string]any{}}
	case 1:
		return q(fields[0])
	}
	var qs []any
	for _, f := range fields {
		qs = append(qs, q(f))
	}
	return map[string]any{"bool": map[string]any{"should": qs, "minimum_should_match": 1}}
}

// esWildcard writes the pattern in Elasticsearch wildcard syntax (* ? with backslash escapes),
// which is Sigma's own.
func (p Pattern) esWildcard() string { return p.String() }

// luceneRegexp turns an unanchored RE2 expression into a Lucene regexp (which matches the
// whole value): .* around it, ^ and $ at the ends removed. Constructs Lucene lacks are errors.
func luceneRegexp(re string) (string, error) {
	for _, bad := range []string{`\d`, `\w`, `\s`, `\D`, `\W`, `\S`, `\b`, `\B`, `(?`, `\A`, `\z`} {
		if strings.Contains(re, bad) {
			return "", fmt.Errorf("regular expression %q uses %s, which Lucene regexp lacks", re, bad)
		}
	}
	body := re
	prefix, suffix := ".*", ".*"
	if strings.HasPrefix(body, "^") {
		body, prefix = body[1:], ""
	}
	if strings.HasSuffix(body, "$") && !strings.HasSuffix(body, `\$`) {
		body, suffix = body[:len(body)-1], ""
	}
	if strings.ContainsAny(body, "^$") {
		return "", fmt.Errorf("regular expression %q has anchors inside: Lucene regexp lacks them", re)
	}
	// Lucene treats these as operators in its default syntax; with flags NONE they are plain,
	// except @ and &, ~ < > # which NONE also leaves plain.
	return prefix + "(" + body + ")" + suffix, nil
}
