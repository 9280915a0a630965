package hunt

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestSigmaKeywordGate checks the regular expressions that let Detect skip the keyword text of
// events holding none of the searched texts: whole-value searches apart, anchors, case folding
// with the two non-ASCII characters lower() maps to ASCII letters, and the searches no gate can
// cover.
func TestSigmaKeywordGate(t *testing.T) {
	sep := "\x1f"
	g := keywordGate([]string{sep + "mimikatz" + sep, sep + "a.b" + sep, sep + "start", "end" + sep, "mid", sep + "mimikatz" + sep}, true)
	if g == nil {
		t.Fatal("no gate for ASCII searches")
	}
	wantWhole := []string{`(?i)(?:\A|\x1f)(?:m[i\x{130}]m[i\x{130}][k\x{212A}]atz|a\.b)(?:\x1f|\z)`}
	wantOther := []string{`(?i)(?:(?:\A|\x1f)start|end(?:\x1f|\z)|m[i\x{130}]d)`}
	if !reflect.DeepEqual(g.whole, wantWhole) || !reflect.DeepEqual(g.other, wantOther) || g.wholeLen != 24 {
		t.Errorf("gate %+v, want whole %q, other %q, wholeLen 24", g, wantWhole, wantOther)
	}
	if g := keywordGate([]string{sep + "Kiwi" + sep}, false); g == nil || g.whole[0] != `(?:\A|\x1f)(?:Kiwi)(?:\x1f|\z)` || g.wholeLen != 4 {
		t.Errorf("cased gate %+v", g)
	}
	for _, s := range [][]string{{"ünï"}, {"a\x1eb"}, {sep + sep}, {"a" + sep + "b"}, nil} {
		if g := keywordGate(s, true); g != nil {
			t.Errorf("keywordGate(%q) = %+v, want nil (no gate possible)", s, g)
		}
	}
	if g := keywordGate([]string{"ünï"}, false); g == nil {
		t.Error("a cased search of non-ASCII text needs no case folding: want a gate")
	}
	many := make([]string, 300)
	for i := range many {
		many[i] = sep + strings.Repeat("x", i+1) + sep
	}
	if g := keywordGate(many, false); g == nil || len(g.whole) != 2 || g.wholeLen != 300 {
		t.Errorf("300 searches: want 2 expressions (at most 256 alternatives each), wholeLen 300")
	}
}

// TestSigmaKeywordFolding runs keyword rules over values whose case differs from the rule's,
// including İ (U+0130) and the Kelvin sign (U+212A), which lower() maps to i and k, a value
// holding the keyword text's separator, and a non-ASCII keyword (no gate): hits are the same
// with the keyword gates and without them, and equal to the rules' meaning.
func TestSigmaKeywordFolding(t *testing.T) {
	events := []map[string]any{
		{"n": 1, "A": "MİMİKATZ", "B": "x"},
		{"n": 2, "A": "other", "B": "\u212Aerberos::golden"},
		{"n": 3, "A": "run mimikatz now", "B": "x\x1fmimikatz"},
		{"n": 4, "A": "Grüße", "B": nil},
		{"n": 5, "A": nil, "B": "sekurlsa::LogonPasswords"},
	}
	for _, c := range []struct {
		name, det string
		want      []int64
	}{
		{"whole value", "kw:\n    - 'mimikatz'\n    - 'kerberos::golden'\n  condition: kw", []int64{1, 2}},
		{"contains", "kw:\n    - '*mimikatz*'\n  condition: kw", []int64{1, 3}},
		{"startswith", "kw:\n    - 'sekurlsa::*'\n  condition: kw", []int64{5}},
		{"non-ASCII", "kw:\n    - 'GRÜSSE'\n    - 'grüße'\n  condition: kw", []int64{4}},
		{"negated", "kw:\n    - '*a*'\n  filter:\n    - 'mimikatz'\n  condition: kw and not filter", []int64{3, 5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := loadRuleText(t, "detection:\n  "+c.det)
			if errs := rs.Errors(); len(errs) > 0 {
				t.Fatalf("rule did not load: %v", errs)
			}
			for _, gates := range []bool{true, false} {
				old := sigmaKeywordGates
				sigmaKeywordGates = gates
				got := hitNumbers(t, FromRows(events), rs)
				sigmaKeywordGates = old
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("gates %v: hits %v, want %v", gates, got, c.want)
				}
			}
		})
	}
}

// TestDetectTableParts runs Detect over a session table large enough to be read in rowid ranges
// (tableParts) and over the same events as a frame that is not a table: the hits are the same,
// rule by rule in the set's order and, within a rule, in the events' order.
func TestDetectTableParts(t *testing.T) {
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	var threads int64
	if err := e.db.QueryRow("SELECT current_setting('threads')").Scan(&threads); err != nil {
		t.Fatal(err)
	}
	if threads < 3 {
		if err := e.exec(cellCtx(), "SET threads = 3"); err != nil {
			t.Fatal(err)
		}
		defer e.exec(cellCtx(), "SET threads = "+strconv.FormatInt(threads, 10))
	}
	events := SQL(`SELECT i AS n, CASE WHEN i % 997 = 0 THEN 'C:\\Windows\\System32\\cmd.exe' ELSE 'C:\\x\\y.exe' END AS "Image",
		CASE WHEN i % 1499 = 0 THEN 'whoami /all' ELSE 'dir' END AS "CommandLine" FROM range(40000) t(i)`).Cache()
	if events.Err() != nil {
		t.Fatal(events.Err())
	}
	if parts, ok, err := events.tableParts(cellCtx(), "pos"); err != nil || !ok || strings.Count(parts, "UNION ALL") != 2 {
		t.Fatalf("tableParts: ok %v, err %v, %q: want three ranges", ok, err, parts)
	}
	rules := "title: cmd\nid: r1\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n---\n" +
		"title: whoami\nid: r2\nlogsource: {product: test}\ndetection:\n  sel:\n    CommandLine|contains: 'WHOAMI'\n  condition: sel\n"
	rs := SigmaRules(writeFile(t, "rules.yml", rules))
	got, err := events.Detect(rs).Select("rule_id", "n").Collect()
	if err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	for _, r := range []struct {
		id  string
		mod int64
	}{{"r1", 997}, {"r2", 1499}} {
		for i := int64(0); i < 40000; i += r.mod {
			want = append(want, map[string]any{"rule_id": r.id, "n": i})
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("table: %d hits, want %d in order (first %v)", len(got), len(want), got[:min(len(got), 3)])
	}
	derived, err := events.Where(Col("n").Ge(0)).Detect(rs).Select("rule_id", "n").OrderBy("rule_id", "n").Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(derived, want) {
		t.Errorf("derived frame: %d hits, want %d", len(derived), len(want))
	}
}

// TestDeriveOverLargeQuery checks that operations on a frame of a large query, whose columns are
// found by binding the new query against a stub of the frame, get the columns that binding the
// new query itself gives: names, idents and types (lists, structs, decimals, timestamps, a
// name with a space and a quote).
func TestDeriveOverLargeQuery(t *testing.T) {
	big := strings.Repeat("x", stubMin)
	f := DuckSQL(`SELECT CAST(1.5 AS DECIMAL(18,3)) AS d, [1, 2] AS l, {'a': 1, 'b': 'x'} AS s,
		TIMESTAMP '2020-01-01 00:00:00' AS ts, 'v' AS "we ""ird", 'h' AS host, '` + big + `' AS big`)
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	if len(f.sql) < stubMin {
		t.Fatalf("query of %d bytes, want at least %d", len(f.sql), stubMin)
	}
	for name, g := range map[string]*Frame{
		"GroupBy":    f.GroupBy("host").Agg(Count().As("n"), Max("d").As("top")),
		"Select":     f.Select("l", "s", `we "ird`),
		"Where":      f.Where(Col("d").Gt(1)),
		"WithColumn": f.WithColumn("ts2", Col("ts")),
		"Summary":    f.DetectSummary(),
	} {
		if name == "Summary" {
			if g.Err() == nil || !strings.Contains(g.Err().Error(), "not a frame of Detect hits") {
				t.Errorf("DetectSummary over a frame without hits: err %v", g.Err())
			}
			continue
		}
		if g.Err() != nil {
			t.Fatalf("%s: %v", name, g.Err())
		}
		want, err := g.eng.describe(g.sql)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g.cols, want) {
			t.Errorf("%s: columns %+v, want %+v", name, g.cols, want)
		}
	}
}
