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
	tl.Lanes[0].Name = evil
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
