package eql

import (
	"sort"
	"strings"
)

// near returns up to three names close to name (edit distance, ignoring case), closest first.
func near(name string, names []string) []string {
	type cand struct {
		s string
		d int
	}
	var cs []cand
	ln := strings.ToLower(name)
	for _, n := range names {
		l := strings.ToLower(n)
		d := editDistance(ln, l)
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

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func didYouMean(name string, names []string) string {
	n := near(name, names)
	if len(n) == 0 {
		return ""
	}
	q := make([]string, len(n))
	for i, s := range n {
		q[i] = `"` + s + `"`
	}
	return "; did you mean " + strings.Join(q, ", ") + "?"
}
