package view

import (
	"strings"
	"testing"
)

// TestProcessTreeOpensToRareLeaves: a tree deeper than the default depth opens the branches
// down to a highlighted process and to a leaf whose image no other process has, leaves the
// other deep branches closed, marks the rare leaf, and its caption counts what is drawn.
func TestProcessTreeOpensToRareLeaves(t *testing.T) {
	var evs []ProcessEvent
	add := func(guid, parent, image string, sec float64) {
		evs = append(evs, ProcessEvent{GUID: guid, ParentGUID: parent, Host: "WS1", Time: at(sec), PID: int64(len(evs) + 1), ParentPID: -1, Image: `C:\w\` + image, Source: "sysmon 1"})
	}
	// services -> svchost -> {A: svchost -> svchost -> cmd -> mimikatz (rare), B: svchost -> svchost -> cmd -> cmd}
	add("{1}", "", "services.exe", 0)
	add("{2}", "{1}", "svchost.exe", 1)
	add("{A1}", "{2}", "svchost.exe", 2)
	add("{A2}", "{A1}", "svchost.exe", 3)
	add("{A3}", "{A2}", "cmd.exe", 4)
	add("{A4}", "{A3}", "mimikatz.exe", 5)
	add("{B1}", "{2}", "svchost.exe", 6)
	add("{B2}", "{B1}", "svchost.exe", 7)
	add("{B3}", "{B2}", "cmd.exe", 8)
	add("{B4}", "{B3}", "cmd.exe", 9)
	tr := NewProcessTree(evs)
	rare := tr.rareLeaves()
	if len(rare) != 1 {
		t.Fatalf("rare leaves %d, want 1 (mimikatz)", len(rare))
	}
	doc := parseHTML(t, tr.HTML())
	openSummaries := map[string]bool{}
	for _, d := range findAll(doc, "details") {
		_, open := attr(d, "open")
		for _, s := range findAll(d, "summary") {
			openSummaries[strings.Fields(textOf(s))[0]+"@"+textOf(s)[strings.Index(textOf(s), "pid"):strings.Index(textOf(s), "pid")+6]] = open
			break
		}
	}
	for key, want := range map[string]bool{"services.exe@pid 1 ": true, "svchost.exe@pid 2 ": true, "svchost.exe@pid 3 ": true, "svchost.exe@pid 4 ": true, "cmd.exe@pid 5 ": true, "svchost.exe@pid 7 ": false, "svchost.exe@pid 8 ": false, "cmd.exe@pid 9 ": false} {
		if got, ok := openSummaries[key]; !ok || got != want {
			t.Errorf("branch %s open=%v (present %v), want open=%v; all: %v", key, got, ok, want, openSummaries)
		}
	}
	h := tr.HTML()
	if !strings.Contains(h, `gh-leaf gh-rare">`) || strings.Count(h, `class="gh-rare-mark"`) != 1 {
		t.Error("rare leaf not marked once")
	}
	if !strings.Contains(h, "drawn: 10 processes, 5 of 8 branches open down to 1 rare (image seen once)") {
		t.Errorf("caption does not count what is drawn: %s", h[:600])
	}
	// Highlighting the other branch's last cmd opens its path too.
	tr.Highlight("cmd under cmd", Spawned("cmd.exe", "cmd.exe"))
	h = tr.HTML()
	if !strings.Contains(h, "drawn: 10 processes, 8 of 8 branches open down to 1 highlighted and 1 rare (image seen once)") {
		t.Errorf("caption with a highlight: %s", h[:700])
	}
}
