package hunt

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTranslate: the Spark SQL translator never panics; what it accepts, DuckDB gets as text.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"SELECT `@timestamp`, Hostname FROM mordorTable WHERE LOWER(Channel) = \"security\" AND EventID = 4688",
		`SELECT * FROM t WHERE a RLIKE "x\\d+" AND b LIKE "%\_%" AND c = 3 AND d <=> NULL`,
		`SELECT "\u00e9\101\\" /* c */ -- x`,
		"SELECT a.`b``c` FROM t a JOIN u ON a.x == u.y",
		"WITH x AS (SELECT 1) SELECT 1.5e3D, 10L FROM x;",
	} {
		f.Add(s)
	}
	tr := &translator{cols: map[string]colInfo{"a": {ident: "a", typ: "VARCHAR"}, "c": {ident: "c" + identMark + "1", typ: "VARCHAR"}, "EventID": {ident: "EventID", typ: "BIGINT"}},
		tables: map[string]string{"mordortable": "mordorTable"}}
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := tokenize(s)
		if err != nil {
			return
		}
		// Tokens cover the input in order.
		last := -1
		for _, tk := range toks {
			if tk.pos <= last || tk.pos >= len(s) {
				t.Fatalf("token positions out of order: %+v", toks)
			}
			last = tk.pos
		}
		out, err := tr.translate(toks)
		if err != nil {
			return
		}
		// Every string literal of the input appears in the output as a DuckDB literal.
		for _, tk := range toks {
			if tk.kind != tkString {
				continue
			}
			// quoteString writes NUL as chr(0) between the parts, and bytes that are not
			// UTF-8 as U+FFFD.
			for _, part := range strings.Split(strings.ToValidUTF8(tk.text, "\uFFFD"), "\x00") {
				if !strings.Contains(out, strings.ReplaceAll(part, "'", "''")) {
					t.Fatalf("literal %q lost in translation of %q: %q", tk.text, s, out)
				}
			}
		}
	})
}

// FuzzJSONLine: the scanner accepts exactly the lines encoding/json accepts as one object without
// duplicate keys, never panics, and a rewritten line is still valid JSON.
func FuzzJSONLine(f *testing.F) {
	for _, s := range []string{
		`{"EventID": 1, "Keywords": -9223372036854775808, "tags": ["mordorDataset"]}`,
		`{"event_data": {"Image": "C:\\x.exe", "SourceProcessGUID": "{a}"}, "keywords": ["Audit Success"]}`,
		`{"a": {"B": 1}, "A": 2, "a ": [1.5e3, null, true, {"x": []}]}`,
		`{"SourceProcessGuid": "\u00e9\ud83d\ude00", "sourceprocessguid": 1}`,
		`{"a":1,,}`, `[1]`, `{"a":1} {}`, `{"a":"\x"}`, `{"a":01}`,
		`{"CommandLine": "C:\\Windows\\System32\\cmd.exe /c \"echo  \\\"x\\\"\" & whoami", "Long": "0123456789abcdef0123456789abcdef\u00e9"}`,
		"{\"a\": \"0123456789abcdef\x01\"}", "{\"a\": \"01234567\n89\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		s := newLineScanner()
		s.scan([]byte(`{"A": 1, "b": {"C": 1}}`)) // prime renames
		out, err := s.scan(line)
		valid := json.Valid(line) && bytes.HasPrefix(bytes.TrimLeft(line, " \t\r\n"), []byte("{"))
		if err == nil && !valid {
			t.Fatalf("scanner accepted invalid JSON %q", line)
		}
		if err != nil && valid && !strings.Contains(err.Error(), "duplicate key") && !strings.Contains(err.Error(), "UTF-8") && !strings.Contains(err.Error(), "nesting") {
			t.Fatalf("scanner rejected valid JSON %q: %v", line, err)
		}
		if err == nil && !json.Valid(out) {
			t.Fatalf("rewritten line is not JSON: %q -> %q", line, out)
		}
	})
}

// FuzzReadView: keys and values holding any bytes (NUL, quotes, backslashes, bytes that are not
// UTF-8) never break Read or a view. A line that is valid JSON is read with its key and value
// exactly as encoding/json decodes them, and Timeline and Histogram grouped by that column
// draw; a line that is not valid JSON fails Read with an error naming the line, or is skipped
// and counted under SkipBadLines. Nothing panics.
func FuzzReadView(f *testing.F) {
	for _, kv := range [][2]string{
		{"Image", `C:\\Windows\\evil\u0000.exe`},
		{"CommandLine", `C:\\Windows\\evil\u0000.exe`},
		{`a\u0000b`, `evil\u0000.exe`},
		{`q\"uo'te`, `it's \"quoted\"`},
		{`back\\slash`, `\\'`},
		{"\uE001--", "\uE00100"},
		{"bad\xff", "bad\xfe"},
		{"ctl\u0001\n", "x\ny"},
		{"IMAGE", "upper case twin"},
		{"", ""},
	} {
		f.Add(kv[0], kv[1])
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, key, value string) {
		// The key and value are spliced into the line as they are: the fuzzer writes JSON escapes
		// (\u0000) or raw bytes.
		line := `{"ts": "2024-01-01T00:00:00Z", "Image": "x", "` + key + `": "` + value + `"}`
		p := filepath.Join(dir, "fuzz.jsonl")
		if err := os.WriteFile(p, []byte(line+"\n"+line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		// Valid: UTF-8, JSON, and no duplicate key (the scanner refuses those, unlike encoding/json).
		valid := utf8.ValidString(line) && json.Unmarshal([]byte(line), &ev) == nil && len(ev) == 3
		fr := Read(p)
		if !valid {
			if err := fr.Err(); err == nil || !strings.Contains(err.Error(), "line 1") {
				t.Fatalf("invalid line %q: Read gave %v, want an error naming line 1", line, err)
			}
			g := Read(p, SkipBadLines())
			if err := g.Err(); err == nil || !strings.Contains(err.Error(), "no events") {
				t.Fatalf("invalid line %q under SkipBadLines: %v", line, err)
			}
			return
		}
		if err := fr.Err(); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		var k string
		var v any
		for kk, vv := range ev {
			if kk != "ts" && kk != "Image" {
				k, v = kk, vv
			}
		}
		rows, err := fr.Collect()
		if err != nil {
			t.Fatalf("line %q: Collect: %v", line, err)
		}
		if len(rows) != 2 || rows[0][k] != v {
			t.Fatalf("line %q: rows %q, want column %q = %q", line, rows, k, v)
		}
		if tl := fr.Timeline("ts", k); tl.Error != nil {
			t.Fatalf("line %q: Timeline by %q: %v", line, k, tl.Error)
		}
		if b := fr.Histogram(k); b.Error != nil {
			t.Fatalf("line %q: Histogram of %q: %v", line, k, b.Error)
		}
		if n, err := fr.Where(Col(k).Eq(v)).Count(); err != nil || n != 2 {
			t.Fatalf("line %q: Where(%q = %q): %d, %v", line, k, v, n, err)
		}
	})
}
