package hunt

import (
	"runtime"
	"testing"
	"time"
)

// duckTables counts the tables in DuckDB's catalogs (the session file and the in-memory one).
func duckTables(t *testing.T, e *engine) int64 {
	t.Helper()
	var n int64
	if err := e.db.QueryRow("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_\\_hunt\\_%' ESCAPE '\\'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUnreachableTablesAreDropped: re-reading a file 30 times, keeping only the last frame and
// one registered frame, leaves DuckDB holding a bounded number of tables; the kept frames still
// read, and once they go too, their tables are dropped.
func TestUnreachableTablesAreDropped(t *testing.T) {
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	settle := func() int64 {
		// Cleanups run after a collection, and the DROPs after them, on goroutines of their own.
		var n int64
		for i := 0; i < 50; i++ {
			runtime.GC()
			time.Sleep(20 * time.Millisecond)
			if n = duckTables(t, e); int(n) == e.ownedTables() {
				break
			}
		}
		return n
	}
	before := settle()
	kept := Read("../testdata/mordor/covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges.zip").Where(Col("EventID").Eq(4662))
	Register("lifetime_kept", kept)
	var last *Frame
	for i := 0; i < 30; i++ {
		last = Read("../testdata/mordor/empire_shell_reg_dump_sam.zip")
		if last.Err() != nil {
			t.Fatal(last.Err())
		}
		if n := duckTables(t, e); n > before+2+gcEvery+2 {
			t.Fatalf("read %d: DuckDB holds %d tables (%d before): the tables of unreachable frames are kept", i+1, n, before)
		}
	}
	if n := settle(); n != before+2 {
		t.Fatalf("after the reads: %d tables, want %d (before) + the kept and the last", n, before)
	}
	if n, err := last.Count(); err != nil || n == 0 {
		t.Fatalf("last frame: %d, %v", n, err)
	}
	if n, err := SQL("SELECT * FROM lifetime_kept").Count(); err != nil || n == 0 {
		t.Fatalf("registered frame: %d, %v", n, err)
	}
	runtime.KeepAlive(last)
	last = nil
	e.mu.Lock()
	delete(e.reg, "lifetime_kept")
	delete(e.regNames, "lifetime_kept")
	e.mu.Unlock()
	kept = nil
	_ = kept
	if n := settle(); n != before {
		t.Fatalf("after the last frames went: %d tables, want %d", n, before)
	}
}
