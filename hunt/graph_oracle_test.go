//go:build graphoracle

package hunt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The networkx oracle (make test-graph): the same edges go to hunt.Graph and to networkx
// (hunt/testdata/graph_oracle.py, run by GRAPH_PY, the .venv's python with
// scripts/requirements-graph.txt installed), and degrees, weakly connected components, shortest
// path lengths and the shortest paths themselves must agree.

type graphOracle struct {
	In, Out    map[string]int64
	Components [][]string
	Dist       map[string]map[string]int64
	Udist      map[string]map[string]int64
	Paths      [][][]string
	Upaths     [][][]string
}

const oracleHops = 6

func askNetworkx(t *testing.T, edges [][2]string, sources []string, pairs [][2]string) graphOracle {
	t.Helper()
	py := os.Getenv("GRAPH_PY")
	if py == "" {
		t.Fatal("GRAPH_PY is not set: run `make test-graph`, which installs networkx into .venv from scripts/requirements-graph.txt and sets it")
	}
	req, err := json.Marshal(map[string]any{"edges": edges, "sources": sources, "pairs": pairs, "max_hops": oracleHops})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/graph_oracle.py")
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("networkx oracle (%s testdata/graph_oracle.py): %v\n%s", py, err, stderr.String())
	}
	var o graphOracle
	if err := json.Unmarshal(out, &o); err != nil {
		t.Fatalf("networkx oracle output: %v", err)
	}
	return o
}

// checkOracle compares g, built from edges, with networkx on the same edges.
func checkOracle(t *testing.T, name string, g *Graph) {
	t.Helper()
	rows, err := g.Edges().Select("src", "dst").Collect()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: the graph has no edges", name)
	}
	var edges [][2]string
	for _, r := range rows {
		edges = append(edges, [2]string{r["src"].(string), r["dst"].(string)})
	}
	vs, err := g.Vertices().Strings("id")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(int64(len(edges))))
	var sources []string
	for i := 0; i < 8 && i < len(vs); i++ {
		sources = append(sources, vs[rng.Intn(len(vs))])
	}
	var pairs [][2]string
	for i := 0; i < 25; i++ {
		pairs = append(pairs, [2]string{vs[rng.Intn(len(vs))], vs[rng.Intn(len(vs))]})
	}
	o := askNetworkx(t, edges, sources, pairs)

	vr, err := g.Vertices().Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(vr) != len(o.In) {
		t.Errorf("%s: %d vertices, networkx %d", name, len(vr), len(o.In))
	}
	for _, r := range vr {
		id := r["id"].(string)
		if r["in_degree"].(int64) != o.In[id] || r["out_degree"].(int64) != o.Out[id] {
			t.Errorf("%s: vertex %q in/out degree %v/%v, networkx %d/%d", name, id, r["in_degree"], r["out_degree"], o.In[id], o.Out[id])
		}
	}

	cr, err := g.Components().Collect()
	if err != nil {
		t.Fatal(err)
	}
	byComp := map[string][]string{}
	for _, r := range cr {
		c := r["component"].(string)
		byComp[c] = append(byComp[c], r["id"].(string))
		if r["size"].(int64) <= 0 {
			t.Errorf("%s: component size %v", name, r["size"])
		}
	}
	var comps [][]string
	for c, ids := range byComp {
		sort.Strings(ids)
		if ids[0] != c {
			t.Errorf("%s: component %q is not named by its smallest vertex %q", name, c, ids[0])
		}
		comps = append(comps, ids)
	}
	sort.Slice(comps, func(i, j int) bool { return strings.Join(comps[i], "\x00") < strings.Join(comps[j], "\x00") })
	sort.Slice(o.Components, func(i, j int) bool {
		return strings.Join(o.Components[i], "\x00") < strings.Join(o.Components[j], "\x00")
	})
	if !reflect.DeepEqual(comps, o.Components) {
		t.Errorf("%s: %d components, networkx %d (first differences: %v vs %v)", name, len(comps), len(o.Components), first(comps), first(o.Components))
	}

	for _, u := range []bool{false, true} {
		gg, want, wantPaths, kind := g, o.Dist, o.Paths, "directed"
		if u {
			gg, want, wantPaths, kind = g.Undirected(), o.Udist, o.Upaths, "undirected"
		}
		for _, s := range sources {
			nr, err := gg.Neighbors(s, oracleHops).Collect()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{s: 0}
			for _, r := range nr {
				got[r["id"].(string)] = r["hops"].(int64)
			}
			if !reflect.DeepEqual(got, want[s]) {
				t.Errorf("%s %s: distances from %q: %d vertices, networkx %d", name, kind, s, len(got), len(want[s]))
			}
		}
		for i, p := range pairs {
			pr, err := gg.Paths(p[0], p[1], oracleHops).Collect()
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, r := range pr {
				var path []string
				for _, v := range r["path"].([]any) {
					path = append(path, v.(string))
				}
				if r["hops"].(int64) != int64(len(path)-1) {
					t.Errorf("%s: hops %v for a path of %d vertices", name, r["hops"], len(path))
				}
				got = append(got, path)
			}
			if fmt.Sprint(got) != fmt.Sprint(wantPaths[i]) {
				t.Errorf("%s %s: shortest paths %q -> %q:\n got %q\nwant %q", name, kind, p[0], p[1], got, wantPaths[i])
			}
		}
	}
}

func first(c [][]string) []string {
	if len(c) == 0 {
		return nil
	}
	return c[0]
}

// TestGraphOracleSynthetic checks a random graph of 400 vertices and 700 edges (seeded), with
// hostile vertex names, self-loops and several components.
func TestGraphOracleSynthetic(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	names := make([]string, 400)
	for i := range names {
		names[i] = fmt.Sprintf("v%03d", i)
	}
	names[7] = `<script>alert("x")</script>`
	names[8] = "bad'quote\\back"
	names[9] = "rtl\u202eexe.txt"
	var vals []string
	for i := 0; i < 700; i++ {
		// vertices in blocks of 50 mostly link inside their block: several components
		a := rng.Intn(len(names))
		b := (a/50)*50 + rng.Intn(50)
		if rng.Intn(40) == 0 {
			b = rng.Intn(len(names))
		}
		vals = append(vals, "("+quoteString(names[a])+", "+quoteString(names[b])+")")
	}
	g := DuckSQL("SELECT * FROM (VALUES "+strings.Join(vals, ", ")+") t(s, d)").Graph("s", "d")
	checkOracle(t, "synthetic", g)
}

// TestGraphOracleMordor checks the builders' graphs of the shipped Mordor samples.
func TestGraphOracleMordor(t *testing.T) {
	both := Read(sampleFlat).Union(Read(sampleFlat2))
	checkOracle(t, "LogonGraph", LogonGraph(both))
	checkOracle(t, "NetworkGraph", NetworkGraph(both))
	checkOracle(t, "ProcessGraph", ProcessGraph(Read(sampleFlat2)))
}
