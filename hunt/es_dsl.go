package hunt

import (
	"strings"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic"
)

// Translation of hunt expressions into Elasticsearch query DSL. A translation is made only
// when Elasticsearch computes exactly what DuckDB would; otherwise dsl reports false and the
// expression runs locally after the read.

// litKind classifies a literal value: string, int, float, bool, time, or "" (anything else).
func litKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return "int"
	case float32, float64:
		return "float"
	case bool:
		return "bool"
	case time.Time:
		return "time"
	}
	return ""
}

// litValue is the JSON form of a literal for a query.
func litValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// field finds a column that can be queried in Elasticsearch: mapped once, not nested, and
// (after a pushed Select) among the selected columns.
func (f *esRel) field(name string) (elastic.Field, bool) {
	fl, ok := f.schema.Field(name)
	if !ok || fl.Nested || f.schema.Conflicted(name) || fl.Type == "object" {
		return elastic.Field{}, false
	}
	if f.source != nil && !contains(f.source, name) {
		return elastic.Field{}, false
	}
	return fl, true
}

// exactField is field for exact operations (term, range on strings, wildcard, aggregations):
// it needs a keyword (or numeric, boolean) index holding every value, so a keyword whose
// ignore_above dropped some value (Elasticsearch lists it in _ignored) does not qualify.
func (f *esRel) exactField(name string) (elastic.Field, bool) {
	fl, ok := f.field(name)
	if !ok || fl.Keyword == "" || fl.Type == "ip" || fl.Type == "version" {
		return elastic.Field{}, false
	}
	if fl.IgnoreAbove > 0 {
		if v, ok := f.exact.Load(fl.Keyword); ok {
			return fl, v.(bool)
		}
		n, err := f.c.c.Count(f.conf.context(), f.pattern, map[string]any{"term": map[string]any{"_ignored": fl.Keyword}})
		exact := err == nil && n == 0
		f.exact.Store(fl.Keyword, exact)
		if !exact {
			return elastic.Field{}, false
		}
	}
	return fl, true
}

// valueField returns the field to query for comparing column name with literals of the given
// kind, or false when Elasticsearch would compare differently from DuckDB.
func (f *esRel) valueField(name, kind string, ordered bool) (string, bool) {
	switch kind {
	case "string":
		fl, ok := f.exactField(name)
		if !ok {
			return "", false
		}
		switch fl.Type {
		case "keyword", "constant_keyword", "text", "match_only_text":
			return fl.Keyword, true
		}
	case "int", "float":
		fl, ok := f.field(name)
		if !ok {
			return "", false
		}
		switch fl.Type {
		case "long", "integer", "short", "byte":
			if kind == "int" {
				return fl.Name, true
			}
		case "double":
			return fl.Name, true
		}
	case "bool":
		fl, ok := f.field(name)
		if ok && fl.Type == "boolean" && !ordered {
			return fl.Name, true
		}
	case "time":
		fl, ok := f.field(name)
		if ok && (fl.Type == "date" || fl.Type == "date_nanos") && ordered {
			return fl.Name, true
		}
	}
	return "", false
}

var flipOp = map[string]string{"=": "=", "<>": "<>", ">": "<", ">=": "<=", "<": ">", "<=": ">="}

func (f *esRel) dsl(e Expr) (map[string]any, bool) {
	switch e.op {
	case "bin":
		switch e.name {
		case "AND", "OR":
			parts := make([]any, 0, len(e.args))
			for _, a := range e.args {
				q, ok := f.dsl(a)
				if !ok {
					return nil, false
				}
				parts = append(parts, q)
			}
			if e.name == "AND" {
				return map[string]any{"bool": map[string]any{"filter": parts}}, true
			}
			return map[string]any{"bool": map[string]any{"should": parts, "minimum_should_match": 1}}, true
		case "=", "<>", ">", ">=", "<", "<=":
			if len(e.args) != 2 {
				return nil, false
			}
			c, l, op := e.args[0], e.args[1], e.name
			if c.op == "lit" && l.op == "col" {
				c, l, op = l, c, flipOp[op]
			}
			if c.op != "col" || l.op != "lit" {
				return nil, false
			}
			kind := litKind(l.val)
			if kind == "" {
				return nil, false
			}
			fld, ok := f.valueField(c.name, kind, op != "=" && op != "<>")
			if !ok {
				return nil, false
			}
			v := litValue(l.val)
			switch op {
			case "=":
				return term(fld, v), true
			case "<>":
				return map[string]any{"bool": map[string]any{"must_not": []any{term(fld, v)}, "filter": []any{exists(fld)}}}, true
			}
			r := map[string]string{">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[op]
			return rangeQ(fld, map[string]any{r: v}), true
		}
	case "un":
		if e.name != "NOT" || len(e.args) != 1 {
			return nil, false
		}
		inner := e.args[0]
		col, ok := singleColumn(inner)
		if !ok {
			return nil, false
		}
		q, ok := f.dsl(inner)
		if !ok {
			return nil, false
		}
		fl, ok := f.field(col)
		if !ok {
			return nil, false
		}
		// SQL: NOT p is NULL (row dropped) where the column is NULL.
		return map[string]any{"bool": map[string]any{"must_not": []any{q}, "filter": []any{exists(fl.Name)}}}, true
	case "in":
		if len(e.args) < 2 || e.args[0].op != "col" {
			return nil, false
		}
		kind := ""
		vals := make([]any, 0, len(e.args)-1)
		for _, a := range e.args[1:] {
			if a.op != "lit" {
				return nil, false
			}
			k := litKind(a.val)
			if k == "" || (kind != "" && k != kind) {
				return nil, false
			}
			kind = k
			vals = append(vals, litValue(a.val))
		}
		fld, ok := f.valueField(e.args[0].name, kind, false)
		if !ok {
			return nil, false
		}
		return map[string]any{"terms": map[string]any{fld: vals}}, true
	case "between":
		if len(e.args) != 3 || e.args[0].op != "col" || e.args[1].op != "lit" || e.args[2].op != "lit" {
			return nil, false
		}
		k1, k2 := litKind(e.args[1].val), litKind(e.args[2].val)
		if k1 == "" || k1 != k2 {
			return nil, false
		}
		fld, ok := f.valueField(e.args[0].name, k1, true)
		if !ok {
			return nil, false
		}
		return rangeQ(fld, map[string]any{"gte": litValue(e.args[1].val), "lte": litValue(e.args[2].val)}), true
	case "isnull", "notnull":
		if len(e.args) != 1 || e.args[0].op != "col" {
			return nil, false
		}
		fl, ok := f.field(e.args[0].name)
		if !ok {
			return nil, false
		}
		if e.op == "notnull" {
			return exists(fl.Name), true
		}
		return map[string]any{"bool": map[string]any{"must_not": []any{exists(fl.Name)}}}, true
	case "like":
		pat, ok := e.val.(string)
		if !ok || len(e.args) != 1 || e.args[0].op != "col" {
			return nil, false
		}
		fld, ok := f.valueField(e.args[0].name, "string", true)
		if !ok {
			return nil, false
		}
		return wildcard(fld, likeToWildcard(pat)), true
	case "fn":
		if len(e.args) != 2 || e.args[0].op != "col" || e.args[1].op != "lit" {
			return nil, false
		}
		s, ok := e.args[1].val.(string)
		if !ok {
			return nil, false
		}
		fld, ok := f.valueField(e.args[0].name, "string", true)
		if !ok {
			return nil, false
		}
		switch e.name {
		case "contains":
			return wildcard(fld, "*"+escWildcard(s)+"*"), true
		case "starts_with":
			return wildcard(fld, escWildcard(s)+"*"), true
		case "suffix":
			return wildcard(fld, "*"+escWildcard(s)), true
		}
	case "rlike":
		re, ok := e.val.(string)
		if !ok || len(e.args) != 1 || e.args[0].op != "col" || !simpleRegexp(re) {
			return nil, false
		}
		fld, ok := f.valueField(e.args[0].name, "string", true)
		if !ok {
			return nil, false
		}
		return map[string]any{"regexp": map[string]any{fld: map[string]any{"value": ".*(" + re + ").*", "flags": "NONE"}}}, true
	}
	return nil, false
}

// singleColumn returns the one column a simple predicate tests.
func singleColumn(e Expr) (string, bool) {
	switch e.op {
	case "bin":
		if e.name == "AND" || e.name == "OR" || len(e.args) != 2 {
			return "", false
		}
		if e.args[0].op == "col" && e.args[1].op == "lit" {
			return e.args[0].name, true
		}
		if e.args[1].op == "col" && e.args[0].op == "lit" {
			return e.args[1].name, true
		}
	case "in", "between", "like", "rlike", "fn":
		if len(e.args) > 0 && e.args[0].op == "col" {
			return e.args[0].name, true
		}
	}
	return "", false
}

func term(field string, v any) map[string]any {
	return map[string]any{"term": map[string]any{field: map[string]any{"value": v}}}
}

func exists(field string) map[string]any {
	return map[string]any{"exists": map[string]any{"field": field}}
}

func rangeQ(field string, r map[string]any) map[string]any {
	return map[string]any{"range": map[string]any{field: r}}
}

func wildcard(field, pattern string) map[string]any {
	return map[string]any{"wildcard": map[string]any{field: map[string]any{"value": pattern}}}
}

// escWildcard escapes the wildcard query's special characters.
func escWildcard(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '*' || r == '?' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// likeToWildcard turns a LIKE pattern (% _ and backslash escapes) into a wildcard pattern.
func likeToWildcard(p string) string {
	var b strings.Builder
	esc := false
	for _, r := range p {
		switch {
		case esc:
			b.WriteString(escWildcard(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			b.WriteByte('*')
		case r == '_':
			b.WriteByte('?')
		default:
			b.WriteString(escWildcard(string(r)))
		}
	}
	if esc {
		b.WriteString(`\\`)
	}
	return b.String()
}

// simpleRegexp reports whether re means the same in RE2 and Lucene: literal characters and
// . * + ? | ( ) [ ] only (no anchors, classes like \d, braces, or Lucene's extra operators).
func simpleRegexp(re string) bool {
	if re == "" {
		return false
	}
	for _, r := range re {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(" .*+?|()[]-_:/,=%'!;", r):
		default:
			return false
		}
	}
	return true
}
