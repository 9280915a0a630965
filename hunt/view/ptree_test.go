package view

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2020, 9, 21, 4, 14, 53, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func find(t *testing.T, tr *ProcessTree, name string, pid int64) *Process {
	t.Helper()
	for _, p := range tr.Processes() {
		if strings.EqualFold(p.Name(), name) && (pid < 0 || p.PID == pid) {
			return p
		}
	}
	t.Fatalf("no process %s pid %d in\n%s", name, pid, tr)
	return nil
}

func TestParsePID(t *testing.T) {
	for in, want := range map[string]int64{"6504": 6504, "0x1968": 0x1968, "0X1fe8": 0x1fe8, " 4 ": 4, "": -1, "x": -1, "0xZZ": -1, "-3": -1} {
		got, ok := ParsePID(in)
		if got != want || ok != (want >= 0) {
			t.Errorf("ParsePID(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestProcessTreeSysmonGUIDs(t *testing.T) {
	evs := []ProcessEvent{
		// Out of time order on purpose.
		{GUID: "{C}", ParentGUID: "{B}", Host: "WS6.theshire.local", Time: at(2), PID: 30, ParentPID: 20, Image: `C:\Windows\System32\conhost.exe`, Source: "sysmon 1"},
		{GUID: "{B}", ParentGUID: "{A}", Host: "WS6.theshire.local", Time: at(1), PID: 20, ParentPID: 10, Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
			ParentImage: `C:\Windows\System32\wbem\WmiPrvSE.exe`, ParentCommandLine: `wmiprvse.exe -secured -Embedding`, CommandLine: "powershell -enc AAAA", Source: "sysmon 1"},
		{GUID: "{D}", ParentGUID: "{B}", Host: "WS6.theshire.local", Time: at(3), PID: 40, ParentPID: 20, Image: `C:\Windows\System32\whoami.exe`, Source: "sysmon 1"},
		{GUID: "{b}", ParentGUID: "{A}", Host: "WS6.theshire.local", Time: at(1), PID: 20, ParentPID: 10, Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, Source: "sysmon 1"}, // repeated (GUID case differs)
		{GUID: "{E}", ParentGUID: "{Q}", Host: "DC1", Time: at(5), PID: 50, ParentPID: 9, Image: `C:\Windows\System32\cmd.exe`, ParentImage: `C:\Windows\System32\wbem\WmiPrvSE.exe`, Source: "sysmon 1"},
		{GUID: "{F}", ParentGUID: "{Q}", Host: "DC1", Time: at(6), PID: 51, ParentPID: 9, Image: `C:\Windows\System32\cmd.exe`, ParentImage: `C:\Windows\System32\wbem\WmiPrvSE.exe`, Source: "sysmon 1"},
	}
	tr := NewProcessTree(evs)
	if tr.Merged != 1 || tr.Events != 6 {
		t.Errorf("merged %d of %d events, want 1 of 6", tr.Merged, tr.Events)
	}
	ps := find(t, tr, "powershell.exe", 20)
	if ps.Parent == nil || ps.Parent.Seen || ps.Parent.Name() != "WmiPrvSE.exe" || ps.Parent.CommandLine != `wmiprvse.exe -secured -Embedding` {
		t.Fatalf("powershell's parent should be an unseen WmiPrvSE root, got %+v", ps.Parent)
	}
	if len(ps.Children) != 2 || ps.Children[0].Name() != "conhost.exe" || ps.Children[1].Name() != "whoami.exe" {
		t.Errorf("powershell's children %v, want conhost then whoami", names(ps.Children))
	}
	// Two children of the same unseen parent share one made-up root.
	cmd := find(t, tr, "cmd.exe", 50)
	if cmd.Parent == nil || cmd.Parent != find(t, tr, "cmd.exe", 51).Parent || len(cmd.Parent.Children) != 2 {
		t.Errorf("cmd.exe siblings do not share their unseen parent")
	}
	if tr.Unparented != 2 || len(tr.Roots) != 2 {
		t.Errorf("%d made-up roots, %d roots; want 2 and 2", tr.Unparented, len(tr.Roots))
	}
	if tr.Roots[0].Host != "DC1" {
		t.Errorf("roots not sorted by host: %s first", tr.Roots[0].Host)
	}
	tr.Highlight("powershell started by wmiprvse", Spawned("powershell.exe", "WMIPRVSE.EXE"))
	if hl := tr.Highlighted(); len(hl) != 1 || hl[0] != ps {
		t.Errorf("highlighted %v, want the powershell", names(hl))
	}
	s := tr.String()
	for _, want := range []string{"Process tree of 5 processes", "on 2 hosts", "1 highlighted: powershell started by wmiprvse", "* powershell.exe pid 20", "    - conhost.exe pid 30", "[parent not seen]"} {
		if !strings.Contains(s, want) {
			t.Errorf("text lacks %q:\n%s", want, s)
		}
	}
}

func names(ps []*Process) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name())
	}
	return out
}

func TestProcessTreeSecurityPIDs(t *testing.T) {
	// 4688 only: parents by (host, PID), the latest earlier process with that PID (PIDs are reused).
	evs := []ProcessEvent{
		{Host: "WS5", Time: at(0), PID: 0x100, ParentPID: 0x4, Image: `C:\Windows\explorer.exe`, Source: "security 4688"},
		{Host: "WS5", Time: at(1), PID: 0x200, ParentPID: 0x100, Image: `C:\Windows\System32\cmd.exe`, Source: "security 4688"},
		{Host: "WS5", Time: at(10), PID: 0x100, ParentPID: 0x4, Image: `C:\Windows\System32\svchost.exe`, Source: "security 4688"}, // PID 0x100 reused
		{Host: "WS5", Time: at(11), PID: 0x300, ParentPID: 0x100, Image: `C:\Windows\System32\rundll32.exe`, Source: "security 4688"},
		{Host: "WS6", Time: at(12), PID: 0x400, ParentPID: 0x100, Image: `C:\Windows\System32\notepad.exe`, Source: "security 4688"}, // other host
	}
	tr := NewProcessTree(evs)
	if p := find(t, tr, "cmd.exe", -1).Parent; p == nil || p.Name() != "explorer.exe" {
		t.Errorf("cmd.exe's parent %v, want explorer.exe", p)
	}
	if p := find(t, tr, "rundll32.exe", -1).Parent; p == nil || p.Name() != "svchost.exe" {
		t.Errorf("rundll32.exe's parent %v, want svchost.exe (the later holder of PID 0x100)", p)
	}
	if p := find(t, tr, "notepad.exe", -1).Parent; p == nil || p.Seen || p.Host != "WS6" {
		t.Errorf("notepad.exe on WS6 got parent %+v, want an unseen one on WS6", p)
	}
}

func TestProcessTreeMergesSysmonAndSecurity(t *testing.T) {
	// Sysmon 1 without ProcessId (as in several Mordor files) and the Security 4688 of the same
	// creation, logged 1.2s later by the collector clock; then a child found through the
	// merged PID.
	evs := []ProcessEvent{
		{GUID: "{P}", ParentGUID: "{W}", Host: "WORKSTATION6.theshire.local", Time: at(0), PID: -1, ParentPID: 2740,
			Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, CommandLine: "powershell -enc AAA", ParentImage: `C:\Windows\System32\wbem\WmiPrvSE.exe`, Source: "sysmon 1"},
		{Host: "WORKSTATION6", Time: at(1.2), PID: 9804, ParentPID: 2740,
			Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, CommandLine: "powershell -enc AAA", ParentImage: `C:\Windows\System32\wbem\WmiPrvSE.exe`, Source: "security 4688"},
		{Host: "WORKSTATION6.theshire.local", Time: at(30), PID: 2044, ParentPID: 9804, Image: `C:\Windows\System32\whoami.exe`, Source: "security 4688"},
		// Same image and parent PID but another command line: a different process.
		{Host: "WORKSTATION6", Time: at(2), PID: 9900, ParentPID: 2740,
			Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, CommandLine: "powershell -c other", ParentImage: `C:\Windows\System32\wbem\WmiPrvSE.exe`, Source: "security 4688"},
	}
	tr := NewProcessTree(evs)
	ps := find(t, tr, "powershell.exe", 9804)
	if ps.GUID != "{P}" || !ps.Time.Equal(at(0)) || strings.Join(ps.Sources, "+") != "sysmon 1+security 4688" {
		t.Errorf("merged node %+v: want the Sysmon GUID and time, both sources", ps)
	}
	if tr.Merged != 1 {
		t.Errorf("merged %d, want 1", tr.Merged)
	}
	if w := find(t, tr, "whoami.exe", 2044); w.Parent != ps {
		t.Errorf("whoami's parent %v, want the merged powershell", w.Parent)
	}
	other := find(t, tr, "powershell.exe", 9900)
	if other == ps || other.Parent == nil || other.Parent != ps.Parent {
		t.Errorf("the second powershell should be a sibling under the same unseen WmiPrvSE (pid 2740)")
	}
}

func TestProcessTreeCycleAndEmpty(t *testing.T) {
	evs := []ProcessEvent{
		{GUID: "{A}", ParentGUID: "{B}", Host: "h", Time: at(0), PID: -1, ParentPID: -1, Image: "a.exe", Source: "sysmon 1"},
		{GUID: "{B}", ParentGUID: "{A}", Host: "h", Time: at(1), PID: -1, ParentPID: -1, Image: "b.exe", Source: "sysmon 1"},
	}
	tr := NewProcessTree(evs)
	if len(tr.Roots) != 1 || len(tr.Processes()) != 2 {
		t.Fatalf("cycle: roots %v", names(tr.Roots))
	}
	if !strings.Contains(tr.HTML(), "b.exe") || !strings.Contains(tr.String(), "b.exe") {
		t.Error("cycle member lost")
	}
	// A longer loop and a self-loop: every node stays, each loop is cut once.
	loop := NewProcessTree([]ProcessEvent{
		{GUID: "{1}", ParentGUID: "{3}", Host: "h", Time: at(0), PID: -1, ParentPID: -1, Image: "one.exe", Source: "sysmon 1"},
		{GUID: "{2}", ParentGUID: "{1}", Host: "h", Time: at(1), PID: -1, ParentPID: -1, Image: "two.exe", Source: "sysmon 1"},
		{GUID: "{3}", ParentGUID: "{2}", Host: "h", Time: at(2), PID: -1, ParentPID: -1, Image: "three.exe", Source: "sysmon 1"},
		{GUID: "{4}", ParentGUID: "{4}", Host: "h", Time: at(3), PID: -1, ParentPID: -1, Image: "self.exe", Source: "sysmon 1"},
		{GUID: "{5}", ParentGUID: "{2}", Host: "h", Time: at(4), PID: -1, ParentPID: -1, Image: "five.exe", Source: "sysmon 1"},
	})
	count := 0
	var walk func(ps []*Process, depth int)
	walk = func(ps []*Process, depth int) {
		for _, p := range ps {
			if depth > 10 {
				t.Fatal("loop survived")
			}
			count++
			walk(p.Children, depth+1)
		}
	}
	walk(loop.Roots, 0)
	if count != 5 || len(loop.Roots) != 2 {
		t.Errorf("loops: %d nodes reachable from %d roots, want 5 from 2:\n%s", count, len(loop.Roots), loop)
	}

	empty := NewProcessTree(nil)
	if s := empty.String(); !strings.Contains(s, "Process tree of 0 processes") {
		t.Errorf("empty tree: %q", s)
	}
	parseHTML(t, empty.HTML())
}

func TestProcessTreeHTMLEscapingAndStructure(t *testing.T) {
	long := "powershell -enc " + strings.Repeat("QUJD", 300) + hostile3
	evs := []ProcessEvent{
		{GUID: "{R}", Host: "WS1<script>", Time: at(0), PID: 1, ParentPID: -1, Image: `C:\x\` + hostile2, CommandLine: hostile1, User: hostile3, Source: "sysmon 1"},
		{GUID: "{S}", ParentGUID: "{R}", Host: "WS1<script>", Time: at(1), PID: 2, ParentPID: 1, Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, CommandLine: long, Source: "sysmon 1"},
		{GUID: "{T}", ParentGUID: "{S}", Host: "WS1<script>", Time: at(2), PID: 3, ParentPID: 2, Image: `C:\Windows\System32\cmd.exe`, CommandLine: "cmd /c echo </details></summary></div>" + hostile2, Source: "sysmon 1"},
		{GUID: "{U}", ParentGUID: "{R}", Host: "WS1<script>", Time: at(3), PID: 4, ParentPID: 1, Image: "ctl\x00\x07.exe", CommandLine: "a\x1b[2Jb\xff", Source: "sysmon 1"},
	}
	tr := NewProcessTree(evs).Highlight(hostile1, Spawned("cmd.exe", "powershell.exe"))
	h := tr.HTML()
	doc := parseHTML(t, h)
	// Every process is there, with its exact command line as text.
	text := textOf(doc)
	for _, want := range []string{hostile1, "cmd /c echo </details></summary></div>" + hostile2, hostile3, `a\x1b[2Jb` + "\uFFFD", `ctl\x00\x07.exe`, "WS1<script>", "⚑ MATCH"} {
		if !strings.Contains(text, want) {
			t.Errorf("HTML text lacks %q", want)
		}
	}
	// Structure: the tree's details nest as the processes do. R has children (S, U), S has a
	// child (T); the long command line adds one collapsed details of its own.
	details := findAll(doc, "details")
	if len(details) != 3 {
		t.Fatalf("%d details elements, want 3 (R, S, full command line of S):\n%s", len(details), h)
	}
	full := 0
	for _, d := range details {
		if c, _ := attr(d, "class"); c == "gh-full" {
			full++
			if !strings.Contains(textOf(d), long) {
				t.Error("full command line details lacks the whole command line")
			}
			if _, open := attr(d, "open"); open {
				t.Error("full command line is open")
			}
		}
	}
	if full != 1 {
		t.Errorf("%d full-command-line details, want 1", full)
	}
	// The path to the match is open and the match is marked.
	for _, d := range details {
		c, _ := attr(d, "class")
		if _, open := attr(d, "open"); c != "gh-full" && !open {
			t.Errorf("branch %q on the path to the match is closed", textOf(d)[:40])
		}
	}
	var hl []string
	for _, n := range append(findAll(doc, "li"), findAll(doc, "summary")...) {
		if c, _ := attr(n, "class"); strings.Contains(c, "gh-hl") {
			hl = append(hl, textOf(n))
		}
	}
	if len(hl) != 1 || !strings.Contains(hl[0], "cmd.exe") {
		t.Errorf("highlighted nodes %q, want the cmd.exe", hl)
	}
	// cmd.exe's node sits inside powershell's details, which sits inside R's.
	var cmdNode *Process
	for _, p := range tr.Processes() {
		if p.Name() == "cmd.exe" {
			cmdNode = p
		}
	}
	if cmdNode == nil || cmdNode.Parent.Name() != "powershell.exe" || cmdNode.Parent.Parent.GUID != "{R}" {
		t.Fatal("tree shape wrong")
	}
	inner := details[1]
	if c, _ := attr(inner, "class"); c == "gh-full" {
		inner = details[2]
	}
	if !strings.Contains(textOf(inner), "cmd /c echo") || strings.Contains(textOf(inner), "ctl") {
		t.Errorf("cmd.exe is not nested in powershell's branch alone")
	}
	if strings.Contains(h, "<script>") || strings.Contains(h, "<img") {
		t.Error("raw hostile markup in HTML")
	}
	s := tr.String()
	if !strings.Contains(s, "* cmd.exe pid 3") || !strings.Contains(s, `a\x1b[2Jb`) {
		t.Errorf("text fallback:\n%s", s)
	}
}

func TestProcessTreeNodeLimit(t *testing.T) {
	var evs []ProcessEvent
	for i := 0; i < 50; i++ {
		evs = append(evs, ProcessEvent{Host: "h", Time: at(float64(i)), PID: int64(100 + i), ParentPID: 4, Image: "x.exe", Source: "security 4688"})
	}
	tr := NewProcessTree(evs)
	tr.MaxNodes = 10
	doc := parseHTML(t, tr.HTML())
	if n := len(findAll(doc, "code")) + strings.Count(textOf(doc), "x.exe"); n == 0 {
		t.Fatal("nothing shown")
	}
	if got := strings.Count(textOf(doc), "x.exe pid"); got > 0 {
		t.Logf("%d", got)
	}
	if c := strings.Count(tr.HTML(), `class="gh-img"`); c != 10 {
		t.Errorf("%d nodes drawn, want 10", c)
	}
	if !strings.Contains(tr.String(), "first 10 of 51 nodes shown") {
		t.Errorf("limit not said: %s", tr.String()[:200])
	}
}
