package hunt

import (
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func events(t *testing.T) *Frame {
	t.Helper()
	return mustOK(t, FromRows([]map[string]any{
		{"EventID": 1, "Host": "ws1", "Image": `C:\Windows\powershell.exe`, "LogonType": "3", "ts": "2020-09-21T04:14:55.050Z", "User": "alice"},
		{"EventID": 1, "Host": "ws2", "Image": `C:\Windows\cmd.exe`, "LogonType": "2", "ts": "2020-09-21T05:00:00.000Z", "User": "bob"},
		{"EventID": 3, "Host": "ws1", "Image": `C:\Windows\POWERSHELL.EXE`, "LogonType": "abc", "ts": "2020-09-22T00:00:00.000Z", "User": nil},
		{"EventID": 10, "Host": "dc1", "Image": `C:\Windows\lsass.exe`, "ts": "2020-09-23T00:00:00.000Z", "User": "alice"},
	}))
}

func ints(t *testing.T, f *Frame, col string) []int64 {
	t.Helper()
	v, err := f.Column(col)
	if err != nil {
		t.Fatal(err)
	}
	return v.([]int64)
}

func strs(t *testing.T, f *Frame, col string) []string {
	t.Helper()
	v, err := f.Strings(col)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWhere(t *testing.T) {
	f := events(t)
	cases := []struct {
		name string
		cond any
		want int64
	}{
		{"Eq", Col("EventID").Eq(1), 2},
		{"Ne", Col("EventID").Ne(1), 2},
		{"Gt", Col("EventID").Gt(1), 2},
		{"In", Col("EventID").In(1, 10), 3},
		{"Like is case-sensitive", Col("Image").Like(`%powershell.exe`), 1},
		{"Lower Like", Col("Image").Lower().Like(`%powershell.exe`), 2},
		{"Like backslash escape", Col("Image").Like(`C:\\Windows\\cmd.exe`), 1},
		{"RLike", Col("Image").RLike(`(?i)power`), 2},
		{"IsNull", Col("User").IsNull(), 1},
		{"IsNotNull", Col("User").IsNotNull(), 3},
		{"And Or Not", Or(And(Col("EventID").Eq(1), Col("Host").Eq("ws1")), Not(Col("EventID").Lt(10))), 2},
		{"string col vs number (Spark cast, abc is NULL)", Col("LogonType").Eq(3), 1},
		{"number col vs string", Col("EventID").Eq("10"), 1},
		{"Contains", Col("Image").Contains("cmd"), 1},
		{"SQL string", "EventID = 1 AND lower(Image) LIKE '%powershell.exe'", 1},
		{"SQL string spark", "LogonType = 3 OR `Host` == \"dc1\"", 2},
	}
	for _, c := range cases {
		n, err := f.Where(c.cond).Count()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if n != c.want {
			t.Errorf("%s: %d rows, want %d", c.name, n, c.want)
		}
	}
	if n := count(t, f.Between("ts", time.Date(2020, 9, 21, 0, 0, 0, 0, time.UTC), time.Date(2020, 9, 21, 23, 59, 59, 0, time.UTC))); n != 2 {
		t.Errorf("Between times: %d rows, want 2", n)
	}
	if n := count(t, f.Between("EventID", 2, 10)); n != 2 {
		t.Errorf("Between numbers: %d rows, want 2", n)
	}
}

func TestShapeOperations(t *testing.T) {
	f := events(t)
	if got := strings.Join(f.Select("Host", Col("Image").Lower().As("img")).Columns(), ","); got != "Host,img" {
		t.Errorf("Select: %s", got)
	}
	if got := strings.Join(f.Drop("ts", "User").Columns(), ","); got != "EventID,Host,Image,LogonType" {
		t.Errorf("Drop: %s", got)
	}
	r := mustOK(t, f.Rename("Host", "Hostname"))
	if got := strings.Join(r.Columns(), ","); !strings.Contains(got, "Hostname") || strings.Contains(got, "Host,") {
		t.Errorf("Rename: %s", got)
	}
	w := mustOK(t, f.WithColumn("img", Col("Image").Lower()).WithColumn("EventID", SQLExpr("EventID * 10")))
	if got := ints(t, w.OrderBy("EventID"), "EventID"); fmt.Sprint(got) != "[10 10 30 100]" {
		t.Errorf("WithColumn replace: %v", got)
	}
	if got := strs(t, f.OrderBy("User", "-EventID"), "User"); fmt.Sprint(got) != "[ alice alice bob]" {
		t.Errorf("OrderBy NULLs first ascending (Spark): %q", got)
	}
	if got := strs(t, f.OrderBy(Col("User").Desc(), "EventID"), "User"); fmt.Sprint(got) != "[bob alice alice ]" {
		t.Errorf("OrderBy desc NULLs last: %q", got)
	}
	if n := count(t, f.Limit(2)); n != 2 {
		t.Errorf("Limit: %d", n)
	}
	if n := count(t, f.Head(3)); n != 3 {
		t.Errorf("Head: %d", n)
	}
	if n := count(t, f.Select("Host").Distinct()); n != 3 {
		t.Errorf("Distinct: %d", n)
	}
	if n := count(t, f.Sample(1)); n != 4 {
		t.Errorf("Sample(1): %d", n)
	}
	if n := count(t, f.Sample(0)); n != 0 {
		t.Errorf("Sample(0): %d", n)
	}
	if err := f.Sample(2).Err(); err == nil {
		t.Error("Sample(2) gave no error")
	}
	u := mustOK(t, f.Select("Host", "EventID").Union(f.Select("Image", "EventID")))
	if n := count(t, u); n != 8 {
		t.Errorf("Union: %d rows", n)
	}
	if got := strings.Join(u.Columns(), ","); got != "Host,EventID,Image" {
		t.Errorf("Union by name columns: %s", got)
	}
	d := mustOK(t, f.Describe())
	rows, err := d.Collect()
	if err != nil || len(rows) != 6 || rows[0]["column_name"] != "EventID" {
		t.Errorf("Describe: %v %v", rows, err)
	}
	s, err := f.Schema()
	if err != nil || len(s) != 6 || s[0] != (Field{"EventID", "BIGINT"}) {
		t.Errorf("Schema: %v %v", s, err)
	}
	if !strings.Contains(s.String(), " |-- Host: VARCHAR") {
		t.Errorf("Schema text:\n%s", s)
	}
}

func TestGroupBy(t *testing.T) {
	f := events(t)
	g := mustOK(t, f.GroupBy("Host").Agg(Count(), CountDistinct("EventID"), Min("EventID"), Max("ts"), First("Image"), Collect("User"), Sum("EventID"), Avg("EventID").As("mean")))
	if got := strings.Join(g.Columns(), ","); got != "Host,count,count(DISTINCT EventID),min(EventID),max(ts),first(Image),collect_list(User),sum(EventID),mean" {
		t.Errorf("Agg columns: %s", got)
	}
	rows, err := g.OrderBy("Host").Collect()
	if err != nil {
		t.Fatal(err)
	}
	ws1 := rows[1]
	if ws1["Host"] != "ws1" || ws1["count"] != int64(2) || ws1["count(DISTINCT EventID)"] != int64(2) || ws1["min(EventID)"] != int64(1) {
		t.Errorf("ws1 group: %v", ws1)
	}
	if l := ws1["collect_list(User)"].([]any); len(l) != 1 || l[0] != "alice" {
		t.Errorf("Collect skips NULLs: %v", l)
	}
	if n := count(t, f.GroupBy("Host").Count()); n != 3 {
		t.Errorf("GroupBy.Count: %d groups", n)
	}
	vc, err := f.ValueCounts("Host").Collect()
	if err != nil || vc[0]["Host"] != "ws1" || vc[0]["count"] != int64(2) {
		t.Errorf("ValueCounts: %v %v", vc, err)
	}
}

func TestJoin(t *testing.T) {
	f := events(t)
	hosts := mustOK(t, FromRows([]map[string]any{{"Host": "ws1", "Owner": "it"}, {"Host": "srv9", "Owner": "ops"}}))
	for how, want := range map[string]int64{"inner": 2, "left": 4, "right": 3, "full": 5, "semi": 2, "anti": 2} {
		j := f.Join(hosts, "Host", how)
		n, err := j.Count()
		if err != nil || n != want {
			t.Errorf("%s join: %d rows (%v), want %d", how, n, err, want)
		}
	}
	j := mustOK(t, f.Join(hosts, "Host", "full"))
	if got := strings.Join(j.Columns(), ","); got != "Host,EventID,Image,LogonType,User,ts,Owner" {
		t.Errorf("join on names keeps one key column: %s", got)
	}
	if n := count(t, j.Where(Col("Host").Eq("srv9"))); n != 1 {
		t.Errorf("full join key is coalesced: %d", n)
	}
	if got := strings.Join(f.Join(hosts, "Host", "semi").Columns(), ","); got != "Host,EventID,Image,LogonType,User,ts" {
		t.Errorf("semi join columns: %s", got)
	}
	e := mustOK(t, f.Join(hosts, LeftCol("Host").Eq(RightCol("Host")).And(RightCol("Owner").Eq("it")), "inner"))
	if n := count(t, e); n != 2 {
		t.Errorf("expression join: %d", n)
	}
	if err := e.Select("Host").Err(); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("duplicate Host after expression join: %v", err)
	}
	if err := f.Join(hosts, "Hots", "inner").Err(); err == nil || !strings.Contains(err.Error(), `"Host"`) {
		t.Errorf("join on unknown column: %v", err)
	}
	if err := f.Join(hosts, "Host", "sideways").Err(); err == nil {
		t.Error("unknown join type gave no error")
	}
}

func TestErrorsNameColumnAndNearMatches(t *testing.T) {
	f := events(t)
	err := f.Where(Col("EventId").Eq(1)).Err()
	if err == nil || !strings.Contains(err.Error(), `"EventId"`) || !strings.Contains(err.Error(), `"EventID"`) {
		t.Errorf("unknown column error: %v", err)
	}
	// The error travels through the chain and terminal operations return it.
	chain := f.Select("Imgae").Where("EventID = 1").OrderBy("Host").Limit(3)
	if chain.Err() == nil || !strings.Contains(chain.Err().Error(), `"Image"`) {
		t.Errorf("chained error: %v", chain.Err())
	}
	if _, err := chain.Count(); err == nil {
		t.Error("Count of a failed frame: no error")
	}
	if _, err := chain.Collect(); err == nil {
		t.Error("Collect of a failed frame: no error")
	}
	if !strings.Contains(chain.HTML(), "Imgae") || !strings.Contains(chain.String(), "Imgae") {
		t.Error("display of a failed frame does not show the error")
	}
	err = f.Where("Hots = 'ws1'").Err()
	if err == nil || !strings.Contains(err.Error(), `"Hots"`) || !strings.Contains(err.Error(), `"Host"`) {
		t.Errorf("SQL predicate unknown column: %v", err)
	}
	f.As("ev")
	err = SQL("SELECT Imagee FROM ev").Err()
	if err == nil || !strings.Contains(err.Error(), `"Image"`) {
		t.Errorf("SQL unknown column: %v", err)
	}
	if err := SQL("SELECT * FROM nosuchtable").Err(); err == nil || !strings.Contains(err.Error(), "nosuchtable") {
		t.Errorf("unknown table: %v", err)
	}
	if err := f.Where(42).Err(); err == nil {
		t.Error("Where(42) gave no error")
	}
	if err := f.Where(Col("EventID").Eq(struct{}{})).Err(); err == nil {
		t.Error("struct literal gave no error")
	}
}

func TestConcurrentFrames(t *testing.T) {
	f := mustOK(t, Read(sampleFlat2))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			g := f.Where(Col("EventID").Eq(10)).Select("Hostname", "SourceImage")
			n, err := g.Count()
			if err != nil || n != 401 {
				errs <- fmt.Errorf("goroutine %d: %d rows, %v", i, n, err)
				return
			}
			name := fmt.Sprintf("t%d", i)
			Register(name, g)
			m, err := SQL("SELECT count(*) AS n FROM " + name).Collect()
			if err != nil || m[0]["n"] != int64(401) {
				errs <- fmt.Errorf("goroutine %d SQL: %v %v", i, m, err)
			}
			if h := g.HTML(); !strings.Contains(h, "of 401 rows") {
				errs <- fmt.Errorf("goroutine %d HTML summary missing", i)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestOutputs(t *testing.T) {
	f := events(t)
	it, err := f.OrderBy("EventID").Rows()
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for it.Next() {
		ids = append(ids, it.Row()["EventID"].(int64))
	}
	if it.Err() != nil || fmt.Sprint(ids) != "[1 1 3 10]" {
		t.Errorf("Rows: %v %v", ids, it.Err())
	}
	it.Close()
	v, err := f.Column("Host")
	if _, ok := v.([]string); !ok || err != nil {
		t.Errorf("Column(Host) = %T %v", v, err)
	}
	if _, err := f.Column("Hots"); err == nil {
		t.Error("Column of unknown name: no error")
	}
	if err := f.WriteCSV("/nonexistent-dir/x.csv"); err == nil || !strings.Contains(err.Error(), "/nonexistent-dir/x.csv") {
		t.Errorf("WriteCSV to a missing directory: %v", err)
	}
}

func TestCache(t *testing.T) {
	f := events(t).Where(Col("EventID").Eq(1))
	c := mustOK(t, f.Cache())
	if !strings.Contains(c.SQLText(), "__hunt_cache_") {
		t.Errorf("Cache did not store a table: %s", c.SQLText())
	}
	if n := count(t, c); n != 2 {
		t.Errorf("cached rows %d, want 2", n)
	}
	if err := events(t).Select("nope").Cache().Err(); err == nil {
		t.Error("Cache passed no error on")
	}
}

func TestTypeMismatchNamesTheOperation(t *testing.T) {
	f := mustOK(t, FromRows([]map[string]any{{"tags": []string{"a"}, "n": 1}}))
	err := f.Where(Col("tags").Gt(Col("n"))).Err()
	if err == nil || !strings.Contains(err.Error(), "Where(") || !strings.Contains(err.Error(), "tags") {
		t.Errorf("type mismatch error: %v", err)
	}
	err = f.Where("tags + 1 > 2").Err()
	if err == nil || !strings.Contains(err.Error(), `SQL expression "tags + 1 > 2"`) {
		t.Errorf("type mismatch in a SQL predicate: %v", err)
	}
}

func TestExportedNamesDocumented(t *testing.T) {
	fset := gotoken.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		for name, file := range pkg.Files {
			for _, d := range file.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Name.IsExported() && (d.Recv == nil || ast.IsExported(recvName(d))) && d.Doc == nil {
						t.Errorf("%s: %s has no doc comment", name, d.Name.Name)
					}
					if d.Name.IsExported() && d.Type.TypeParams != nil {
						t.Errorf("%s: %s is generic: yaegi cannot call extracted generics", name, d.Name.Name)
					}
				case *ast.GenDecl:
					for _, sp := range d.Specs {
						switch sp := sp.(type) {
						case *ast.TypeSpec:
							if sp.Name.IsExported() && d.Doc == nil && sp.Doc == nil {
								t.Errorf("%s: type %s has no doc comment", name, sp.Name.Name)
							}
						case *ast.ValueSpec:
							for _, n := range sp.Names {
								if n.IsExported() && d.Doc == nil && sp.Doc == nil && sp.Comment == nil {
									t.Errorf("%s: %s has no doc comment", name, n.Name)
								}
							}
						}
					}
				}
			}
		}
	}
}

func recvName(d *ast.FuncDecl) string {
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func TestStaleSessionDirsRemoved(t *testing.T) {
	root := t.TempDir()
	stale := root + "/gohunt-duckdb-999999999-abc"
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := openEngine(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("directory of a dead process still there: %v", err)
	}
	if !strings.HasPrefix(e.tempDir, root+fmt.Sprintf("/gohunt-duckdb-%d-", os.Getpid())) {
		t.Errorf("session directory %s", e.tempDir)
	}
}
