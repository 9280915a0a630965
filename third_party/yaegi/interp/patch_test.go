package interp_test

import (
	"fmt"
	"testing"

	"github.com/gohunt/gohunt/third_party/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// TestTopLevelIndexOfCompiledValue: top-level definitions (a REPL's globals) indexing a value
// of a compiled type got no type and failed as a "constant definition loop" in v0.16.1
// (PATCHES.md, patch 1). Each case is evaluated as REPL inputs in order; the last input's
// value is checked.
func TestTopLevelIndexOfCompiledValue(t *testing.T) {
	cases := []struct {
		inputs []string
		want   string
	}{
		{[]string{`r := strings.Fields("a b")`, `h := r[0]`, `h`}, "a"},
		{[]string{"r := strings.Fields(\"a b\")\nh := r[len(r)-1]\nh"}, "b"},
		{[]string{"r, _ := filepath.Glob(\"/\")\nh := r[0]\nh"}, "/"},
		{[]string{"q := url.Values{\"a\": {\"b\"}}\nh := q[\"a\"]\nh[0]"}, "b"},
		{[]string{"u, _ := url.Parse(\"http://x/?a=b\")\nq := u.Query()\nv := q[\"a\"]\nfmt.Sprint(v)"}, "[b]"},
		{[]string{"h := strings.Fields(\"a b\")[1]\nh"}, "b"},
		{[]string{"s := strings.Repeat(\"ab\", 2)\nc := s[1]\nc"}, "98"},
		{[]string{"p := &[2]int{7, 8}\nx := p[1]\nx"}, "8"},
		{[]string{"ms := []map[string]any{{\"k\": 1}}\nm := ms[0]\nv := m[\"k\"]\nv"}, "1"},
		{[]string{"b := bytes.Fields([]byte(\"xy z\"))\nw := b[0]\nc := w[1]\nc"}, "121"},
	}
	for n, c := range cases {
		t.Run(fmt.Sprint(n), func(t *testing.T) { evalAll(t, c.inputs, c.want) })
	}
}

func evalAll(t *testing.T, inputs []string, want string) {
	{
		i := interp.New(interp.Options{})
		if err := i.Use(stdlib.Symbols); err != nil {
			t.Fatal(err)
		}
		if _, err := i.Eval(`import ("bytes"; "fmt"; "net/url"; "path/filepath"; "strings")`); err != nil {
			t.Fatal(err)
		}
		var got string
		for _, in := range inputs {
			v, err := i.Eval(in)
			if err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			got = fmt.Sprint(v)
		}
		if got != want {
			t.Errorf("%q: got %s, want %s", inputs, got, want)
		}
	}
}
