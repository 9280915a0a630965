package hunt

import (
	"runtime"
	"strings"
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

// settleTables collects until DuckDB holds exactly the tables the engine still owns (at most
// one second) and returns how many it holds: cleanups run after a collection, and the DROPs
// after them, on goroutines of their own.
func settleTables(t *testing.T, e *engine) int64 {
	t.Helper()
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

// TestUnreachableTablesAreDropped: re-reading a file 30 times, keeping only the last frame and
// one registered frame, leaves DuckDB holding a bounded number of tables; the kept frames still
// read, and once they go too, their tables are dropped.
func TestUnreachableTablesAreDropped(t *testing.T) {
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	settle := func() int64 { return settleTables(t, e) }
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

// TestFramesStayBoundUnderCollection: a frame used only as the receiver of an operation (the
// chains a cell writes, hunt.Read(path).ProcessTree()) may be collected as soon as its last
// use has passed; its table must live until the operation's query is bound. Collections run
// back to back while the chains run, so a table dropped too early fails a query here.
func TestFramesStayBoundUnderCollection(t *testing.T) {
	const sample = "../testdata/mordor/empire_shell_reg_dump_sam.zip"
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	defer func() { close(stop); <-done }()
	read := func() *Frame { return Read(sample).Cache() }
	for i := 0; i < 5; i++ {
		if err := read().ProcessTree().Err(); err != nil {
			t.Fatalf("round %d: ProcessTree: %v", i, err)
		}
		if err := read().Timeline("@timestamp", "Hostname").Err(); err != nil {
			t.Fatalf("round %d: Timeline: %v", i, err)
		}
		if n, err := read().Where(Col("EventID").Eq(4688)).Count(); err != nil {
			t.Fatalf("round %d: Count: %v (%d)", i, err, n)
		}
		if err := read().Join(read().Select("RecordNumber"), "RecordNumber", "inner").Err(); err != nil {
			t.Fatalf("round %d: Join: %v", i, err)
		}
		if err := read().Union(read(), read()).Err(); err != nil {
			t.Fatalf("round %d: Union: %v", i, err)
		}
		if _, err := read().ValueCounts("EventID").Collect(); err != nil {
			t.Fatalf("round %d: ValueCounts: %v", i, err)
		}
		if html := read().HTML(); strings.Contains(html, "does not exist") {
			t.Fatalf("round %d: display: %s", i, html)
		}
		if err := read().ValueCounts("EventID").Bar().Err(); err != nil {
			t.Fatalf("round %d: Bar: %v", i, err)
		}
	}
}
