package eql

import (
	"strconv"
	"strings"
	"time"
)

// Expr is a node of a condition.
type Expr interface{ Pos() int }

// Field is a field reference; Optional when written ?name.
type Field struct {
	Name     string
	Optional bool
	At       int
}

// Lit is a literal: string, int64, float64, bool, or nil for null.
type Lit struct {
	Val any
	At  int
}

// Binary is `L Op R` for and, or, ==, !=, <, <=, >, >=, :, + - * / %.
type Binary struct {
	Op   string
	L, R Expr
	At   int
}

// Not is `not X`.
type Not struct {
	X  Expr
	At int
}

// Lookup is `X in (...)`, `X like (...)`, `X regex (...)` or `X : (...)` (a one-element list for a
// single pattern), with Insensitive for the ~ forms and Negate for `not in`.
type Lookup struct {
	Op          string // "in", "like", "regex", ":"
	Insensitive bool
	Negate      bool
	X           Expr
	List        []Expr
	At          int
}

// Call is a function call; Insensitive for name~(...).
type Call struct {
	Name        string
	Insensitive bool
	Args        []Expr
	At          int
}

func (e *Field) Pos() int  { return e.At }
func (e *Lit) Pos() int    { return e.At }
func (e *Binary) Pos() int { return e.At }
func (e *Not) Pos() int    { return e.At }
func (e *Lookup) Pos() int { return e.At }
func (e *Call) Pos() int   { return e.At }

// EventQuery is `category where cond` (Category "any" for any event).
type EventQuery struct {
	Category string
	CatAt    int
	Cond     Expr
}

// Step is one bracketed query of a sequence with its own `by` fields.
type Step struct {
	Query EventQuery
	By    []*Field
	At    int
}

// Sequence is `sequence [by ...] [with maxspan=...] [step]... [until [step]]`.
type Sequence struct {
	By      []*Field
	MaxSpan time.Duration // 0: none
	Steps   []Step
	Until   *Step
}

// Pipe is `| head N` or `| tail N`.
type Pipe struct {
	Name string
	N    int64
	At   int
}

// Query is a parsed EQL query: an event query or a sequence, then pipes.
type Query struct {
	Src      string
	Event    *EventQuery
	Sequence *Sequence
	Pipes    []Pipe
}

type parser struct {
	src  string
	toks []token
	i    int
}

// Parse parses an EQL query. Errors are *Error with the line and column.
func Parse(src string) (*Query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	q := &Query{Src: src}
	if p.peek().kind == tEOF {
		return nil, errAt(src, 0, "empty query")
	}
	if p.isKw("sequence") {
		s, err := p.sequence()
		if err != nil {
			return nil, err
		}
		q.Sequence = s
	} else {
		e, err := p.eventQuery()
		if err != nil {
			return nil, err
		}
		q.Event = e
	}
	for p.isOp("|") {
		p.next()
		t := p.next()
		if t.kind != tIdent || (t.text != "head" && t.text != "tail") {
			return nil, errAt(src, t.pos, "expected pipe head or tail, found %s", describe(t))
		}
		n := p.next()
		if n.kind != tNumber {
			return nil, errAt(src, n.pos, "%s needs a number of results, found %s", t.text, describe(n))
		}
		v, err := strconv.ParseInt(n.raw, 10, 64)
		if err != nil || v < 0 {
			return nil, errAt(src, n.pos, "%s needs a non-negative whole number, found %s", t.text, n.raw)
		}
		q.Pipes = append(q.Pipes, Pipe{Name: t.text, N: v, At: t.pos})
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(src, t.pos, "unexpected %s", describe(t))
	}
	return q, nil
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tString:
		return strconv.Quote(t.text)
	case tField:
		return "`" + t.text + "`"
	case tNumber:
		return t.raw
	}
	return strconv.Quote(t.text)
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *parser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == kw
}
func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}
func (p *parser) expectOp(op string) (token, error) {
	t := p.next()
	if t.kind != tOp || t.text != op {
		return t, errAt(p.src, t.pos, "expected %q, found %s", op, describe(t))
	}
	return t, nil
}
func (p *parser) expectKw(kw string) error {
	t := p.next()
	if t.kind != tIdent || t.text != kw {
		return errAt(p.src, t.pos, "expected %q, found %s", kw, describe(t))
	}
	return nil
}

func (p *parser) eventQuery() (*EventQuery, error) {
	t := p.next()
	if t.kind != tIdent && t.kind != tString {
		return nil, errAt(p.src, t.pos, "expected an event category (or any) before where, found %s", describe(t))
	}
	if t.kind == tIdent && keywords[t.text] {
		return nil, errAt(p.src, t.pos, "expected an event category (or any) before where, found keyword %q", t.text)
	}
	if err := p.expectKw("where"); err != nil {
		return nil, err
	}
	cond, err := p.expr()
	if err != nil {
		return nil, err
	}
	return &EventQuery{Category: t.text, CatAt: t.pos, Cond: cond}, nil
}

var keywords = map[string]bool{"where": true, "and": true, "or": true, "not": true, "in": true, "like": true,
	"regex": true, "sequence": true, "by": true, "with": true, "until": true, "true": true, "false": true,
	"null": true, "join": true, "sample": true}

func (p *parser) sequence() (*Sequence, error) {
	p.next() // sequence
	s := &Sequence{}
	if p.isKw("by") {
		p.next()
		by, err := p.fieldList()
		if err != nil {
			return nil, err
		}
		s.By = by
	}
	if p.isKw("with") {
		p.next()
		t := p.next()
		if t.kind != tIdent || t.text != "maxspan" {
			return nil, errAt(p.src, t.pos, "expected maxspan after with, found %s", describe(t))
		}
		if _, err := p.expectOp("="); err != nil {
			return nil, err
		}
		d, err := p.duration()
		if err != nil {
			return nil, err
		}
		s.MaxSpan = d
	}
	for p.isOp("[") {
		st, err := p.step()
		if err != nil {
			return nil, err
		}
		s.Steps = append(s.Steps, *st)
	}
	if len(s.Steps) < 2 {
		t := p.peek()
		return nil, errAt(p.src, t.pos, "a sequence needs at least two [queries], found %s", describe(t))
	}
	if p.isKw("until") {
		p.next()
		if !p.isOp("[") {
			t := p.peek()
			return nil, errAt(p.src, t.pos, "expected [query] after until, found %s", describe(t))
		}
		st, err := p.step()
		if err != nil {
			return nil, err
		}
		s.Until = st
	}
	n := len(s.Steps[0].By)
	for _, st := range append(append([]Step(nil), s.Steps...), untilSteps(s.Until)...) {
		if len(st.By) != n {
			return nil, errAt(p.src, st.At, "every step of a sequence needs the same number of by fields (the first has %d, this one %d)", n, len(st.By))
		}
	}
	return s, nil
}

func untilSteps(u *Step) []Step {
	if u == nil {
		return nil
	}
	return []Step{*u}
}

func (p *parser) step() (*Step, error) {
	open, _ := p.expectOp("[")
	q, err := p.eventQuery()
	if err != nil {
		return nil, err
	}
	if _, err := p.expectOp("]"); err != nil {
		return nil, err
	}
	st := &Step{Query: *q, At: open.pos}
	if p.isKw("by") {
		p.next()
		by, err := p.fieldList()
		if err != nil {
			return nil, err
		}
		st.By = by
	}
	return st, nil
}

func (p *parser) fieldList() ([]*Field, error) {
	var out []*Field
	for {
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if !p.isOp(",") {
			return out, nil
		}
		p.next()
	}
}

func (p *parser) field() (*Field, error) {
	opt := false
	start := p.peek().pos
	if p.isOp("?") {
		p.next()
		opt = true
	}
	t := p.next()
	if t.kind == tField || (t.kind == tIdent && !keywords[t.text]) {
		return &Field{Name: t.text, Optional: opt, At: start}, nil
	}
	return nil, errAt(p.src, t.pos, "expected a field name, found %s", describe(t))
}

func (p *parser) duration() (time.Duration, error) {
	t := p.next()
	if t.kind != tNumber {
		return 0, errAt(p.src, t.pos, "expected a duration such as 30s, found %s", describe(t))
	}
	n, err := strconv.ParseInt(t.raw, 10, 64)
	if err != nil || n < 0 {
		return 0, errAt(p.src, t.pos, "maxspan needs a non-negative whole number, found %s", t.raw)
	}
	u := p.peek()
	unit := time.Duration(0)
	if u.kind == tIdent && u.pos == t.pos+len(t.raw) {
		switch u.text {
		case "ms":
			unit = time.Millisecond
		case "s":
			unit = time.Second
		case "m":
			unit = time.Minute
		case "h":
			unit = time.Hour
		case "d":
			unit = 24 * time.Hour
		}
	}
	if unit == 0 {
		return 0, errAt(p.src, t.pos, "maxspan needs a unit: ms, s, m, h or d (as in %s%s)", t.raw, "s")
	}
	p.next()
	return time.Duration(n) * unit, nil
}

// expr: or-expression, the lowest precedence.
func (p *parser) expr() (Expr, error) {
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isKw("or") {
		t := p.next()
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: "or", L: l, R: r, At: t.pos}
	}
	return l, nil
}

func (p *parser) andExpr() (Expr, error) {
	l, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	for p.isKw("and") {
		t := p.next()
		r, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: "and", L: l, R: r, At: t.pos}
	}
	return l, nil
}

func (p *parser) notExpr() (Expr, error) {
	if p.isKw("not") {
		t := p.next()
		x, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &Not{X: x, At: t.pos}, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tOp && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.next()
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		return &Binary{Op: t.text, L: l, R: r, At: t.pos}, nil
	case t.kind == tOp && t.text == "=":
		return nil, errAt(p.src, t.pos, "use == to compare (= is not an operator)")
	case t.kind == tOp && t.text == ":":
		p.next()
		list, err := p.listOrOne()
		if err != nil {
			return nil, err
		}
		return &Lookup{Op: ":", Insensitive: true, X: l, List: list, At: t.pos}, nil
	case t.kind == tIdent && (t.text == "in" || t.text == "like" || t.text == "regex"):
		return p.lookup(l, false, t.pos)
	case t.kind == tIdent && t.text == "not" && p.peekAt(1).kind == tIdent && p.peekAt(1).text == "in":
		p.next()
		return p.lookup(l, true, t.pos)
	}
	return l, nil
}

func (p *parser) lookup(x Expr, negate bool, at int) (Expr, error) {
	t := p.next()
	ins := false
	if p.isOp("~") && p.peek().pos == t.pos+len(t.text) {
		p.next()
		ins = true
	}
	var list []Expr
	var err error
	if t.text == "in" {
		if !p.isOp("(") {
			n := p.peek()
			return nil, errAt(p.src, n.pos, "in needs a list in parentheses, found %s", describe(n))
		}
		list, err = p.listOrOne()
	} else {
		list, err = p.listOrOne()
	}
	if err != nil {
		return nil, err
	}
	return &Lookup{Op: t.text, Insensitive: ins, Negate: negate, X: x, List: list, At: at}, nil
}

// listOrOne reads `(a, b, ...)` or a single operand.
func (p *parser) listOrOne() ([]Expr, error) {
	if !p.isOp("(") {
		e, err := p.additive()
		if err != nil {
			return nil, err
		}
		return []Expr{e}, nil
	}
	p.next()
	var list []Expr
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if p.isOp(",") {
			p.next()
			continue
		}
		if _, err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return list, nil
	}
}

func (p *parser) additive() (Expr, error) {
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		t := p.next()
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: t.text, L: l, R: r, At: t.pos}
	}
	return l, nil
}

func (p *parser) multiplicative() (Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		t := p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: t.text, L: l, R: r, At: t.pos}
	}
	return l, nil
}

func (p *parser) unary() (Expr, error) {
	if p.isOp("-") {
		t := p.next()
		n := p.peek()
		if n.kind == tNumber && n.pos == t.pos+1 {
			p.next()
			return p.number(n, true)
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Binary{Op: "-", L: &Lit{Val: int64(0), At: t.pos}, R: x, At: t.pos}, nil
	}
	return p.primary()
}

func (p *parser) number(t token, neg bool) (Expr, error) {
	s := t.raw
	if neg {
		s = "-" + s
	}
	if !strings.ContainsAny(s, ".eE") {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return &Lit{Val: v, At: t.pos}, nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, errAt(p.src, t.pos, "bad number %s", t.raw)
	}
	return &Lit{Val: v, At: t.pos}, nil
}

func (p *parser) primary() (Expr, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.next()
		return &Lit{Val: t.text, At: t.pos}, nil
	case tNumber:
		p.next()
		return p.number(t, false)
	case tField:
		p.next()
		return &Field{Name: t.text, At: t.pos}, nil
	case tOp:
		switch t.text {
		case "(":
			p.next()
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return e, nil
		case "?":
			return p.field()
		}
	case tIdent:
		switch t.text {
		case "true", "false":
			p.next()
			return &Lit{Val: t.text == "true", At: t.pos}, nil
		case "null":
			p.next()
			return &Lit{Val: nil, At: t.pos}, nil
		}
		if keywords[t.text] {
			return nil, errAt(p.src, t.pos, "expected a value, found keyword %q", t.text)
		}
		p.next()
		// function call: name( or name~(
		ins := false
		if p.isOp("~") && p.peek().pos == t.pos+len(t.text) && p.peekAt(1).kind == tOp && p.peekAt(1).text == "(" {
			p.next()
			ins = true
		}
		if p.isOp("(") && (ins || p.peek().pos == t.pos+len(t.text)) {
			p.next()
			var args []Expr
			if !p.isOp(")") {
				for {
					a, err := p.expr()
					if err != nil {
						return nil, err
					}
					args = append(args, a)
					if p.isOp(",") {
						p.next()
						continue
					}
					break
				}
			}
			if _, err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return &Call{Name: t.text, Insensitive: ins, Args: args, At: t.pos}, nil
		}
		return &Field{Name: t.text, At: t.pos}, nil
	}
	return nil, errAt(p.src, t.pos, "expected a value, found %s", describe(t))
}
