package hunt

import (
	"fmt"
	"strings"
	"testing"
)

func TestTranslateGolden(t *testing.T) {
	tr := &translator{cols: map[string]colInfo{
		"EventID":           {ident: "EventID", typ: "BIGINT"},
		"LogonType":         {ident: "LogonType", typ: "VARCHAR"},
		"Image":             {ident: "Image", typ: "VARCHAR"},
		"User":              {ident: "User", typ: "VARCHAR"},
		"@timestamp":        {ident: "@timestamp", typ: "VARCHAR"},
		"SourceProcessGuid": {ident: "SourceProcessGuid" + identMark + "1", typ: "VARCHAR"},
		"event_data.Image":  {ident: "event_data.Image", typ: "VARCHAR"},
		"event_id":          {ident: "event_id", typ: "BIGINT"},
	}, tables: map[string]string{"mordortable": "mordorTable"}}
	cases := []struct{ in, want string }{
		{"SELECT `@timestamp` FROM mordorTable", `SELECT "@timestamp" FROM "mordorTable"`},
		{`WHERE Image = "a\\b"`, `WHERE "Image" = 'a\b'`},
		{`WHERE Image = 'it''s'`, `WHERE "Image" = 'it''s'`},
		{`WHERE Image = "it's \"q\""`, `WHERE "Image" = 'it''s "q"'`},
		{`WHERE Image LIKE "%a\_b"`, `WHERE "Image" LIKE '%a\_b' ESCAPE '\'`},
		{`WHERE lower(Image) NOT LIKE "%x"`, `WHERE lower("Image") NOT LIKE '%x' ESCAPE '\'`},
		{`WHERE Image RLIKE "power(shell)?"`, `WHERE "Image" SIMILAR TO '(?s:.*)(?:power(shell)?)(?s:.*)'`},
		{`WHERE LogonType = 3`, `WHERE spark_long("LogonType") = 3`},
		{`WHERE 3 = o.LogonType`, `WHERE 3 = spark_long(o."LogonType")`},
		{`WHERE LogonType >= -2.5`, `WHERE spark_double("LogonType") >= -2.5`},
		{`WHERE EventID == "4688"`, `WHERE "EventID" = spark_long('4688')`},
		{`WHERE EventID = 10L`, `WHERE "EventID" = 10`},
		{`WHERE User <=> NULL`, `WHERE "User" IS NOT DISTINCT FROM NULL`},
		{`SELECT SourceProcessGuid FROM t`, `SELECT "SourceProcessGuid` + identMark + `1" FROM t`},
		{`SELECT event_data.Image, o.event_data.Image, o.event_id FROM t o`, `SELECT "event_data.Image", o."event_data.Image", o."event_id" FROM t o`},
		{"SELECT `event_data`.`Image` FROM t", `SELECT "event_data.Image" FROM t`},
		{`SELECT CAST(EventID AS STRING)`, `SELECT CAST("EventID" AS VARCHAR)`},
		{`SELECT count(*) AS hits -- comment`, `SELECT count(*) AS hits -- comment`},
		{`SELECT "\u0041\101\n"`, "SELECT 'AA\n'"},
		{`WHERE LogonType IN (2, -10) AND EventID IN (1, 3)`, `WHERE "LogonType" IN ('2', '-10') AND "EventID" IN (1, 3)`},
		{`SELECT split(Image, "\\\\")[0], collect_set(User)`, `SELECT regexp_split_to_array("Image", '\\')[1], coalesce(list_filter(list(DISTINCT "User"), lambda __v: __v IS NOT NULL), [])`},
	}
	for _, c := range cases {
		toks, err := tokenize(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		got, err := tr.translate(toks)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("translate(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`SELECT "unterminated`, "SELECT `x", `SELECT /* open`, `x RLIKE lower(y)`, `SELECT 1; SELECT 2`} {
		toks, err := tokenize(bad)
		if err == nil {
			_, err = tr.translate(toks)
		}
		if err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestSparkSQLSemantics(t *testing.T) {
	f := events(t)
	f.As("ev")
	cases := []struct {
		q    string
		want string
	}{
		{`SELECT count(*) AS n FROM ev WHERE LogonType = 3`, "1"},                         // "abc" is NULL, not an error
		{`SELECT count(*) AS n FROM ev WHERE Image LIKE "%powershell.exe"`, "1"},          // case-sensitive
		{`SELECT count(*) AS n FROM ev WHERE Image RLIKE "(?i)powershell"`, "2"},          // regex anywhere
		{`SELECT count(*) AS n FROM ev WHERE Image RLIKE "^C:"`, "4"},                     // anchors still anchor
		{`SELECT count(*) AS n FROM ev WHERE Image LIKE "C:\\\\Windows\\\\cmd.exe"`, "1"}, // \\\\ in Spark is \\ in LIKE: one backslash
		{`SELECT count(*) AS n FROM ev WHERE EventID = "1"`, "2"},                         // string literal cast to the number column
		{`SELECT count(*) AS n FROM ev WHERE NOT User = "alice"`, "1"},                    // NULL User: NOT NULL is NULL, not true
		{"SELECT `Host`, count(*) AS n FROM ev GROUP BY `Host` ORDER BY n DESC, `Host` LIMIT 1", "ws1,2"},
		{`WITH x AS (SELECT * FROM ev WHERE EventID = 1) SELECT count(*) AS n FROM x`, "2"}, // user CTE + registered frame
		{`SELECT User FROM ev ORDER BY User LIMIT 1`, "NULL"},
		{`SELECT count(*) AS n FROM ev WHERE LogonType IN (3, 2)`, "2"},                                                      // string IN numbers compares as strings
		{`SELECT split(Image, "\\\\")[2] AS exe FROM ev WHERE Host = "dc1"`, "lsass.exe"},                                    // regex split, 0-based index
		{`SELECT size(collect_set(Host)) AS n FROM ev`, "3"},                                                                 // NULLs first ascending
		{`SELECT ts FROM ev WHERE ts BETWEEN "2020-09-21" AND "2020-09-22" ORDER BY ts LIMIT 1`, "2020-09-21T04:14:55.050Z"}, // string comparison
	}
	for _, c := range cases {
		rows, err := SQL(c.q).Collect()
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		var parts []string
		for _, r := range rows {
			for _, k := range SQL(c.q).Columns() {
				s, ok := formatValue(r[k])
				if !ok {
					s = "NULL"
				}
				parts = append(parts, s)
			}
		}
		if got := strings.Join(parts, ","); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.q, got, c.want)
		}
	}
	// Duplicate output names (o.SubjectUserName twice in a THP sample) stay two columns.
	d := mustOK(t, SQL("SELECT Host, Host FROM ev"))
	if got := strings.Join(d.Columns(), ","); got != "Host,Host" {
		t.Errorf("duplicate output columns: %s", got)
	}
	if err := d.Where("EventID = 1").Err(); err == nil || !strings.Contains(err.Error(), "EventID") {
		t.Errorf("EventID is not a column of d: %v", err)
	}
	// DuckSQL runs DuckDB's dialect over registered frames.
	n, err := DuckSQL(`SELECT count(*) AS n FROM ev WHERE "Image" ILIKE '%POWERSHELL%'`).Collect()
	if err != nil || fmt.Sprint(n[0]["n"]) != "2" {
		t.Errorf("DuckSQL: %v %v", n, err)
	}
	if err := Register("bad name", f); err == nil {
		t.Error("Register with a space: no error")
	}
	found := false
	for _, n := range Tables() {
		found = found || n == "ev"
	}
	if !found {
		t.Errorf("Tables() = %v", Tables())
	}
}
