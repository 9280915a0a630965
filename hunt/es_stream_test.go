package hunt

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// streamDocs are documents whose schema changes from chunk to chunk: a long widened to a
// double and to a HUGEINT, a string that later holds an object (mixed kinds: text), an object
// that gains a field, keys differing only by case, a field seen only at the end, integers
// beyond 2^53, lists.
func streamDocs() []string {
	var docs []string
	for i := 0; i < 60; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, `{"seq":%d,"Keywords":-9223372036854775808,"big":9007199254740993,"tags":["mordor","t%d"]`, i, i)
		if i < 20 {
			fmt.Fprintf(&b, `,"a":%d,"h":%d,"o":"s%d","n":{"x":%d},"LogonId":"0x%x"`, i, i, i, i, i)
		} else if i < 40 {
			fmt.Fprintf(&b, `,"a":%d.5,"h":100000000000000000%03d,"o":{"k":%d},"n":{"x":%d,"y":"y%d"},"LogonID":"0X%X"`, i, i, i, i, i, i)
		} else {
			fmt.Fprintf(&b, `,"a":%d,"late":true,"n":{"x":%d,"z":[1,2]},"LogonId":"0x%x","LogonID":"0X%X"`, i, i, i, i)
		}
		b.WriteByte('}')
		docs = append(docs, b.String())
	}
	return docs
}

func streamEngine(t *testing.T) *engine {
	t.Helper()
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func streamRows(t *testing.T, f *Frame) (Schema, []string) {
	t.Helper()
	mustOK(t, f)
	sch, err := f.Schema()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.Collect()
	if err != nil {
		t.Fatal(err)
	}
	return sch, canonRows(rows, func(v any) string { return fmt.Sprintf("%#v", v) })
}

// canonRows turns rows into sorted canonical strings (a multiset): columns by name, each value
// written by value.
func canonRows(rows []map[string]any, value func(any) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k + "=" + value(r[k]) + ";")
		}
		out[i] = b.String()
	}
	sort.Strings(out)
	return out
}

// TestStreamLoaderEqualsJSONLoader: documents loaded in many small chunks while the schema
// changes give exactly the frame of one jsonLoader (hunt.Read's): same columns, types and
// rows, none lost or doubled.
func TestStreamLoaderEqualsJSONLoader(t *testing.T) {
	e := streamEngine(t)
	docs := streamDocs()
	ld := newJSONLoader(e, readConfig{})
	for i, d := range docs {
		if err := ld.addLine([]byte(d), fmt.Sprint("doc ", i)); err != nil {
			t.Fatal(err)
		}
	}
	want, err := ld.frame()
	if err != nil {
		t.Fatal(err)
	}
	wantSch, wantRows := streamRows(t, want)
	for _, limit := range []int64{1, 500, 3000, esChunkBytes} {
		s := newStreamLoader(e)
		s.limit = limit
		for i, d := range docs {
			if err := s.addLine([]byte(d), fmt.Sprint("doc ", i)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.frame()
		if err != nil {
			t.Fatal(err)
		}
		if limit == 1 && len(s.chunks) != len(docs) {
			t.Fatalf("chunk limit 1: %d chunks, want one per document (%d)", len(s.chunks), len(docs))
		}
		gotSch, gotRows := streamRows(t, got)
		if !reflect.DeepEqual(gotSch, wantSch) {
			t.Fatalf("chunk limit %d: schema\n%v\nwant\n%v", limit, gotSch, wantSch)
		}
		if !reflect.DeepEqual(gotRows, wantRows) {
			t.Fatalf("chunk limit %d: rows differ:\n%s\nwant\n%s", limit, strings.Join(gotRows, "\n"), strings.Join(wantRows, "\n"))
		}
	}
}

// TestStreamLoaderErrorsAndDiscard: a malformed document fails with its origin; discarding
// removes the chunk files.
func TestStreamLoaderErrorsAndDiscard(t *testing.T) {
	e := streamEngine(t)
	s := newStreamLoader(e)
	s.limit = 1
	for i, d := range streamDocs()[:10] {
		if err := s.addLine([]byte(d), fmt.Sprint("idx document ", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	err := s.addLine([]byte(`{"a":1,"a":2}`), "idx document 11")
	if err == nil || !strings.Contains(err.Error(), "idx document 11") || !strings.Contains(err.Error(), `duplicate key "a"`) {
		t.Fatalf("error %v, want one naming idx document 11 and the duplicate key", err)
	}
	files := s.files()
	s.discard()
	for _, p := range files {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s left behind", p)
		}
	}
}
