package hunt

import (
	"strings"
	"testing"
)

// TestAsShowsOneLine: the frame As returns displays one line naming the view, not the
// table; what is derived from it, and Show, display the rows as before.
func TestAsShowsOneLine(t *testing.T) {
	f := FromRows([]map[string]any{{"Image": "a.exe", "n": 1}, {"Image": "b.exe", "n": 2}})
	v := f.As("ev")
	if v.Err() != nil {
		t.Fatal(v.Err())
	}
	h := v.HTML()
	if strings.Contains(h, "<table") || !strings.Contains(h, `registered as &#34;ev&#34; (2 columns)`) {
		t.Fatalf("As HTML: %s", h)
	}
	if s := v.String(); strings.Count(s, "\n") != 0 || !strings.Contains(s, `registered as "ev" (2 columns)`) {
		t.Fatalf("As text: %q", s)
	}
	if h := v.Where(Col("n").Eq(2)).HTML(); !strings.Contains(h, "<table") || !strings.Contains(h, "b.exe") {
		t.Fatalf("a frame derived from As shows no table: %s", h)
	}
	got, err := SQL("SELECT Image FROM ev WHERE n = 1").Strings("Image")
	if err != nil || len(got) != 1 || got[0] != "a.exe" {
		t.Fatalf("the view As registered: %v %v", got, err)
	}
}
