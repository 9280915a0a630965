package sigma

import "strings"

// Atom is one test of a necessary condition: the lower-cased text of Field equals Lit (Shape
// AtomEqual), starts with it, ends with it or contains it. Lit is lower-cased (strings.ToLower).
type Atom struct {
	Field string
	Shape int
	Lit   string
}

// Shapes of an Atom.
const (
	AtomEqual    = shapeEqual
	AtomPrefix   = shapePrefix
	AtomSuffix   = shapeSuffix
	AtomContains = shapeContains
)

// Necessary returns a necessary condition of n as a disjunction of atoms: an event n matches
// meets at least one of them (over the lower-cased text of the atom's field). ok is false when
// no such condition is known (n reads keywords, regular expressions, negations, ...); ok with
// no atoms means n never matches. An engine can test the atoms of many rules against the
// distinct values of the events' fields at once and leave out the rules none of whose atoms
// holds for any event.
//
// A case-insensitive match is its atom exactly (both sides lower-cased as the SQL renderer
// does); a |cased match implies its lower-cased atom when its text is ASCII (lower-casing then
// maps each character of the match to the atom's); a pattern with inner wildcards implies that
// its longest literal run is contained. An AND takes the necessary condition of one argument
// (the one with the fewest atoms, then the longest shortest text), an OR the union of its
// arguments'.
//
// usable, when not nil, says which atoms the caller can test cheaply; a match whose atom is
// not usable has no known necessary condition.
func Necessary(n Node, usable func(Atom) bool) (atoms []Atom, ok bool) {
	switch x := n.(type) {
	case Const:
		if x {
			return nil, false
		}
		return nil, true
	case Str:
		as, ok := strAtom(x)
		if ok && usable != nil && !usable(as[0]) {
			return nil, false
		}
		return as, ok
	case And:
		var best []Atom
		found := false
		for _, a := range x.Args {
			as, ok := Necessary(a, usable)
			if !ok {
				continue
			}
			if !found || better(as, best) {
				best, found = as, true
			}
		}
		return best, found
	case Or:
		var out []Atom
		for _, a := range x.Args {
			as, ok := Necessary(a, usable)
			if !ok {
				return nil, false
			}
			out = append(out, as...)
		}
		return out, true
	}
	return nil, false
}

// better reports whether atoms a make a more selective necessary condition than b: fewer atoms,
// then a longer shortest text.
func better(a, b []Atom) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return shortest(a) > shortest(b)
}

func shortest(as []Atom) int {
	m := -1
	for _, a := range as {
		if m < 0 || len(a.Lit) < m {
			m = len(a.Lit)
		}
	}
	return m
}

// strAtom returns the atom a field's string match implies.
func strAtom(x Str) ([]Atom, bool) {
	if x.Field == "" {
		return nil, false // keyword search: any field, not tested
	}
	if x.Cased && !ascii(x.Pat) {
		return nil, false
	}
	lower := x
	lower.Cased = false
	if shape, s, ok := plainShape(lower); ok {
		return []Atom{{Field: x.Field, Shape: shape, Lit: s}}, true
	}
	// Inner wildcards: the longest literal run is contained.
	run, best := "", ""
	for _, p := range append(x.Pat, Part{Wild: '*'}) {
		if p.Wild != 0 {
			if len(run) > len(best) {
				best = run
			}
			run = ""
			continue
		}
		run += p.Lit
	}
	if best == "" {
		return nil, false
	}
	return []Atom{{Field: x.Field, Shape: AtomContains, Lit: strings.ToLower(best)}}, true
}

// ascii reports whether the pattern's text is ASCII.
func ascii(p Pattern) bool {
	for _, part := range p {
		for _, c := range part.Lit {
			if c >= 0x80 {
				return false
			}
		}
	}
	return true
}
