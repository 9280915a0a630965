//go:build es

package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
)

const followPattern = "gh-follow-*"

// seedFollow creates two indices behind gh-follow-* (2 and 3 shards, so that the _shard_doc
// tie-breaker spans shards) and indexes n old events into the first.
func seedFollow(t *testing.T, es *ESClient, n int) {
	t.Helper()
	ctx := context.Background()
	c := es.Engine()
	if err := c.DeleteIndex(ctx, followPattern); err != nil {
		t.Fatal(err)
	}
	props := map[string]any{
		"@timestamp": map[string]any{"type": "date"},
		"seq":        map[string]any{"type": "keyword"},
		"kind":       map[string]any{"type": "keyword"},
		"host":       map[string]any{"type": "keyword"},
		"msg":        map[string]any{"type": "text"},
	}
	for i, name := range []string{"gh-follow-a", "gh-follow-b"} {
		body := map[string]any{
			"settings": map[string]any{"number_of_shards": 2 + i, "number_of_replicas": 0},
			"mappings": map[string]any{"properties": props},
		}
		if err := c.CreateIndex(ctx, name, body); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Hour)
	for i := 0; i < n; i++ {
		putFollow(t, es, "gh-follow-a", fmt.Sprintf("old-%d", i), map[string]any{
			"@timestamp": base.Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339Nano),
			"seq":        fmt.Sprintf("old-%d", i), "kind": "keep", "host": "old",
		})
	}
	if err := c.Refresh(ctx, followPattern); err != nil {
		t.Fatal(err)
	}
}

func putFollow(t *testing.T, es *ESClient, index, id string, doc map[string]any) {
	raw, _ := json.Marshal(doc)
	if err := es.Engine().Raw(context.Background(), "PUT", "/"+index+"/_doc/"+id, json.RawMessage(raw), nil); err != nil {
		t.Error(err)
	}
}

// TestESFollowWriter follows an Elasticsearch frame (a filter and a _source selection pushed
// down, a Rename after the read) while two writer goroutines index events into two indices
// under the same ids, many with equal timestamps, some late (5s older than the newest, within
// the lag), half of them filtered out, with the node's own refresh (no refresh forced): every
// matching event is delivered exactly once, none that does not match, the events before the
// follow are shown first but not counted, the display is one output updated in place, and no
// point-in-time is left open.
func TestESFollowWriter(t *testing.T) {
	es := ES(esURL(t), ESQuiet())
	if es.Err() != nil {
		t.Fatal(es.Err())
	}
	seedFollow(t, es, 30)
	const perWriter = 200
	frame := es.Index(followPattern).Where(Col("kind").Eq("keep")).Select("@timestamp", "seq", "host", "kind").Rename("host", "machine")
	if frame.Err() != nil {
		t.Fatal(frame.Err())
	}
	sink := &followSink{}
	defer session.Begin(context.Background(), sink)()
	var mu sync.Mutex
	var got []string
	w := frame.Follow(50 * time.Millisecond).Lag(20 * time.Second).Last(5).UntilEvents(perWriter).For(3 * time.Minute)
	w.src.(*esFollow).batch = 7 // several search_after pages per poll
	w.onBatch = func(docs []json.RawMessage) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range docs {
			var s struct {
				Seq  string `json:"seq"`
				Kind string `json:"kind"`
			}
			if err := json.Unmarshal(d, &s); err != nil {
				t.Error(err)
			}
			got = append(got, s.Seq)
		}
	}
	began := make(chan struct{})
	var once sync.Once
	w.onUpdate = func() { once.Do(func() { close(began) }) }
	var wg sync.WaitGroup
	want := map[string]bool{}
	for wi, index := range []string{"gh-follow-a", "gh-follow-b"} {
		for i := 0; i < perWriter; i++ {
			if i%2 == 0 {
				want[fmt.Sprintf("%s-%d", index, i)] = true
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-began
			for i := 0; i < perWriter; i++ {
				ts := time.Now().Truncate(20 * time.Millisecond) // equal times across writers
				if wi == 1 && i%10 == 5 {
					ts = ts.Add(-5 * time.Second) // late: older than events already indexed
				}
				kind := "keep"
				if i%2 == 1 {
					kind = "drop"
				}
				putFollow(t, es, index, fmt.Sprint(i), map[string]any{
					"@timestamp": ts.UTC().Format(time.RFC3339Nano), "seq": fmt.Sprintf("%s-%d", index, i),
					"kind": kind, "host": fmt.Sprintf("<b>wks%d</b>", wi), "msg": "new",
				})
			}
		}()
	}
	r, err := w.Run()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	count := map[string]int{}
	for _, s := range got {
		count[s]++
	}
	var dup, extra, missing []string
	for s, n := range count {
		if n > 1 {
			dup = append(dup, s)
		}
		if !want[s] {
			extra = append(extra, s)
		}
	}
	for s := range want {
		if count[s] == 0 {
			missing = append(missing, s)
		}
	}
	sort.Strings(dup)
	sort.Strings(extra)
	sort.Strings(missing)
	if len(dup)+len(extra)+len(missing) > 0 {
		t.Fatalf("%d delivered, want %d: duplicated %v, not matching %v, missing %v", len(got), len(want), dup, extra, missing)
	}
	t.Logf("%d events in %d polls", r.Events, r.Polls)
	if r.Events != int64(len(want)) {
		t.Fatalf("result %+v, want %d events", r, len(want))
	}
	last := sink.checkOneDisplay(t)
	for _, s := range []string{"stopped after 200 events", "(5 shown from before)", "machine", "&lt;b&gt;wks"} {
		if !strings.Contains(last, s) {
			t.Errorf("last display lacks %q:\n%s", s, last)
		}
	}
	rows, err := r.Rows.Collect()
	if err != nil || len(rows) != 5 || rows[0]["machine"] == nil {
		t.Fatalf("rows %v, %v", rows, err)
	}
	waitNoOpenContexts(t, es) // every point-in-time of the follow was closed
}

// TestESFollowRefuses: frames whose operations are not row by row, and a time field that is
// not a date, say why they cannot be followed.
func TestESFollowRefuses(t *testing.T) {
	es := ES(esURL(t), ESQuiet())
	seedFollow(t, es, 3)
	idx := es.Index(followPattern)
	for _, c := range []struct {
		w    *Follower
		want string
	}{
		{idx.GroupBy("host").Count().Follow(time.Second), "grouped frame"},
		{idx.Limit(5).Follow(time.Second), "Limit"},
		{idx.OrderBy("seq").Follow(time.Second), "OrderBy cannot be followed"},
	} {
		if err := c.w.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Err() = %v, want %q", err, c.want)
		}
	}
	_, err := idx.Follow(time.Second).On("host").For(time.Second).Run()
	if err == nil || !strings.Contains(err.Error(), `"host"`) || !strings.Contains(err.Error(), "not as a date") {
		t.Errorf("On(host): %v", err)
	}
}
