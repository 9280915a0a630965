package view

import (
	"fmt"
	"testing"
	"time"
)

// processEvents makes n creations on 4 hosts, 50 per second: half Sysmon (without ProcessId,
// as in several Mordor files), half the Security 4688 of the same creations 1.5s later, in
// chains of parent and child.
func processEvents(n int) []ProcessEvent {
	t0 := time.Date(2020, 9, 21, 4, 0, 0, 0, time.UTC)
	images := []string{`C:\Windows\System32\svchost.exe`, `C:\Windows\System32\cmd.exe`, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Windows\System32\conhost.exe`, `C:\Windows\System32\whoami.exe`}
	var evs []ProcessEvent
	for i := 0; i < n/2; i++ {
		host := fmt.Sprintf("WS%d.corp.local", i%4)
		pid, ppid := int64(1000+i), int64(1000+i-4)
		at := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		img, cmd := images[i%len(images)], fmt.Sprintf("cmd %d", i)
		evs = append(evs,
			ProcessEvent{GUID: fmt.Sprintf("{%d}", i), ParentGUID: fmt.Sprintf("{%d}", i-4), Host: host, Time: at, PID: -1, ParentPID: ppid, Image: img, CommandLine: cmd, Source: "sysmon 1"},
			ProcessEvent{Host: host, Time: at.Add(1500 * time.Millisecond), PID: pid, ParentPID: ppid, Image: img, CommandLine: cmd, Source: "security 4688"},
		)
	}
	return evs
}

// BenchmarkProcessTree100k builds a tree of 100,000 creation events (50,000 processes, every
// one merged from Sysmon and Security) and renders its HTML (first 2000 nodes).
func BenchmarkProcessTree100k(b *testing.B) {
	evs := processEvents(100_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr := NewProcessTree(evs)
		if tr.Merged != 50_000 {
			b.Fatalf("merged %d", tr.Merged)
		}
		_ = tr.HTML()
	}
}
