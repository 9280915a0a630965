package eql

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestParseErrors(t *testing.T) {
	cases := []struct{ q, want string }{
		{"", "line 1, column 1: empty query"},
		{"process where", "line 1, column 14: expected a value, found end of query"},
		{"process where a = 1", "line 1, column 17: use == to compare"},
		{"process\n  where x == 'unterminated", "line 2, column 14: unterminated string"},
		{"sequence [process where true]", "a sequence needs at least two [queries]"},
		{"sequence with maxspan=5 [any where true] [any where true]", "line 1, column 23: maxspan needs a unit"},
		{"sequence by a [any where true] by b [any where true]", "line 1, column 37: every step of a sequence needs the same number of by fields"},
		{"any where true | head x", "line 1, column 23: head needs a number"},
		{"any where true | sort a", "line 1, column 18: expected pipe head or tail"},
		{"where x == 1", "line 1, column 1: expected an event category"},
	}
	for _, c := range cases {
		_, err := Parse(c.q)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an *Error containing %q", c.q, err, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cols := []Column{{"@timestamp", "@timestamp", "VARCHAR"}, {"Channel", "Channel", "VARCHAR"},
		{"EventID", "EventID", "BIGINT"}, {"Image", "Image", "VARCHAR"}, {"CommandLine", "CommandLine", "VARCHAR"}}
	cases := []struct{ q, want string }{
		{"process where Imge == \"x\"", `line 1, column 15: unknown field "Imge"; did you mean "Image"?`},
		{"proces where true", `line 1, column 1: unknown event category "proces"; did you mean "process"?`},
		{"any where startWith(Image, \"a\")", `unknown function startWith; did you mean "startsWith"?`},
		{"any where length(Image)", "a condition must be true or false"},
		{"any where cidrMatch(Image, \"::1/128\")", "not an IPv4 CIDR block"},
		{"sequence by Host [any where true] [any where true]", `unknown field "Host"`},
	}
	for _, c := range cases {
		q, err := Parse(c.q)
		if err == nil {
			_, err = Compile(q, "t", Options{Columns: cols, QuoteIdent: quote})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.q, err, c.want)
		}
	}
}

func TestParseCategoriesErrors(t *testing.T) {
	if _, err := ParseCategories("process Security 4688 x"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad id: %v", err)
	}
	c := DefaultCategories()
	if got := c["process"]; len(got) != 2 || got[1].Channel != "Security" || !reflect.DeepEqual(got[1].EventIDs, []int64{4688, 4689}) {
		t.Errorf("process = %+v", got)
	}
	if len(c) != 8 {
		t.Errorf("%d categories, want 8", len(c))
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// events is a small table: id, time, channel, event id, a few fields (Sysmon 1 = process,
// Sysmon 3 = network, Sysmon 11 = file).
const events = `SELECT * FROM (VALUES
 (1, '2024-01-01 00:00:01', 'Microsoft-Windows-Sysmon/Operational', 1, 'h1', 'C:\Windows\cmd.exe', 'cmd /c whoami', 'p1', NULL, 10),
 (2, '2024-01-01 00:00:02', 'Microsoft-Windows-Sysmon/Operational', 1, 'h1', 'C:\Windows\CMD.EXE', 'CMD /C dir', 'p2', NULL, 20),
 (3, '2024-01-01 00:00:03', 'Microsoft-Windows-Sysmon/Operational', 3, 'h1', 'C:\Windows\cmd.exe', NULL, 'p1', '10.1.2.3', 30),
 (4, '2024-01-01 00:00:03', 'Microsoft-Windows-Sysmon/Operational', 3, 'h1', 'C:\Windows\cmd.exe', NULL, 'p2', '192.168.0.9', 40),
 (5, '2024-01-01 00:05:00', 'Microsoft-Windows-Sysmon/Operational', 3, 'h1', 'C:\Windows\cmd.exe', NULL, 'p1', '8.8.8.8', 50),
 (6, '2024-01-01 00:00:00', 'Security', 4688, 'h2', 'C:\Windows\notepad.exe', 'notepad a.txt', 'p9', NULL, 60),
 (7, '2024-01-01 00:00:04', 'Microsoft-Windows-Sysmon/Operational', 11, 'h1', 'C:\Windows\cmd.exe', NULL, 'p1', NULL, 70),
 (8, '2024-01-01 00:00:05', 'Application', 1, 'h1', 'x', NULL, 'p1', NULL, 80)
) AS t(id, "@timestamp", Channel, EventID, Host, Image, CommandLine, Guid, DestIp, Size)`

var eventCols = []Column{{"id", "id", "INTEGER"}, {"@timestamp", "@timestamp", "VARCHAR"}, {"Channel", "Channel", "VARCHAR"},
	{"EventID", "EventID", "INTEGER"}, {"Host", "Host", "VARCHAR"}, {"Image", "Image", "VARCHAR"},
	{"CommandLine", "CommandLine", "VARCHAR"}, {"Guid", "Guid", "VARCHAR"}, {"DestIp", "DestIp", "VARCHAR"}, {"Size", "Size", "INTEGER"}}

// run runs query over events: the VALUES query itself (numbered by the plan) or, with table,
// the table ev_table holding them, numbered by its rowid (Options.InputOrder).
func run(t *testing.T, db *sql.DB, query string, table bool) [][]any {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	source, opt := "("+events+")", Options{Columns: eventCols, QuoteIdent: quote}
	if table {
		source, opt.InputOrder = "(SELECT *, rowid AS __eql_rowid FROM ev_table)", "__eql_rowid"
	}
	c, err := Compile(q, source, opt)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	rows, err := db.Query(c.SQL, c.Args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", query, err, c.SQL)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		// keep the ids (id, s1_id, s2_id, ...) and join_key
		var row []any
		for i, n := range names {
			if n == "id" || strings.HasSuffix(n, "_id") || n == "join_key" {
				row = append(row, fmt.Sprint(vals[i]))
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestElasticsearchSemantics checks cases written from Elasticsearch's EQL reference, over a
// query numbered by the plan and over a table numbered by its rowid (the plan that reads the
// table per step and fetches the matched events at the end).
func TestElasticsearchSemantics(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE ev_table AS " + events); err != nil {
		t.Fatal(err)
	}
	ids := func(s ...string) [][]any {
		var out [][]any
		for _, x := range s {
			var row []any
			for _, f := range strings.Fields(x) {
				row = append(row, f)
			}
			out = append(out, row)
		}
		return out
	}
	cases := []struct {
		q    string
		want [][]any
	}{
		// == is case-sensitive; : is case-insensitive and takes wildcards.
		{`process where Image == "C:\\Windows\\cmd.exe"`, ids("1")},
		{`process where Image : "c:\\windows\\cmd.exe"`, ids("1", "2")},
		{`any where Image : "*CMD.exe"`, ids("1", "2", "3", "4", "7", "5")},
		{`any where CommandLine like "cmd*"`, ids("1")},
		{`any where CommandLine like~ "cmd*"`, ids("1", "2")},
		{`any where CommandLine regex "cmd /c [a-z]+"`, ids("1")},
		{`any where CommandLine regex~ "cmd /c [a-z]+"`, ids("1", "2")},
		{`any where Guid in ("P1", "p2") and EventID == 1`, ids("2")},
		{`any where Guid in~ ("P1", "p2") and EventID == 1`, ids("1", "2", "8")},
		{`any where Guid not in ("p1", "p2")`, ids("6")},
		// categories from Channel and EventID; Application 1 is no process event; order by time.
		{`process where true`, ids("6", "1", "2")},
		{`any where EventID == 1`, ids("1", "2", "8")},
		// a missing value: comparisons are false, their negation true; ?field of an absent field is null.
		{`network where DestIp != "8.8.8.8"`, ids("3", "4")},
		{`any where not (DestIp == "8.8.8.8") and EventID == 3`, ids("3", "4")},
		{`any where DestIp == null and EventID == 11`, ids("7")},
		{`any where ?Nope == null and id < 3`, ids("1", "2")},
		// numbers against strings compare as numbers.
		{`any where Size >= "60"`, ids("6", "7", "8")},
		// functions
		{`any where startsWith(CommandLine, "cmd")`, ids("1")},
		{`any where startsWith~(CommandLine, "cmd")`, ids("1", "2")},
		{`any where endsWith(Image, "notepad.exe")`, ids("6")},
		{`any where stringContains(CommandLine, "who")`, ids("1")},
		{`any where length(CommandLine) == 13`, ids("6", "1")},
		{`any where substring(CommandLine, -5) == "a.txt"`, ids("6")},
		{`any where substring(CommandLine, 0, 3) == "cmd"`, ids("1")},
		{`any where concat(Host, "/", Guid) == "h2/p9"`, ids("6")},
		{`any where between(CommandLine, "cmd ", " who") == "/c"`, ids("1")},
		{`any where between~(CommandLine, "CMD ", " ") == "/c"`, ids("1")},
		{`any where cidrMatch(DestIp, "10.0.0.0/8", "192.168.0.0/16")`, ids("3", "4")},
		{`any where number(string(Size)) == 30`, ids("3")},
		{`any where add(Size, 5) == 35 or modulo(Size, 25) == 0`, ids("3", "5")},
		{`any where divide(Size, 20) == 3 and multiply(subtract(Size, 1), 1) == 69`, ids("7")},
		{`any where indexOf(CommandLine, "a.") == 8`, ids("6")},
		{`any where indexOf(CommandLine, "C") == 0`, ids("2")},
		{`any where indexOf~(CommandLine, "C") == 0`, ids("1", "2")},
		// pipes
		{`any where true | head 2`, ids("6", "1")},
		{`any where true | tail 2`, ids("8", "5")},
		// sequences: one pending sequence per step and key; a newer start replaces an older one.
		{`sequence [process where true] [network where true]`, ids("<nil> 2 3")},
		{`sequence by Guid [process where true] [network where true]`, ids("p1 1 3", "p2 2 4")},
		{`sequence by Guid with maxspan=1s [process where true] [network where true]`, ids("p2 2 4")},
		{`sequence by Guid with maxspan=2s [process where true] [network where true]`, ids("p1 1 3", "p2 2 4")},
		{`sequence by Guid [process where true] [network where true] until [file where true]`, ids("p1 1 3", "p2 2 4")},
		{`sequence by Guid [process where true] [network where true] [network where true] until [file where true]`, ids()},
		{`sequence by Guid [process where true] [network where true] [network where true]`, ids("p1 1 3 5")},
		{`sequence [process where true] by Guid [file where true] by Guid`, ids("p1 1 7")},
		{`sequence by Host [process where true] [network where true] | head 1`, ids("h1 2 3")},
	}
	for _, table := range []bool{false, true} {
		for _, c := range cases {
			got := run(t, db, c.q, table)
			if len(got) == 0 && len(c.want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s (over a table: %v)\n got  %v\n want %v", c.q, table, got, c.want)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`process where a == "x"`, `sequence by a with maxspan=1m [any where b : "*x?"] by c [x where not d in~ (1, 2.5, ?e)] until [y where true] | head 3 | tail 1`, "any where f~(\"\\u{41}\", `g h`) or -1 < 2 % 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %T is not *Error", s, err)
			}
			return
		}
		_, _ = Compile(q, "t", Options{Columns: eventCols, QuoteIdent: quote})
	})
}
