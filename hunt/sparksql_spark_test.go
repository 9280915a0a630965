//go:build spark

package hunt

// Spark SQL on DuckDB against Spark itself: the Threat Hunter Playbook samples of
// ../shared/analytics and the translator's runnable queries run on a real Spark Connect server
// (make test-spark starts one and sets SPARK_URL) and through hunt.SQL on DuckDB, and must give
// the same rows, or the same Spark error class.

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/spark"
)

func sparkSession(t *testing.T) *spark.Session {
	t.Helper()
	u := os.Getenv("SPARK_URL")
	if u == "" {
		t.Fatal("SPARK_URL is not set: the Spark tests need a Spark Connect server (make test-spark starts one with scripts/spark.sh)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := spark.Connect(ctx, u)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	// As the playbooks ran Spark (3.x): SourceProcessGUID and SourceProcessGuid are two columns,
	// and ANSI mode is off (Spark 4 turns it on), the semantics the translator follows.
	for _, set := range []string{"SET spark.sql.caseSensitive=true", "SET spark.sql.ansi.enabled=false"} {
		if _, err := s.SQL(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// sparkRows runs query on Spark and formats its rows as frameRows formats DuckDB's; a failure
// is returned as the error.
func sparkRows(s *spark.Session, query string) ([]string, error) {
	ctx := context.Background()
	df, err := s.SQL(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := df.Collect(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rows.Values))
	for i, r := range rows.Values {
		parts := make([]string, len(r))
		for j, v := range r {
			if s, ok := formatValue(v); ok {
				parts[j] = s
			} else {
				parts[j] = "NULL"
			}
		}
		out[i] = strings.Join(parts, "\x1f")
	}
	return out, nil
}

// unzipJSON extracts the JSON file of a Mordor zip into dir (Spark reads plain files).
func unzipJSON(t *testing.T, zipPath, dir string) string {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 {
		t.Fatalf("%s holds %d files, want one JSON file", zipPath, len(zr.File))
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(zipPath), ".zip")+".json")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSparkTHPSamples: every THP sample, verbatim, on a Mordor file read by Spark and by hunt.Read.
func TestSparkTHPSamples(t *testing.T) {
	dir := sharedDatasets(t)
	s := sparkSession(t)
	ctx := context.Background()
	tmp := t.TempDir()
	loaded := ""
	for _, q := range thpQueries(t) {
		if q.dataset != loaded {
			path := filepath.Join(dir, q.dataset)
			if err := s.Read(unzipJSON(t, path, tmp), spark.JSONL, nil).CreateTempView(ctx, "mordorTable", true); err != nil {
				t.Fatal(err)
			}
			f := Read(path)
			if f.Err() != nil {
				t.Fatal(f.Err())
			}
			if typ := colType(t, f, "@timestamp"); typ != "TIMESTAMP" {
				t.Fatalf("%s: @timestamp read as %s, want TIMESTAMP (Spark SQL must see its text)", q.dataset, typ)
			}
			if err := Register("mordorTable", f); err != nil {
				t.Fatal(err)
			}
			loaded = q.dataset
		}
		want, err := sparkRows(s, q.sql)
		if err != nil {
			t.Errorf("%s: Spark: %v", q.name, err)
			continue
		}
		res := SQL(q.sql)
		if res.Err() != nil {
			t.Errorf("%s: hunt.SQL: %v", q.name, res.Err())
			continue
		}
		got := frameRows(t, res)
		sort.Strings(got)
		sort.Strings(want)
		if len(want) != q.count {
			t.Errorf("%s: Spark returned %d rows, the pinned count is %d", q.name, len(want), q.count)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: hunt.SQL returned %d rows, Spark %d\n got: %q\nwant: %q", q.name, len(got), len(want), got, want)
		}
	}
}

// sparkTranslatorQueries are the runnable queries of the translator's tests (TestSparkSQLSemantics,
// TestArrayFuncsRun) over the events of events(t), registered as ev; results are compared in order.
var sparkTranslatorQueries = []string{
	`SELECT count(*) AS n FROM ev WHERE LogonType = 3`,
	`SELECT count(*) AS n FROM ev WHERE Image LIKE "%powershell.exe"`,
	`SELECT count(*) AS n FROM ev WHERE Image RLIKE "(?i)powershell"`,
	`SELECT count(*) AS n FROM ev WHERE Image RLIKE "^C:"`,
	`SELECT count(*) AS n FROM ev WHERE Image LIKE "C:\\\\Windows\\\\cmd.exe"`,
	`SELECT count(*) AS n FROM ev WHERE EventID = "1"`,
	`SELECT count(*) AS n FROM ev WHERE NOT User = "alice"`,
	"SELECT `Host`, count(*) AS n FROM ev GROUP BY `Host` ORDER BY n DESC, `Host` LIMIT 1",
	`WITH x AS (SELECT * FROM ev WHERE EventID = 1) SELECT count(*) AS n FROM x`,
	`SELECT User FROM ev ORDER BY User LIMIT 1`,
	`SELECT count(*) AS n FROM ev WHERE LogonType IN (3, 2)`,
	`SELECT split(Image, "\\\\")[2] AS exe FROM ev WHERE Host = "dc1"`,
	`SELECT size(collect_set(Host)) AS n FROM ev`,
	`SELECT ts FROM ev WHERE ts BETWEEN "2020-09-21" AND "2020-09-22" ORDER BY ts LIMIT 1`,
	`SELECT Host, Host FROM ev ORDER BY Host`,
	// functions that take arrays as well as strings
	`SELECT reverse(split(Image, "\\\\"))[0] AS exe FROM ev ORDER BY exe`,
	`SELECT reverse(Host) AS r, reverse(split(Host, "s")) AS parts FROM ev ORDER BY r`,
	`SELECT size(split(Image, "\\\\")) AS n, cardinality(split(Host, "")) AS m FROM ev ORDER BY ts`,
	`SELECT concat(Host, "-", EventID) AS c FROM ev ORDER BY c`,
	`SELECT concat(User, Host) AS c FROM ev ORDER BY c`,
	`SELECT concat(split(Host, "s"), split(Image, "\\\\")) AS c FROM ev ORDER BY ts`,
	`SELECT size(concat(split(Host, "s"), split(Image, "\\\\"))) AS n FROM ev ORDER BY ts`,
	`SELECT User, size(split(User, "l")) AS n, size(collect_list(User)) AS m, size(collect_set(User)) AS k FROM ev GROUP BY User ORDER BY User`,
	`SELECT collect_list(User) AS l FROM ev WHERE EventID > 100`,
	`SELECT sort_array(collect_set(User)) AS s, size(collect_list(User)) AS n FROM ev`,
	`SELECT sort_array(array(User, Host, NULL)) AS a, sort_array(array(User, NULL, Host), false) AS d FROM ev ORDER BY ts`,
	`SELECT concat_ws("|", User, split(Host, "s"), EventID) AS c FROM ev ORDER BY ts`,
	`SELECT reverse(concat(split(Host, "s"), array("x"))) AS c FROM ev ORDER BY ts`,
	// LIKE escapes Spark accepts, and those it rejects
	`SELECT count(*) AS n FROM ev WHERE Image LIKE "%\\_%" OR Image LIKE "%\\%%"`,
	`SELECT count(*) AS n FROM ev WHERE Image LIKE "%\\Windows%"`,
	`SELECT count(*) AS n FROM ev WHERE Image NOT LIKE "C:\\"`,
}

// TestSparkTranslatorQueries: the translator's queries give Spark's rows, or Spark's error class.
func TestSparkTranslatorQueries(t *testing.T) {
	s := sparkSession(t)
	ctx := context.Background()
	ev := events(t)
	mustOK(t, ev.As("ev"))
	// The same rows on Spark, with the same column types (LogonType and User are strings).
	up, err := s.FromRows(ctx, []string{"EventID", "Host", "Image", "LogonType", "ts", "User"}, [][]any{
		{1, "ws1", `C:\Windows\powershell.exe`, "3", "2020-09-21T04:14:55.050Z", "alice"},
		{1, "ws2", `C:\Windows\cmd.exe`, "2", "2020-09-21T05:00:00.000Z", "bob"},
		{3, "ws1", `C:\Windows\POWERSHELL.EXE`, "abc", "2020-09-22T00:00:00.000Z", nil},
		{10, "dc1", `C:\Windows\lsass.exe`, nil, "2020-09-23T00:00:00.000Z", "alice"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.CreateTempView(ctx, "ev", true); err != nil {
		t.Fatal(err)
	}
	for _, q := range sparkTranslatorQueries {
		want, serr := sparkRows(s, q)
		res := SQL(q)
		if serr != nil {
			class := sparkClass(serr)
			if class == "" {
				t.Errorf("%s: Spark: %v (no error class)", q, serr)
				continue
			}
			if res.Err() == nil || !strings.Contains(res.Err().Error(), "["+class+"]") {
				t.Errorf("%s: Spark fails with %s, hunt.SQL gives %v", q, class, res.Err())
			}
			continue
		}
		if res.Err() != nil {
			t.Errorf("%s: hunt.SQL: %v (Spark: %q)", q, res.Err(), want)
			continue
		}
		got := frameRows(t, res)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s\n got: %q\nwant: %q (Spark)", q, got, want)
		}
	}
}

func sparkClass(err error) string {
	var se *spark.Error
	if e, ok := err.(*spark.Error); ok {
		se = e
	}
	if se == nil {
		return ""
	}
	return se.Class
}

// TestSparkEventTimeText: the event times Read types as TIMESTAMP are, in Spark SQL, the strings
// Spark's JSON reader gives: string functions, LIKE, string bounds, min/max and grouping on them
// give Spark's rows over a Mordor file.
func TestSparkEventTimeText(t *testing.T) {
	path := sampleFlat2
	s := sparkSession(t)
	ctx := context.Background()
	if err := s.Read(unzipJSON(t, path, t.TempDir()), spark.JSONL, nil).CreateTempView(ctx, "timedTable", true); err != nil {
		t.Fatal(err)
	}
	f := Read(path)
	if typ := colType(t, f, "UtcTime"); typ != "TIMESTAMP" {
		t.Fatalf("UtcTime read as %s, want TIMESTAMP", typ)
	}
	if err := Register("timedTable", f); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT substring(`@timestamp`, 1, 16) AS m, count(*) AS n FROM timedTable GROUP BY substring(`@timestamp`, 1, 16) ORDER BY m",
		`SELECT count(*) AS n FROM timedTable WHERE UtcTime LIKE "2020-09-22 08:28:2%"`,
		`SELECT min(EventTime) AS a, max(UtcTime) AS b, max(CreationUtcTime) AS c FROM timedTable`,
		"SELECT `@timestamp`, UtcTime, EventReceivedTime FROM timedTable WHERE EventID = 1 ORDER BY `@timestamp`, UtcTime",
		"SELECT count(*) AS n FROM timedTable WHERE `@timestamp` BETWEEN \"2020-09-22 08:28\" AND \"2020-09-22T08:28:40\"",
		`SELECT concat(UtcTime, "|", EventTime) AS c FROM timedTable WHERE EventID = 13 ORDER BY c LIMIT 5`,
		"SELECT length(`@timestamp`) AS l, count(*) AS n FROM timedTable GROUP BY length(`@timestamp`)",
	} {
		want, err := sparkRows(s, q)
		if err != nil {
			t.Errorf("%s: Spark: %v", q, err)
			continue
		}
		res := SQL(q)
		if res.Err() != nil {
			t.Errorf("%s: hunt.SQL: %v", q, res.Err())
			continue
		}
		if got := frameRows(t, res); strings.Join(got, "\n") != strings.Join(want, "\n") || len(want) == 0 {
			t.Errorf("%s\n got: %q\nwant: %q (Spark)", q, got, want)
		}
	}
}
