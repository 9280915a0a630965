package hunt

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gohunt/gohunt/hunt/eql"
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

type match [][2]any // per event: Channel, RecordNumber

func eqlMatches(t *testing.T, ev *Frame, q string) []match {
	t.Helper()
	return eqlRows(t, ev.EQL(q), q)
}

// eqlRows reads the result f of query q as matches: (Channel, RecordNumber) per event.
func eqlRows(t *testing.T, f *Frame, q string) []match {
	t.Helper()
	rows, err := f.Collect()
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []match
	for _, r := range rows {
		var m match
		if _, ok := r["Channel"]; ok {
			m = append(m, [2]any{r["Channel"], r["RecordNumber"]})
		} else {
			for s := 1; ; s++ {
				ch, ok := r["s"+strconv.Itoa(s)+"_Channel"]
				if !ok {
					break
				}
				m = append(m, [2]any{ch, r["s"+strconv.Itoa(s)+"_RecordNumber"]})
			}
		}
		out = append(out, m)
	}
	return out
}

func norm(ms []match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		var parts []string
		for _, e := range m {
			n := e[1]
			switch v := n.(type) {
			case float64:
				n = int64(v)
			case int32:
				n = int64(v)
			}
			parts = append(parts, fmt.Sprintf("%v#%v", e[0], n))
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

func sortMatches(ms []match) {
	keys := norm(ms)
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return keys[idx[i]] < keys[idx[j]] })
	cp := append([]match(nil), ms...)
	for i, k := range idx {
		ms[i] = cp[k]
	}
}

// sameMatches fails t (Errorf) when the matches got and want of query q differ, naming each
// side; unordered compares them sorted (sequences whose order among ties is not fixed). It
// returns len(want), for the callers' check that the comparison was not empty.
func sameMatches(t *testing.T, q string, unordered bool, gotName string, got []match, wantName string, want []match) int {
	t.Helper()
	if unordered {
		sortMatches(got)
		sortMatches(want)
	}
	if !reflect.DeepEqual(norm(got), norm(want)) {
		t.Errorf("%s\n %-6s %d matches: %v\n %-6s %d matches: %v", q, gotName, len(got), trunc(got), wantName, len(want), trunc(want))
	}
	return len(want)
}

func trunc(ms []match) []string {
	s := norm(ms)
	if len(s) > 6 {
		s = append(s[:6], "...")
	}
	return s
}

func mustPrefilter(t *testing.T, q string) Expr {
	t.Helper()
	p, err := eql.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := eqlPrefilter(p, eql.DefaultCategories())
	if !ok {
		t.Fatalf("%s: nothing to push", q)
	}
	return e
}

// TestEQLPrefilter checks the condition pushed to Elasticsearch for each step.
func TestEQLPrefilter(t *testing.T) {
	cases := map[string]string{
		`process where Image == "a" and CommandLine : "x*"`:                              "Image",
		`sequence by H [process where A in ("x", "y") or B == "z"] [any where C == "c"]`: "C",
		`sequence [any where true] by ?G [file where true] by G`:                         "",
	}
	for q, want := range cases {
		p, err := eql.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := eqlPrefilter(p, eql.DefaultCategories())
		if want == "" {
			if ok {
				t.Errorf("%s: pushed %s, want nothing (the first step keeps every event)", q, e)
			}
			continue
		}
		if !ok || !strings.Contains(e.String(), want) || !strings.Contains(e.String(), "EventID") && !strings.HasPrefix(q, "sequence by H") {
			t.Errorf("%s: pushed %s (%v), want a filter naming %s", q, e, ok, want)
		}
	}
	p, _ := eql.Parse(`any where not (a == "x") or b : "y"`)
	if e, ok := eqlPrefilter(p, eql.DefaultCategories()); ok {
		t.Errorf("not/: must not be pushed: %s", e)
	}
}

// TestEQLTableSource checks that EQL over a frame that is a session table (which reads the table
// per step by rowid, not a numbered copy of the frame) returns what it returns over the same
// rows as another frame (numbered and held by the plan): the same rows, columns and order.
func TestEQLTableSource(t *testing.T) {
	var queries []string
	for _, q := range append(append([]string{}, oracleQueries...), sparkEQLQueries...) {
		if strings.HasPrefix(q, "sequence") {
			queries = append(queries, q)
		}
	}
	queries = append(queries, `any where Channel == "Security" | tail 3`, `process where EventID == 10 and GrantedAccess : "0x1*"`,
		`sequence by Hostname [process where true] [registry where true] [process where true] until [network where true]`,
		`sequence by Hostname, ?NoSuchField [any where EventID == 4656] by ProcessId [any where EventID == 4658] by ProcessId`,
		`sequence [any where true] [any where true]`,
		`registry where true | head 3`)
	found := map[string]int{}
	for _, path := range []string{sampleFlat, sampleFlat2} {
		ev := Read(path)
		if ev.Err() != nil {
			t.Fatal(ev.Err())
		}
		other := ev.Limit(1 << 30)
		if _, ok := ev.tableSource(); !ok {
			t.Fatalf("Read's frame is not seen as a table: %s", ev.sql)
		}
		if _, ok := other.tableSource(); ok {
			t.Fatalf("a Limit frame is seen as a table: %s", other.sql)
		}
		for _, q := range queries {
			a, err := ev.EQL(q).Collect()
			if err != nil {
				t.Fatalf("%s: %s: %v", path, q, err)
			}
			b, err := other.EQL(q).Collect()
			if err != nil {
				t.Fatalf("%s: %s over a Limit frame: %v", path, q, err)
			}
			found[q] += len(a)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("%s: %s: over the table\n%v\nover a Limit frame\n%v", path, q, a, b)
			}
		}
		if s := ev.EQL(queries[0]).SQLText(); !strings.Contains(s, "rowid AS "+eqlRowID) {
			t.Errorf("a sequence over a table does not read it by rowid:\n%s", s)
		}
	}
	for _, q := range queries {
		if found[q] == 0 {
			t.Errorf("%s: no matches in either recording (the query should test something)", q)
		}
	}
}
