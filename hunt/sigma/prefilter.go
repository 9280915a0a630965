package sigma

import "strings"

// Atom is a test that a field's string match implies: the lower-cased text of Field equals Lit
// (Shape AtomEqual), starts with it, ends with it or contains it. Lit is lower-cased
// (strings.ToLower).
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

// Atoms calls fn with the atom of every field match in n that implies one and that Possible
// asks about (not those under a negation), in the order they appear; an atom is passed as
// often as it appears.
func Atoms(n Node, fn func(Atom)) {
	switch x := n.(type) {
	case Str:
		if a, ok := strAtom(x); ok {
			fn(a)
		}
	case And:
		for _, a := range x.Args {
			Atoms(a, fn)
		}
	case Or:
		for _, a := range x.Args {
			Atoms(a, fn)
		}
	}
}

// Possible reports whether some event may meet n, knowing which atoms hold for no event:
// holds(a) is false when no event has a value of a.Field whose lower-cased text meets a, true
// when some event has one or when that is not known. A field match whose atom holds for no
// event is false for every event, so an AND with such an argument is, and an OR all of whose
// arguments are; a rule whose detection is not Possible matches no event and need not run.
// Everything else (negations, keywords, regular expressions, exists, field references,
// comparisons, matches without an atom) may hold.
//
// A case-insensitive match implies its atom exactly (both sides lower-cased as the SQL
// renderer does); a |cased match implies its lower-cased atom when its text is ASCII
// (lower-casing then maps each character of the match to the atom's); a pattern with inner
// wildcards implies that its longest literal run is contained. A keyword, non-ASCII |cased
// text and a pattern without text imply no atom.
func Possible(n Node, holds func(Atom) bool) bool {
	switch x := n.(type) {
	case Const:
		return bool(x)
	case Str:
		a, ok := strAtom(x)
		return !ok || holds(a)
	case And:
		for _, a := range x.Args {
			if !Possible(a, holds) {
				return false
			}
		}
		return true
	case Or:
		for _, a := range x.Args {
			if Possible(a, holds) {
				return true
			}
		}
		return false
	}
	return true
}

// strAtom returns the atom a field's string match implies.
func strAtom(x Str) (Atom, bool) {
	if x.Field == "" {
		return Atom{}, false // keyword search: any field, not tested
	}
	if x.Cased && !ascii(x.Pat) {
		return Atom{}, false
	}
	lower := x
	lower.Cased = false
	if shape, s, ok := plainShape(lower); ok {
		return Atom{Field: x.Field, Shape: shape, Lit: s}, true
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
		return Atom{}, false
	}
	return Atom{Field: x.Field, Shape: AtomContains, Lit: strings.ToLower(best)}, true
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
