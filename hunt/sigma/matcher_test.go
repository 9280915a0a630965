package sigma

import (
	"strings"
	"testing"
)

// naiveHolds is the meaning of an atom over one lower-cased value.
func naiveHolds(a Atom, v string) bool {
	switch a.Shape {
	case AtomEqual:
		return v == a.Lit
	case AtomPrefix:
		return strings.HasPrefix(v, a.Lit)
	case AtomSuffix:
		return strings.HasSuffix(v, a.Lit)
	}
	return strings.Contains(v, a.Lit)
}

// checkMatcher compares a Matcher of atoms fed values with each atom's meaning.
func checkMatcher(t *testing.T, atoms []Atom, values []string) {
	t.Helper()
	m := NewMatcher(atoms)
	for _, v := range values {
		m.Add(v)
	}
	all := true
	for i, a := range atoms {
		want := false
		for _, v := range values {
			want = want || naiveHolds(a, v)
		}
		all = all && want
		if got := m.Held(i); got != want {
			t.Errorf("atom %d %+v over %q: held %v, want %v", i, a, values, got, want)
		}
	}
	if m.Done() != all {
		t.Errorf("Done() = %v, want %v", m.Done(), all)
	}
}

// TestMatcher checks each shape of atom against values where it holds and where it nearly
// does: texts at the value's start, end and middle, shorter and longer than a gram, texts
// sharing grams, regular-expression and SQL special characters (taken literally), texts
// longer than the value, the empty text, and several atoms with one text.
func TestMatcher(t *testing.T) {
	atoms := []Atom{
		{Shape: AtomEqual, Lit: `c:\windows\system32\cmd.exe`},
		{Shape: AtomEqual, Lit: `cmd.exe`},
		{Shape: AtomPrefix, Lit: `c:\windows\`},
		{Shape: AtomPrefix, Lit: `d:\`},
		{Shape: AtomSuffix, Lit: `\cmd.exe`},
		{Shape: AtomSuffix, Lit: `\cmd.ex`},
		{Shape: AtomContains, Lit: `system32`},
		{Shape: AtomContains, Lit: `.exe`},
		{Shape: AtomContains, Lit: `a.c`},   // '.' literally
		{Shape: AtomContains, Lit: `x*y`},   // '*' literally
		{Shape: AtomContains, Lit: `f(x)`},  // parentheses
		{Shape: AtomContains, Lit: `a|b`},   // alternation bar
		{Shape: AtomContains, Lit: `\\srv`}, // backslashes
		{Shape: AtomContains, Lit: `'; --`}, // SQL quote
		{Shape: AtomContains, Lit: `%_`},    // LIKE wildcards
		{Shape: AtomContains, Lit: `[0-9]+`},
		{Shape: AtomContains, Lit: `ab`},   // shorter than a gram
		{Shape: AtomContains, Lit: `zz`},   // shorter than a gram, absent
		{Shape: AtomContains, Lit: `abcd`}, // exactly a gram
		{Shape: AtomContains, Lit: `bcde`}, // shares a gram with the next
		{Shape: AtomContains, Lit: `bcdf`},
		{Shape: AtomContains, Lit: `longer than every value of the field at all`},
		{Shape: AtomContains, Lit: ``},
		{Shape: AtomPrefix, Lit: ``},
		{Shape: AtomContains, Lit: `system32`}, // same text twice
		{Shape: AtomContains, Lit: `ünï`},      // non-ASCII
		{Shape: AtomSuffix, Lit: `.exe`},
	}
	checkMatcher(t, atoms, []string{`c:\windows\system32\cmd.exe`})
	checkMatcher(t, atoms, []string{`c:\windows\system32\cmd.exe`, `abcde`, `f(x) and a|b`, `\\srv\share`, `unï ünï`})
	checkMatcher(t, atoms, []string{`a.c x*y`, `'; --`, `%_`, `[0-9]+`, `d:\x`, `\cmd.ex`})
	checkMatcher(t, atoms, []string{`abc`, `axc x.y f x a b`, `Cmd.exe`, `c:\windowscmd.exe`, `bcdfbcd`})
	checkMatcher(t, atoms, []string{``})
	checkMatcher(t, atoms, nil)
	checkMatcher(t, nil, []string{"x"})
}

// FuzzMatcher compares a Matcher with each atom's meaning on arbitrary texts and values.
func FuzzMatcher(f *testing.F) {
	f.Add("abcd", "xabcdy", uint8(3))
	f.Add(`\cmd.exe`, `c:\cmd.exe`, uint8(2))
	f.Add("a.c|x", "a.c|xa.c|x", uint8(7))
	f.Add("", "", uint8(0))
	f.Fuzz(func(t *testing.T, lits, value string, shapes uint8) {
		var atoms []Atom
		for i, l := range strings.Split(lits, "|") {
			atoms = append(atoms, Atom{Shape: int(shapes>>(2*(i%4))) & 3, Lit: l})
		}
		checkMatcher(t, atoms, strings.Split(value, "\n"))
	})
}
