package sigma

// Node is a compiled Sigma condition: a tree of And, Or, Not, Const and leaf matches. Leaves
// name Sigma fields (after the rule's own names, before any log source field mapping); the
// renderers (SQL, Elasticsearch) map them to columns.
type Node interface{ node() }

// And is true when every argument is.
type And struct{ Args []Node }

// Or is true when any argument is.
type Or struct{ Args []Node }

// Not negates its argument. A leaf over a field the event does not have is false, so Not of it
// is true (Sigma's two-valued logic, not SQL's three-valued one).
type Not struct{ Arg Node }

// Const is a condition that is always true or always false (an empty AND or OR).
type Const bool

// Str matches a field's value, as text, against a pattern with wildcards. Case-insensitive
// unless Cased. Field "" is a keyword: any field of the event may match.
type Str struct {
	Field string
	Pat   Pattern
	Cased bool
}

// Regex matches a field's value against a regular expression (RE2 syntax), anywhere in the
// value, with the flags i, m, s.
type Regex struct {
	Field string
	Expr  string
	Flags string
}

// Null matches events where the field is absent or null.
type Null struct{ Field string }

// Exists matches events that have the field (Want) or do not have it (!Want).
type Exists struct {
	Field string
	Want  bool
}

// FieldRef matches when Field equals (or starts with, ends with, contains) the value of Other,
// case-insensitively.
type FieldRef struct {
	Field, Other   string
	Prefix, Suffix bool // startswith: Prefix; endswith: Suffix; contains: both
	Cased          bool
}

// Compare matches a field's numeric value against a number: Op is one of < <= > >=.
type Compare struct {
	Field string
	Op    string
	Num   float64
}

func (And) node()      {}
func (Or) node()       {}
func (Not) node()      {}
func (Const) node()    {}
func (Str) node()      {}
func (Regex) node()    {}
func (Null) node()     {}
func (Exists) node()   {}
func (FieldRef) node() {}
func (Compare) node()  {}

// and builds a conjunction, flattening nested Ands and dropping true constants.
func and(args ...Node) Node {
	var out []Node
	for _, a := range args {
		switch x := a.(type) {
		case And:
			out = append(out, x.Args...)
		case Const:
			if !x {
				return Const(false)
			}
		default:
			out = append(out, a)
		}
	}
	switch len(out) {
	case 0:
		return Const(true)
	case 1:
		return out[0]
	}
	return And{out}
}

// or builds a disjunction, flattening nested Ors and dropping false constants.
func or(args ...Node) Node {
	var out []Node
	for _, a := range args {
		switch x := a.(type) {
		case Or:
			out = append(out, x.Args...)
		case Const:
			if x {
				return Const(true)
			}
		default:
			out = append(out, a)
		}
	}
	switch len(out) {
	case 0:
		return Const(false)
	case 1:
		return out[0]
	}
	return Or{out}
}

// Fields lists the fields a condition reads, each once, in order of first use; "" (keyword
// search) is left out.
func Fields(n Node) []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	var walk func(Node)
	walk = func(n Node) {
		switch x := n.(type) {
		case And:
			for _, a := range x.Args {
				walk(a)
			}
		case Or:
			for _, a := range x.Args {
				walk(a)
			}
		case Not:
			walk(x.Arg)
		case Str:
			add(x.Field)
		case Regex:
			add(x.Field)
		case Null:
			add(x.Field)
		case Exists:
			add(x.Field)
		case FieldRef:
			add(x.Field)
			add(x.Other)
		case Compare:
			add(x.Field)
		}
	}
	walk(n)
	return out
}
