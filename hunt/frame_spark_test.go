//go:build spark

package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
)

func sparkURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SPARK_URL")
	if u == "" {
		t.Fatal("SPARK_URL is not set: these tests need the Spark Connect server make test-spark starts with scripts/spark.sh")
	}
	return u
}

func sortedRows(t *testing.T, what string, f *Frame) []string {
	t.Helper()
	if f.Err() != nil {
		t.Fatalf("%s: %v", what, f.Err())
	}
	rows, err := f.Collect()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return canonRows(rows, func(v any) string { b, _ := json.Marshal(v); return string(b) })
}

// TestSparkFrameOperations: frame operations on a Spark frame run on Spark (Pushed) and give
// the rows the same operations give on DuckDB over the same events; a join with a DuckDB frame
// moves the small DuckDB side to Spark and says so.
func TestSparkFrameOperations(t *testing.T) {
	sp := Spark(sparkURL(t))
	if sp.Err() != nil {
		t.Fatal(sp.Err())
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "events.json")
	var b strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, `{"EventID": %d, "Image": "c:\\windows\\%s.exe", "Hostname": "wks%d", "n": %d}`+"\n",
			[]int{1, 3, 10}[i%3], []string{"cmd", "powershell", "svchost", "it's"}[i%4], i%5, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := sp.Read(path)
	local := Read(path)
	if ev.Err() != nil || local.Err() != nil {
		t.Fatal(ev.Err(), local.Err())
	}
	cases := []struct {
		name   string
		pushed bool
		op     func(*Frame) *Frame
	}{
		{"where expr", true, func(f *Frame) *Frame {
			return f.Where(Col("EventID").Eq(10).And(Col("Image").Ne(`c:\windows\it's.exe`)))
		}},
		{"where spark sql", true, func(f *Frame) *Frame { return f.Where("EventID = 3 AND n > 20") }},
		{"select", true, func(f *Frame) *Frame { return f.Select("Hostname", "n") }},
		{"in, order, limit", true, func(f *Frame) *Frame {
			return f.Where(Col("EventID").In(1, 3)).OrderBy(Col("n").Desc()).Limit(7)
		}},
		{"group count", true, func(f *Frame) *Frame { return f.GroupBy("Hostname").Count() }},
		{"distinct", true, func(f *Frame) *Frame { return f.Select("EventID").Distinct() }},
		{"with column runs on DuckDB", false, func(f *Frame) *Frame { return f.WithColumn("m", "n * 2").Where(Col("m").Gt(100)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.op(ev)
			if got.Pushed() != c.pushed {
				t.Errorf("Pushed = %v, want %v\n%s", got.Pushed(), c.pushed, got.Plan())
			}
			g, w := sortedRows(t, "spark", got), sortedRows(t, "duckdb", c.op(local))
			if len(w) == 0 {
				t.Fatal("the DuckDB result is empty: the case tests nothing")
			}
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Fatalf("Spark gave %d rows:\n%s\nDuckDB %d:\n%s\nplan:\n%s", len(g), strings.Join(g, "\n"), len(w), strings.Join(w, "\n"), got.Plan())
			}
			n, err := got.Count()
			if err != nil || n != int64(len(w)) {
				t.Fatalf("Count = %d, %v; want %d", n, err, len(w))
			}
		})
	}
	hosts := FromRows([]map[string]any{{"Hostname": "wks1", "owner": "alice"}, {"Hostname": "wks2", "owner": "bob"}})
	j := ev.Where(Col("EventID").Eq(1)).Join(hosts, "Hostname", "inner")
	g, w := sortedRows(t, "join", j), sortedRows(t, "join local", local.Where(Col("EventID").Eq(1)).Join(hosts, "Hostname", "inner"))
	if strings.Join(g, "\n") != strings.Join(w, "\n") || len(w) == 0 {
		t.Fatalf("join: %v, want %v", g, w)
	}
	if !strings.Contains(j.Note(), "moved 2 rows from DuckDB to Spark (Arrow)") {
		t.Errorf("join note %q", j.Note())
	}
	// As registers a Spark frame on Spark (a temporary view) and for hunt.SQL on DuckDB.
	ev.Where(Col("EventID").Eq(3)).As("spark_ev3")
	if n, err := sp.SQL("SELECT * FROM spark_ev3").Count(); err != nil || n != 20 {
		t.Errorf("Spark SQL over the view: %d, %v", n, err)
	}
	if n, err := SQL("SELECT * FROM spark_ev3 WHERE n > 30").Count(); err != nil || n != 10 {
		t.Errorf("hunt.SQL over the registered Spark frame: %d, %v", n, err)
	}
	// Spark SQL runs on Spark as written; an unknown table fails when the frame is made.
	if n, err := sp.SQL("SELECT id FROM range(5)").Count(); err != nil || n != 5 {
		t.Errorf("SQL count: %d, %v", n, err)
	}
	if f := sp.Table("no_such_table"); f.Err() == nil || !strings.Contains(f.Err().Error(), "no_such_table") {
		t.Errorf("unknown table: %v", f.Err())
	}
	if bad := Spark("sc://127.0.0.1:1"); bad.Err() == nil || bad.Read(path).Err() == nil {
		t.Errorf("a bad URL gave no error")
	}
}

// TestSparkFrameInterruptedByCell: cancelling the running cell's context stops a long Spark
// display, Count and Collect, and the session runs queries afterwards.
func TestSparkFrameInterruptedByCell(t *testing.T) {
	sp := Spark(sparkURL(t))
	if sp.Err() != nil {
		t.Fatal(sp.Err())
	}
	long := sp.SQL("SELECT sum(id % 13) AS s FROM range(30000000000)")
	if long.Err() != nil {
		t.Fatal(long.Err())
	}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"display", func() error { _, err := long.preview(20, 0); return err }},
		// Spark counts a global aggregate without running it (one row): count a filter.
		{"Count", func() error {
			_, err := sp.SQL("SELECT id FROM range(30000000000) WHERE id % 13 = 5").Count()
			return err
		}},
		{"Collect", func() error { _, err := long.Collect(); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			end := session.Begin(ctx, nil)
			defer end()
			time.AfterFunc(1500*time.Millisecond, cancel)
			if err := c.run(); err == nil {
				t.Fatal("the query finished without error after the cancel")
			}
		})
	}
	if n, err := sp.SQL("SELECT 1 AS x").Count(); err != nil || n != 1 {
		t.Fatalf("after the interrupts: %d, %v", n, err)
	}
}
