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
	"time"

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
	if n, err := hits.Count(); err != nil || n != int64(len(want)) {
		t.Fatalf("Count of the hits: %d, %v; want %d", n, err, len(want))
	}
	if n := hits.Note(); !strings.Contains(n, "2 rules ran in Elasticsearch") {
		t.Fatalf("the rules did not run in Elasticsearch: note %q", n)
	}
}

// TestESDetectSigmaHQ runs every rule of ../shared/sigma/rules/windows over the shipped Mordor
// samples loaded into the node: the rules the Elasticsearch compiler expresses run there in
// batches, the others on DuckDB after a read of their log sources' events, and the hits equal
// those of the same rules over the index read whole into DuckDB, rule by rule. The node keeps
// its 512 MB heap (no crash: a later request still answers).
func TestESDetectSigmaHQ(t *testing.T) {
	data := sharedDatasets(t)
	rulesDir := filepath.Join(filepath.Dir(data), "sigma", "rules", "windows")
	recordings, err := filepath.Glob(filepath.Join(data, "*.zip"))
	if err != nil || len(recordings) == 0 {
		t.Fatalf("no Mordor recordings (*.zip) in %s: %v", data, err)
	}
	es := ES(esURL(t), ESQuiet())
	if es.Err() != nil {
		t.Fatal(es.Err())
	}
	ctx := context.Background()
	c := es.Engine()
	if err := c.DeleteIndex(ctx, "gh-sigmahq"); err != nil {
		t.Fatal(err)
	}
	// Strings indexed whole as keywords up to 8191 characters (the dynamic mapping's
	// ignore_above of 256 leaves long command lines out of the keyword index, and the rules on
	// them to DuckDB).
	mapping := map[string]any{
		"settings": map[string]any{"index.mapping.total_fields.limit": 4000},
		"mappings": map[string]any{"dynamic_templates": []any{map[string]any{"strings": map[string]any{
			"match_mapping_type": "string",
			"mapping":            map[string]any{"type": "text", "fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": 8191}}},
		}}}},
	}
	if err := c.CreateIndex(ctx, "gh-sigmahq", mapping); err != nil {
		t.Fatal(err)
	}
	st, err := c.Load(ctx, elastic.LoadOptions{Index: "gh-sigmahq", Refresh: true}, append([]string{sampleFlat, sampleFlat2}, recordings...)...)
	if err != nil || st.Failed != 0 {
		t.Fatalf("loading the Mordor samples and recordings: %v %+v", err, st)
	}
	t.Logf("loaded %d events", st.Read)
	rs := SigmaRules(rulesDir)
	if rs.Len() < 1000 {
		t.Fatalf("only %d rules loaded from %s", rs.Len(), rulesDir)
	}
	idx := es.Index("gh-sigmahq")
	hits := idx.Detect(rs)
	if hits.Err() != nil {
		t.Fatal(hits.Err())
	}
	d, ok := hits.plan.rel.(*esDetectRel)
	if !ok {
		t.Fatalf("Detect on an index frame did not run in Elasticsearch: %s", hits.Plan())
	}
	t.Logf("%d rules in Elasticsearch, %d on DuckDB", len(d.pushed), len(d.local))
	reasons := map[string]int{}
	for _, why := range d.why {
		reasons[why]++
	}
	var top []string
	for why, n := range reasons {
		top = append(top, fmt.Sprintf("%5d %s", n, why))
	}
	sort.Sort(sort.Reverse(sort.StringSlice(top)))
	t.Logf("why rules ran on DuckDB:\n%s", strings.Join(top[:min(len(top), 12)], "\n"))
	if len(d.pushed) < rs.Len()/2 {
		t.Fatalf("only %d of %d rules ran in Elasticsearch", len(d.pushed), rs.Len())
	}
	started := time.Now()
	got := hitsByRule(t, hits)
	inNode := time.Since(started)
	started = time.Now()
	want := hitsByRule(t, idx.Local().Detect(rs))
	t.Logf("Detect on Elasticsearch %s, read whole and Detect on DuckDB %s", inNode.Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
	if len(want) == 0 {
		t.Fatal("no hits locally: the comparison is empty")
	}
	pushed := map[string]bool{}
	for _, i := range d.pushed {
		r := rs.Rules()[i]
		pushed[r.ID+"|"+r.Title] = true
	}
	inES := 0
	for rule, w := range want {
		if !reflect.DeepEqual(got[rule], w) {
			t.Errorf("rule %s (in Elasticsearch: %v): %d hits, local %d\n got %v\nwant %v", rule, pushed[rule], len(got[rule]), len(w), got[rule], w)
		}
		if pushed[rule] {
			inES++
		}
	}
	for rule, g := range got {
		if _, ok := want[rule]; !ok {
			t.Errorf("rule %s (in Elasticsearch: %v): %d hits, none locally: %v", rule, pushed[rule], len(g), g)
		}
	}
	if inES == 0 {
		t.Fatal("no rule run in Elasticsearch had hits: the comparison does not test the Elasticsearch path")
	}
	t.Logf("%d rules with hits, %d of them run in Elasticsearch; note: %.300s", len(want), inES, hits.Note())
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("the node does not answer after Detect: %v", err)
	}
}

// hitsByRule maps "rule_id|rule_title" to the sorted event keys of its hits.
func hitsByRule(t *testing.T, f *Frame) map[string][]string {
	t.Helper()
	rows, err := f.Select("rule_id", "rule_title", "Hostname", "EventID", "RecordNumber").Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		k := fmt.Sprint(r["rule_id"], "|", r["rule_title"])
		out[k] = append(out[k], fmt.Sprint(r["Hostname"], "|", r["EventID"], "|", r["RecordNumber"]))
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
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
