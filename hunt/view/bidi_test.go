package view

import (
	"strings"
	"testing"
)

// TestBidiControlsVisible: bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and the rest)
// that would make "gpj.exe" read as "exe.jpg" are shown as escapes in trees, timelines and bars,
// HTML and text alike.
func TestBidiControlsVisible(t *testing.T) {
	if got := Visible("a\u202Eb\u2066c\u2069d\u200E\u200F\u061C\u2028x\tq"); got != `a\u202eb\u2066c\u2069d\u200e\u200f\u061c\u2028x\tq` {
		t.Errorf("Visible = %q", got)
	}
	if got := Visible("plain é 日本 \uFFFD"); got != "plain é 日本 \uFFFD" {
		t.Errorf("Visible changed printable text: %q", got)
	}
	evil := "invoice\u202Egpj.exe"
	tr := NewProcessTree([]ProcessEvent{
		{GUID: "{R}", Host: "WS1", Time: at(0), PID: 1, ParentPID: -1, Image: `C:\x\` + evil, CommandLine: evil + " /c", User: "u\u202Dser", Source: "sysmon 1"},
	})
	tl := sampleTimeline()
	tl.Lanes[0].Name, tl.Lanes[0].Label = evil, ""
	bars := &Bars{Title: "Image", Label: "Image", Value: "count", Bars: []Bar{{Label: evil, Count: 3}}, Rows: 1, Total: 3}
	for name, out := range map[string]string{"tree HTML": tr.HTML(), "tree text": tr.String(), "timeline text": tl.String(), "timeline SVG": tl.SVG(), "bars text": bars.String(), "bars SVG": bars.SVG()} {
		if strings.ContainsAny(out, "\u202E\u202D") {
			t.Errorf("%s holds a raw bidi control", name)
		}
		if !strings.Contains(out, `invoice\u202egpj.exe`) {
			t.Errorf("%s lacks the escaped name:\n%s", name, out)
		}
	}
}

// TestEventNames: the embedded table names Sysmon, Security and PowerShell events by log;
// without a log only ids that one log alone uses are named.
func TestEventNames(t *testing.T) {
	for _, c := range []struct{ channel, id, want string }{
		{"Microsoft-Windows-Sysmon/Operational", "10", "ProcessAccess"},
		{"Microsoft-Windows-Sysmon/Operational", "1", "ProcessCreate"},
		{"Security", "4688", "ProcessCreate"},
		{"security", "4624", "Logon"},
		{"Microsoft-Windows-PowerShell/Operational", "4104", "ScriptBlockLogging"},
		{"Windows PowerShell", "400", "EngineStarted"},
		{"System", "7", ""},
		{"Security", "10", ""},
		{"", "4688", "ProcessCreate"},
		{"", "10", ""},
		{"", "x<y", ""},
	} {
		if got := EventName(c.channel, c.id); got != c.want {
			t.Errorf("EventName(%q, %q) = %q, want %q", c.channel, c.id, got, c.want)
		}
	}
	if got := EventLabel("Microsoft-Windows-Sysmon/Operational", "10"); got != "10 ProcessAccess" {
		t.Errorf("EventLabel = %q", got)
	}
	// Every line of the table is log, id, name; no id twice in a log.
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(eventNamesTSV), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[2] == "" || logKey(f[0]) != f[0] || seen[f[0]+"/"+f[1]] {
			t.Errorf("eventnames.tsv line %d: %q", i+1, line)
		}
		seen[f[0]+"/"+f[1]] = true
	}
}
