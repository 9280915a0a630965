package hunt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
)

// followSink records what a follow shows, in order.
type followSink struct {
	mu    sync.Mutex
	ids   []string
	upd   []bool
	shown []string // HTML of each show or update
}

func (s *followSink) add(id string, update bool, v any) {
	h := ""
	if x, ok := v.(interface{ HTML() string }); ok {
		h = x.HTML()
	}
	s.mu.Lock()
	s.ids, s.upd, s.shown = append(s.ids, id), append(s.upd, update), append(s.shown, h)
	s.mu.Unlock()
}
func (s *followSink) Show(id string, v any)   { s.add(id, false, v) }
func (s *followSink) Update(id string, v any) { s.add(id, true, v) }

// checkOneDisplay: the first output is a Show, every later one an Update of the same ID.
func (s *followSink) checkOneDisplay(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) < 2 {
		t.Fatalf("%d display calls, want a show and updates", len(s.ids))
	}
	for i, id := range s.ids {
		if id != s.ids[0] || s.upd[i] != (i > 0) {
			t.Fatalf("display call %d: id %s update %v; first id %s", i, id, s.upd[i], s.ids[0])
		}
	}
	return s.shown[len(s.shown)-1]
}

type seqDoc struct {
	Seq int `json:"seq"`
}

// collectSeqs returns a batch hook that records the seq field of every delivered event.
func collectSeqs(mu *sync.Mutex, got *[]int) func([]json.RawMessage) {
	return func(docs []json.RawMessage) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range docs {
			var s seqDoc
			if err := json.Unmarshal(d, &s); err != nil {
				panic(err)
			}
			*got = append(*got, s.Seq)
		}
	}
}

// TestFollowFileWriter follows a JSON-lines file while a writer goroutine appends events in
// writes that cut lines in two (a partial last line waits for its newline), with malformed
// lines among them: every event is delivered exactly once and in order, the malformed lines are
// counted in a note, the display is one output updated in place, the data is escaped, and the
// last lines before the follow started are shown first, not counted as new.
func TestFollowFileWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	var pre strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&pre, `{"seq":%d,"kind":"old","msg":"before"}`+"\n", -100+i)
	}
	pre.WriteString(`{"seq":-1,"kind":"old","msg":"cut`) // a partial line: completed by the writer
	if err := os.WriteFile(path, []byte(pre.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 300
	sink := &followSink{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer session.Begin(ctx, sink)()
	var mu sync.Mutex
	var got []int
	w := Follow(path).Every(10 * time.Millisecond).Last(3).UntilEvents(n + 1).For(2 * time.Minute)
	w.onBatch = collectSeqs(&mu, &got)
	done := make(chan error, 1)
	began := make(chan struct{})
	var once sync.Once
	w.onUpdate = func() { once.Do(func() { close(began) }) } // the first draw comes after begin
	go func() {
		<-began
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		time.Sleep(30 * time.Millisecond)
		f.WriteString(`"}` + "\n")
		for i := 0; i < n; i++ {
			line := fmt.Sprintf(`{"seq":%d,"kind":"k%d","msg":"<script>alert(%d)</script>"}`+"\n", i, i%3, i)
			cut := len(line) / 2
			f.WriteString(line[:cut])
			if i%25 == 0 {
				time.Sleep(15 * time.Millisecond) // a poll sees the half line
			}
			f.WriteString(line[cut:])
			if i%100 == 7 {
				f.WriteString("not json at all\n")
			}
		}
		done <- nil
	}()
	r, err := w.Run()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []int{-1}
	for i := 0; i < n; i++ {
		want = append(want, i)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %d events, want %d once each in order; got %v", len(got), len(want), got)
	}
	if r.Events != n+1 || r.Stopped != fmt.Sprintf("after %d events", n+1) {
		t.Fatalf("result %+v", r)
	}
	last := sink.checkOneDisplay(t)
	for _, s := range []string{"stopped after 301 events", "&lt;script&gt;alert(299)", "3 line(s) that are not one JSON object skipped", "(3 shown from before)"} {
		if !strings.Contains(last, s) {
			t.Errorf("last display lacks %q:\n%s", s, last)
		}
	}
	if strings.Contains(last, "<script>") || strings.Contains(last, followSeq) {
		t.Errorf("last display holds raw data or the sequence column:\n%s", last)
	}
	rows, err := r.Rows.Collect()
	if err != nil || len(rows) != 3 || fmt.Sprint(rows[2]["seq"]) != "299" {
		t.Fatalf("Rows: %v, %v", rows, err)
	}
}

// TestFollowFileRotateTruncate polls a file follow by hand around a rotation (the old file
// renamed, written once more, a new file under the name) and a truncation: no line is lost or
// repeated, and each is said in a note.
func TestFollowFileRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ev.jsonl")
	write := func(p string, from, to int, mode int) {
		t.Helper()
		f, err := os.OpenFile(p, mode, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < to; i++ {
			fmt.Fprintf(f, `{"seq":%d}`+"\n", i)
		}
		f.Close()
	}
	write(path, 0, 3, os.O_CREATE|os.O_WRONLY)
	src := &fileFollow{path: path}
	w := Follow(path)
	first, err := src.begin(context.Background(), w)
	if err != nil || len(first) != 3 {
		t.Fatalf("begin: %d lines, %v", len(first), err)
	}
	defer src.close()
	seqs := func(docs []json.RawMessage) string {
		var out []string
		for _, d := range docs {
			var s seqDoc
			json.Unmarshal(d, &s)
			out = append(out, fmt.Sprint(s.Seq))
		}
		return strings.Join(out, ",")
	}
	poll := func(want, note string) {
		t.Helper()
		docs, notes, err := src.poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if seqs(docs) != want {
			t.Fatalf("poll: events %q, want %q", seqs(docs), want)
		}
		if !strings.Contains(strings.Join(notes, "\n"), note) {
			t.Fatalf("poll: notes %q, want %q", notes, note)
		}
	}
	poll("", "")
	write(path, 3, 5, os.O_APPEND|os.O_WRONLY)
	poll("3,4", "")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write(path+".1", 5, 7, os.O_APPEND|os.O_WRONLY) // the writer still had the old file open
	write(path, 7, 9, os.O_CREATE|os.O_WRONLY)
	poll("5,6,7,8", "was rotated")
	write(path, 9, 10, os.O_APPEND|os.O_WRONLY)
	poll("9", "")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	write(path, 10, 11, os.O_APPEND|os.O_WRONLY)
	poll("10", "was truncated")
}

// TestFollowWhereViews follows a file from its start with a local filter and two views: only
// matching events count, and the views are redrawn over them.
func TestFollowWhereViews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev.jsonl")
	var b strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `{"seq":%d,"kind":"%s","UtcTime":"2020-09-21 04:%02d:00.000"}`+"\n", i, []string{"a", "b"}[i%2], i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := &followSink{}
	defer session.Begin(context.Background(), sink)()
	r, err := Follow(path).FromStart().Where(Col("kind").Eq("a")).ValueCounts("kind").Timeline("UtcTime", "kind").
		Every(10 * time.Millisecond).For(300 * time.Millisecond).Run()
	if err != nil {
		t.Fatal(err)
	}
	if r.Events != 20 {
		t.Fatalf("%d events, want the 20 of kind a", r.Events)
	}
	last := sink.checkOneDisplay(t)
	if !strings.Contains(last, "gohunt-timeline") || !strings.Contains(last, "<td class=\"n\">20</td>") || !strings.Contains(last, "stopped after 20 events (after 300ms)") {
		t.Fatalf("last display:\n%s", last)
	}
	counts, err := r.Rows.Collect()
	if err != nil || len(counts) != DefaultFollowLast || counts[0]["kind"] != "a" {
		t.Fatalf("rows %v, %v", counts, err)
	}
}

// TestFollowInterruptEndsNormally: cancelling the cell's context stops a follow; Run returns
// no error, and the session reports the interrupt as the follow's normal end with its note.
func TestFollowInterruptEndsNormally(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev.jsonl")
	if err := os.WriteFile(path, []byte(`{"seq":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer session.Begin(ctx, &followSink{})()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	r, err := Follow(path).FromStart().Every(20 * time.Millisecond).Run()
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second || r.Stopped != "interrupted" || r.Events != 1 {
		t.Fatalf("after %v: %+v", d, r)
	}
	notes, ok := session.InterruptEnded(time.Second)
	if !ok || len(notes) != 1 || !strings.Contains(notes[0], "stopped after 1 events") {
		t.Fatalf("InterruptEnded: %q, %v", notes, ok)
	}
}

// TestFollowErrors: what cannot be followed says why.
func TestFollowErrors(t *testing.T) {
	for _, c := range []struct {
		w    *Follower
		want string
	}{
		{Follow(""), "empty path"},
		{FromRows([]map[string]any{{"a": 1}}).Follow(time.Second), "only frames on Elasticsearch"},
	} {
		if err := c.w.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Err() = %v, want %q", err, c.want)
		}
	}
	_, err := Follow(filepath.Join(t.TempDir(), "missing.jsonl")).For(time.Second).Run()
	if err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzFollowTail writes hostile bytes to a followed file in pieces cut at arbitrary places,
// polling after each piece: the events delivered are the complete lines that are one JSON
// object each, in order, whatever the cuts; a last line without its newline is not delivered.
func FuzzFollowTail(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":\"x\"}\nnot json\n{\"c\":[1,2]}\n{\"partial\":"), uint8(3), uint8(7))
	f.Add([]byte("\n\n{}\r\n{\"a\":\"\\u202e\"}\n[1,2]\n{\"a\":1}{\"b\":2}\n"), uint8(1), uint8(200))
	f.Add([]byte("{\"x\":\"</script>\"}\n\xff\xfe{\"y\":1}\n"), uint8(5), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, step, skew uint8) {
		path := filepath.Join(t.TempDir(), "f.jsonl")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		src := &fileFollow{path: path}
		if _, err := src.begin(context.Background(), Follow(path).FromStart()); err != nil {
			t.Fatal(err)
		}
		defer src.close()
		out, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		var got []string
		n := int(step)%17 + 1
		for i := 0; i < len(data); {
			j := min(len(data), i+n+int(skew)%(i+3))
			out.Write(data[i:j])
			i = j
			docs, _, err := src.poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				got = append(got, string(d))
			}
		}
		var want []string
		if end := bytes.LastIndexByte(data, '\n'); end >= 0 {
			for _, l := range bytes.Split(data[:end], []byte{'\n'}) {
				if d, ok := jsonObject(l); ok {
					want = append(want, string(d))
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("delivered %q, want %q", got, want)
		}
	})
}

// TestFollowWatermark: the Elasticsearch watermark is the newest time minus the lag and 1ms,
// rounded down to whole milliseconds (a date field's range compares in milliseconds).
func TestFollowWatermark(t *testing.T) {
	for _, c := range []struct {
		hi   int64
		lag  time.Duration
		want int64
	}{
		{10_000_000_000, time.Second, 8_999_000_000},
		{10_000_700_123, 1500 * time.Microsecond, 9_998_000_000},
		{-5, 0, -2_000_000},
	} {
		s := &esFollow{hi: c.hi, lag: c.lag}
		if got := s.watermark(); got != c.want {
			t.Errorf("watermark(hi %d, lag %v) = %d, want %d", c.hi, c.lag, got, c.want)
		}
	}
}
