//go:build es

package hunt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gohunt/gohunt/hunt/elastic"
)

// TestESDetect runs Sigma rules over an Elasticsearch index: the hits frame stays lazy (nothing
// read before it is collected), and its hits equal those of the same rules over the index read
// whole into DuckDB.
func TestESDetect(t *testing.T) {
	es := ES(esURL(t), ESQuiet())
	if es.Err() != nil {
		t.Fatal(es.Err())
	}
	ctx := context.Background()
	c := es.Engine()
	if err := c.DeleteIndex(ctx, "gh-sigma"); err != nil {
		t.Fatal(err)
	}
	st, err := c.Load(ctx, elastic.LoadOptions{Index: "gh-sigma", Refresh: true}, sampleFlat, sampleFlat2)
	if err != nil || st.Failed != 0 {
		t.Fatalf("loading the Mordor samples: %v %+v", err, st)
	}
	dir := t.TempDir()
	rules := map[string]string{
		"proc.yml": "title: exe started\nid: 22222222-2222-2222-2222-222222222222\nauthor: Proc Author\nlevel: low\n" +
			"logsource:\n  product: windows\n  category: process_creation\n" +
			"detection:\n  sel:\n    Image|endswith: '.exe'\n  condition: sel\n",
		"dcsync.yml": "title: directory replication access\nid: 33333333-3333-3333-3333-333333333333\nauthor: Sec Author\nlevel: high\n" +
			"logsource:\n  product: windows\n  service: security\n" +
			"detection:\n  sel:\n    EventID: 4662\n  condition: sel\n",
	}
	for name, text := range rules {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs := SigmaRules(dir)
	if len(rs.Errors()) != 0 {
		t.Fatalf("rules: %v", rs.Errors())
	}
	idx := es.Index("gh-sigma")
	hits := idx.Detect(rs)
	if hits.Err() != nil {
		t.Fatal(hits.Err())
	}
	if p := hits.Plan(); !strings.Contains(p, "Detect") {
		t.Fatalf("the plan does not show Detect after the read: %s", p)
	}
	local := idx.Local().Detect(rs)
	got, want := hitKeys(t, hits), hitKeys(t, local)
	if len(want) == 0 {
		t.Fatal("no hits locally: the comparison is empty")
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hits on Elasticsearch %d, local %d\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for _, k := range got {
		if !strings.Contains(k, "Author") {
			t.Fatalf("a hit without its rule's author: %s", k)
		}
	}
}

func hitKeys(t *testing.T, f *Frame) []string {
	t.Helper()
	rows, err := f.Select("rule_id", "author", "RecordNumber").Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r["rule_id"], "|", r["author"], "|", r["RecordNumber"]))
	}
	sort.Strings(out)
	return out
}
