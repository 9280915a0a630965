package elastic

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"
)

func TestEventMillis(t *testing.T) {
	ms := time.Date(2020, 9, 21, 19, 3, 50, 542_000_000, time.UTC).UnixMilli()
	cases := []struct {
		line string
		ok   bool
		want int64
	}{
		{`{"@timestamp":"2020-09-21T19:03:50.542Z","a":1}`, true, ms},
		{`{"a":1, "@timestamp" : "2020-09-21T21:03:50.542+02:00"}`, true, ms},
		{`{"a":{"@timestamp":"2019-01-01T00:00:00Z"},"@timestamp":"2020-09-21T19:03:50.542Z"}`, true, ms},
		{`{"a":["@timestamp","x"],"@timestamp":"2020-09-21T19:03:50.542Z"}`, true, ms},
		{`{"a":"@timestamp","@timestamp":"2020-09-21T19:03:50.542Z"}`, true, ms},
		{`{"a":"x\"@timestamp\":\"2019-01-01T00:00:00Z","@timestamp":"2020-09-21T19:03:50.542Z"}`, true, ms},
		{`{"a\\":"@timestamp","@timestamp":"2020-09-21T19:03:50.542Z"}`, true, ms},
		{`{"a":{"@timestamp":"2019-01-01T00:00:00Z"}}`, false, 0},
		{`{"@timestamp":1600715030542}`, false, 0},
		{`{"@timestamp":"2020-09-21 19:03:50"}`, false, 0},
		{`{"@timestamp":"1969-12-31T23:59:59Z"}`, false, 0},
		{`{"@timestamp":"2020-09-21T19:03:50\u002e542Z"}`, false, 0},
		{`{"b":1}`, false, 0},
	}
	for _, c := range cases {
		if !json.Valid([]byte(c.line)) {
			t.Fatalf("test line is not JSON: %s", c.line)
		}
		got, ok := eventMillis([]byte(c.line))
		if ok != c.ok || got != c.want {
			t.Errorf("eventMillis(%s) = %d, %v; want %d, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestDocumentID(t *testing.T) {
	line := []byte(`{"@timestamp":"2020-09-21T19:03:50.542Z","EventID":1}`)
	id := DocumentID(line)
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(id) != 27 || len(b) != 20 {
		t.Fatalf("id %q: %d characters, %d bytes, %v; want 27 base64url characters of 20 bytes", id, len(id), len(b), err)
	}
	sum := sha256.Sum256(line)
	ms := time.Date(2020, 9, 21, 19, 3, 50, 542_000_000, time.UTC).UnixMilli()
	var head [8]byte
	binary.BigEndian.PutUint64(head[:], uint64(ms))
	if string(b[:6]) != string(head[2:]) || string(b[6:]) != string(sum[:14]) {
		t.Errorf("id bytes %x; want the milliseconds %x then the SHA-256 start %x", b, head[2:], sum[:14])
	}
	if DocumentID(line) != id {
		t.Error("the same line gave two ids")
	}
	later := []byte(`{"@timestamp":"2020-09-21T19:03:50.543Z","EventID":1}`)
	if DocumentID(later) <= id {
		t.Errorf("a later event's id %q does not sort after %q", DocumentID(later), id)
	}
	plain := []byte(`{"EventID":1}`)
	ps := sha256.Sum256(plain)
	if got, want := DocumentID(plain), base64.RawURLEncoding.EncodeToString(ps[:20]); got != want {
		t.Errorf("no timestamp: id %q, want the SHA-256 start %q", got, want)
	}
}

// FuzzEventMillis checks eventMillis against encoding/json's reading of the same bytes: the
// first top-level key written exactly "@timestamp" decides; its value counts when it is a
// string without escapes that parses as RFC 3339 within the 6-byte range.
func FuzzEventMillis(f *testing.F) {
	f.Add([]byte(`{"@timestamp":"2020-09-21T19:03:50.542Z"}`))
	f.Add([]byte(`{"a":"\"@timestamp","@timestamp":"2020-09-21T19:03:50Z"}`))
	f.Add([]byte(`{"a":{"@timestamp":"2019-01-01T00:00:00Z"},"@timestamp" : "2020-09-21T19:03:50Z"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		ms, ok := eventMillis(raw)
		want, wantOK := firstTimestamp(raw)
		if ok != wantOK || ms != want {
			t.Fatalf("eventMillis(%q) = %d, %v; encoding/json's reading gives %d, %v", raw, ms, ok, want, wantOK)
		}
	})
}

// firstTimestamp reads raw (valid JSON) with encoding/json's tokenizer.
func firstTimestamp(raw []byte) (int64, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return 0, false
	}
	for d.More() {
		start := d.InputOffset()
		if _, err := d.Token(); err != nil {
			return 0, false
		}
		key := bytes.TrimLeft(raw[start:d.InputOffset()], " \t\r\n,")
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return 0, false
		}
		if string(key) != `"@timestamp"` {
			continue
		}
		var s string
		if len(v) == 0 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 || json.Unmarshal(v, &s) != nil {
			return 0, false
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || tm.UnixMilli() < 0 || tm.UnixMilli() >= 1<<48 {
			return 0, false
		}
		return tm.UnixMilli(), true
	}
	return 0, false
}
