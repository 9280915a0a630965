//go:build spark

package spark

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestSQLCollectTypes(t *testing.T) {
	s := connect(t)
	ctx := context.Background()
	df, err := s.SQL(ctx, `SELECT id, cast(id AS int) AS i, id / 2 AS half, concat('e', id) AS s, id % 2 = 0 AS even,
		array(id, id + 1) AS a, named_struct('x', id, 'y', 'v') AS st, map('k', id) AS m,
		timestamp'2026-11-30 10:00:00' AS ts, date'2026-11-30' AS d, cast(NULL AS string) AS n,
		cast(1.50 AS decimal(5,2)) AS dec
		FROM range(3) ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := df.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []string{"bigint", "int", "double", "string", "boolean", "array<bigint>", "struct<x:bigint,y:string>", "map<string,bigint>", "timestamp", "date", "string", "decimal"}
	var got []string
	for _, c := range cols {
		got = append(got, c.Type)
	}
	if !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("schema types = %v, want %v", got, wantTypes)
	}
	rows, err := df.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Values) != 3 {
		t.Fatalf("%d rows, want 3", len(rows.Values))
	}
	r := rows.Values[1]
	want := []any{int64(1), int64(1), 0.5, "e1", false, []any{int64(1), int64(2)}, map[string]any{"x": int64(1), "y": "v"},
		[][2]any{{"k", int64(1)}}, nil, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), nil, "1.50"}
	for i := range want {
		if i == 8 {
			// The timestamp literal is in the server's session time zone; compare the wall clock.
			if tv, ok := r[i].(time.Time); !ok || tv.IsZero() {
				t.Errorf("ts = %#v, want a time.Time", r[i])
			}
			continue
		}
		if !reflect.DeepEqual(r[i], want[i]) {
			t.Errorf("column %s = %#v, want %#v", rows.Columns[i], r[i], want[i])
		}
	}
}

func TestPlanOperations(t *testing.T) {
	s := connect(t)
	ctx := context.Background()
	procs, err := s.FromRows(ctx, []string{"pid", "ppid", "image", "user"}, [][]any{
		{1, 0, "init", "root"},
		{10, 1, "sshd", "root"},
		{11, 10, "bash", "alice"},
		{12, 11, "curl", "alice"},
		{13, 11, "bash", nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, df *DataFrame, want [][]any) {
		t.Helper()
		rows, err := df.Collect(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rows.Values) == 0 && len(want) == 0 {
			return
		}
		if !reflect.DeepEqual(rows.Values, want) {
			t.Errorf("%s = %v, want %v", name, rows.Values, want)
		}
	}
	check("where+select+orderBy", procs.Where("user = 'alice'").Select("pid", "upper(image) AS img").OrderBy(SortKey{Expr: "pid", Desc: true}),
		[][]any{{int64(12), "CURL"}, {int64(11), "BASH"}})
	check("orderBy nulls first", procs.Select("user").Distinct().OrderBy(SortKey{Expr: "user"}),
		[][]any{{nil}, {"alice"}, {"root"}})
	check("groupBy", procs.GroupBy([]string{"image"}, "count(*) AS n", "max(pid) AS top").OrderBy(SortKey{Expr: "n", Desc: true}, SortKey{Expr: "image"}),
		[][]any{{"bash", int64(2), int64(13)}, {"curl", int64(1), int64(12)}, {"init", int64(1), int64(1)}, {"sshd", int64(1), int64(10)}})
	check("join", procs.Alias("c").Join(procs.Alias("p"), Inner, "c.ppid = p.pid").Select("c.image", "p.image AS parent").Where("c.pid > 11").OrderBy(SortKey{Expr: "c.pid"}),
		[][]any{{"curl", "bash"}, {"bash", "bash"}})
	check("left join", procs.Alias("c").Join(procs.Alias("p"), Left, "c.ppid = p.pid").Where("p.pid IS NULL").Select("c.image"),
		[][]any{{"init"}})
	check("anti join", procs.Alias("c").Join(procs.Alias("k"), Anti, "c.pid = k.ppid").Select("c.pid").OrderBy(SortKey{Expr: "pid"}),
		[][]any{{int64(12)}, {int64(13)}})
	check("union+limit", procs.Select("pid").Where("pid < 10").Union(procs.Select("ppid").Where("ppid = 0")).OrderBy(SortKey{Expr: "pid"}).Limit(5),
		[][]any{{int64(0)}, {int64(1)}})
	n, err := procs.Where("image = 'bash'").Count(ctx)
	if err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
	head, err := procs.OrderBy(SortKey{Expr: "pid"}).Head(ctx, 2)
	if err != nil || len(head.Values) != 2 || head.Values[1][0] != int64(10) {
		t.Errorf("Head(2) = %v, %v", head, err)
	}
	if err := procs.CreateTempView(ctx, "gohunt_test_procs", true); err != nil {
		t.Fatal(err)
	}
	check("view via Table", s.Table("gohunt_test_procs").Where("pid = 12").Select("image"), [][]any{{"curl"}})
	df, err := s.SQL(ctx, "SELECT image, count(*) AS n FROM gohunt_test_procs GROUP BY image HAVING n > 1")
	if err != nil {
		t.Fatal(err)
	}
	check("view via SQL", df, [][]any{{"bash", int64(2)}})

	// A failed step carries its error to the terminal methods.
	bad := procs.Select()
	if _, err := bad.Collect(ctx); err == nil || !strings.Contains(err.Error(), "no expressions") {
		t.Errorf("Select() = %v, want an error", err)
	}
	if _, err := procs.Where("nosuch = 1").Count(ctx); err == nil || !strings.Contains(err.Error(), "UNRESOLVED_COLUMN") {
		t.Errorf("unknown column: %v, want UNRESOLVED_COLUMN", err)
	}
}

func TestUploadArrow(t *testing.T) {
	s := connect(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	rec, err := RowsToArrow(mem, []string{"host", "n", "at", "score"}, [][]any{
		{"ws1", 3, time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), 1.5},
		{"ws2", nil, nil, 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	df, err := s.FromRecords(ctx, rec.Schema(), []arrow.Record{rec})
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := df.OrderBy(SortKey{Expr: "host"}).Arrow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	rows, err := tableRows(tbl)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{"ws1", int64(3), time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), 1.5},
		{"ws2", nil, nil, 2.0},
	}
	if !reflect.DeepEqual(rows.Values, want) {
		t.Errorf("round trip = %v, want %v", rows.Values, want)
	}
	mem.AssertSize(t, 0)
}

func TestReadFormats(t *testing.T) {
	s := connect(t)
	ctx := context.Background()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	jl := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(jl, []byte(`{"EventID":1,"Image":"C:\\a.exe"}`+"\n"+`{"EventID":3,"Image":"b.exe","DestinationPort":443}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "events.csv")
	if err := os.WriteFile(csv, []byte("EventID,Image\n1,C:\\a.exe\n3,b.exe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{int64(1), `C:\a.exe`}, {int64(3), "b.exe"}}
	get := func(name string, df *DataFrame) {
		t.Helper()
		rows, err := df.Select("cast(EventID AS bigint) AS EventID", "Image").OrderBy(SortKey{Expr: "EventID"}).Collect(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(rows.Values, want) {
			t.Errorf("%s = %v, want %v", name, rows.Values, want)
		}
	}
	get("jsonl", s.Read(jl, JSONL, nil))
	get("csv", s.Read(csv, CSV, map[string]string{"header": "true", "inferSchema": "true"}))
	for _, f := range []Format{Parquet, ORC} {
		out := filepath.Join(dir, string(f))
		if _, err := s.SQL(ctx, "INSERT OVERWRITE DIRECTORY '"+out+"' USING "+string(f)+" SELECT * FROM json.`"+jl+"`"); err != nil {
			t.Fatalf("writing %s: %v", f, err)
		}
		get(string(f), s.Read(out, f, nil))
	}
	if _, err := s.Read(jl, "xml", nil).Collect(ctx); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("xml: %v, want unknown format", err)
	}
	_, err := s.Read(filepath.Join(dir, "nosuch.json"), JSON, nil).Collect(ctx)
	var se *Error
	if !errors.As(err, &se) || se.Class != "PATH_NOT_FOUND" {
		t.Errorf("missing file: %v (class %q), want PATH_NOT_FOUND", err, classOf(err))
	}
}

func classOf(err error) string {
	var se *Error
	if errors.As(err, &se) {
		return se.Class
	}
	return ""
}

func TestErrors(t *testing.T) {
	s := connect(t)
	ctx := context.Background()
	_, err := s.Table("no_such_table_here").Collect(ctx)
	if classOf(err) != "TABLE_OR_VIEW_NOT_FOUND" || !strings.Contains(err.Error(), "no_such_table_here") {
		t.Errorf("unknown table: %v (class %q), want TABLE_OR_VIEW_NOT_FOUND naming the table", err, classOf(err))
	}
	_, err = s.SQL(ctx, "SELEC 1")
	if classOf(err) != "PARSE_SYNTAX_ERROR" {
		t.Errorf("bad SQL: %v (class %q), want PARSE_SYNTAX_ERROR", err, classOf(err))
	}
	// Spark's LIKE rejects a backslash before an ordinary letter.
	df, err := s.SQL(ctx, `SELECT 'a' LIKE '%\\q%'`)
	if err == nil {
		_, err = df.Collect(ctx)
	}
	if !strings.Contains(err.Error(), "ESC_IN_THE_MIDDLE") {
		t.Errorf("LIKE escape: %v, want INVALID_FORMAT.ESC_IN_THE_MIDDLE", err)
	}
	// The session lives on after errors.
	n, err := s.Table("no_such_table_here").Count(ctx)
	if err == nil {
		t.Errorf("Count of an unknown table = %d", n)
	}
	if n, err := s.Read("/dev/null", JSONL, nil).Count(ctx); err != nil || n != 0 {
		t.Errorf("session after errors: Count = %d, %v", n, err)
	}
}

func TestBadURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, u := range []string{"http://127.0.0.1:15002", "sc://", "sc://host:99999", "sc://host:1/;token", "sc://h/;nosuch=1"} {
		if _, err := Connect(ctx, u); err == nil || !strings.Contains(err.Error(), "bad Spark Connect URL") {
			t.Errorf("Connect(%q) = %v, want a bad URL error", u, err)
		}
	}
	// Nothing listens there: a clear error naming the address, after one try.
	_, err := Connect(ctx, "sc://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "unavailable") {
		t.Errorf("Connect to a closed port = %v, want server unavailable naming the address", err)
	}
	// A token goes over TLS only; the plaintext server fails the handshake, and the token is
	// not in the error.
	_, err = Connect(ctx, strings.TrimSuffix(serverURL(t), "/")+"/;token=s3cr3t-t0ken")
	if err == nil {
		t.Fatal("a token connection to a plaintext server succeeded")
	}
	_, err2 := Connect(ctx, serverURL(t), WithToken("s3cr3t-t0ken"))
	for _, e := range []error{err, err2} {
		if e == nil || strings.Contains(e.Error(), "s3cr3t") || strings.Contains(fmtAll(e), "s3cr3t") {
			t.Errorf("token error leaks or is nil: %v", e)
		}
	}
}

func fmtAll(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		b.WriteString(e.Error())
	}
	return b.String()
}

// TestArrowChunks: the Arrow result of a frame larger than one batch holds every row once.
func TestArrowChunks(t *testing.T) {
	s := connect(t)
	ctx := context.Background()
	df, err := s.SQL(ctx, "SELECT id, repeat('x', 100) AS pad FROM range(300000)")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := df.Arrow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 300000 {
		t.Fatalf("%d rows, want 300000", tbl.NumRows())
	}
	var sum int64
	for _, c := range tbl.Column(0).Data().Chunks() {
		for _, v := range c.(*array.Int64).Int64Values() {
			sum += v
		}
	}
	if sum != 300000*299999/2 {
		t.Errorf("sum of ids = %d", sum)
	}
}
