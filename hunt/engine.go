package hunt

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"weak"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/gohunt/gohunt/hunt/session"
)

// engine is the embedded DuckDB database of the session and what frames share: the registry of
// names for SQL, the display settings and the temporary directory. The kernel worker process is
// the session, so one engine per process: defaultEngine opens it on first use.
type engine struct {
	db      *sql.DB
	conn    *duckdb.Connector
	tempDir string
	seq     atomic.Int64

	threadsMu sync.Mutex // held by execOneThread while it changes DuckDB's threads setting

	tablesMu sync.Mutex
	tables   map[string]*tableState // tables the engine made, by unquoted name
	made     int                    // tables made since the last garbage collection

	mu          sync.Mutex
	reg         map[string]*Frame // lower-cased name -> frame (table names are case-insensitive, as in Spark)
	regNames    map[string]string // lower-cased name -> name as registered
	displayRows int
	display     *displayLimits // columns and value width shown (SetDisplay); nil: the defaults
}

var (
	defaultMu  sync.Mutex
	defaultEng *engine
)

// defaultEngine returns the session's engine, opening it on first use.
func defaultEngine() (*engine, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultEng != nil {
		return defaultEng, nil
	}
	e, err := openEngine("")
	if err != nil {
		return nil, err
	}
	defaultEng = e
	return e, nil
}

func init() { session.OnClose(closeSession) }

// closeSession closes the session's database and removes its temporary directory (spilled data
// and decompressed sources). Frames made before fail afterwards; the next hunt call opens a
// fresh, empty database. It runs at session.Close, which the kernel worker calls when it shuts
// down (cells cannot).
func closeSession() error {
	defaultMu.Lock()
	e := defaultEng
	defaultEng = nil
	defaultMu.Unlock()
	if e == nil {
		return nil
	}
	return e.close()
}

// openEngine opens the session's DuckDB database in a fresh directory under tempRoot
// (os.TempDir() when empty), which also holds its temp_directory (where DuckDB spills) and staged
// sources. Directories left by sessions whose process has died are removed first.
func openEngine(tempRoot string) (*engine, error) {
	if tempRoot == "" {
		tempRoot = os.TempDir()
	}
	removeStaleDirs(tempRoot)
	dir, err := os.MkdirTemp(tempRoot, fmt.Sprintf("gohunt-duckdb-%d-", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("hunt: creating temp directory: %w", err)
	}
	q := url.Values{}
	q.Set("temp_directory", filepath.Join(dir, "spill"))
	// Spark orders NULLs first in ascending and last in descending order; so do we.
	q.Set("default_null_order", "nulls_first_on_asc_last_on_desc")
	q.Set("allocator_flush_threshold", "32MB")
	// The session database is a file in the temporary directory, not DuckDB's pure in-memory
	// mode: tables are then stored compressed (a 1M-event frame takes about a third of what
	// pandas needs), DuckDB keeps what fits in its buffer pool and evicts the rest, so frames
	// larger than memory work. The file is deleted by Close.
	// Small JSON sources are loaded into an attached in-memory catalog instead (memCatalog):
	// writing a small, wide table through the file costs more time than it saves memory.
	conn, err := duckdb.NewConnector(filepath.Join(dir, "session.duckdb")+"?"+q.Encode(), func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.Background(), "ATTACH IF NOT EXISTS ':memory:' AS "+memCatalog, nil)
		return err
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("hunt: opening DuckDB: %w", err)
	}
	db := sql.OpenDB(conn)
	e := &engine{db: db, conn: conn, tempDir: dir, tables: map[string]*tableState{}, reg: map[string]*Frame{}, regNames: map[string]string{}, displayRows: 20}
	if err := e.exec(context.Background(), sparkMacros); err != nil {
		e.close()
		return nil, err
	}
	if err := registerFunctions(db); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// removeStaleDirs deletes gohunt-duckdb-<pid>-* directories whose process no longer exists
// (a worker that crashed cannot clean up after itself).
func removeStaleDirs(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "gohunt-duckdb-*-*"))
	for _, d := range dirs {
		parts := strings.SplitN(strings.TrimPrefix(filepath.Base(d), "gohunt-duckdb-"), "-", 2)
		pid, err := strconv.Atoi(parts[0])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

func (e *engine) close() error {
	err := e.db.Close()
	if cerr := e.conn.Close(); err == nil {
		err = cerr
	}
	if rerr := os.RemoveAll(e.tempDir); err == nil {
		err = rerr
	}
	return err
}

// cellCtx is the context of the running cell (context.Background() outside the kernel): every
// query a frame runs for the user runs under it, so that an interrupt stops DuckDB's work
// (duckdb-go interrupts the connection when the context is cancelled) and the session lives on.
func cellCtx() context.Context { return session.Context() }

func (e *engine) exec(ctx context.Context, q string, args ...any) error {
	if _, err := e.db.ExecContext(ctx, q, args...); err != nil {
		return duckErr(err)
	}
	return nil
}

// execOneThread runs q with DuckDB's threads setting at 1, then restores the setting. Loading a
// small, wide JSON source (a Mordor file: thousands of events, ~190 columns) into a table is
// faster on one thread: on the 2-core build machine the THP samples load 30-40% faster than with
// two threads, whose parallel insert costs more than the parallel parse saves. The setting is the
// database's, so a query running meanwhile on another goroutine also runs on one thread.
func (e *engine) execOneThread(ctx context.Context, q string) error {
	e.threadsMu.Lock()
	defer e.threadsMu.Unlock()
	var threads int64
	if err := e.db.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		return duckErr(err)
	}
	if threads <= 1 {
		return e.exec(ctx, q)
	}
	if err := e.exec(ctx, "SET threads = 1"); err != nil {
		return err
	}
	err := e.exec(ctx, q)
	if rerr := e.exec(context.Background(), "SET threads = "+strconv.FormatInt(threads, 10)); err == nil {
		err = rerr
	}
	return err
}

// memCatalog is the in-memory catalog attached to every session database.
const memCatalog = "hunt_mem"

// tableName returns a fresh name for a table the engine owns. The table lives as long as a
// frame whose query reads it is reachable (see tableRef).
func (e *engine) tableName(prefix string) string {
	name := fmt.Sprintf("__hunt_%s_%d", prefix, e.seq.Add(1))
	e.tablesMu.Lock()
	e.tables[name] = &tableState{}
	e.made++
	collect := e.made >= gcEvery
	if collect {
		e.made = 0
	}
	e.tablesMu.Unlock()
	if collect {
		// DuckDB's tables live outside the Go heap, so the Go heap alone would rarely trigger a
		// collection: a cell that re-reads a file 1,500 times would keep 1,500 tables. Collect
		// every few tables so that those of unreachable frames are found and dropped.
		runtime.GC()
	}
	return name
}

// gcEvery is how many tables the engine makes between two garbage collections.
const gcEvery = 4

// tableRef stands for one table the engine made (a source read, a Cache, an Elasticsearch
// chunk). Every frame whose query reads the table holds its tableRef; when none is reachable,
// a cleanup drops the table and its memory goes back to DuckDB.
//
// Go may collect a frame as soon as its last use has passed, which can be before DuckDB has
// bound a query built from the frame's text. So every method that runs a frame's query keeps
// the frame alive until the query is bound (runtime.KeepAlive), and newFrame takes the
// tableRefs of its query before it binds it.
type tableRef struct{ name string }

// tableState is what the engine knows of one of its tables: the weak pointer to its tableRef
// once a frame holds one.
type tableState struct {
	ref     weak.Pointer[tableRef]
	held    bool // a tableRef was made (the table is dropped when it becomes unreachable)
	dropped bool
}

// ownTable matches the names tableName makes.
var ownTable = regexp.MustCompile(`__hunt_[a-z]+_[0-9]+`)

// refs returns the tableRefs of the engine's tables that query reads.
func (e *engine) refs(query string) []*tableRef {
	names := ownTable.FindAllString(query, -1)
	if len(names) == 0 {
		return nil
	}
	e.tablesMu.Lock()
	defer e.tablesMu.Unlock()
	var out []*tableRef
	seen := map[string]bool{}
	for _, n := range names {
		st, ok := e.tables[n]
		if !ok || seen[n] || st.dropped {
			continue
		}
		seen[n] = true
		r := st.ref.Value()
		if r == nil {
			r = &tableRef{name: n}
			st.ref, st.held = weak.Make(r), true
			runtime.AddCleanup(r, e.dropTable, n)
		}
		out = append(out, r)
	}
	return out
}

// dropTable drops the table name, which no reachable frame reads any more. It runs on the
// runtime's cleanup goroutine, so the DROP runs in a goroutine of its own.
func (e *engine) dropTable(name string) {
	e.tablesMu.Lock()
	st, ok := e.tables[name]
	if ok && st.ref.Value() != nil {
		// The tableRef this cleanup was for is gone, but a frame built since (from a query
		// text that outlived the old frames) holds a new one: the table stays.
		ok = false
	}
	if ok {
		st.dropped = true
		delete(e.tables, name)
	}
	e.tablesMu.Unlock()
	if !ok {
		return
	}
	go func() {
		// The table is in the in-memory catalog or the session file; errors (a closed
		// session) leave nothing to free.
		_ = e.exec(context.Background(), "DROP TABLE IF EXISTS "+memCatalog+".main."+quoteIdent(name))
		_ = e.exec(context.Background(), "DROP TABLE IF EXISTS "+quoteIdent(name))
	}()
}

// ownedTables counts the tables the engine made that are not dropped yet.
func (e *engine) ownedTables() int {
	e.tablesMu.Lock()
	defer e.tablesMu.Unlock()
	return len(e.tables)
}

// tempPath returns a fresh path in the engine's temporary directory.
func (e *engine) tempPath(name string) string {
	return filepath.Join(e.tempDir, fmt.Sprintf("%d-%s", e.seq.Add(1), name))
}

// duckErr turns a DuckDB error into one that reads well: internal identifier suffixes removed.
func duckErr(err error) error {
	if err == nil {
		return nil
	}
	msg := cleanMessage(err.Error())
	if msg == err.Error() {
		return err
	}
	return &Error{Msg: msg, Err: err}
}

// Error is an error from the hunt library: Msg says what failed, naming the column, file and
// line, or SQL position involved; Err is the underlying cause when there is one.
type Error struct {
	Msg string
	Err error
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// SetDisplayRows sets how many rows a frame shows when displayed (HTML and String); 20 at start.
// n < 1 is treated as 1. It is a setting of the session.
func SetDisplayRows(n int) {
	e, err := defaultEngine()
	if err != nil {
		return
	}
	if n < 1 {
		n = 1
	}
	e.mu.Lock()
	e.displayRows = n
	e.mu.Unlock()
}

func (e *engine) rowsToShow() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.displayRows
}

// Register makes frame f known to SQL under name (case-insensitive, like Spark's temporary views),
// replacing an earlier frame of that name. It returns f's error, if f carries one.
func Register(name string, f *Frame) error {
	if f == nil {
		return errorf("hunt.Register(%q): nil frame", name)
	}
	if f.err != nil {
		return f.err
	}
	if !validTableName(name) {
		return errorf("hunt.Register: %q is not a valid table name (letters, digits and _ , not starting with a digit)", name)
	}
	f.eng.mu.Lock()
	f.eng.reg[strings.ToLower(name)] = f
	f.eng.regNames[strings.ToLower(name)] = name
	f.eng.mu.Unlock()
	return nil
}

// Tables lists the names registered for SQL, as registered.
func Tables() []string {
	e, err := defaultEngine()
	if err != nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, n := range e.regNames {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

func validTableName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
