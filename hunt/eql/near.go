package eql

import (
	"github.com/gohunt/gohunt/hunt/internal/near"
	"sort"
	"strings"
)

// nearNames returns up to three names close to name (edit distance, ignoring case), closest first.
func nearNames(name string, names []string) []string {
	type cand struct {
		s string
		d int
	}
	var cs []cand
	ln := strings.ToLower(name)
	for _, n := range names {
		l := strings.ToLower(n)
		d := near.Distance(ln, l)
		if l == ln || d <= 2+len(name)/4 || (len(ln) > 2 && strings.Contains(l, ln)) {
			cs = append(cs, cand{n, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].s)
	}
	return out
}

func didYouMean(name string, names []string) string {
	n := nearNames(name, names)
	if len(n) == 0 {
		return ""
	}
	q := make([]string, len(n))
	for i, s := range n {
		q[i] = `"` + s + `"`
	}
	return "; did you mean " + strings.Join(q, ", ") + "?"
}
