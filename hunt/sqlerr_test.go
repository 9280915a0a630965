package hunt

import (
	"strings"
	"testing"
)

// TestSQLSeveralStatements: several statements are a clear error naming where the second one
// starts, for DuckSQL (it panicked with "index out of range [1] with length 1") and SQL; none
// of them runs; one statement with a final ';' (and a comment after it) is one query.
func TestSQLSeveralStatements(t *testing.T) {
	for _, c := range []struct {
		name string
		f    *Frame
		want string
	}{
		{"DuckSQL", DuckSQL("SELECT 1; SELECT 2"), "hunt.DuckSQL: line 1, column 11: a second statement"},
		{"DuckSQL lines", DuckSQL("SELECT ';' AS a, \"x;y\" -- ;\n/* ; */ FROM (SELECT 1 AS \"x;y\");\n  CREATE TABLE __hunt_never(a INT)"), "hunt.DuckSQL: line 3, column 3: a second statement"},
		{"SQL", SQL("SELECT 1;\nSELECT 2"), "hunt: SQL line 1, column 9: one statement at a time"},
	} {
		err := c.f.Err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if n := count(t, mustOK(t, DuckSQL("SELECT 1 AS a; -- done\n"))); n != 1 {
		t.Fatalf("one statement with ';': %d rows", n)
	}
	if n := count(t, mustOK(t, DuckSQL("SELECT ';' AS a;;"))); n != 1 {
		t.Fatalf("';' in a literal: %d rows", n)
	}
	if n := count(t, mustOK(t, SQL("SELECT 1 AS a;"))); n != 1 {
		t.Fatalf("SQL with ';': %d rows", n)
	}
	// The CREATE TABLE after the first statement did not run.
	if err := DuckSQL("SELECT * FROM __hunt_never").Err(); err == nil {
		t.Fatal("the second statement of a rejected query ran")
	}
	for _, q := range []string{"", " ; -- nothing\n;"} {
		if err := DuckSQL(q).Err(); err == nil || !strings.Contains(err.Error(), "empty query") {
			t.Errorf("DuckSQL(%q): %v", q, err)
		}
	}
}

// TestSQLErrorPlaces: DuckDB's errors name the line and column in the user's text and quote the
// user's line, not the rewritten query (registered tables prepended, Spark SQL translated).
func TestSQLErrorPlaces(t *testing.T) {
	ev := mustOK(t, FromRows([]map[string]any{{"Image": "a.exe", "EventID": int64(1)}}))
	if err := Register("placeTable", ev); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    *Frame
		want []string
	}{
		{"SQL unknown column", SQL("SELECT Image,\n  `EventID`, Imagee\nFROM placeTable"),
			[]string{"hunt.SQL: line 2, column 14: unknown column \"Imagee\"", "\n  `EventID`, Imagee\n             ^"}},
		{"SQL unknown function", SQL("SELECT Image FROM placeTable\nWHERE nosuchfn(EventID) == 1"),
			[]string{"hunt.SQL: line 2, column 7: ", "nosuchfn", "\nWHERE nosuchfn(EventID) == 1\n      ^"}},
		{"SQL WITH merged", SQL("WITH x AS (SELECT * FROM placeTable)\nSELECT nosuch FROM x"),
			[]string{"hunt.SQL: line 2, column 8: unknown column \"nosuch\"", "\nSELECT nosuch FROM x\n       ^"}},
		{"DuckSQL", DuckSQL("SELECT Image\nFROM placeTable WHERE EventID = 1 AND zz = 2"),
			[]string{"hunt.DuckSQL: line 2, column 39: ", `"zz"`, "\nFROM placeTable WHERE EventID = 1 AND zz = 2\n                                      ^"}},
		{"translator", SQL("SELECT 1\nFROM placeTable /* open"), []string{"hunt: SQL line 2, column 17: unterminated /* comment", "\nFROM placeTable /* open\n                ^"}},
	} {
		err := c.f.Err()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error\n%v\nwant it to hold %q", c.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "WITH \"placeTable\"") || strings.Contains(err.Error(), "DESCRIBE") {
			t.Errorf("%s: error quotes the rewritten query: %v", c.name, err)
		}
	}
}
