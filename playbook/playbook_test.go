package playbook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/client"
)

func TestParseParamFollowsPapermillCLI(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{"start=2020-09-20", "2020-09-20"},
		{"dataset=X", "X"},
		{"limit=20", int64(20)},
		{"neg=-3", int64(-3)},
		{"under=1_000", int64(1000)},
		{"f=0.5", 0.5},
		{"whole=3.0", 3.0},
		{"exp=1e3", 1000.0},
		{"b=True", true},
		{"b=False", false},
		{"lower=true", "true"}, // papermill only knows Python's spelling
		{"n=None", nil},
		{"empty=", ""},
		{"eq=a=b", "a=b"},
		{"hex=0x10", "0x10"}, // int("0x10") fails in Python: a string
		{"spaces= 12 ", int64(12)},
	}
	for _, c := range cases {
		p, err := ParseParam(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if p.Value != c.want {
			t.Errorf("%s: got %#v, want %#v", c.in, p.Value, c.want)
		}
	}
	p, err := ParseParam("x=nan")
	if err != nil || !math.IsNaN(p.Value.(float64)) {
		t.Errorf("nan: %#v %v", p.Value, err)
	}
	for _, bad := range []string{"novalue", "1x=2", "func=1", "a-b=1", "=3"} {
		if _, err := ParseParam(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := ParseParam("big=99999999999999999999"); err == nil || !strings.Contains(err.Error(), "parameter big") {
		t.Errorf("big int: %v", err)
	}
}

func TestGoLiteralMatchesTranslator(t *testing.T) {
	// The same expectations as python/tests/test_translator.py.
	cases := map[any]string{
		"2020-09-20":  `"2020-09-20"`,
		`a"b`:         `"a\"b"`,
		"\ufeff":      `"\ufeff"`,
		"\x00":        `"\x00"`,
		"a\nb":        `"a\nb"`,
		"\u2028":      `"\u2028"`,
		"é😀":          `"é😀"`,
		int64(42):     "42",
		0.1:           "0.1",
		3.0:           "3.0",
		1e300:         "1e+300",
		1e16:          "1e+16",
		1.5e-5:        "1.5e-05",
		true:          "true",
		math.Inf(-1):  "math.Inf(-1)",
		"\xff":        `"\xff"`,
		"<script>":    `"<script>"`,
		`C:\Windows`:  `"C:\\Windows"`,
		"tab\there":   `"tab\there"`,
		"\x7f":        `"\x7f"`,
		"\U000e0080":  `"\U000e0080"`,
		"\ue000":      `"\ue000"`,
		"zero\u200bw": `"zero\u200bw"`,
	}
	for v, want := range cases {
		got, err := GoLiteral(v)
		if err != nil || got != want {
			t.Errorf("GoLiteral(%#v) = %s, %v; want %s", v, got, err, want)
		}
	}
	if got, _ := GoLiteral(nil); got != "any(nil)" {
		t.Errorf("nil: %s", got)
	}
}

func TestInjectParameters(t *testing.T) {
	nb := mustParse(t, `{"nbformat":4,"nbformat_minor":4,"metadata":{},"cells":[
		{"cell_type":"markdown","metadata":{},"source":["# t"]},
		{"cell_type":"code","metadata":{"tags":["parameters"]},"source":"x := 1","outputs":[],"execution_count":null},
		{"cell_type":"code","metadata":{},"source":"x","outputs":[],"execution_count":null}]}`)
	params := []Param{{"start", "2020-09-20"}, {"x", int64(2)}, {"start", "2020-09-21"}, {"inf", math.Inf(1)}}
	if w, err := InjectParameters(nb, params); err != nil || w != "" {
		t.Fatal(w, err)
	}
	c := nb.Cells[2]
	if !c.HasTag("injected-parameters") || c.Type != "code" {
		t.Fatalf("cell 3 is not the injected cell: %+v", c)
	}
	want := "// Parameters\nimport \"math\"\nstart := \"2020-09-21\"\nx := 2\ninf := math.Inf(1)\n"
	if c.Source != want {
		t.Errorf("source:\n%s\nwant:\n%s", c.Source, want)
	}
	// A second injection replaces the first.
	if _, err := InjectParameters(nb, []Param{{"x", int64(3)}}); err != nil {
		t.Fatal(err)
	}
	if len(nb.Cells) != 4 || nb.Cells[2].Source != "// Parameters\nx := 3\n" {
		t.Errorf("re-injection: %d cells, %q", len(nb.Cells), nb.Cells[2].Source)
	}
	// The notebook still encodes (no NaN/Inf in JSON metadata).
	if _, err := nb.Marshal(); err != nil {
		t.Fatal(err)
	}
	// Without a parameters cell: at the top, with a warning.
	nb2 := mustParse(t, `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":"1","outputs":[],"execution_count":null}]}`)
	w, err := InjectParameters(nb2, []Param{{"a", int64(1)}})
	if err != nil || w == "" || !nb2.Cells[0].HasTag("injected-parameters") {
		t.Errorf("no parameters cell: warning %q, err %v", w, err)
	}
}

func mustParse(t *testing.T, s string) *Notebook {
	t.Helper()
	nb, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

func TestParseErrorsAndRoundTrip(t *testing.T) {
	for _, bad := range []string{`{`, `{"nbformat":3,"cells":[]}`, `{"nbformat":4,"cells":[{"cell_type":"weird"}]}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	src := `{"nbformat":4,"nbformat_minor":5,"metadata":{"x":{"y":[1,2]}},"custom":true,"cells":[
		{"id":"c1","cell_type":"code","metadata":{"collapsed":false},"source":["a\n","b"],"execution_count":3,
		 "outputs":[{"output_type":"stream","name":"stdout","text":["1\n","2\n"]},
		            {"output_type":"display_data","metadata":{},"data":{"text/html":["<b>x</b>\n","<i>y</i>"],"application/json":{"k":[1]},"image/png":"iVBORw0KGgo="}}]},
		{"id":"m1","cell_type":"markdown","metadata":{},"source":"# <h>","attachments":{"a.png":{"image/png":"AA=="}}}]}`
	nb := mustParse(t, src)
	if nb.Cells[0].Source != "a\nb" || nb.Cells[0].Outputs[0]["text"] != "1\n2\n" {
		t.Fatalf("joined: %q %q", nb.Cells[0].Source, nb.Cells[0].Outputs[0]["text"])
	}
	b, err := nb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{`"custom": true`, `"<b>x</b>\n",`, `"attachments"`, `"collapsed": false`, `"k": [`, `"# <h>"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `\u003c`) {
		t.Error("HTML-escaped JSON")
	}
	nb2, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := nb2.Marshal()
	if !bytes.Equal(b, b2) {
		t.Errorf("not stable:\n%s\n---\n%s", b, b2)
	}
}

// fakeKernel replays scripted IOPub outputs; the real kernel is exercised end to end by
// tests/notebooks (gohunt run on every notebook).
type fakeKernel struct {
	script map[string][]client.Output
	status map[string]string
	count  int
	ran    []string
}

func out(typ string, content any) client.Output {
	b, _ := json.Marshal(content)
	return client.Output{MsgType: typ, Content: b}
}

func (f *fakeKernel) Execute(ctx context.Context, code string, opt client.ExecuteOptions) (*client.ExecuteResult, error) {
	f.ran = append(f.ran, code)
	if code == "hang" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	f.count++
	for _, o := range f.script[code] {
		opt.OnOutput(o)
	}
	st := f.status[code]
	if st == "" {
		st = "ok"
	}
	res := &client.ExecuteResult{Status: st, ExecutionCount: f.count, Outputs: f.script[code]}
	if st == "error" {
		res.Ename, res.Evalue = "hunt.Error", "no such column: Foo"
	}
	return res, nil
}

func cellsNB(t *testing.T, sources ...string) *Notebook {
	nb := &Notebook{NBFormat: 4, Metadata: map[string]any{}}
	for i, s := range sources {
		c := &Cell{ID: string(rune('a' + i)), Type: "code", Metadata: map[string]any{}, Source: s}
		if strings.HasPrefix(s, "#") {
			c.Type = "markdown"
		}
		if strings.HasPrefix(s, "expected") {
			c.Metadata["tags"] = []any{"raises-exception"}
		}
		nb.Cells = append(nb.Cells, c)
	}
	return nb
}

func TestRunRecordsOutputsAsJupyterDoes(t *testing.T) {
	k := &fakeKernel{
		script: map[string][]client.Output{
			"streams": {
				out("stream", map[string]any{"name": "stdout", "text": "a\n"}),
				out("stream", map[string]any{"name": "stdout", "text": "b\n"}),
				out("stream", map[string]any{"name": "stderr", "text": "warn\n"}),
				out("stream", map[string]any{"name": "stdout", "text": "c\n"}),
			},
			"progress": {
				out("display_data", map[string]any{"data": map[string]any{"text/plain": "0%"}, "metadata": map[string]any{}, "transient": map[string]any{"display_id": "p"}}),
				out("clear_output", map[string]any{"wait": true}),
				out("stream", map[string]any{"name": "stdout", "text": "after clear\n"}),
			},
			"update": {
				out("update_display_data", map[string]any{"data": map[string]any{"text/plain": "100%"}, "metadata": map[string]any{}, "transient": map[string]any{"display_id": "p"}}),
				out("execute_result", map[string]any{"data": map[string]any{"text/plain": "42"}, "metadata": map[string]any{}, "execution_count": 3}),
				out("comm_open", map[string]any{}),
			},
		},
	}
	nb := cellsNB(t, "# title", "streams", "progress", "update")
	if err := Run(context.Background(), k, nb, map[string]any{"language_info": map[string]any{"name": "go"}}, Options{}); err != nil {
		t.Fatal(err)
	}
	s := nb.Cells[1].Outputs
	if len(s) != 3 || s[0]["text"] != "a\nb\n" || s[1]["name"] != "stderr" || s[2]["text"] != "c\n" {
		t.Errorf("streams: %v", s)
	}
	p := nb.Cells[2].Outputs
	if len(p) != 1 || p[0]["text"] != "after clear\n" {
		t.Errorf("clear_output(wait): %v", p)
	}
	u := nb.Cells[3].Outputs
	if len(u) != 1 || u[0].Type() != "execute_result" || u[0]["execution_count"] != 3 {
		t.Errorf("update cell: %v", u)
	}
	if *nb.Cells[3].ExecutionCount != 3 || nb.Metadata["language_info"] == nil {
		t.Errorf("count %v, metadata %v", *nb.Cells[3].ExecutionCount, nb.Metadata)
	}
}

func TestUpdateDisplayDataReachesEarlierCell(t *testing.T) {
	k := &fakeKernel{script: map[string][]client.Output{
		"show": {out("display_data", map[string]any{"data": map[string]any{"text/plain": "0%"}, "metadata": map[string]any{}, "transient": map[string]any{"display_id": "p"}})},
		"upd":  {out("update_display_data", map[string]any{"data": map[string]any{"text/plain": "100%"}, "metadata": map[string]any{}, "transient": map[string]any{"display_id": "p"}})},
	}}
	nb := cellsNB(t, "show", "upd")
	if err := Run(context.Background(), k, nb, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := nb.Cells[0].Outputs[0]["data"].(map[string]any)["text/plain"]; got != "100%" {
		t.Errorf("display not updated: %v", got)
	}
}

func TestRunStopsAtFailingCellAndNamesIt(t *testing.T) {
	k := &fakeKernel{status: map[string]string{"bad := hunt.Read(x).Select(\"Foo\")": "error", "expected": "error"},
		script: map[string][]client.Output{"bad := hunt.Read(x).Select(\"Foo\")": {out("error", map[string]any{"ename": "hunt.Error", "evalue": "no such column: Foo", "traceback": []any{"\x1b[31mno such column\x1b[0m"}})}}}
	nb := cellsNB(t, "ok", "expected", "# md", "bad := hunt.Read(x).Select(\"Foo\")", "after")
	err := Run(context.Background(), k, nb, nil, Options{})
	var ce *CellError
	if !errors.As(err, &ce) {
		t.Fatalf("want CellError, got %v", err)
	}
	if ce.Number != 4 || ce.ID != "d" || ce.Ename != "hunt.Error" || !strings.Contains(err.Error(), `cell 4 (id d, "bad := hunt.Read(x).Select(\"Foo\")") failed: hunt.Error: no such column: Foo`) {
		t.Errorf("error: %v", err)
	}
	if len(k.ran) != 3 || nb.Cells[4].ExecutionCount != nil {
		t.Errorf("ran %v; last cell count %v", k.ran, nb.Cells[4].ExecutionCount)
	}
	// With AllowErrors every cell runs and the first failure is still reported.
	k2 := &fakeKernel{status: k.status}
	nb2 := cellsNB(t, "bad := hunt.Read(x).Select(\"Foo\")", "after")
	if err := Run(context.Background(), k2, nb2, nil, Options{AllowErrors: true}); !errors.As(err, &ce) || len(k2.ran) != 2 {
		t.Errorf("allow errors: %v, ran %v", err, k2.ran)
	}
}

func TestRunTimeout(t *testing.T) {
	k := &fakeKernel{}
	nb := cellsNB(t, "hang", "after")
	err := Run(context.Background(), k, nb, nil, Options{CellTimeout: 50 * time.Millisecond})
	var ce *CellError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "timed out after 50ms") || ce.Number != 1 {
		t.Fatalf("got %v", err)
	}
}

func TestSkipExecution(t *testing.T) {
	k := &fakeKernel{}
	nb := cellsNB(t, "a", "b")
	nb.Cells[0].Metadata["tags"] = []any{"skip-execution"}
	if err := Run(context.Background(), k, nb, nil, Options{}); err != nil || len(k.ran) != 1 || k.ran[0] != "b" {
		t.Errorf("%v %v", err, k.ran)
	}
}
