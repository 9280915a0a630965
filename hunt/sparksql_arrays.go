package hunt

import "strings"

// Spark functions that take arrays as well as strings, and LIKE escapes.
//
// DuckDB names the list and string forms apart (reverse / list_reverse, len / cardinality) and
// its concat skips NULLs where Spark's gives NULL, so the translator decides, per call, whether
// the first argument is a list, a map or a string: from the type of a column reference, or from
// the function that makes the argument. What it cannot tell keeps the string form.

// kinds answers what the translator can tell of the value of a span of tokens; it finds the
// parentheses once and remembers its answers, so nested calls cost linear time.
type kinds struct {
	out   []outTok
	match []int // index of the matching ")" for each open parenthesis, -1 otherwise
	memo  map[[2]int]string
}

func newKinds(out []outTok) *kinds {
	k := &kinds{out: out, match: make([]int, len(out)), memo: map[[2]int]string{}}
	var stack []int
	for j := range out {
		k.match[j] = -1
		switch {
		case isOpenParen(out[j]):
			stack = append(stack, j)
		case out[j].kind == tkOp && out[j].text == ")" && len(stack) > 0:
			k.match[stack[len(stack)-1]] = j
			stack = stack[:len(stack)-1]
		}
	}
	return k
}

// of is what the translator can tell of the value of out[s..e]: "list", "map", "string",
// "number" or "" (unknown).
func (k *kinds) of(s, e int) string {
	key := [2]int{s, e}
	if v, ok := k.memo[key]; ok {
		return v
	}
	v := k.compute(s, e)
	k.memo[key] = v
	return v
}

func (k *kinds) compute(s, e int) string {
	out := k.out
	for s <= e && (out[s].kind == tkSpace || out[s].kind == tkComment) {
		s++
	}
	for e >= s && (out[e].kind == tkSpace || out[e].kind == tkComment) {
		e--
	}
	if s > e {
		return ""
	}
	if s == e || (e == s+2 && out[s].qual && out[s+1].text == ".") {
		o := out[e]
		switch {
		case o.col:
			return kindOfType(o.typ)
		case o.kind == tkString:
			return "string"
		case o.kind == tkNumber:
			return "number"
		}
		return ""
	}
	if isOpenParen(out[s]) && k.match[s] == e {
		return k.of(s+1, e-1)
	}
	if out[s].kind != tkIdent {
		return ""
	}
	o := nextSig(out, s+1)
	if o > e || !isOpenParen(out[o]) || k.match[o] != e {
		return ""
	}
	name := strings.ToLower(out[s].text)
	switch {
	case listFuncs[name] || strings.HasPrefix(name, "list_") || strings.HasPrefix(name, "array_") && !arrayScalarFuncs[name]:
		return "list"
	case mapFuncs[name]:
		return "map"
	case stringFuncs[name]:
		return "string"
	case name == "concat" || name == "reverse" || name == "coalesce" || name == "nvl" || name == "ifnull":
		for _, a := range k.args(o) {
			if v := k.of(a[0], a[1]); v != "" {
				return v
			}
		}
	}
	return ""
}

var listFuncs = map[string]bool{"list": true, "array": true, "regexp_split_to_array": true, "split": true, "sort_array": true,
	"slice": true, "flatten": true, "map_keys": true, "map_values": true, "sequence": true, "shuffle": true, "collect_list": true,
	"collect_set": true, "array_agg": true}

// arrayScalarFuncs are array_* functions whose result is not an array.
var arrayScalarFuncs = map[string]bool{"array_contains": true, "array_position": true, "array_size": true, "array_join": true,
	"array_max": true, "array_min": true, "array_to_string": true, "array_length": true}

var mapFuncs = map[string]bool{"map": true, "map_from_arrays": true, "map_from_entries": true, "str_to_map": true, "map_concat": true}

var stringFuncs = map[string]bool{"lower": true, "upper": true, "lcase": true, "ucase": true, "substr": true, "substring": true,
	"trim": true, "ltrim": true, "rtrim": true, "concat_ws": true, "regexp_replace": true, "regexp_extract": true,
	"format_string": true, "lpad": true, "rpad": true, "replace": true, "initcap": true, "array_join": true,
	"array_to_string": true, "split_part": true, "substring_index": true, "translate": true, "repeat": true}

func kindOfType(typ string) string {
	switch {
	case strings.HasSuffix(typ, "]"):
		return "list"
	case strings.HasPrefix(typ, "MAP("):
		return "map"
	case typ == "VARCHAR":
		return "string"
	case isIntegerType(typ) || isFloatType(typ):
		return "number"
	}
	return ""
}

func isOpenParen(o outTok) bool { return o.kind == tkOp && strings.HasPrefix(o.text, "(") }

func nextSig(out []outTok, j int) int {
	for j < len(out) && (out[j].kind == tkSpace || out[j].kind == tkComment) {
		j++
	}
	return j
}

// args returns the [first, last] token spans of the top-level arguments of the call whose "("
// is out[open] (none for an empty list).
func (k *kinds) args(open int) [][2]int {
	end := k.match[open]
	if end < 0 {
		return nil
	}
	var spans [][2]int
	start := open + 1
	for j := open + 1; j < end; j++ {
		switch {
		case isOpenParen(k.out[j]) && k.match[j] > j:
			j = k.match[j]
		case k.out[j].kind == tkOp && k.out[j].text == ",":
			spans = append(spans, [2]int{start, j - 1})
			start = j + 1
		}
	}
	if nextSig(k.out, start) < end || len(spans) > 0 {
		spans = append(spans, [2]int{start, end - 1})
	}
	return spans
}

// rewriteArrayFuncs gives reverse, size, cardinality, concat and concat_ws the form that fits
// their arguments (see above), sort_array DuckDB's list_sort with Spark's NULL order, and
// collect_list / collect_set Spark's NULL handling.
func rewriteArrayFuncs(out []outTok) {
	k := newKinds(out)
	for i := range out {
		if out[i].kind != tkIdent || out[i].col || out[i].qual {
			continue
		}
		if out[i].agg != "" {
			// Spark's collect_list and collect_set skip NULLs and give [] for no rows;
			// DuckDB's list keeps NULLs and gives NULL for no rows.
			if o := nextSig(out, i+1); o < len(out) && isOpenParen(out[o]) {
				if c := k.match[o]; c > 0 {
					out[i].text = "coalesce(list_filter(" + out[i].text
					out[c].text += ", lambda __v: __v IS NOT NULL), [])"
				}
			}
			continue
		}
		name := strings.ToLower(out[i].text)
		if name != "reverse" && name != "size" && name != "cardinality" && name != "concat" && name != "concat_ws" && name != "sort_array" {
			continue
		}
		if p := prevSig(out, i-1); p >= 0 && out[p].text == "." {
			continue
		}
		o := nextSig(out, i+1)
		if o >= len(out) || !isOpenParen(out[o]) || out[o].text != "(" || k.match[o] < 0 {
			continue
		}
		args := k.args(o)
		switch name {
		case "reverse":
			if len(args) == 1 && k.of(args[0][0], args[0][1]) == "list" {
				out[i].text = "list_reverse"
			}
		case "size", "cardinality":
			// Spark (ANSI mode off, as Spark 3 ran by default) gives -1 for a NULL array or map.
			fn := "len"
			if len(args) == 1 && k.of(args[0][0], args[0][1]) == "map" {
				fn = "cardinality"
			}
			out[i].text = "coalesce(" + fn
			c := k.match[o]
			out[c].text = "), -1)"
		case "concat":
			if len(args) == 0 {
				continue
			}
			// Spark's concat is NULL when an argument is NULL; DuckDB's || is too (for strings
			// and lists), its concat is not. Numbers are cast as Spark casts them.
			list := false
			for _, a := range args {
				list = list || k.of(a[0], a[1]) == "list"
			}
			out[i].text = ""
			for n, a := range args {
				if n > 0 {
					out[a[0]-1].text = " ||"
				}
				if !list && k.of(a[0], a[1]) == "number" {
					s, e := nextSig(out, a[0]), prevSig(out, a[1])
					out[s].text = "CAST(" + out[s].text
					out[e].text += " AS VARCHAR)"
				}
			}
		case "sort_array":
			// sort_array(x[, asc]): NULLs first ascending, last descending.
			c := k.match[o]
			switch {
			case len(args) == 1:
				out[i].text = "list_sort"
				out[c].text = ", 'ASC', 'NULLS FIRST')"
			case len(args) == 2:
				dir := strings.ToUpper(strings.TrimSpace(out[nextSig(out, args[1][0])].text))
				if nextSig(out, args[1][0]) != prevSig(out, args[1][1]) || (dir != "TRUE" && dir != "FALSE") {
					continue // not a literal: DuckDB reports the unknown function
				}
				out[i].text = "list_sort"
				for j := args[0][1] + 1; j < c; j++ {
					out[j].text = ""
				}
				if dir == "TRUE" {
					out[c].text = ", 'ASC', 'NULLS FIRST')"
				} else {
					out[c].text = ", 'DESC', 'NULLS LAST')"
				}
			}
		case "concat_ws":
			// An array argument is joined with the separator, its NULLs skipped (as Spark does).
			if len(args) < 2 {
				continue
			}
			var sep strings.Builder
			for j := args[0][0]; j <= args[0][1]; j++ {
				sep.WriteString(out[j].text)
			}
			for _, a := range args[1:] {
				if k.of(a[0], a[1]) == "list" {
					s, e := nextSig(out, a[0]), prevSig(out, a[1])
					out[s].text = "array_to_string(" + out[s].text
					out[e].text += ", " + strings.TrimSpace(sep.String()) + ")"
				}
			}
		}
	}
}

func prevSig(out []outTok, j int) int {
	for j >= 0 && (out[j].kind == tkSpace || out[j].kind == tkComment) {
		j--
	}
	return j
}

// likeEscapeError returns Spark's error for a LIKE pattern (with the default escape, backslash)
// whose backslash precedes a character other than _, % or backslash, or ends it; "" when the
// pattern is valid.
func likeEscapeError(p string) string {
	shown := "'" + strings.ReplaceAll(p, `\`, `\\`) + "'"
	for i := 0; i < len(p); i++ {
		if p[i] != '\\' {
			continue
		}
		if i+1 == len(p) {
			return "[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: " + shown + ". The escape character is not allowed to end with."
		}
		c := p[i+1]
		if c != '_' && c != '%' && c != '\\' {
			r := string(c)
			if c >= 0x80 {
				r = string([]rune(p[i+1:])[0])
			}
			return "[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: " + shown + ". The escape character is not allowed to precede '" + r + "'."
		}
		i++
	}
	return ""
}
