package hunt

import (
	"fmt"
	"regexp"
	"strings"
)

// motifTerm is one "(a)-[e]->(b)" of a motif pattern.
var motifTerm = regexp.MustCompile(`^\(\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\)\s*-\s*\[\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\]\s*->\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\)$`)

// Motif finds the structural pattern, written as GraphFrames writes it: terms "(a)-[e]->(b)"
// separated by ";", where a vertex name used twice is the same vertex and an empty name "()" or
// "[]" matches anything and is not returned. The result has one column per named vertex (its id,
// in order of first appearance), then for each named edge e the columns e_count, e_first and
// e_last. Example: two hops with the second after the first,
//
//	g.Motif("(a)-[e1]->(b); (b)-[e2]->(c)").Where(hunt.Col("e2_last").Gt(hunt.Col("e1_first")))
//
// Vertices with different names may be the same vertex, as in GraphFrames; filter with Where to
// exclude that. A pattern that does not parse gives a frame carrying an error naming the term.
func (g *Graph) Motif(pattern string) *Frame {
	if g.edges.err != nil {
		return g.edges
	}
	fail := func(format string, args ...any) *Frame {
		return errFrame(g.edges.eng, errorf("hunt: Motif: "+format, args...))
	}
	terms := strings.Split(pattern, ";")
	vertex := map[string]string{} // name -> SQL of its first occurrence
	edgeNames := map[string]bool{}
	var sel, from, where []string
	for i, t := range terms {
		t = strings.TrimSpace(t)
		m := motifTerm.FindStringSubmatch(t)
		if m == nil {
			return fail("term %d %q is not of the form (a)-[e]->(b)", i+1, t)
		}
		alias := fmt.Sprintf("__m%d", i)
		from = append(from, "__e AS "+alias)
		for j, end := range []string{"src", "dst"} {
			name := m[1+2*j]
			if name == "" {
				continue
			}
			if edgeNames[name] {
				return fail("%q names both an edge and a vertex", name)
			}
			ref := alias + "." + end
			if first, ok := vertex[name]; ok {
				where = append(where, ref+" = "+first)
				continue
			}
			vertex[name] = ref
			sel = append(sel, ref+" AS "+quoteIdent(name))
		}
		if e := m[2]; e != "" {
			if edgeNames[e] {
				return fail("edge %q is named twice", e)
			}
			if _, ok := vertex[e]; ok {
				return fail("%q names both an edge and a vertex", e)
			}
			edgeNames[e] = true
			for _, c := range []string{"count", "first", "last"} {
				sel = append(sel, alias+"."+quoteIdent(c)+" AS "+quoteIdent(e+"_"+c))
			}
		}
	}
	if len(sel) == 0 {
		return fail("the pattern %q names no vertex or edge to return", pattern)
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + strings.Join(from, ", ")
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return g.derive("Motif", q+" ORDER BY ALL")
}
