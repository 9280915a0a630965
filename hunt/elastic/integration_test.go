//go:build es

// Integration tests against the real Elasticsearch node that `make test-es` starts (ES_URL).
// Without ES_URL they fail; they never skip.

package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic/esfault"
)

func client(t testing.TB, url string) *Client {
	t.Helper()
	if url == "" {
		url = os.Getenv("ES_URL")
	}
	if url == "" {
		t.Fatal("ES_URL is not set: these tests need the real Elasticsearch that `make test-es` starts with scripts/es.sh")
	}
	c, err := Connect(Config{URL: url, Retries: 12, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadTwiceAndFailures(t *testing.T) {
	c := client(t, "")
	ctx := context.Background()
	if err := c.DeleteIndex(ctx, "gh-load-*"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateIndex(ctx, "gh-load-1", map[string]any{"mappings": map[string]any{"properties": map[string]any{"n": map[string]any{"type": "long"}}}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "events.jsonl")
	lines := []string{`{"n":1,"a":"x"}`, `{"n":2,"a":"y"}`, `not json`, `{"n":"three","a":"z"}`, `{"n":4,"a":"w"}`, `[1,2]`}
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := c.Load(ctx, LoadOptions{Index: "gh-load-1", Refresh: true}, f)
	if err == nil {
		t.Fatal("a load with failed documents returned no error")
	}
	if st.Read != 6 || st.Created != 3 || st.Failed != 1 || st.Invalid != 2 {
		t.Fatalf("stats %+v", st)
	}
	if st.Reasons["invalid_json"] != 2 || st.Reasons["document_parsing_exception"]+st.Reasons["mapper_parsing_exception"] != 1 {
		t.Fatalf("reasons %v", st.Reasons)
	}
	if !strings.Contains(err.Error(), "events.jsonl:4") || !strings.Contains(err.Error(), "events.jsonl:3") {
		t.Fatalf("error does not name the file lines: %v", err)
	}
	// Loading again duplicates nothing and leaves the documents as they were (version 1).
	st2, _ := c.Load(ctx, LoadOptions{Index: "gh-load-1", Refresh: true}, f)
	if st2.Created != 0 || st2.Updated != 3 || st2.Failed != 1 || st2.Reasons[alreadyPresent] != 0 {
		t.Fatalf("second load: %+v", st2)
	}
	for _, line := range []string{lines[0], lines[1], lines[4]} {
		var doc struct {
			ID      string `json:"_id"`
			Version int    `json:"_version"`
		}
		if err := c.Raw(ctx, "GET", "/gh-load-1/_doc/"+DocumentID([]byte(line)), nil, &doc); err != nil || doc.Version != 1 {
			t.Fatalf("document of %s after two loads: %+v, %v; want version 1 under id %s", line, doc, err, DocumentID([]byte(line)))
		}
	}
	n, err := c.Count(ctx, "gh-load-1", nil)
	if err != nil || n != 3 {
		t.Fatalf("count after two loads: %d, %v", n, err)
	}
}

func TestLoadHELKBothLayouts(t *testing.T) {
	c := client(t, "")
	ctx := context.Background()
	if err := c.DeleteIndex(ctx, "ghhelk-*"); err != nil {
		t.Fatal(err)
	}
	st, err := c.Load(ctx, LoadOptions{HELK: true, Index: "ghhelk-", Refresh: true}, "testdata/mixed_layouts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if st.Created != 5 || len(st.Indices) != 3 {
		t.Fatalf("stats %+v", st)
	}
	for idx, n := range map[string]int64{"ghhelk-sysmon-2020.09.21": 2, "ghhelk-security-2020.09.21": 2, "ghhelk-sysmon-2019.03.19": 1} {
		got, err := c.Count(ctx, idx, nil)
		if err != nil || got != n {
			t.Fatalf("%s: %d docs (%v), want %d", idx, got, err, n)
		}
	}
	// HELK's mapping facts: strings are text + keyword, event_id and user_logon_id are long.
	s, err := c.Mapping(ctx, "ghhelk-*")
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]string{"event_id": "long", "user_logon_id": "long", "process_name": "text", "logon_type": "long"} {
		f, ok := s.Field(name)
		if !ok || f.Type != typ {
			t.Fatalf("%s mapped as %+v, want %s", name, f, typ)
		}
	}
	if f, _ := s.Field("process_name"); f.Keyword != "process_name.keyword" {
		t.Fatalf("process_name has no keyword multi-field: %+v", f)
	}
	// The seed's join key matches across the two logs.
	q := map[string]any{"term": map[string]any{"user_logon_id": 0x32c5cb5}}
	n, err := c.Count(ctx, "ghhelk-*", q)
	if err != nil || n != 2 {
		t.Fatalf("user_logon_id join key: %d docs, %v", n, err)
	}
}

// seedScan indexes n small documents with a unique field i into gh-scan.
func seedScan(t testing.TB, c *Client, n int) {
	t.Helper()
	ctx := context.Background()
	if err := c.DeleteIndex(ctx, "gh-scan"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateIndex(ctx, "gh-scan", map[string]any{"settings": map[string]any{"number_of_shards": 3, "number_of_replicas": 0}}); err != nil {
		t.Fatal(err)
	}
	st, err := c.LoadFunc(ctx, LoadOptions{Index: "gh-scan", Refresh: true}, func(emit func(string, int, []byte) error) error {
		for i := 0; i < n; i++ {
			if err := emit("gen", i+1, []byte(fmt.Sprintf(`{"i":%d,"host":"h%d"}`, i, i%7))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || st.Created != int64(n) {
		t.Fatalf("seeding: %+v %v", st, err)
	}
}

// scanAll reads gh-scan and checks every document came exactly once.
func scanAll(t *testing.T, c *Client, n int, o ScanOptions) ScanStats {
	t.Helper()
	var mu sync.Mutex
	seen := make([]int, n)
	st, err := c.Scan(context.Background(), "gh-scan", o, func(docs []json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range docs {
			var v struct{ I int }
			if err := json.Unmarshal(d, &v); err != nil {
				return err
			}
			seen[v.I]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan: %v (stats %+v)", err, st)
	}
	for i, k := range seen {
		if k != 1 {
			t.Fatalf("document %d read %d times (stats %+v)", i, k, st)
		}
	}
	if st.Read != int64(n) || st.Total != int64(n) {
		t.Fatalf("stats %+v, want %d", st, n)
	}
	return st
}

func TestScanSlicesExact(t *testing.T) {
	c := client(t, "")
	const n = 5000
	seedScan(t, c, n)
	for _, s := range []int{1, 2, 4, 7} {
		st := scanAll(t, c, n, ScanOptions{Slices: s, Batch: 333})
		if st.Slices != s {
			t.Fatalf("slices %d, want %d", st.Slices, s)
		}
	}
}

func TestScanFaultInjection(t *testing.T) {
	c0 := client(t, "")
	const n = 3000
	seedScan(t, c0, n)
	cases := map[string]func(int64) esfault.Fault{
		"429 every third": func(k int64) esfault.Fault { return map[bool]esfault.Fault{true: esfault.TooMany}[k%3 == 0] },
		"503 and 502 bursts": func(k int64) esfault.Fault {
			return [...]esfault.Fault{0, esfault.Unavail, esfault.Unavail, esfault.BadGW, 0, 0}[k%6]
		},
		"cut mid-body":           func(k int64) esfault.Fault { return map[bool]esfault.Fault{true: esfault.CutBody}[k%4 == 1] },
		"connection reset early": func(k int64) esfault.Fault { return map[bool]esfault.Fault{true: esfault.CutBefore}[k%5 == 2] },
	}
	for name, rule := range cases {
		t.Run(name, func(t *testing.T) {
			p := esfault.New(c0.URL())
			defer p.Close()
			p.Rule = rule
			p.Delay = 2 * time.Millisecond
			c := client(t, p.URL)
			st := scanAll(t, c, n, ScanOptions{Slices: 3, Batch: 100})
			if st.Retries == 0 {
				t.Fatalf("no retries: the faults were not injected (stats %+v)", st)
			}
			t.Logf("%s: %d pages, %d retries, %d searches", name, st.Pages, st.Retries, p.Searches())
		})
	}
}

func TestScanGivesUpAndNamesKeepAlive(t *testing.T) {
	c0 := client(t, "")
	seedScan(t, c0, 300)
	// A server that always answers 503 exhausts the retries with a clear error.
	p := esfault.New(c0.URL())
	defer p.Close()
	p.Rule = func(int64) esfault.Fault { return esfault.Unavail }
	// With several slices, the first to give up stops the others mid-retry; the error is
	// still the failure, never a sibling's half-retried 503 or its cancellation.
	c, _ := Connect(Config{URL: p.URL, Retries: 3, MaxBackoff: 20 * time.Millisecond})
	for _, slices := range []int{1, 2, 4, 8} {
		for round := 0; round < 5; round++ {
			_, err := c.Scan(context.Background(), "gh-scan", ScanOptions{Batch: 50, Slices: slices}, func([]json.RawMessage) error { return nil })
			if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempts") || !strings.Contains(err.Error(), "503") {
				t.Fatalf("%d slices, round %d: err = %v", slices, round, err)
			}
		}
	}
	// A sink slower than the keep-alive makes the PIT expire: the error names the setting.
	_, err := c0.Scan(context.Background(), "gh-scan", ScanOptions{Batch: 10, Slices: 1, KeepAlive: time.Second}, func([]json.RawMessage) error {
		time.Sleep(3500 * time.Millisecond)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "keep-alive") {
		t.Fatalf("expired PIT: err = %v", err)
	}
}

// TestScanShardFailures makes some shards fail for real: a term query with a word on a field
// that is keyword in one index and long in another fails on the long index's shards only.
func TestScanShardFailures(t *testing.T) {
	c := client(t, "")
	ctx := context.Background()
	if err := c.DeleteIndex(ctx, "gh-shard-*"); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []string{"keyword", "long"} {
		idx := fmt.Sprintf("gh-shard-%d", i)
		if err := c.CreateIndex(ctx, idx, map[string]any{"settings": map[string]any{"number_of_replicas": 0},
			"mappings": map[string]any{"properties": map[string]any{"v": map[string]any{"type": typ}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.LoadFunc(ctx, LoadOptions{Index: idx, Refresh: true}, func(emit func(string, int, []byte) error) error {
			for j := 0; j < 50; j++ {
				if err := emit("gen", j, []byte(fmt.Sprintf(`{"v":%d,"j":%d,"i":%d}`, j, j, i))); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	q := map[string]any{"bool": map[string]any{"should": []any{
		map[string]any{"term": map[string]any{"v": "abc"}},
		map[string]any{"range": map[string]any{"j": map[string]any{"gte": 0}}},
	}}}
	_, err := c.Scan(ctx, "gh-shard-*", ScanOptions{Query: q}, func([]json.RawMessage) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "shards failed") || !strings.Contains(err.Error(), "ESAllowPartial") {
		t.Fatalf("shard failure not reported as an error: %v", err)
	}
	var rows int
	st, err := c.Scan(ctx, "gh-shard-*", ScanOptions{Query: q, AllowPartial: true}, func(d []json.RawMessage) error { rows += len(d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !st.Partial || len(st.ShardFailures) == 0 || rows != 50 {
		t.Fatalf("partial read: %d rows, stats %+v", rows, st)
	}
}

// TestLoadCommand runs `gohunt load` (the binary make builds, GOHUNT_BIN) as a user would:
// HELK mode twice (nothing duplicated), and a file with a bad line (non-zero exit naming it).
func TestLoadCommand(t *testing.T) {
	bin := os.Getenv("GOHUNT_BIN")
	if bin == "" {
		t.Fatal("GOHUNT_BIN is not set: make test-es passes the gohunt binary it built")
	}
	c := client(t, "")
	ctx := context.Background()
	if err := c.DeleteIndex(ctx, "ghcli-*"); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"load"}, args...)...)
		cmd.Env = append(os.Environ(), "ES_URL="+c.URL())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("testdata/mixed_layouts.jsonl", "--helk", "--index", "ghcli-", "-q")
	if err != nil || !strings.Contains(out, "5 created") || !strings.Contains(out, "ghcli-sysmon-2019.03.19") {
		t.Fatalf("first load: %v\n%s", err, out)
	}
	out, err = run("--helk", "--index=ghcli-", "-q", "testdata/mixed_layouts.jsonl")
	if err != nil || !strings.Contains(out, "0 created, 5 already present") {
		t.Fatalf("second load: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte("{\"a\":1}\n{oops\n"), 0o644)
	out, err = run(bad, "--index", "ghcli-bad", "-q")
	if err == nil || !strings.Contains(out, "bad.jsonl:2") || !strings.Contains(out, "1 invalid") {
		t.Fatalf("bad line: %v\n%s", err, out)
	}
	if out, err = run(bad); err == nil || !strings.Contains(out, "--index NAME or --helk") {
		t.Fatalf("no target: %v\n%s", err, out)
	}
}
