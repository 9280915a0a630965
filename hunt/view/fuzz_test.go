package view

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzHostileStrings feeds arbitrary strings as lane names, bar labels, image names, hosts,
// users and command lines: every SVG must stay well-formed XML, every HTML must parse without
// script, handler or foreign image, and a command line must read back as text exactly (after
// clean's visible escaping of control bytes).
func FuzzHostileStrings(f *testing.F) {
	for _, s := range []string{hostile1, hostile2, hostile3, "", "\x00\x01\x1b]0;x\x07", "\xff\xfe<", "]]>", "<!--", "<![CDATA[x]]>", "&#x3c;script&#x3e;", "\u2028\u2029\ufeff\ufffe\uffff", "<svg onload=alert(1)>", `javascript:alert(1)`, "</figcaption></figure><script>"} {
		f.Add(s, hostile1)
		f.Add(hostile2, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		tl := sampleTimeline()
		tl.Lanes[0].Name, tl.Lanes[1].Name, tl.By = a, b, a
		parseSVG(t, tl.SVG())
		parseHTML(t, tl.HTML())

		bars := &Bars{Title: a, Label: b, Value: a, Bars: []Bar{{Label: a, Count: 3}, {Label: b, Count: 1}}, Note: b}
		parseSVG(t, bars.SVG())
		parseHTML(t, bars.HTML())

		t0 := time.Date(2020, 9, 21, 4, 0, 0, 0, time.UTC)
		tr := NewProcessTree([]ProcessEvent{
			{GUID: a, ParentGUID: b, Host: a, Time: t0, PID: 1, ParentPID: -1, Image: `C:\` + a, CommandLine: b, User: a, ParentImage: b, ParentCommandLine: a, Source: "sysmon 1"},
			{GUID: b + "x", ParentGUID: a, Host: a, Time: t0.Add(time.Second), PID: 2, ParentPID: 1, Image: b, CommandLine: a, User: b, Source: "sysmon 1"},
		}).Highlight(b, func(*Process) bool { return true })
		doc := parseHTML(t, tr.HTML())
		text := textOf(doc)
		for _, s := range []string{a, b} {
			if c := clean(s); utf8.RuneCountInString(c) <= cmdKeep && strings.TrimSpace(c) != "" && !strings.Contains(text, c) {
				t.Errorf("command line %q does not read back as %q from the HTML text", s, c)
			}
		}
	})
}
