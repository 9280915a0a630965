package kernel

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestHistoryPersistsAcrossSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gohunt", "history.jsonl")
	h1, err := openHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	out := "3"
	h1.add(1, "x := 1", nil)
	h1.add(2, "1+2", &out)
	h2, err := openHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if h2.session != h1.session+1 {
		t.Fatalf("sessions %d then %d", h1.session, h2.session)
	}
	h2.add(1, "1+2", &out)
	n := 10
	q := func(r historyRequest) string {
		got, err := h2.query(r)
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		b, _ := json.Marshal(got)
		return string(b)
	}
	cases := []struct {
		r    historyRequest
		want string
	}{
		{historyRequest{HistAccessType: "tail", N: &n}, `[[1,1,"x := 1"],[1,2,"1+2"],[2,1,"1+2"]]`},
		{historyRequest{HistAccessType: "range", Session: -1, Start: 2}, `[[1,2,"1+2"]]`},
		{historyRequest{HistAccessType: "range", Session: 0, Start: 1, Output: true}, `[[2,1,["1+2","3"]]]`},
		{historyRequest{HistAccessType: "search", Pattern: "1?2"}, `[[1,2,"1+2"],[2,1,"1+2"]]`},
		{historyRequest{HistAccessType: "search", Pattern: "1?2", Unique: true}, `[[2,1,"1+2"]]`},
		{historyRequest{HistAccessType: "search", Pattern: "x*", Output: true}, `[[1,1,["x := 1",null]]]`},
		{historyRequest{HistAccessType: "search", Pattern: "x**", Output: true}, `[[1,1,["x := 1",null]]]`},
	}
	for _, c := range cases {
		if got := q(c.r); got != c.want {
			t.Errorf("%+v: %s, want %s", c.r, got, c.want)
		}
	}
}
