package sigma

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// value is a detection value while its modifiers are applied: one or more patterns (several
// after an expanding modifier such as base64offset or windash, matched as alternatives), or a
// regular expression, or one of the special kinds.
type value struct {
	kind  string // "str", "re", "null", "exists", "fieldref", "cmp", "cidr"
	pats  []Pattern
	cased bool
	re    string
	flags string
	num   float64
	isNum bool
	want  bool
	ref   FieldRef
	op    string
	// raw keeps what the YAML said for the modifiers that need it (re, cidr, exists, numbers).
	raw    string
	isBool bool
	boolV  bool
}

var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "re": true, "i": true,
	"m": true, "s": true, "base64": true, "base64offset": true, "utf16le": true, "utf16be": true,
	"utf16": true, "wide": true, "windash": true, "cidr": true, "exists": true, "fieldref": true,
	"lt": true, "lte": true, "gt": true, "gte": true, "cased": true,
}

// scalarValue reads a YAML scalar into a value.
func scalarValue(n *yaml.Node) (value, error) {
	if n.Kind != yaml.ScalarNode {
		return value{}, fmt.Errorf("expected a value, found a %s", kindName(n))
	}
	switch n.Tag {
	case "!!null":
		return value{kind: "null"}, nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return value{}, fmt.Errorf("bad boolean %q", n.Value)
		}
		return value{kind: "str", pats: []Pattern{literal(strconv.FormatBool(b))}, raw: n.Value, isBool: true, boolV: b}, nil
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil {
			if i, ierr := strconv.ParseInt(n.Value, 0, 64); ierr == nil {
				f = float64(i)
			} else {
				return value{}, fmt.Errorf("bad number %q", n.Value)
			}
		}
		text := n.Value
		if n.Tag == "!!int" {
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				text = strconv.FormatInt(i, 10)
			}
		}
		return value{kind: "str", pats: []Pattern{literal(text)}, raw: text, isNum: true, num: f}, nil
	}
	return value{kind: "str", pats: []Pattern{parsePattern(n.Value)}, raw: n.Value}, nil
}

// applyModifier applies one modifier (by name) to v; pos is its index in the chain.
func applyModifier(v value, mod string, pos int, field string) (value, error) {
	star := Part{Wild: '*'}
	switch mod {
	case "contains", "startswith", "endswith":
		switch v.kind {
		case "str":
			for i, p := range v.pats {
				q := p.clone()
				if mod != "startswith" && !q.startsWithStar() {
					q = append(Pattern{star}, q...)
				}
				if mod != "endswith" && !q.endsWithStar() {
					q = append(q, star)
				}
				v.pats[i] = q
			}
		case "re":
			if mod != "startswith" && !strings.HasPrefix(v.re, ".*") && !strings.HasPrefix(v.re, "^") {
				v.re = ".*" + v.re
			}
			if mod != "endswith" && !strings.HasSuffix(v.re, ".*") && !strings.HasSuffix(v.re, "$") {
				v.re += ".*"
			}
		case "fieldref":
			v.ref.Prefix = v.ref.Prefix || mod != "endswith"
			v.ref.Suffix = v.ref.Suffix || mod != "startswith"
		default:
			return v, fmt.Errorf("modifier %s cannot apply to a %s value", mod, v.kind)
		}
	case "base64", "base64offset":
		if v.kind != "str" {
			return v, fmt.Errorf("modifier %s needs a string value", mod)
		}
		var out []Pattern
		for _, p := range v.pats {
			s, ok := p.Plain()
			if !ok {
				return v, fmt.Errorf("modifier %s: base64 of a value with wildcards is not allowed", mod)
			}
			if mod == "base64" {
				out = append(out, literal(base64.StdEncoding.EncodeToString([]byte(s))))
				continue
			}
			for _, e := range base64Offsets([]byte(s)) {
				out = append(out, literal(e))
			}
		}
		v.pats = out
	case "wide", "utf16le", "utf16be", "utf16":
		if v.kind != "str" {
			return v, fmt.Errorf("modifier %s needs a string value", mod)
		}
		for i, p := range v.pats {
			q, err := p.mapLits(func(s string) (string, error) { return utf16Lit(s, mod == "utf16be") })
			if err != nil {
				return v, fmt.Errorf("modifier %s: %v", mod, err)
			}
			if mod == "utf16" {
				q = append(Pattern{{Lit: "\ufeff"}}, q...)
			}
			v.pats[i] = q
		}
	case "windash":
		if v.kind != "str" {
			return v, fmt.Errorf("modifier windash needs a string value")
		}
		var out []Pattern
		for _, p := range v.pats {
			out = append(out, windashVariants(p)...)
		}
		v.pats = out
	case "re":
		if pos != 0 || v.kind != "str" {
			return v, fmt.Errorf("modifier re applies only to an unmodified string value")
		}
		if v.isBool || v.isNum {
			return v, fmt.Errorf("modifier re needs a string value")
		}
		v = value{kind: "re", re: v.raw}
	case "i", "m", "s":
		if v.kind != "re" {
			return v, fmt.Errorf("modifier %s is a regular expression flag: it must follow re", mod)
		}
		if !strings.Contains(v.flags, mod) {
			v.flags += mod
		}
	case "cased":
		if v.kind != "str" {
			return v, fmt.Errorf("modifier cased needs a string value")
		}
		v.cased = true
	case "cidr":
		if pos != 0 || v.kind != "str" {
			return v, fmt.Errorf("modifier cidr applies only to an unmodified value")
		}
		pats, err := cidrPatterns(v.raw)
		if err != nil {
			return v, err
		}
		v = value{kind: "str", pats: pats}
	case "exists":
		if field == "" {
			return v, fmt.Errorf("modifier exists needs a field")
		}
		if pos != 0 || !v.isBool {
			return v, fmt.Errorf("modifier exists needs an unmodified boolean value (true or false)")
		}
		v = value{kind: "exists", want: v.boolV}
	case "fieldref":
		if v.kind != "str" || len(v.pats) != 1 {
			return v, fmt.Errorf("modifier fieldref needs a field name")
		}
		name, ok := v.pats[0].Plain()
		if !ok {
			return v, fmt.Errorf("modifier fieldref: field references must not contain wildcards")
		}
		v = value{kind: "fieldref", ref: FieldRef{Other: name}}
	case "lt", "lte", "gt", "gte":
		if v.kind != "str" || !v.isNum {
			return v, fmt.Errorf("modifier %s needs a number", mod)
		}
		v = value{kind: "cmp", num: v.num, op: map[string]string{"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[mod]}
	default:
		return v, fmt.Errorf("unknown modifier %q", mod)
	}
	return v, nil
}

// leaf turns a finished value into a condition on field.
func (v value) leaf(field string) (Node, error) {
	switch v.kind {
	case "null":
		return Null{Field: field}, nil
	case "exists":
		return Exists{Field: field, Want: v.want}, nil
	case "fieldref":
		r := v.ref
		r.Field = field
		if field == "" {
			return nil, fmt.Errorf("modifier fieldref needs a field")
		}
		return r, nil
	case "cmp":
		return Compare{Field: field, Op: v.op, Num: v.num}, nil
	case "re":
		expr := v.re
		if _, err := regexp.Compile(expr); err != nil {
			return nil, fmt.Errorf("regular expression %q is not supported (RE2 syntax, no lookaround or backreferences): %v", expr, cleanRegexpErr(err))
		}
		return Regex{Field: field, Expr: expr, Flags: v.flags}, nil
	}
	var alts []Node
	for _, p := range v.pats {
		alts = append(alts, Str{Field: field, Pat: p, Cased: v.cased})
	}
	return or(alts...), nil
}

func cleanRegexpErr(err error) string {
	s := err.Error()
	return strings.TrimPrefix(s, "error parsing regexp: ")
}

// detectionItem compiles `key: values` of a detection map: key is a field with modifiers.
func detectionItem(key string, vals *yaml.Node) (Node, error) {
	parts := strings.Split(key, "|")
	field, mods := parts[0], parts[1:]
	all := false
	var chain []string
	for _, m := range mods {
		if m == "" {
			return nil, fmt.Errorf("empty modifier in %q", key)
		}
		if !knownModifiers[m] {
			return nil, fmt.Errorf("unknown modifier %q in %q", m, key)
		}
		if m == "all" {
			all = true
			continue
		}
		chain = append(chain, m)
	}
	var items []*yaml.Node
	if vals.Kind == yaml.SequenceNode {
		items = vals.Content
	} else {
		items = []*yaml.Node{vals}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("field %q has an empty list of values", field)
	}
	var leaves []Node
	for _, it := range items {
		v, err := scalarValue(resolveAlias(it))
		if err != nil {
			return nil, fmt.Errorf("field %q: %v", field, err)
		}
		if v.kind == "null" && len(chain) > 0 {
			return nil, fmt.Errorf("field %q: null cannot take modifiers", field)
		}
		for i, m := range chain {
			if v, err = applyModifier(v, m, i, field); err != nil {
				return nil, fmt.Errorf("field %q: %v", field, err)
			}
		}
		n, err := v.leaf(field)
		if err != nil {
			return nil, fmt.Errorf("field %q: %v", field, err)
		}
		leaves = append(leaves, n)
	}
	if all && len(leaves) > 1 {
		return and(leaves...), nil
	}
	return or(leaves...), nil
}

// posError is an error at a line of the rule file.
type posError struct {
	line int
	msg  string
}

func (e *posError) Error() string { return e.msg }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &posError{line: n.Line, msg: fmt.Sprintf(format, args...)}
}

// detectionNode compiles one search identifier's definition.
func detectionNode(n *yaml.Node) (Node, error) {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		var args []Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolveAlias(n.Content[i+1])
			if v.Kind == yaml.MappingNode {
				return nil, errAt(v, "field %q: a value cannot be a map", k.Value)
			}
			it, err := detectionItem(k.Value, v)
			if err != nil {
				return nil, errAt(k, "%v", err)
			}
			args = append(args, it)
		}
		if len(args) == 0 {
			return nil, errAt(n, "empty detection map")
		}
		return and(args...), nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, errAt(n, "empty detection list")
		}
		var args []Node
		for _, it := range n.Content {
			it = resolveAlias(it)
			switch it.Kind {
			case yaml.MappingNode:
				m, err := detectionNode(it)
				if err != nil {
					return nil, err
				}
				args = append(args, m)
			case yaml.ScalarNode:
				v, err := scalarValue(it)
				if err != nil {
					return nil, errAt(it, "keyword: %v", err)
				}
				if v.kind == "null" {
					return nil, errAt(it, "keyword: null is not a keyword")
				}
				k, err := v.leaf("")
				if err != nil {
					return nil, errAt(it, "keyword: %v", err)
				}
				args = append(args, k)
			default:
				return nil, errAt(it, "a detection list holds maps or keywords, not a %s", kindName(it))
			}
		}
		return or(args...), nil
	case yaml.ScalarNode:
		v, err := scalarValue(n)
		if err != nil || v.kind == "null" {
			return nil, errAt(n, "keyword: not a value")
		}
		return v.leaf("")
	}
	return nil, errAt(n, "a search identifier holds a map, a list or a keyword, not a %s", kindName(n))
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "value"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}
