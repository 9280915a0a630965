//go:build spark

package hunt

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sparkEvents writes 60 events to a JSON lines file and returns it read by Spark and by DuckDB.
func sparkEvents(t *testing.T, sp *SparkSession) (ev, local *Frame) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.json")
	var b strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, `{"EventID": %d, "Image": "%s.exe", "Hostname": "wks%d", "n": %d}`+"\n",
			[]int{1, 3, 10}[i%3], []string{"cmd", "powershell", "svchost", "it's"}[i%4], i%5, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ev, local = sp.Read(path), Read(path)
	if ev.Err() != nil || local.Err() != nil {
		t.Fatal(ev.Err(), local.Err())
	}
	return ev, local
}

// sameMovedRows fails unless got (with its plan on Spark) and want have the same columns in the same
// order and the same rows.
func sameMovedRows(t *testing.T, got, want *Frame) {
	t.Helper()
	g, w := sortedRows(t, "spark", got), sortedRows(t, "duckdb", want)
	if len(w) == 0 {
		t.Fatal("the DuckDB result is empty: the case tests nothing")
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("Spark gave %d rows:\n%s\nDuckDB %d:\n%s\nplan:\n%s", len(g), strings.Join(g, "\n"), len(w), strings.Join(w, "\n"), got.Plan())
	}
	if gc, wc := strings.Join(got.Columns(), ","), strings.Join(want.Columns(), ","); gc != wc {
		t.Fatalf("columns %s, want %s", gc, wc)
	}
}

// TestSparkMoveJoin: a join of a Spark frame (not yet read) with a small DuckDB frame moves the
// DuckDB side to Spark as Arrow and runs on Spark, in either order and for every join type; the
// rows are those of the same join on DuckDB, and the note says what moved and how many rows.
func TestSparkMoveJoin(t *testing.T) {
	sp := Spark(sparkURL(t))
	if sp.Err() != nil {
		t.Fatal(sp.Err())
	}
	ev, local := sparkEvents(t, sp)
	hosts := FromRows([]map[string]any{{"Hostname": "wks1", "owner": "alice"}, {"Hostname": "wks2", "owner": "bob"}, {"Hostname": "srv9", "owner": "carol"}})
	for _, how := range []string{"inner", "left", "right", "full", "semi", "anti"} {
		t.Run("spark-duckdb "+how, func(t *testing.T) {
			got := ev.Where(Col("EventID").Eq(1)).Join(hosts, "Hostname", how)
			if !got.Pushed() || !strings.Contains(got.Plan(), "Join") {
				t.Fatalf("the join does not run on Spark:\n%s", got.Plan())
			}
			if !strings.Contains(got.Note(), "moved 3 rows from DuckDB to Spark (Arrow)") {
				t.Errorf("note %q", got.Note())
			}
			sameMovedRows(t, got, local.Where(Col("EventID").Eq(1)).Join(hosts, "Hostname", how))
			if !strings.Contains(got.Note(), "moved 3 rows from DuckDB to Spark (Arrow)") {
				t.Errorf("note after the read %q", got.Note())
			}
		})
		t.Run("duckdb-spark "+how, func(t *testing.T) {
			got := hosts.Join(ev.Select("Hostname", "n", "Image"), "Hostname", how)
			if !got.Pushed() {
				t.Fatalf("the join does not run on Spark:\n%s", got.Plan())
			}
			if !strings.Contains(got.Note(), "moved 3 rows from DuckDB to Spark (Arrow)") {
				t.Errorf("note %q", got.Note())
			}
			sameMovedRows(t, got, hosts.Join(local.Select("Hostname", "n", "Image"), "Hostname", how))
		})
	}
	t.Run("operations after the join run on Spark", func(t *testing.T) {
		got := ev.Join(hosts, "Hostname", "inner").Where(Col("owner").Eq("bob")).GroupBy("Image").Count()
		if !got.Pushed() {
			t.Fatalf("not on Spark:\n%s", got.Plan())
		}
		sameMovedRows(t, got, local.Join(hosts, "Hostname", "inner").Where(Col("owner").Eq("bob")).GroupBy("Image").Count())
		if n, err := got.Count(); err != nil || n != 4 {
			t.Fatalf("Count = %d, %v; want 4", n, err)
		}
	})
	t.Run("a condition Expr: the Spark side moves to DuckDB", func(t *testing.T) {
		on := LeftCol("Hostname").Eq(RightCol("Hostname"))
		got := ev.Where(Col("EventID").Eq(1)).Join(hosts, on, "inner")
		if got.Pushed() {
			t.Fatalf("ran on Spark:\n%s", got.Plan())
		}
		// Spark orders the columns of a JSON read by name, DuckDB as in the file: rows only.
		g, w := sortedRows(t, "spark", got), sortedRows(t, "duckdb", local.Where(Col("EventID").Eq(1)).Join(hosts, on, "inner"))
		if strings.Join(g, "\n") != strings.Join(w, "\n") || len(w) != 8 {
			t.Fatalf("Spark gave %d rows:\n%s\nDuckDB %d:\n%s", len(g), strings.Join(g, "\n"), len(w), strings.Join(w, "\n"))
		}
		if !strings.Contains(got.Note(), "moved 20 rows from Spark to DuckDB") {
			t.Errorf("note %q", got.Note())
		}
	})
	t.Run("a large DuckDB side stays: the Spark side moves to DuckDB", func(t *testing.T) {
		big := SQL(fmt.Sprintf("SELECT 'wks' || (i %% 7) AS Hostname, i AS k FROM range(%d) t(i)", maxMoveRows+1))
		got := ev.Where(Col("n").Lt(3)).Join(big, "Hostname", "inner")
		if got.Pushed() {
			t.Fatalf("ran on Spark:\n%s", got.Plan())
		}
		n, err := got.Count()
		want, werr := local.Where(Col("n").Lt(3)).Join(big, "Hostname", "inner").Count()
		if err != nil || werr != nil || n != want || n == 0 {
			t.Fatalf("Count = %d, %v; DuckDB %d, %v", n, err, want, werr)
		}
		if !strings.Contains(got.Note(), "moved 3 rows from Spark to DuckDB") {
			t.Errorf("note %q", got.Note())
		}
	})
}

// TestSparkMoveUnion: a union of a Spark frame with DuckDB frames of the same columns runs on
// Spark (the DuckDB rows moved as Arrow), gives the rows of the union on DuckDB and says what
// moved; sides with different columns are read into DuckDB, as before.
func TestSparkMoveUnion(t *testing.T) {
	sp := Spark(sparkURL(t))
	if sp.Err() != nil {
		t.Fatal(sp.Err())
	}
	ev, local := sparkEvents(t, sp)
	extra := FromRows([]map[string]any{{"Hostname": "srv9", "n": 100}, {"Hostname": "wks1", "n": 101}})
	more := FromRows([]map[string]any{{"n": 102, "Hostname": "srv8"}})
	got := ev.Select("Hostname", "n").Where(Col("n").Lt(10)).Union(extra, more)
	if !got.Pushed() {
		t.Fatalf("the union does not run on Spark:\n%s", got.Plan())
	}
	if !strings.Contains(got.Note(), "moved 3 rows from DuckDB to Spark (Arrow)") {
		t.Errorf("note %q", got.Note())
	}
	sameMovedRows(t, got, local.Select("Hostname", "n").Where(Col("n").Lt(10)).Union(extra, more))
	if n, err := got.Count(); err != nil || n != 13 {
		t.Fatalf("Count = %d, %v; want 13", n, err)
	}
	// The DuckDB frame first: its columns' order is kept.
	rev := extra.Union(ev.Select("n", "Hostname").Where(Col("n").Gt(55)))
	if !rev.Pushed() {
		t.Fatalf("not on Spark:\n%s", rev.Plan())
	}
	sameMovedRows(t, rev, extra.Union(local.Select("n", "Hostname").Where(Col("n").Gt(55))))

	other := FromRows([]map[string]any{{"Hostname": "srv9", "owner": "carol"}})
	mixed := ev.Select("Hostname", "n").Where(Col("n").Lt(4)).Union(other)
	if mixed.Pushed() {
		t.Fatalf("a union of different columns ran on Spark:\n%s", mixed.Plan())
	}
	sameMovedRows(t, mixed, local.Select("Hostname", "n").Where(Col("n").Lt(4)).Union(other))
	if !strings.Contains(mixed.Note(), "moved 4 rows from Spark to DuckDB") {
		t.Errorf("note %q", mixed.Note())
	}
}
