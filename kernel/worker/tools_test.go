package worker

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSplitCell(t *testing.T) {
	code := "import \"strings\"\nx := 1; y := 2\nfunc f() int {\n\treturn x\n}\nfunc (t T) M() {}\nfunc() { println() }()\ntype T int\nvar v = f()\nconst c = 3\nf()"
	segs, err := splitCell(code, 0, len(code))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range segs {
		got = append(got, [...]string{"import", "decl", "stmt"}[s.kind]+":"+code[s.start:s.end])
	}
	want := []string{`import:import "strings"`, "stmt:x := 1", "stmt:y := 2", "decl:func f() int {\n\treturn x\n}",
		"decl:func (t T) M() {}", "stmt:func() { println() }()", "decl:type T int", "stmt:var v = f()", "decl:const c = 3", "stmt:f()"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("segments:\n%q\nwant\n%q", got, want)
	}
	chs, err := chunks(code, segs)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range chs {
		k := [...]string{"import", "decl", "stmt"}[c.kind]
		if c.lastExpr != nil {
			k += "(last)"
		}
		kinds = append(kinds, k)
	}
	if strings.Join(kinds, ",") != "import,stmt,decl,stmt,decl,stmt,decl,stmt(last)" {
		t.Fatalf("chunks %v", kinds)
	}
	// Positions: a chunk keeps its cell line and column.
	src := positioned("", code, chs[1].start, chs[1].end)
	if lines := strings.Split(src, "\n"); lines[2] != "x := 1; y := 2" {
		t.Fatalf("positioned line 2 = %q", lines[2])
	}
}

func TestCompletion(t *testing.T) {
	s := newTestSession(t)
	s.run("type point struct{ X, Y int }\nfunc (p point) Norm() int { return p.X + p.Y }\npt := point{1, 2}\nvar sb strings.Builder\nfunc helper() {}\nhelperVar := 1").ok(t)
	cases := []struct {
		code    string
		cursor  int
		want    []string
		start   int
		absent  string
		present string
	}{
		{code: "fmt.Print", want: []string{"fmt.Print", "fmt.Printf", "fmt.Println"}, start: 0},
		{code: "x := strings.ToU", want: []string{"strings.ToUpper", "strings.ToUpperSpecial"}, start: 5},
		{code: "help", want: []string{"helper", "helperVar"}, start: 0},
		{code: "pt.", present: "pt.X", start: 0},
		{code: "pt.No", want: []string{"pt.Norm"}, start: 0},
		{code: "sb.Wr", present: "sb.WriteString", start: 0},
		{code: "display.HT", want: []string{"display.HTML", "display.HTMLer"}, start: 0},
		{code: "fo", present: "for", start: 0},
		{code: "é := 1; fmt.Sp", want: []string{"fmt.Sprint", "fmt.Sprintf", "fmt.Sprintln"}, start: 8},
		{code: "fmt.Prxyz", cursor: 6, want: []string{"fmt.Print", "fmt.Printf", "fmt.Println"}, start: 0},
	}
	for _, c := range cases {
		cursor := c.cursor
		if cursor == 0 {
			cursor = len([]rune(c.code))
		}
		r := s.Complete(c.code, cursor)
		got := r.Matches
		if c.want != nil && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: matches %v, want %v", c.code, got, c.want)
		}
		if c.present != "" && !contains(got, c.present) {
			t.Errorf("%q: matches %v lack %q", c.code, got, c.present)
		}
		if r.CursorStart != c.start {
			t.Errorf("%q: cursor_start %v, want %d", c.code, r.CursorStart, c.start)
		}
	}
	if r := s.Complete("fmt.Prxyz", 6); r.CursorEnd != 9 {
		t.Errorf("cursor_end = %v, want 9", r.CursorEnd)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestInspect(t *testing.T) {
	s := newTestSession(t)
	s.run("// area returns the area of a w by h rectangle.\nfunc area(w, h float64) float64 { return w * h }\nvar sb strings.Builder").ok(t)
	s.run("type circle struct{ r float64 }\n// Perimeter is 2πr.\nfunc (c circle) Perimeter() float64 { return 2 * 3.14159 * c.r }\nc := circle{1}").ok(t)
	cases := []struct {
		code   string
		cursor int
		want   string
	}{
		{"strings.ToUpper", -1, "func ToUpper(s string) string\n\nToUpper returns s with all Unicode letters mapped to their upper case."},
		{"strings.ToUpper(x)", 16, "func ToUpper(s string) string"},
		{"area(1, 2)", 2, "func area(w, h float64) float64\n\narea returns the area of a w by h rectangle."},
		{"display.HTML", -1, "func HTML(s string)\n\nHTML shows the HTML fragment s"},
		{"sb.WriteString", -1, "func (b *Builder) WriteString(s string) (int, error)"},
		{"sb", -1, "sb strings.Builder"},
		{"len(x)", 1, "func len(v Type) int"},
		{"c.Perimeter", -1, "func (c circle) Perimeter() float64\n\nPerimeter is 2πr."},
		{"c", -1, "c circle"},
	}
	for _, c := range cases {
		cursor := c.cursor
		if cursor < 0 {
			cursor = len(c.code)
		}
		r := s.Inspect(c.code, cursor, 0)
		if !r.Found {
			t.Errorf("%q: not found", c.code)
			continue
		}
		text := r.Data["text/plain"].(string)
		if !strings.HasPrefix(text, c.want) {
			t.Errorf("%q: got %q, want prefix %q", c.code, text, c.want)
		}
	}
	if r := s.Inspect("nosuchname", 3, 0); r.Found {
		t.Errorf("nosuchname found: %v", r)
	}
}

func TestIsComplete(t *testing.T) {
	cases := map[string]string{
		"x := 1":                 "complete",
		"func f() {":             "incomplete",
		"x := []int{1,\n":        "incomplete",
		"s := `raw":              "incomplete",
		"x := 1 +":               "incomplete",
		"x := )":                 "invalid",
		"}":                      "invalid",
		"%env A=1":               "complete",
		"%%sql\nselect 1":        "incomplete",
		"%%sql\nselect 1\n\n":    "complete",
		"?strings.ToUpper":       "complete",
		"if x {\n} else {\n}":    "complete",
		"import \"fmt\"\nfmt.Pr": "complete",
	}
	for code, want := range cases {
		if got, _ := isComplete(code); got != want {
			t.Errorf("%q: %s, want %s", code, got, want)
		}
	}
	if _, indent := isComplete("func f() {\n\tif x {"); indent != "        " {
		t.Errorf("indent %q", indent)
	}
}

func TestMagics(t *testing.T) {
	s := newTestSession(t)
	if out := s.run("%help").ok(t).stream("stdout"); !strings.Contains(out, "%%sql") || !strings.Contains(out, "%env") {
		t.Fatalf("%%help: %q", out)
	}
	r := s.run("%env GOHUNT_MAGIC_TEST=hello world\nos.Getenv(\"GOHUNT_MAGIC_TEST\")").ok(t)
	if r.text() != `"hello world"` || os.Getenv("GOHUNT_MAGIC_TEST") != "hello world" {
		t.Fatalf("%%env: %q, process env %q", r.text(), os.Getenv("GOHUNT_MAGIC_TEST"))
	}
	if out := s.run("%env GOHUNT_MAGIC_TEST").ok(t).stream("stdout"); out != "hello world\n" {
		t.Fatalf("%%env NAME: %q", out)
	}
	if out := s.run("%env ES_PASSWORD=s3cret").ok(t).stream("stdout"); strings.Contains(out, "s3cret") {
		t.Fatalf("%%env shows a secret: %q", out)
	}
	if out := s.run("%env").ok(t).stream("stdout"); strings.Contains(out, "s3cret") || !strings.Contains(out, "GOHUNT_MAGIC_TEST=hello world") {
		t.Fatalf("%%env list: %q", out)
	}
	if out := s.run("!echo from shell $GOHUNT_MAGIC_TEST; echo oops >&2").ok(t); out.stream("stdout") != "from shell hello world\n" || out.stream("stderr") != "oops\n" {
		t.Fatalf("!shell: %q %q", out.stream("stdout"), out.stream("stderr"))
	}
	// A line starting with ! inside a Go expression is Go, not a shell command.
	if got := s.run("a, b := true, false\nok := a &&\n\t!b\nok").ok(t).text(); got != "true" {
		t.Fatalf("continued !b: %q", got)
	}
	r = s.run("%time x := 21 * 2\nx").ok(t)
	if !strings.HasPrefix(r.stream("stdout"), "Wall time: ") || r.text() != "42" {
		t.Fatalf("%%time: %q %q", r.stream("stdout"), r.text())
	}
	for _, code := range []string{"?strings.ToUpper", "strings.ToUpper?"} {
		r = s.run(code).ok(t)
		p := r.reply["payload"].([]any)
		if len(p) != 1 || p[0].(map[string]any)["source"] != "page" || !strings.Contains(p[0].(map[string]any)["data"].(map[string]any)["text/plain"].(string), "ToUpper returns") {
			t.Fatalf("%s: payload %v", code, p)
		}
	}
	if d := s.run("%%html\n<i>hi</i>").ok(t).data(); d["text/html"] != "<i>hi</i>" {
		t.Fatalf("%%%%html: %v", d)
	}
	if r := s.run("%%nosuch\nx"); r.reply["ename"] != "UsageError" {
		t.Fatalf("%%%%nosuch: %s", r.errorText())
	}
	if r := s.run("%nosuch"); r.reply["ename"] != "UsageError" {
		t.Fatalf("%%nosuch: %s", r.errorText())
	}
	// A shell command is interrupted like a cell.
	r = s.runInterrupted("!sleep 30", 200*time.Millisecond)
	if r.reply["ename"] != "KeyboardInterrupt" {
		t.Fatalf("!sleep interrupted: %s", r.errorText())
	}
}
