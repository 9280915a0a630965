package playbook

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Param is one notebook parameter: a name and a value that is a string, int64, float64, bool or
// nil, as papermill's command line produces them.
type Param struct {
	Name  string
	Value any
}

// ParseParam parses a command-line "name=value" the way papermill's CLI parses `-p name value`:
// "True" and "False" become bools, "None" nil, integers int64, floats (including "nan", "inf")
// float64, anything else stays a string. Use quotes in the shell, not in the value: `-p
// start=2020-09-20` is the string "2020-09-20".
func ParseParam(arg string) (Param, error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		return Param{}, fmt.Errorf("parameter %q: want name=value", arg)
	}
	name = strings.TrimSpace(name)
	if err := checkName(name); err != nil {
		return Param{}, err
	}
	v, err := resolveType(value)
	if err != nil {
		return Param{}, fmt.Errorf("parameter %s: %w", name, err)
	}
	return Param{Name: name, Value: v}, nil
}

var (
	pyInt   = regexp.MustCompile(`^[+-]?[0-9]+(_[0-9]+)*$`)
	pyFloat = regexp.MustCompile(`(?i)^[+-]?(([0-9]+(_[0-9]+)*)?\.?[0-9]*(_[0-9]+)*(e[+-]?[0-9]+(_[0-9]+)*)?|inf|infinity|nan)$`)
)

// resolveType mirrors papermill.cli._resolve_type.
func resolveType(s string) (any, error) {
	switch s {
	case "True":
		return true, nil
	case "False":
		return false, nil
	case "None":
		return nil, nil
	}
	t := strings.TrimSpace(s)
	if pyInt.MatchString(t) {
		n, ok := new(big.Int).SetString(strings.ReplaceAll(t, "_", ""), 10)
		if !ok {
			return s, nil
		}
		if !n.IsInt64() {
			return nil, fmt.Errorf("integer %s does not fit a Go int (64 bits)", t)
		}
		return n.Int64(), nil
	}
	if t != "" && pyFloat.MatchString(t) && strings.ContainsAny(t, "0123456789iInN") {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64); err == nil {
			return f, nil
		} else if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // Python's float() also gives ±inf or 0 here
		}
	}
	return s, nil
}

var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true,
	"goto": true, "if": true, "import": true, "interface": true, "map": true, "package": true,
	"range": true, "return": true, "select": true, "struct": true, "switch": true, "type": true,
	"var": true,
}

// checkName returns an error unless name can be declared as a Go variable.
func checkName(name string) error {
	bad := name == "" || goKeywords[name]
	for i, r := range name {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("parameter name %q is not a valid Go identifier", name)
	}
	return nil
}

// GoLiteral returns Go source for v (string, int64, int, float64, bool or nil) with the same
// rules as the papermill translator in python/papermill_gohunt: strings as interpreted string
// literals, integers as int, floats as float64 (math.Inf / math.NaN when not finite), nil as
// any(nil).
func GoLiteral(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "any(nil)", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return "math.NaN()", nil
		case math.IsInf(x, 1):
			return "math.Inf(1)", nil
		case math.IsInf(x, -1):
			return "math.Inf(-1)", nil
		}
		return pyFloatRepr(x), nil
	case string:
		return GoString(x), nil
	}
	return "", fmt.Errorf("unsupported parameter type %T", v)
}

// pyFloatRepr formats f as Python's repr does: shortest round-trip digits, always with a '.' or
// an exponent so that Go reads it as a float constant.
func pyFloatRepr(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	exp := 0
	if f != 0 {
		exp = int(math.Floor(math.Log10(math.Abs(f))))
	}
	if exp < -4 || exp >= 16 {
		s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+16, 1.5e-05
		mant, e, _ := strings.Cut(s, "e")
		sign := e[:1]
		digits := strings.TrimLeft(e[1:], "0")
		if len(digits) < 2 {
			digits = fmt.Sprintf("%02s", digits)
		}
		return mant + "e" + sign + digits
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// GoString returns s as a Go interpreted string literal: printable characters as they are;
// quotes, backslashes, control and format characters (U+FEFF among them), separators and
// invalid UTF-8 bytes escaped.
func GoString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		i += size
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		default:
			switch {
			case r >= 0x20 && r < 0x7f:
				b.WriteRune(r)
			case r < 0x80:
				fmt.Fprintf(&b, `\x%02x`, r)
			case unicode.IsPrint(r) && !unicode.In(r, unicode.Cf, unicode.Co):
				b.WriteRune(r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ParametersSource returns the injected cell's source for params, exactly as the papermill
// translator writes it: "// Parameters", an `import "math"` line if a value needs it, then one
// `name := value` line per parameter.
func ParametersSource(params []Param) (string, error) {
	lines := []string{"// Parameters"}
	var decls []string
	needMath := false
	for _, p := range params {
		if err := checkName(p.Name); err != nil {
			return "", err
		}
		lit, err := GoLiteral(p.Value)
		if err != nil {
			return "", fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		if f, ok := p.Value.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			needMath = true
		}
		decls = append(decls, p.Name+" := "+lit)
	}
	if needMath {
		lines = append(lines, `import "math"`)
	}
	return strings.Join(append(lines, decls...), "\n") + "\n", nil
}

// InjectParameters adds a code cell tagged "injected-parameters" holding params, as papermill
// does: it replaces an existing injected-parameters cell, or goes right after the first cell
// tagged "parameters", or, when there is none, first in the notebook (and the returned warning
// says so). A later parameter with the same name replaces an earlier one in place.
func InjectParameters(nb *Notebook, params []Param) (warning string, err error) {
	merged := mergeParams(params)
	src, err := ParametersSource(merged)
	if err != nil {
		return "", err
	}
	cell := &Cell{
		ID:       NewCellID(),
		Type:     "code",
		Metadata: map[string]any{"tags": []any{"injected-parameters"}},
		Source:   src,
		Outputs:  []Output{},
	}
	injected, paramCell := -1, -1
	for i, c := range nb.Cells {
		if injected < 0 && c.HasTag("injected-parameters") {
			injected = i
		}
		if paramCell < 0 && c.HasTag("parameters") {
			paramCell = i
		}
	}
	switch {
	case injected >= 0:
		nb.Cells[injected] = cell
	case paramCell >= 0:
		nb.Cells = append(nb.Cells[:paramCell+1], append([]*Cell{cell}, nb.Cells[paramCell+1:]...)...)
	default:
		nb.Cells = append([]*Cell{cell}, nb.Cells...)
		warning = "the notebook has no cell tagged \"parameters\": parameters injected at the top"
	}
	recordParams(nb, merged)
	return warning, nil
}

// recordParams stores the parameters in the notebook metadata (gohunt.parameters), as papermill
// records its own.
func recordParams(nb *Notebook, merged []Param) {
	values := map[string]any{}
	for _, p := range merged {
		v := p.Value
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			v, _ = GoLiteral(f) // JSON has no NaN or Inf: record the Go expression instead
		}
		values[p.Name] = v
	}
	gh, _ := nb.Metadata["gohunt"].(map[string]any)
	if gh == nil {
		gh = map[string]any{}
	}
	gh["parameters"] = values
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	nb.Metadata["gohunt"] = gh
}

// mergeParams keeps one parameter per name, in first-seen order, with its last value (a later
// -p overrides an earlier one, as in papermill).
func mergeParams(params []Param) []Param {
	merged := []Param{}
	index := map[string]int{}
	for _, p := range params {
		if i, ok := index[p.Name]; ok {
			merged[i].Value = p.Value
			continue
		}
		index[p.Name] = len(merged)
		merged = append(merged, p)
	}
	return merged
}
