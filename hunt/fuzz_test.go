package hunt

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
			if tk.kind == tkString && !strings.Contains(out, strings.ReplaceAll(tk.text, "'", "''")) {
				t.Fatalf("literal %q lost in translation of %q: %q", tk.text, s, out)
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
