package worker

import (
	"strings"
	"testing"
)

// TestHuntPreloaded drives the hunt library from cells: preloaded without an import, a frame
// renders as HTML, a deferred error fails the cell, %%sql runs over registered frames and -o binds
// the result.
func TestHuntPreloaded(t *testing.T) {
	s := newTestSession(t)
	s.run(`events := hunt.FromRows([]map[string]any{
	{"EventID": 1, "Image": "cmd.exe"},
	{"EventID": 10, "Image": "<script>"},
	{"EventID": 10, "Image": "lsass.exe"},
})
events.As("ev")`).ok(t)
	d := s.run(`events.Where(hunt.Col("EventID").Eq(10))`).ok(t).data()
	html, _ := d["text/html"].(string)
	if !strings.Contains(html, "lsass.exe") || strings.Contains(html, "<script>") || d["text/plain"] == nil {
		t.Fatalf("frame bundle: %v", d)
	}
	if got := s.run(`events.Count()`).ok(t).text(); got != "3" {
		t.Fatalf("Count() = %q", got)
	}
	r := s.run(`events.Select("NoSuchColumn")`)
	if r.status() != "error" || !strings.Contains(r.errorText(), "NoSuchColumn") {
		t.Fatalf("deferred error: %s", r.errorText())
	}
	d = s.run("%%sql\nSELECT Image, count(*) AS n FROM ev GROUP BY Image ORDER BY Image").ok(t).data()
	if html, _ := d["text/html"].(string); !strings.Contains(html, "cmd.exe") {
		t.Fatalf("%%%%sql: %v", d)
	}
	s.run("%%sql -o tens\nSELECT * FROM ev WHERE EventID = 10").ok(t)
	if got := s.run(`tens.Count()`).ok(t).text(); got != "2" {
		t.Fatalf("tens.Count() = %q", got)
	}
	if r := s.run("%%sql\nSELECT nosuch FROM ev"); r.status() != "error" {
		t.Fatalf("bad SQL did not fail the cell")
	}
	if got := s.Inspect("hunt.SQL", 8, 0); !got.Found {
		t.Fatalf("inspect hunt.SQL: %v", got)
	}
	if got := s.Inspect("events.Where", 12, 0); !got.Found || !strings.HasPrefix(got.Data["text/plain"].(string), "func (f *Frame) Where(") {
		t.Fatalf("inspect events.Where: %v", got)
	}
	if got := s.Inspect(`hunt.FromRows(nil).Where(hunt.Col("a").Eq(1)).Limit(3)`, 46, 0); !got.Found || !strings.HasPrefix(got.Data["text/plain"].(string), "func (f *Frame) Limit(") {
		t.Fatalf("inspect a chain: %v", got)
	}
	chain := `x := hunt.FromRows(nil).Where(hunt.Col("a").Eq(1)).Li`
	if got := s.Complete(chain, len(chain)); !contains(got.Matches, `hunt.FromRows(nil).Where(hunt.Col("a").Eq(1)).Limit`) || got.CursorStart != 5 {
		t.Fatalf("complete a chain: %v", got)
	}
	if got := s.Complete("events.Where(nil).Co", 20).Matches; !contains(got, "events.Where(nil).Count") {
		t.Fatalf("complete events.Where(nil).Co: %v", got)
	}
	if got := s.Complete("events.Wh", 9).Matches; !contains(got, "events.Where") {
		t.Fatalf("complete events.Wh: %v", got)
	}
}
