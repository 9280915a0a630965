package hunt

import (
	"strings"
	"testing"
)

// TestFrameEQL runs EQL through a frame: event query order and columns, a sequence's s1_/s2_
// columns and join_key, an overridden category table, and errors with the query position.
func TestFrameEQL(t *testing.T) {
	ev := FromRows([]map[string]any{
		{"@timestamp": "2024-01-01T00:00:03Z", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 3, "Guid": "a", "n": 1},
		{"@timestamp": "2024-01-01T00:00:01Z", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Guid": "a", "n": 2},
		{"@timestamp": "2024-01-01T00:00:01Z", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Guid": "b", "n": 3},
		{"@timestamp": "2024-01-01T00:00:02Z", "Channel": "Custom", "EventID": 7, "Guid": "a", "n": 4},
	})
	got, err := ev.EQL(`process where true`).Strings("n")
	if err != nil || strings.Join(got, ",") != "2,3" {
		t.Fatalf("process where true: %v %v (want 2,3: time order, ties in frame order)", got, err)
	}
	seq := ev.EQL(`sequence by Guid [process where true] [network where true]`)
	if err := seq.Err(); err != nil {
		t.Fatal(err)
	}
	cols := strings.Join(seq.Columns(), ",")
	if !strings.HasPrefix(cols, "join_key,s1_@timestamp,s1_Channel,") || !strings.Contains(cols, ",s2_n") {
		t.Fatalf("sequence columns: %s", cols)
	}
	rows, err := seq.Collect()
	if err != nil || len(rows) != 1 || rows[0]["join_key"] != "a" || rows[0]["s1_n"] != int64(2) || rows[0]["s2_n"] != int64(1) {
		t.Fatalf("sequence rows: %v %v", rows, err)
	}
	custom := ev.EQL(`widget where true`, EQLCategories("widget Custom 7\n# comment\n"))
	if n, err := custom.Count(); err != nil || n != 1 {
		t.Fatalf("custom category: %d %v", n, err)
	}
	if err := ev.EQL(`process where true`, EQLCategories("widget Custom 7")).Err(); err == nil || !strings.Contains(err.Error(), `unknown event category "process"`) {
		t.Fatalf("overridden table still knows process: %v", err)
	}
	if err := ev.EQL("process where\n  Gid == \"a\"").Err(); err == nil || !strings.Contains(err.Error(), `line 2, column 3: unknown field "Gid"; did you mean "Guid"?`) {
		t.Fatalf("unknown field: %v", err)
	}
	if err := EQL("no_such_view", `any where true`).Err(); err == nil || !strings.Contains(err.Error(), "no frame registered") {
		t.Fatalf("unknown view: %v", err)
	}
	hostile := FromRows([]map[string]any{{"@timestamp": "2024-01-01T00:00:01Z", "x": "a'); DROP TABLE t; --"}})
	if n, err := hostile.EQL(`any where x == "a'); DROP TABLE t; --"`).Count(); err != nil || n != 1 {
		t.Fatalf("quotes in a literal: %d %v", n, err)
	}
}
