//go:build es

package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic"
)

// TestESViews checks the Elasticsearch side of the views against the real node of
// `make test-es`: the timeline counted by date_histogram equals the one DuckDB counts from
// the same documents, bucket by bucket, with lanes, a NULL lane, "other", untimed documents
// and a pushed-down filter; the other views run over ES frames.
func TestESViews(t *testing.T) {
	es := ES(esURL(t))
	if err := es.Err(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := es.Engine()
	const index = "gh-views-1"
	if err := c.DeleteIndex(ctx, index); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteIndex(context.Background(), index) })
	if err := c.CreateIndex(ctx, index, map[string]any{
		"settings": map[string]any{"number_of_shards": 2, "number_of_replicas": 0},
		"mappings": map[string]any{"properties": map[string]any{
			"@timestamp":  map[string]any{"type": "date"},
			"EventID":     map[string]any{"type": "long"},
			"Hostname":    map[string]any{"type": "text", "fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": 256}}},
			"Channel":     map[string]any{"type": "keyword"},
			"Image":       map[string]any{"type": "keyword"},
			"ParentImage": map[string]any{"type": "keyword"},
			"ProcessGuid": map[string]any{"type": "keyword"},
			"CommandLine": map[string]any{"type": "text"},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	base := time.Date(2020, 9, 21, 4, 14, 53, 123e6, time.UTC)
	var docs [][]byte
	for i := 0; i < 3000; i++ {
		doc := map[string]any{"EventID": []int{1, 10, 10, 10, 4688, 13, 7}[i%7], "Channel": "Microsoft-Windows-Sysmon/Operational"}
		if i%97 != 0 {
			doc["@timestamp"] = base.Add(time.Duration(i*i%7200) * time.Second).Format("2006-01-02T15:04:05.000Z")
		}
		if i%11 != 0 {
			doc["Hostname"] = fmt.Sprintf("host%02d", (i*7)%(i%5*6+1))
		}
		if i%7 == 0 {
			doc["Image"] = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
			doc["ParentImage"] = `C:\Windows\System32\wbem\WmiPrvSE.exe`
			doc["ProcessGuid"] = fmt.Sprintf("{%d}", i)
			doc["CommandLine"] = "powershell -c <script>" + fmt.Sprint(i)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, raw)
	}
	_, err = c.LoadFunc(ctx, elastic.LoadOptions{Index: index, Refresh: true}, func(emit func(string, int, []byte) error) error {
		for i, d := range docs {
			if err := emit("views", i+1, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := es.Index(index)
	local := f.Local()
	for _, by := range []string{"Hostname", "EventID", ""} {
		remote := f.Timeline("@timestamp", by)
		if err := remote.Err(); err != nil {
			t.Fatalf("by %q: %v", by, err)
		}
		if remote.Source != "Elasticsearch date_histogram" {
			t.Errorf("by %q: counted by %q, want the date_histogram push-down", by, remote.Source)
		}
		sameTimeline(t, by, remote, local.Timeline("@timestamp", by))
	}
	// A pushed filter stays pushed; a local operation falls back to DuckDB with the same counts.
	w := f.Where(Col("EventID").Eq(10))
	sameTimeline(t, "filtered", w.Timeline("@timestamp", "Hostname"), local.Where(Col("EventID").Eq(10)).Timeline("@timestamp", "Hostname"))
	d := f.Distinct().Timeline("@timestamp", "Hostname")
	if d.Err() != nil || !strings.Contains(d.Source, "DuckDB") {
		t.Errorf("local fallback: %v, source %q", d.Err(), d.Source)
	}
	// The other views over ES frames.
	if b := f.ValueCounts("EventID").Bar(); b.Err() != nil || len(b.Bars) != 5 || b.Bars[0].Label != "10" {
		t.Errorf("ValueCounts bar: %v %+v", b.Err(), b.Bars)
	}
	if b := f.RareValues("EventID").Local().Bar(); b.Err() != nil || b.Order != "least frequent first" {
		t.Errorf("RareValues bar: %v %q", b.Err(), b.Order)
	}
	// (The loader gives identical documents one id, so the index holds fewer than 3000.)
	n, err := f.Count()
	if err != nil {
		t.Fatal(err)
	}
	if h := f.Histogram("EventID"); h.Err() != nil || h.Total != float64(n) {
		t.Errorf("Histogram: %v, total %v, want %d", h.Err(), h.Total, n)
	}
	tr := f.ProcessTree().Highlight("ps from wmi", Spawned("powershell.exe", "wmiprvse.exe"))
	if tr.Err() != nil || len(tr.Highlighted()) != 3000/7+1 || strings.Contains(tr.HTML(), "<script>") {
		t.Errorf("ProcessTree: %v, %d highlighted", tr.Err(), len(tr.Highlighted()))
	}
}

func sameTimeline(t *testing.T, what string, got, want *Timeline) {
	t.Helper()
	if got.Err() != nil || want.Err() != nil {
		t.Fatalf("%s: %v / %v", what, got.Err(), want.Err())
	}
	if !got.Start.Equal(want.Start) || got.Step != want.Step || got.Buckets != want.Buckets || got.Untimed != want.Untimed ||
		!got.First.Equal(want.First) || !got.Last.Equal(want.Last) || len(got.Lanes) != len(want.Lanes) {
		t.Fatalf("%s: ES %v+%d×%v (%v..%v, %d untimed, %d lanes), DuckDB %v+%d×%v (%v..%v, %d untimed, %d lanes)", what,
			got.Start, got.Buckets, got.Step, got.First, got.Last, got.Untimed, len(got.Lanes),
			want.Start, want.Buckets, want.Step, want.First, want.Last, want.Untimed, len(want.Lanes))
	}
	for i := range got.Lanes {
		g, w := got.Lanes[i], want.Lanes[i]
		if g.Name != w.Name || g.Other != w.Other {
			t.Errorf("%s: lane %d is %q (other %v), want %q (other %v)", what, i, g.Name, g.Other, w.Name, w.Other)
			continue
		}
		for k := range g.Counts {
			if g.Counts[k] != w.Counts[k] {
				t.Errorf("%s: lane %q bucket %d: ES %d, DuckDB %d", what, g.Name, k, g.Counts[k], w.Counts[k])
				break
			}
		}
	}
}
