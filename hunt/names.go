package hunt

import (
	"github.com/gohunt/gohunt/hunt/internal/near"
	"sort"
	"strconv"
	"strings"
)

// DuckDB resolves identifiers case-insensitively and cannot hold two columns whose names differ
// only by case, while Spark (spark.sql.caseSensitive=true, as the playbooks run it) and the Mordor
// files can (SourceProcessGUID and SourceProcessGuid). A frame's columns therefore have an internal
// identifier (ident) that is unique case-insensitively, and a display name (name) that the user
// sees and types. The ident is the name itself, or, for the second and later names that collide
// with an earlier one, the name + identMark + a number. Decoding cuts at identMark, so every
// DuckDB result column name maps back to its display name without a side table.
const identMark = "\uE000"

// displayName returns the user-visible name of an internal column identifier: the part before
// identMark, with the bytes encodeIdent escaped restored.
func displayName(ident string) string {
	if i := strings.Index(ident, identMark); i >= 0 {
		ident = ident[:i]
	}
	return decodeIdent(ident)
}

// cleanMessage removes internal identifier suffixes from a DuckDB error message.
func cleanMessage(s string) string {
	for {
		i := strings.Index(s, identMark)
		if i < 0 {
			return s
		}
		j := i + len(identMark)
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		s = s[:i] + s[j:]
	}
}

// identAllocator hands out internal identifiers for display names, unique case-insensitively.
type identAllocator struct {
	used map[string]bool // lower-cased idents in use
}

func newIdentAllocator() *identAllocator { return &identAllocator{used: map[string]bool{}} }

// reserve marks an existing ident as used.
func (a *identAllocator) reserve(ident string) { a.used[strings.ToLower(ident)] = true }

// ident returns a fresh identifier for name (encoded by encodeIdent, so that any name, even one
// holding NUL or bytes that are not UTF-8, is a valid DuckDB identifier).
func (a *identAllocator) ident(name string) string {
	if enc := encodeIdent(name); !a.used[strings.ToLower(enc)] && !strings.Contains(name, identMark) {
		a.reserve(enc)
		return enc
	}
	base := encodeIdent(strings.ReplaceAll(name, identMark, ""))
	for n := 1; ; n++ {
		id := base + identMark + strconv.Itoa(n)
		if !a.used[strings.ToLower(id)] {
			a.reserve(id)
			return id
		}
	}
}

// nearNames lists up to five names close to want: same name in another case first, then by edit
// distance, then by shared prefix.
func nearNames(want string, names []string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	lw := strings.ToLower(want)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		ln := strings.ToLower(n)
		d := near.Distance(lw, ln)
		switch {
		case ln == lw:
			d = 0
		case strings.Contains(ln, lw) || strings.Contains(lw, ln):
			d = min(d, 2)
		}
		if d <= max(2, len(want)/3) {
			cs = append(cs, cand{n, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < 5; i++ {
		out = append(out, cs[i].name)
	}
	return out
}
