package sigma

import (
	"sort"
	"strings"
)

// Matcher tests many atoms' texts (one field's) against that field's values at once and
// remembers which held for some value: equalities by a hash set, prefixes and suffixes by a
// hash set per text length, texts to be contained by an index of 4-byte grams (each text is
// filed under its rarest gram among the texts; a value's grams are looked up through a bit
// filter, and only texts filed under a gram the value has are compared). The cost is about
// linear in the values' text, whatever the number of texts; values are the lower-cased text
// of the field (the atoms' Lit are lower-cased). A Matcher is not safe for concurrent use.
type Matcher struct {
	held           []bool
	left           int
	eq, pre, suf   map[string][]int32
	preLen, sufLen []int
	short          []int32 // contains texts shorter than a gram
	grams          map[uint32][]gramLit
	filter         []uint64 // a bit per gram hash: some text is filed under a gram with it
	bits           int      // log2 of the filter's bits
	lits           []string
}

type gramLit struct {
	atom int32
	off  int32
}

const gramLen = 4

// NewMatcher returns a Matcher of the atoms, of which only Shape and Lit are read; Held(i)
// then refers to atoms[i].
func NewMatcher(atoms []Atom) *Matcher {
	m := &Matcher{held: make([]bool, len(atoms)), left: len(atoms), eq: map[string][]int32{}, pre: map[string][]int32{},
		suf: map[string][]int32{}, grams: map[uint32][]gramLit{}, lits: make([]string, len(atoms))}
	var long []int32
	grams := 0
	preLens, sufLens := map[int]bool{}, map[int]bool{}
	for i, a := range atoms {
		id := int32(i)
		m.lits[i] = a.Lit
		switch a.Shape {
		case AtomEqual:
			m.eq[a.Lit] = append(m.eq[a.Lit], id)
		case AtomPrefix:
			m.pre[a.Lit] = append(m.pre[a.Lit], id)
			preLens[len(a.Lit)] = true
		case AtomSuffix:
			m.suf[a.Lit] = append(m.suf[a.Lit], id)
			sufLens[len(a.Lit)] = true
		default:
			if len(a.Lit) < gramLen {
				m.short = append(m.short, id)
				continue
			}
			long = append(long, id)
			grams += len(a.Lit) - gramLen + 1
		}
	}
	m.preLen, m.sufLen = sortedLens(preLens), sortedLens(sufLens)
	if len(long) == 0 {
		return m
	}
	// How many texts have each gram (by hash: a collision only makes a gram look commoner).
	bits := 6
	for 1<<bits < 2*grams && bits < 16 {
		bits++
	}
	freq := make([]int32, 1<<bits)
	freqOf := func(g uint32) *int32 { return &freq[(g*2654435761)>>(32-bits)] }
	for _, id := range long {
		lit := m.lits[id]
		for j := 0; j+gramLen <= len(lit); j++ {
			*freqOf(gramAt(lit, j))++
		}
	}
	m.bits = 6
	for 1<<m.bits < 16*len(long) && m.bits < 20 {
		m.bits++
	}
	m.filter = make([]uint64, (1<<m.bits+63)/64)
	for _, id := range long {
		lit := m.lits[id]
		best, bestOff := uint32(0), -1
		for j := 0; j+gramLen <= len(lit); j++ {
			if g := gramAt(lit, j); bestOff < 0 || *freqOf(g) < *freqOf(best) {
				best, bestOff = g, j
			}
		}
		m.grams[best] = append(m.grams[best], gramLit{atom: id, off: int32(bestOff)})
		h := m.gramHash(best)
		m.filter[h/64] |= 1 << (h % 64)
	}
	return m
}

func sortedLens(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func gramAt(s string, i int) uint32 {
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// gramHash is a gram's bit in the filter.
func (m *Matcher) gramHash(g uint32) uint32 { return (g * 2654435761) >> (32 - m.bits) }

// Add tests the atoms against one value.
func (m *Matcher) Add(v string) {
	if m.left == 0 {
		return
	}
	m.mark(m.eq[v])
	for _, n := range m.preLen {
		if n > len(v) {
			break
		}
		m.mark(m.pre[v[:n]])
	}
	for _, n := range m.sufLen {
		if n > len(v) {
			break
		}
		m.mark(m.suf[v[len(v)-n:]])
	}
	for _, id := range m.short {
		if !m.held[id] && strings.Contains(v, m.lits[id]) {
			m.mark1(id)
		}
	}
	if len(m.grams) == 0 {
		return
	}
	for i := 0; i+gramLen <= len(v); i++ {
		g := gramAt(v, i)
		if h := m.gramHash(g); m.filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, e := range m.grams[g] {
			if m.held[e.atom] {
				continue
			}
			lit, start := m.lits[e.atom], i-int(e.off)
			if start >= 0 && start+len(lit) <= len(v) && v[start:start+len(lit)] == lit {
				m.mark1(e.atom)
			}
		}
	}
}

func (m *Matcher) mark(ids []int32) {
	for _, id := range ids {
		m.mark1(id)
	}
}

func (m *Matcher) mark1(id int32) {
	if !m.held[id] {
		m.held[id] = true
		m.left--
	}
}

// Held reports whether atom i held for a value added so far.
func (m *Matcher) Held(i int) bool { return m.held[i] }

// Done reports whether every atom held: further values change nothing.
func (m *Matcher) Done() bool { return m.left == 0 }
