package hunt

import (
	"compress/gzip"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	sampleFlat   = "../testdata/mordor/covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges.zip"
	sampleFlat2  = "../testdata/mordor/empire_shell_reg_dump_sam.zip"
	sampleLegacy = "../testdata/mordor/synthetic_legacy_winlogbeat6.tar.gz"
)

func mustOK(t *testing.T, f *Frame) *Frame {
	t.Helper()
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
	return f
}

func count(t *testing.T, f *Frame) int64 {
	t.Helper()
	n, err := f.Count()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func colType(t *testing.T, f *Frame, name string) string {
	t.Helper()
	c, err := f.resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	return c.typ
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFlatZip(t *testing.T) {
	f := mustOK(t, Read(sampleFlat))
	if n := count(t, f); n != 869 {
		t.Fatalf("covenant_dcsync: %d events, want 869", n)
	}
	for name, typ := range map[string]string{"EventID": "BIGINT", "Keywords": "BIGINT", "tags": "VARCHAR[]", "@timestamp": "TIMESTAMP", "UtcTime": "TIMESTAMP", "EventTime": "TIMESTAMP", "ProcessId": "VARCHAR"} {
		if got := colType(t, f, name); got != typ {
			t.Errorf("%s: type %s, want %s", name, got, typ)
		}
	}
	kw, err := f.Where(Col("Keywords").Eq(int64(-9223372036854775808))).Count()
	if err != nil || kw == 0 {
		t.Errorf("Keywords = -9223372036854775808 (beyond 2^53) matches %d rows (%v), want > 0", kw, err)
	}
	// Channel names differ in case between events; values stay as they are.
	vc, err := f.ValueCounts("Channel").Collect()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int64{}
	for _, r := range vc {
		seen[r["Channel"].(string)] = r["count"].(int64)
	}
	if seen["Microsoft-Windows-Sysmon/Operational"] != 676 {
		t.Errorf("Sysmon events %d, want 676 (value counts %v)", seen["Microsoft-Windows-Sysmon/Operational"], seen)
	}
	if seen["Security"]+seen["security"] != 193 {
		t.Errorf("Security+security events %d, want 193", seen["Security"]+seen["security"])
	}
	tags, err := f.Limit(1).Column("tags")
	if err != nil {
		t.Fatal(err)
	}
	if l := tags.([]any); len(l) != 1 || len(l[0].([]any)) != 1 || l[0].([]any)[0] != "mordorDataset" {
		t.Errorf("tags = %#v, want a list holding mordorDataset", tags)
	}
}

func TestReadLegacyLayout(t *testing.T) {
	f := mustOK(t, Read(sampleLegacy))
	if n := count(t, f); n != 30 {
		t.Fatalf("%d events, want 30", n)
	}
	cols := strings.Join(f.Columns(), ",")
	for _, want := range []string{"event_data.Image", "event_data.CommandLine", "@metadata.beat", "user.name", "host.name", "event_data.SourceProcessGUID", "event_data.SourceProcessGuid"} {
		if !strings.Contains(","+cols+",", ","+want+",") {
			t.Errorf("column %s missing; columns: %s", want, cols)
		}
	}
	if got := colType(t, f, "record_number"); got != "VARCHAR" {
		t.Errorf("record_number type %s, want VARCHAR (a string in the data)", got)
	}
	if got := colType(t, f, "keywords"); got != "VARCHAR[]" {
		t.Errorf("keywords type %s, want VARCHAR[]", got)
	}
	// Case-differing keys stay distinct: Sysmon 10 has ...GUID, Sysmon 8 has ...Guid.
	n10 := count(t, f.Where(Col("event_data.SourceProcessGUID").IsNotNull()))
	n8 := count(t, f.Where(Col("event_data.SourceProcessGuid").IsNotNull()))
	if n10 != 6 || n8 != 6 {
		t.Errorf("SourceProcessGUID rows %d, SourceProcessGuid rows %d; want 6 and 6", n10, n8)
	}
	both := count(t, f.Where(And(Col("event_data.SourceProcessGUID").IsNotNull(), Col("event_data.SourceProcessGuid").IsNotNull())))
	if both != 0 {
		t.Errorf("%d rows have both keys, want 0", both)
	}
	Register("legacy", f)
	r := mustOK(t, SQL("SELECT `event_data.SourceProcessGuid` AS g FROM legacy WHERE event_id = 8 ORDER BY g LIMIT 1"))
	rows, err := r.Collect()
	if err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0]["g"].(string), "{EEEEEEEE") {
		t.Errorf("SQL over the Sysmon 8 key: %v %v", rows, err)
	}
	// Spark's struct access syntax reaches the flattened columns.
	n, err := SQL(`SELECT l.event_data.Image, event_data.CommandLine FROM legacy l WHERE event_id = 1 AND event_data.Image LIKE "%powershell.exe"`).Count()
	if err != nil || n != 6 {
		t.Errorf("struct-access SQL over flattened columns: %d rows, %v", n, err)
	}
	// KeepStructs keeps event_data as a STRUCT.
	s := mustOK(t, Read(sampleLegacy, KeepStructs()))
	if typ := colType(t, s, "event_data"); !strings.HasPrefix(typ, "STRUCT(") {
		t.Errorf("event_data with KeepStructs: %s, want STRUCT", typ)
	}
	v, err := s.Where(Col("event_id").Eq(1)).Limit(1).Column("event_data")
	if err != nil {
		t.Fatal(err)
	}
	if m := v.([]any)[0].(map[string]any); !strings.HasSuffix(m["Image"].(string), "powershell.exe") {
		t.Errorf("event_data struct = %v", m)
	}
}

func TestReadUnionSchemaAndWidening(t *testing.T) {
	p := writeFile(t, "mixed.jsonl", strings.Join([]string{
		`{"a": 1, "b": 1, "c": 1, "d": 9007199254740993, "e": {"x": 1}, "f": [1, 2], "g": true}`,
		`{"a": "x", "b": 2.5, "c": 123456789012345678901234567890, "d": 1.5, "e": "plain", "f": [3, "y"], "h": null}`,
		`{"only": "here", "big": -9223372036854775808}`,
		`{"huge": 1234567890123456789012345678901234567890123}`,
	}, "\n")+"\n")
	f := mustOK(t, Read(p))
	if n := count(t, f); n != 4 {
		t.Fatalf("%d rows, want 4: no row may be dropped", n)
	}
	want := map[string]string{"a": "VARCHAR", "b": "DOUBLE", "c": "HUGEINT", "d": "VARCHAR", "e": "VARCHAR", "f": "VARCHAR[]", "g": "BOOLEAN", "h": "VARCHAR", "only": "VARCHAR", "big": "BIGINT", "huge": "VARCHAR"}
	for c, typ := range want {
		if got := colType(t, f, c); got != typ {
			t.Errorf("column %s: %s, want %s", c, got, typ)
		}
	}
	if got := strings.Join(f.Columns(), ","); got != "a,b,c,d,e,f,g,h,only,big,huge" {
		t.Errorf("column order %s, want order of first appearance", got)
	}
	rows, err := f.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0]["a"] != "1" || rows[1]["a"] != "x" {
		t.Errorf("a = %v, %v", rows[0]["a"], rows[1]["a"])
	}
	if rows[0]["d"] != "9007199254740993" {
		t.Errorf("d = %v: an integer beyond 2^53 must keep every digit", rows[0]["d"])
	}
	if c, ok := rows[1]["c"].(*big.Int); !ok || c.String() != "123456789012345678901234567890" {
		t.Errorf("c = %v", rows[1]["c"])
	}
	if rows[3]["huge"] != "1234567890123456789012345678901234567890123" {
		t.Errorf("huge = %v", rows[3]["huge"])
	}
	if rows[2]["big"] != int64(-9223372036854775808) {
		t.Errorf("big = %v", rows[2]["big"])
	}
	if rows[0]["e"] != `{"x":1}` || rows[1]["e"] != "plain" {
		t.Errorf("e = %q, %q", rows[0]["e"], rows[1]["e"])
	}
	if l := rows[1]["f"].([]any); len(l) != 2 || l[0] != "3" || l[1] != "y" {
		t.Errorf("f = %v", rows[1]["f"])
	}
}

func TestReadCaseDistinctKeys(t *testing.T) {
	p := writeFile(t, "case.jsonl", `{"LogonId": "0x1", "Port": 1}`+"\n"+`{"LogonID": "0x2", "port": 2}`+"\n"+`{"LogonId": "0x3", "LogonID": "0x4"}`+"\n")
	f := mustOK(t, Read(p))
	if got := strings.Join(f.Columns(), ","); got != "LogonId,Port,LogonID,port" {
		t.Fatalf("columns %s", got)
	}
	if n := count(t, f.Where(Col("LogonID").IsNotNull())); n != 2 {
		t.Errorf("LogonID non-null rows %d, want 2", n)
	}
	if n := count(t, f.Where(Col("LogonId").IsNotNull())); n != 2 {
		t.Errorf("LogonId non-null rows %d, want 2", n)
	}
	f.As("cased")
	rows, err := SQL("SELECT LogonID, port FROM cased WHERE LogonID = '0x4' OR port = 2 ORDER BY LogonID").Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0]["LogonID"] != "0x2" || rows[1]["LogonID"] != "0x4" || rows[0]["port"] != int64(2) {
		t.Errorf("SQL over case-distinct columns: %v", rows)
	}
	var out strings.Builder
	out.WriteString(f.String())
	if !strings.Contains(out.String(), "LogonID") || strings.Contains(out.String(), identMark) {
		t.Errorf("display shows internal names:\n%s", out.String())
	}
}

func TestReadMalformedLine(t *testing.T) {
	p := writeFile(t, "bad.jsonl", `{"a": 1}`+"\n"+`{"a": 2}`+"\n"+`{"a": 3,,}`+"\n"+`{"a": 4}`+"\n")
	f := Read(p)
	err := f.Err()
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl line 3") {
		t.Fatalf("error %v, want one naming bad.jsonl line 3", err)
	}
	if _, cerr := f.Count(); cerr == nil {
		t.Error("Count on a failed Read returned no error")
	}
	if err := Read(writeFile(t, "arr.json", `[{"a":1}, 5]`)).Err(); err == nil || !strings.Contains(err.Error(), "element 2") {
		t.Errorf("JSON array with a non-object: %v", err)
	}
	g := mustOK(t, Read(p, SkipBadLines()))
	if n := count(t, g); n != 3 {
		t.Errorf("%d rows with SkipBadLines, want 3", n)
	}
	if !strings.Contains(g.Note(), "skipped 1 malformed line") || !strings.Contains(g.Note(), "line 3") {
		t.Errorf("Note %q", g.Note())
	}
	if !strings.Contains(g.HTML(), "skipped 1 malformed line") {
		t.Error("HTML does not report the skipped line")
	}
	for _, bad := range []string{`5`, `"s"`, `{"a":1} x`, `{"a":"\x01"}`, `{"a":1,"a":2}`, `{"a":01}`, `{"a":tru}`} {
		p := writeFile(t, "b.jsonl", bad+"\n")
		if err := Read(p).Err(); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: error %v, want a malformed-line error naming line 1", bad, err)
		}
	}
}

func TestReadFormats(t *testing.T) {
	dir := t.TempDir()
	lines := `{"EventID": 1, "Image": "a.exe"}` + "\n" + `{"EventID": 3, "Image": "b.exe"}` + "\n"
	os.WriteFile(filepath.Join(dir, "x.jsonl"), []byte(lines), 0o644)
	os.WriteFile(filepath.Join(dir, "arr.json"), []byte(`[{"EventID": 7, "Image": "c.exe"},
 {"EventID": 8, "Image": "d.exe"}]`), 0o644)
	gz, _ := os.Create(filepath.Join(dir, "z.json.gz"))
	zw := gzip.NewWriter(gz)
	zw.Write([]byte(lines))
	zw.Close()
	gz.Close()
	for name, want := range map[string]int64{"x.jsonl": 2, "arr.json": 2, "z.json.gz": 2} {
		if n := count(t, mustOK(t, Read(filepath.Join(dir, name)))); n != want {
			t.Errorf("%s: %d rows, want %d", name, n, want)
		}
	}
	f := mustOK(t, Read(filepath.Join(dir, "x.jsonl")))
	if err := f.WriteParquet(filepath.Join(dir, "p.parquet")); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteCSV(filepath.Join(dir, "c.csv")); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteJSON(filepath.Join(dir, "j.ndjson")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"p.parquet", "c.csv", "j.ndjson"} {
		g := mustOK(t, Read(filepath.Join(dir, name)))
		rows, err := g.OrderBy("EventID").Collect()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1]["Image"] != "b.exe" || rows[1]["EventID"] != int64(3) {
			t.Errorf("%s round trip: %v", name, rows)
		}
	}
	// A directory and a glob read every file as one frame.
	all := mustOK(t, Read(dir))
	if n := count(t, all); n != 12 {
		t.Errorf("directory: %d rows, want 12", n)
	}
	if n := count(t, mustOK(t, Read(filepath.Join(dir, "*.json*")))); n != 6 {
		t.Errorf("glob *.json*: %d rows, want 6", n)
	}
	if err := Read(filepath.Join(dir, "nothing*.zip")).Err(); err == nil || !strings.Contains(err.Error(), "no file matches") {
		t.Errorf("empty glob: %v", err)
	}
	if err := Read(filepath.Join(dir, "missing.zip")).Err(); err == nil || !strings.Contains(err.Error(), "missing.zip") {
		t.Errorf("missing file: %v", err)
	}
	// Both testdata layouts through one glob: the union of their columns.
	both := mustOK(t, Read("../testdata/mordor/*"))
	if n := count(t, both); n != 869+738+30 {
		t.Errorf("testdata glob: %d rows, want %d", n, 869+738+30)
	}
}

func TestFromRows(t *testing.T) {
	type ev struct {
		EventID int    `json:"EventID"`
		Image   string `json:"Image"`
		Parent  *string
	}
	s := "p.exe"
	f := mustOK(t, FromRows([]ev{{1, "a.exe", &s}, {3, "b.exe", nil}}))
	if got := strings.Join(f.Columns(), ","); got != "EventID,Image,Parent" {
		t.Errorf("struct columns %s", got)
	}
	if n := count(t, f.Where(Col("Parent").IsNull())); n != 1 {
		t.Errorf("nil pointer -> NULL rows %d", n)
	}
	g := mustOK(t, FromRows([]map[string]any{{"b": 1, "a": "x"}, {"a": "y", "c": []string{"t"}}}))
	if got := strings.Join(g.Columns(), ","); got != "a,b,c" {
		t.Errorf("map columns %s", got)
	}
	if err := FromRows(42).Err(); err == nil {
		t.Error("FromRows(42) gave no error")
	}
	if err := FromRows([]int{1}).Err(); err == nil || !strings.Contains(err.Error(), "row 0") {
		t.Errorf("FromRows([]int): %v", err)
	}
}
