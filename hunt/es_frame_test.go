//go:build es

package hunt

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic/esfault"
	"github.com/gohunt/gohunt/hunt/session"
)

// TestESFrameIsLazy: building a plan of pushed and local operations, joins with DuckDB
// frames, a union and a registration sends no search to Elasticsearch; the first terminal
// operation does.
func TestESFrameIsLazy(t *testing.T) {
	testES(t)
	p := esfault.New(esURL(t))
	defer p.Close()
	es := ES(p.URL, ESQuiet())
	local := FromRows([]map[string]any{{"kw": "k01", "label": "one"}, {"kw": "k02", "label": "two"}})
	idx := es.Index(testPattern)
	plan := idx.Where(Col("n").Lt(30)).Select("kw", "n", "host").OrderBy("n").
		Join(local, "kw", "inner").Union(local.Select("kw")).Limit(50)
	other := local.Join(idx.Select("kw", "n"), "kw", "left")
	grouped := idx.GroupBy("kw").Count()
	idx.Where(Col("flag").Eq(true)).As("lazy_flagged")
	for _, f := range []*Frame{plan, other, grouped} {
		if f.Err() != nil {
			t.Fatal(f.Err())
		}
	}
	if n := p.Searches(); n != 0 {
		t.Fatalf("%d searches before any terminal operation", n)
	}
	if n, err := plan.Count(); err != nil || n == 0 {
		t.Fatalf("Count: %d, %v", n, err)
	}
	if p.Searches() == 0 {
		t.Fatal("Count read nothing")
	}
	if !strings.Contains(plan.Plan(), "Elasticsearch: gh-test-*") || !strings.Contains(plan.Plan(), "DuckDB: Join") || plan.Pushed() {
		t.Errorf("Plan:\n%s", plan.Plan())
	}
}

// TestESFrameAcrossEngines: joins and unions of an Elasticsearch frame with DuckDB frames, in
// both directions, give the rows of the same operations on the full read, and the note says
// how many rows moved; SQL runs over an Elasticsearch frame registered with As; Local reads
// once.
func TestESFrameAcrossEngines(t *testing.T) {
	es := testES(t)
	idx := es.Index(testPattern, ESQuiet())
	full := idx.Local()
	if full.Err() != nil {
		t.Fatal(full.Err())
	}
	if full.Pushed() != true || idx.Local() != full {
		t.Fatal("Local of the same frame read twice")
	}
	local := FromRows([]map[string]any{{"kw": "k01", "label": "one"}, {"kw": "k02", "label": "two"}, {"kw": "none", "label": "x"}})
	sel := idx.Where(Col("n").Lt(7)).Select("kw", "n")
	selLocal := full.Where(Col("n").Lt(7)).Select("kw", "n")
	nSel, err := selLocal.Count()
	if err != nil || nSel == 0 || nSel == 600 {
		t.Fatalf("n < 7 holds for %d rows (%v): the test needs a proper subset", nSel, err)
	}
	moved := fmt.Sprintf("moved %d rows from Elasticsearch to DuckDB", nSel)
	cases := []struct {
		name      string
		got, want *Frame
		moved     string
	}{
		{"es join duckdb", sel.Join(local, "kw", "inner"), selLocal.Join(local, "kw", "inner"), moved},
		{"duckdb join es", local.Join(sel, "kw", "left"), local.Join(selLocal, "kw", "left"), moved},
		{"duckdb union es", local.Select("kw").Union(sel), local.Select("kw").Union(selLocal), moved},
		{"es join es", sel.Join(idx.Where(Col("n").Eq(3)).Select("kw", "host"), "kw", "inner"),
			selLocal.Join(full.Where(Col("n").Eq(3)).Select("kw", "host"), "kw", "inner"), "moved "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := canon(t, collect(t, "cross-engine", c.got))
			want := canon(t, collect(t, "local", c.want))
			if len(want) == 0 {
				t.Fatal("the local result is empty: the case tests nothing")
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("got %d rows:\n%s\nwant %d rows:\n%s", len(got), head(got), len(want), head(want))
			}
			if !strings.Contains(c.got.Note(), c.moved) {
				t.Errorf("Note %q does not say %q", c.got.Note(), c.moved)
			}
		})
	}
	// As registers the Elasticsearch frame itself; SQL over it reads it then.
	idx.Where(Col("flag").Eq(true)).As("es_flagged")
	n, err := SQL("SELECT kw, count(*) AS c FROM es_flagged GROUP BY kw").Count()
	wantN, err2 := full.Where(Col("flag").Eq(true)).Select("kw").Distinct().Count()
	if err != nil || err2 != nil || n != wantN || n == 0 {
		t.Fatalf("SQL over a registered Elasticsearch frame: %d, %v; want %d, %v", n, err, wantN, err2)
	}
}

// TestESFrameInterruptedByCell: cancelling the running cell's context stops an Elasticsearch
// display, Count and Collect, and closes the point-in-time of the full read.
func TestESFrameInterruptedByCell(t *testing.T) {
	es := testES(t)
	// Batches of 1 and a proxy delay make the read take long enough to be interrupted.
	p := esfault.New(esURL(t))
	defer p.Close()
	p.Delay = 20 * time.Millisecond
	slow := ES(p.URL, ESQuiet()).Index(testPattern, ESBatch(1), ESSlices(1))
	for _, c := range []struct {
		name string
		run  func() error
	}{
		// OrderBy runs on DuckDB: showing the frame reads it all.
		{"display", func() error { _, err := slow.OrderBy("n").preview(20, 0); return err }},
		{"Count", func() error { _, err := slow.Distinct().Count(); return err }},
		{"Collect", func() error { _, err := slow.Collect(); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			end := session.Begin(ctx, nil)
			defer end()
			time.AfterFunc(300*time.Millisecond, cancel)
			err := c.run()
			if err == nil || !strings.Contains(err.Error(), "context canceled") {
				t.Fatalf("interrupted: err %v", err)
			}
			waitNoOpenContexts(t, es)
		})
	}
}

// waitNoOpenContexts fails unless the node's open search contexts drop to 0 (the PITs closed;
// the node frees a closed PIT's contexts shortly after the close returns).
func waitNoOpenContexts(t *testing.T, es *ESClient) {
	t.Helper()
	var open int
	for i := 0; i < 50; i++ {
		var st struct {
			Nodes map[string]struct {
				Indices struct {
					Search struct {
						OpenContexts int `json:"open_contexts"`
					} `json:"search"`
				} `json:"indices"`
			} `json:"nodes"`
		}
		if err := es.Engine().Raw(context.Background(), "GET", "/_nodes/stats/indices/search", nil, &st); err != nil {
			t.Fatal(err)
		}
		open = 0
		for _, n := range st.Nodes {
			open += n.Indices.Search.OpenContexts
		}
		if open == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%d search contexts still open: a point-in-time was not closed", open)
}
