package sigma

import (
	"fmt"
	"github.com/gohunt/gohunt/hunt/internal/near"
	"path"
	"sort"
	"strings"
	"unicode"
)

// condToken is one token of a condition: a word (identifier, keyword or pattern) or a
// parenthesis; col is its 1-based column in the condition text.
type condToken struct {
	text string
	col  int
}

func lexCondition(s string) ([]condToken, error) {
	var out []condToken
	rs := []rune(s)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')':
			out = append(out, condToken{string(c), i + 1})
			i++
		case c == '_' || c == '*' || c == '-' || c == '.' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(rs) && (rs[j] == '_' || rs[j] == '*' || rs[j] == '-' || rs[j] == '.' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
			out = append(out, condToken{string(rs[i:j]), i + 1})
			i = j
		case c == '|':
			return nil, fmt.Errorf("column %d: aggregations in the condition (\"| count() ...\") are Sigma v1 and not supported; use a correlation rule", i+1)
		default:
			return nil, fmt.Errorf("column %d: unexpected character %q", i+1, c)
		}
	}
	return out, nil
}

// condParser parses a condition against the rule's search identifiers.
type condParser struct {
	toks []condToken
	pos  int
	ids  map[string]Node
	used map[string]bool
}

// parseCondition compiles a condition string: and, or, not (not binds tighter than and, and
// tighter than or), parentheses, search identifiers, "1 of X", "all of X" (X a name or a
// pattern with *), "1 of them" and "all of them".
func parseCondition(s string, ids map[string]Node) (Node, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	p := &condParser{toks: toks, ids: ids, used: map[string]bool{}}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		return nil, fmt.Errorf("column %d: unexpected %q", t.col, t.text)
	}
	return n, nil
}

func (p *condParser) peek() (condToken, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return condToken{}, false
}

func (p *condParser) is(word string) bool {
	t, ok := p.peek()
	return ok && strings.EqualFold(t.text, word)
}

func (p *condParser) or() (Node, error) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	args := []Node{n}
	for p.is("or") {
		p.pos++
		m, err := p.and()
		if err != nil {
			return nil, err
		}
		args = append(args, m)
	}
	return or(args...), nil
}

func (p *condParser) and() (Node, error) {
	n, err := p.not()
	if err != nil {
		return nil, err
	}
	args := []Node{n}
	for p.is("and") {
		p.pos++
		m, err := p.not()
		if err != nil {
			return nil, err
		}
		args = append(args, m)
	}
	return and(args...), nil
}

func (p *condParser) not() (Node, error) {
	if p.is("not") {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return negate(n), nil
	}
	return p.primary()
}

func negate(n Node) Node {
	switch x := n.(type) {
	case Const:
		return !x
	case Not:
		return x.Arg
	}
	return Not{n}
}

func (p *condParser) primary() (Node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("condition ends where an identifier or ( is expected")
	}
	switch strings.ToLower(t.text) {
	case "(":
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.is(")") {
			return nil, fmt.Errorf("column %d: missing )", t.col)
		}
		p.pos++
		return n, nil
	case ")", "and", "or", "of", "them":
		return nil, fmt.Errorf("column %d: unexpected %q", t.col, t.text)
	case "1", "any", "all":
		if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1].text, "of") {
			return p.quantified()
		}
	}
	p.pos++
	n, ok := p.ids[t.text]
	if !ok {
		return nil, fmt.Errorf("column %d: %q is not a search identifier of the detection%s", t.col, t.text, didYouMean(t.text, p.ids))
	}
	p.used[t.text] = true
	return n, nil
}

func (p *condParser) quantified() (Node, error) {
	q := p.toks[p.pos]
	p.pos += 2
	t, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("column %d: %q needs an identifier, a pattern or them", q.col, q.text+" of")
	}
	p.pos++
	var names []string
	for name := range p.ids {
		if t.text == "them" || globMatch(t.text, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("column %d: %q matches no search identifier%s", t.col, t.text, didYouMean(t.text, p.ids))
	}
	sort.Strings(names)
	var args []Node
	for _, name := range names {
		p.used[name] = true
		args = append(args, p.ids[name])
	}
	if strings.EqualFold(q.text, "all") {
		return and(args...), nil
	}
	return or(args...), nil
}

// globMatch matches an identifier pattern where * is any run of characters.
func globMatch(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	// path.Match treats only * ? [ specially; identifiers hold none but *, and no '/'.
	ok, err := path.Match(strings.NewReplacer("?", `\?`, "[", `\[`).Replace(pattern), name)
	return err == nil && ok
}

// didYouMean names the closest identifier, when one is close.
func didYouMean(s string, ids map[string]Node) string {
	names := make([]string, 0, len(ids))
	for n := range ids {
		names = append(names, n)
	}
	if c := closest(s, names); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// closest returns the candidate nearest to s by edit distance, or "" when none is within a third
// of the length.
func closest(s string, candidates []string) string {
	sort.Strings(candidates)
	best, bestD := "", len(s)/3+1
	for _, c := range candidates {
		if d := near.Distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
