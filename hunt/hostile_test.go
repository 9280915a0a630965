package hunt

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hostileKeys and hostileValues hold the bytes that used to break SQL text: NUL, both quotes,
// backslashes, the private-use characters of internal identifiers, control characters.
var (
	hostileKeys   = []string{"a\x00b", `q"uo'te`, `back\slash`, "\\", "x\uE001--y", "x\uE00100", "ctl\x01\n", "Image"}
	hostileValues = []string{"evil\x00.exe", `it's "quoted"`, `C:\Windows\x.exe`, "\\'", "\x00", "\uE001", "line\nbreak"}
)

// TestReadHostileKeysAndValues: keys and values holding NUL, quotes and backslashes are read
// as they are (issue: one key holding \u0000 made Read of the whole file fail), and a Timeline
// grouped by such values draws (it failed with "unterminated quoted string").
func TestReadHostileKeysAndValues(t *testing.T) {
	var lines []string
	for i, v := range hostileValues {
		ev := map[string]any{"ts": "2024-01-01T00:00:0" + string(rune('0'+i)) + "Z"}
		for _, k := range hostileKeys {
			ev[k] = v
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	for _, opts := range [][]ReadOption{nil, {SkipBadLines()}} {
		f := mustOK(t, Read(writeFile(t, "hostile.jsonl", strings.Join(lines, "\n")+"\n"), opts...))
		cols := f.Columns()
		for _, k := range hostileKeys {
			if !slices.Contains(cols, k) {
				t.Fatalf("column %q missing: %q", k, cols)
			}
		}
		rows, err := f.Collect()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(hostileValues) {
			t.Fatalf("%d rows, want %d", len(rows), len(hostileValues))
		}
		for i, r := range rows {
			for _, k := range hostileKeys {
				if r[k] != hostileValues[i] {
					t.Fatalf("row %d column %q = %q, want %q", i, k, r[k], hostileValues[i])
				}
			}
		}
		for _, k := range hostileKeys {
			// Filters and selections over such columns, with such literals.
			g := f.Where(Col(k).Eq(hostileValues[0])).Select(k)
			if n := count(t, g); n != 1 {
				t.Fatalf("Where(%q = %q): %d rows, want 1", k, hostileValues[0], n)
			}
			tl := f.Timeline("ts", k)
			if tl.Error != nil {
				t.Fatalf("Timeline by %q: %v", k, tl.Error)
			}
			var names []string
			for _, l := range tl.Lanes {
				names = append(names, l.Name)
			}
			for _, v := range hostileValues {
				if !slices.Contains(names, v) {
					t.Fatalf("Timeline by %q: lane %q missing from %q", k, v, names)
				}
			}
			if b := f.Histogram(k); b.Error != nil {
				t.Fatalf("Histogram of %q: %v", k, b.Error)
			}
		}
	}
}

// TestQuoteIdentEveryByte: every byte value in an identifier and a string literal reaches DuckDB
// and comes back unchanged (the name through displayName).
func TestQuoteIdentEveryByte(t *testing.T) {
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	for _, name := range []string{string(all), "\x00", "\xff\xfe", `"`, "\uE001", "\uE001--", "\uE001zz", "a" + identMark + "1"} {
		id := newIdentAllocator().ident(name)
		f := newFrame(e, "SELECT 1 AS "+quoteIdent(id))
		if f.err != nil {
			t.Fatalf("ident of %q: %v", name, f.err)
		}
		want := name
		if strings.Contains(name, identMark) {
			want = strings.ReplaceAll(name, identMark, "") // the allocator strips the mark
			want = strings.TrimSuffix(want, "1") + "1"
		}
		if got := f.cols[0].name; got != want {
			t.Fatalf("name %q came back as %q", name, got)
		}
		// quoteIdent alone (no allocator) is also total.
		if g := newFrame(e, "SELECT 1 AS "+quoteIdent(name)); g.err != nil {
			t.Fatalf("quoteIdent(%q): %v", name, g.err)
		}
	}
	for _, s := range []string{"a\x00b", "\x00", "'", `\`, "x'\x00'y"} {
		var got string
		if err := e.db.QueryRow("SELECT " + quoteString(s)).Scan(&got); err != nil || got != s {
			t.Fatalf("quoteString(%q): %q, %v", s, got, err)
		}
	}
}

// zipOf writes a zip holding one member of the given content.
func zipOf(t *testing.T, member string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bomb.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(member)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadLineLimit: a member of NUL bytes without a newline (a zip bomb) stops at the line
// limit with an error naming the file, member and line, instead of growing the line buffer
// until memory runs out; MaxLineBytes raises the limit for genuinely long lines, and the
// limit holds for JSON arrays too, and under SkipBadLines.
func TestReadLineLimit(t *testing.T) {
	bomb := zipOf(t, "events.json", make([]byte, 8<<20))
	for _, opts := range [][]ReadOption{{MaxLineBytes(1 << 20)}, {MaxLineBytes(1 << 20), SkipBadLines()}} {
		err := Read(bomb, opts...).Err()
		if err == nil || !strings.Contains(err.Error(), "bomb.zip:events.json line 1: longer than 1048576 bytes") || !strings.Contains(err.Error(), "MaxLineBytes") {
			t.Fatalf("zip bomb: %v", err)
		}
	}
	long := `{"a": "` + strings.Repeat("x", 2<<20) + `"}`
	p := writeFile(t, "long.jsonl", "{\"a\": \"short\"}\n"+long+"\n")
	if err := Read(p, MaxLineBytes(1<<20)).Err(); err == nil || !strings.Contains(err.Error(), "long.jsonl line 2: longer than") {
		t.Fatalf("long line: %v", err)
	}
	f := mustOK(t, Read(p, MaxLineBytes(3<<20)))
	if n := count(t, f); n != 2 {
		t.Fatalf("raised limit: %d rows, want 2", n)
	}
	arr := writeFile(t, "arr.json", `[{"a": "short"}, `+long+`]`)
	if err := Read(arr, MaxLineBytes(1<<20)).Err(); err == nil || !strings.Contains(err.Error(), "arr.json element 2: longer than") {
		t.Fatalf("long array element: %v", err)
	}
	if n := count(t, mustOK(t, Read(arr, MaxLineBytes(3<<20)))); n != 2 {
		t.Fatalf("array, raised limit: %d rows, want 2", n)
	}
	// A truncated array is an error, not a silent end.
	if err := Read(writeFile(t, "cut.json", `[{"a": 1}, {"a": 2}`), MaxLineBytes(1<<20)).Err(); err == nil || !strings.Contains(err.Error(), "cut.json: after element 2") {
		t.Fatalf("truncated array: %v", err)
	}
}
