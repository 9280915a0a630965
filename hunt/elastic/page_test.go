package elastic

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

const samplePage = `{"pit_id":"abc==","took":3,"timed_out":false,
 "_shards":{"total":2,"successful":2,"skipped":0,"failed":0},
 "hits":{"total":{"value":2,"relation":"eq"},"max_score":null,"hits":[
  {"_index":"i","_id":"1","_score":null,"_source":{"CommandLine":"a \"q\" \\ \u003cscript\u003e","n":[1,{"x":null}]},"sort":[12,"k"]},
  {"_index":"i","_id":"2","_source":{},"sort":[13,"l\u00e9"]}]}}`

// TestParsePageMatchesEncodingJSON: the hand-written page walker reads what encoding/json
// reads from the same response.
func TestParsePageMatchesEncodingJSON(t *testing.T) {
	var got pageResp
	if err := parsePage([]byte(samplePage), &got); err != nil {
		t.Fatal(err)
	}
	want := decodeWithStdlib(t, []byte(samplePage))
	if !samePage(got, want) {
		t.Fatalf("parsePage = %+v\nencoding/json = %+v", got, want)
	}
	if len(got.Hits.Hits) != 2 || got.PitID != "abc==" || got.Hits.Total.Value != 2 {
		t.Fatalf("unexpected page %+v", got)
	}
	for _, bad := range []string{``, `{`, `{"hits":{"hits":[{"_source":{}},]}}`, `{"pit_id":1}`, `[1,2]`, `{"a":1 "b":2}`} {
		var p pageResp
		if err := parsePage([]byte(bad), &p); err == nil {
			t.Errorf("parsePage(%q): no error", bad)
		}
	}
}

func decodeWithStdlib(t testing.TB, b []byte) *pageResp {
	var p pageResp
	if err := json.Unmarshal(b, &p); err != nil {
		return nil
	}
	return &p
}

// samePage compares two pages, raw documents by their compacted bytes.
func samePage(a pageResp, b *pageResp) bool {
	if b == nil || len(a.Hits.Hits) != len(b.Hits.Hits) {
		return false
	}
	compact := func(r json.RawMessage) string {
		var buf bytes.Buffer
		if len(r) == 0 || json.Compact(&buf, r) != nil {
			return string(r)
		}
		return buf.String()
	}
	for i := range a.Hits.Hits {
		if compact(a.Hits.Hits[i].Source) != compact(b.Hits.Hits[i].Source) || compact(a.Hits.Hits[i].Sort) != compact(b.Hits.Hits[i].Sort) {
			return false
		}
	}
	a.Hits.Hits, b.Hits.Hits = nil, nil
	return reflect.DeepEqual(a, *b)
}

// FuzzParsePage: on any bytes parsePage neither panics nor hangs, and on a response that
// encoding/json accepts it reads the same values.
func FuzzParsePage(f *testing.F) {
	f.Add([]byte(samplePage))
	f.Add([]byte(`{"hits":{"hits":[]}}`))
	f.Add([]byte(`{"hits":{"total":{"value":0},"hits":[{"sort":[]}]},"_shards":{"failures":[{"reason":"x"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got pageResp
		err := parsePage(b, &got)
		want := decodeWithStdlib(t, b)
		if want == nil || err != nil || !json.Valid(b) || caseFolded(b) {
			return
		}
		if !samePage(got, want) {
			t.Fatalf("parsePage = %+v, encoding/json = %+v", got, *want)
		}
	})
}

// caseFolded reports whether b holds a key that encoding/json would match to a response field
// only case-insensitively ("totAl"); Elasticsearch spells its keys exactly, and so does parsePage.
func caseFolded(b []byte) bool {
	low := bytes.ToLower(b)
	for _, k := range []string{"pit_id", "timed_out", "_shards", "hits", "total", "successful", "failed", "failures", "value", "relation", "_source", "sort"} {
		q := []byte(`"` + k + `"`)
		if bytes.Count(low, q) != bytes.Count(b, q) {
			return true
		}
	}
	return false
}
