package worker

import (
	"strings"
	"testing"
)

// TestEQLMagic runs %%eql over a registered view, over a Go frame with -f, binds -o, and fails
// the cell with the query position of an unknown field.
func TestEQLMagic(t *testing.T) {
	s := newTestSession(t)
	s.run(`events := hunt.FromRows([]map[string]any{
	{"@timestamp": "2024-01-01T00:00:01Z", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "cmd.exe", "Guid": "a"},
	{"@timestamp": "2024-01-01T00:00:02Z", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 3, "Image": "cmd.exe", "Guid": "a"},
	{"@timestamp": "2024-01-01T00:00:03Z", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "<b>x</b>", "Guid": "b"},
})
events.As("ev")`).ok(t)
	d := s.run("%%eql ev\nprocess where Image : \"CMD.*\"").ok(t).data()
	if html, _ := d["text/html"].(string); !strings.Contains(html, "cmd.exe") {
		t.Fatalf("%%%%eql: %v", d)
	}
	s.run("%%eql -o seqs -f events\nsequence by Guid [process where true] [network where true]").ok(t)
	if got := s.run(`seqs.Count()`).ok(t).text(); got != "1" {
		t.Fatalf("seqs.Count() = %q", got)
	}
	if got := s.run(`len(seqs.Columns())`).ok(t).text(); got != "11" {
		t.Fatalf("sequence columns = %q, want join_key + 2 x 5", got)
	}
	r := s.run("%%eql\nprocess where Imag == \"x\"")
	if r.status() != "error" || !strings.Contains(r.errorText(), `line 1, column 15: unknown field \"Imag\"`) && !strings.Contains(r.errorText(), `line 1, column 15: unknown field "Imag"`) {
		t.Fatalf("unknown field: %s", r.errorText())
	}
	if r := s.run("%%eql -x"); r.status() != "error" || !strings.Contains(r.errorText(), "usage: %%eql") {
		t.Fatalf("bad arguments: %s", r.errorText())
	}
}
