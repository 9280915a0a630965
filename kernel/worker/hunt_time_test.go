package worker

import (
	"regexp"
	"strings"
	"testing"
)

// TestHuntEventTimeDisplay: a cell showing a Mordor frame renders its event times as
// 2020-09-22 08:28:23.382 (UTC, a space, milliseconds) in cells that do not wrap, in text/html
// and text/plain; %%sql over the same frame gives Spark's text of @timestamp (issue 13).
func TestHuntEventTimeDisplay(t *testing.T) {
	s := newTestSession(t)
	s.run(`ev := hunt.Read("../../testdata/mordor/empire_shell_reg_dump_sam.zip")
ev.As("mordor")`).ok(t)
	d := s.run(`ev.Where(hunt.Col("UtcTime").IsNotNull()).Select("@timestamp", "UtcTime", "Hostname").OrderBy("@timestamp").Limit(2)`).ok(t).data()
	html, _ := d["text/html"].(string)
	cells := regexp.MustCompile(`<td class="t">([^<]*)</td>`).FindAllStringSubmatch(html, -1)
	if len(cells) != 4 {
		t.Fatalf("%d time cells, want 4:\n%s", len(cells), html)
	}
	if cells[0][1] != "2020-09-22 08:28:23.382" || cells[1][1] != "2020-09-22 08:28:20.866" {
		t.Errorf("times shown as %q and %q, want 2020-09-22 08:28:23.382 and 2020-09-22 08:28:20.866", cells[0][1], cells[1][1])
	}
	if !strings.Contains(html, "td.t{white-space:nowrap") || !strings.Contains(html, "<small>timestamp</small>") {
		t.Errorf("time columns not typed or may wrap:\n%s", html)
	}
	if txt, _ := d["text/plain"].(string); !strings.Contains(txt, "2020-09-22 08:28:23.382") {
		t.Errorf("text/plain:\n%s", txt)
	}
	d = s.run("%%sql\nSELECT `@timestamp` FROM mordor WHERE `@timestamp` LIKE \"2020-09-22T08:28:23.382%\"").ok(t).data()
	if html, _ := d["text/html"].(string); !strings.Contains(html, "2020-09-22T08:28:23.382Z") {
		t.Errorf("%%%%sql does not give Spark's text of @timestamp:\n%s", html)
	}
}
