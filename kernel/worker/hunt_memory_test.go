package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rssMB is the resident memory of process pid, in MB.
func rssMB(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// TestProcessRereadKeepsMemoryFlat runs a read cell 50 times in a real worker, as a notebook
// re-run does: the tables of the frames the cell no longer reaches are dropped, so DuckDB holds
// a bounded number of source tables and the worker's memory does not grow with the runs
// (before, every run kept its table until the session ended: about 19 MB a read of a Mordor
// file, 3.4 GB after 1,500 runs).
func TestProcessRereadKeepsMemoryFlat(t *testing.T) {
	path, err := filepath.Abs("../../testdata/mordor/empire_shell_reg_dump_sam.zip")
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t)
	// := again each run, and a chain whose first frame only the interpreter's temporaries hold.
	cell := fmt.Sprintf("ev := hunt.Read(%q)\nsysmon := ev.Where(hunt.Col(\"EventID\").Gt(0))\nev.Count()", path)
	tables := func() string {
		r := p.exec("n, err := hunt.DuckSQL(\"SELECT * FROM duckdb_tables() WHERE starts_with(table_name, '__hunt_src')\").Count()\nfmt.Sprint(n, err)").ok(t)
		return r.text()
	}
	// A frame held in a slice and one in a struct of a cell-defined type stay readable.
	p.exec(fmt.Sprintf("type holder struct{ f *hunt.Frame }\nkept := []*hunt.Frame{hunt.Read(%q).Limit(5)}\nh := holder{hunt.Read(%q).Limit(3)}", path, path)).ok(t)
	var rss10 int64
	for i := 1; i <= 50; i++ {
		if r := p.exec(cell).ok(t); r.text() == "" || r.text() == "0" {
			t.Fatalf("run %d: count %q", i, r.text())
		}
		if i == 10 {
			rss10 = rssMB(t, p.cmd.Process.Pid)
		}
	}
	rss50 := rssMB(t, p.cmd.Process.Pid)
	got := tables()
	var n int
	fmt.Sscan(strings.Trim(got, "\""), &n)
	if n < 3 || n > 10 {
		t.Fatalf("after 50 reads DuckDB holds %s source tables; want the live one and at most a few awaiting collection", got)
	}
	// 40 more reads kept would be about 760 MB; bounded growth is the outcome checked.
	if rss50-rss10 > 150 {
		t.Fatalf("the worker grew from %d MB after 10 reads to %d MB after 50", rss10, rss50)
	}
	t.Logf("RSS after 10 reads %d MB, after 50 %d MB; source tables held: %s", rss10, rss50, got)
	for _, c := range []struct{ code, want string }{{"kept[0].Count()", "5"}, {"h.f.Count()", "3"}} {
		if r := p.exec(c.code).ok(t); r.text() != c.want {
			t.Fatalf("%s = %q, want %s", c.code, r.text(), c.want)
		}
	}
	if r := p.exec("sysmon.Count()").ok(t); r.text() == "0" {
		t.Fatalf("the live frame: %q", r.text())
	}
}
