package worker

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gohunt/gohunt/third_party/yaegi/interp"

	"github.com/gohunt/gohunt/kernel/ipc"
)

func TestMixedCellAndPersistence(t *testing.T) {
	s := newTestSession(t)
	r := s.run(`import "strings"
type greeter struct{ name string }
x := 40
func (g greeter) Hello() string { return "hello " + strings.ToUpper(g.name) }
const two = 2
g := greeter{"ada"}
var y = x + two
fmt.Println(g.Hello(), y)`).ok(t)
	if got := r.stream("stdout"); got != "hello ADA 42\n" {
		t.Fatalf("stdout = %q", got)
	}
	// Names persist; a func, a variable (with another type) and a type can be redefined.
	s.run(`func f() int { return 1 }`).ok(t)
	s.run(`func f() int { return 2 }`).ok(t)
	if got := s.run(`f()`).ok(t).text(); got != "2" {
		t.Fatalf("redefined f() = %q", got)
	}
	s.run(`x := "now a string"`).ok(t)
	if got := s.run(`x + "!"`).ok(t).text(); got != `"now a string!"` {
		t.Fatalf("x = %q", got)
	}
	if got := s.run(`y`).ok(t).text(); got != "42" {
		t.Fatalf("y = %q", got)
	}
	// A cell run twice imports again: already imported packages are skipped.
	for i := 0; i < 2; i++ {
		s.run("import (\n\t\"strings\"\n\t\"unicode\"\n)\nimport \"fmt\"\nstrings.ToUpper(fmt.Sprint(unicode.IsUpper('A')))").ok(t)
	}
	// Redefining a type makes a new type under the same name; methods can be added to it.
	s.run(`type T struct{ A int }`).ok(t)
	s.run(`old := T{A: 1}`).ok(t)
	s.run(`type T struct{ B string }`).ok(t)
	s.run("func (t T) String() string { return \"T:\" + t.B }").ok(t)
	if got := s.run(`T{B: "x"}`).ok(t).text(); got != "T:x" {
		t.Fatalf("redefined T = %q", got)
	}
	if got := s.run(`old.A`).ok(t).text(); got != "1" {
		t.Fatalf("old.A = %q", got)
	}
	// A failed redefinition keeps the current type.
	if r := s.run("type T struct{ C nosuch }"); r.status() != "error" {
		t.Fatal("bad type accepted")
	}
	if got := s.run(`T{B: "y"}`).ok(t).text(); got != "T:y" {
		t.Fatalf("T after a failed redefinition = %q", got)
	}
	// A pasted program: its package clause is dropped and its main runs, once.
	r = s.run("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"from main\")\n}").ok(t)
	if r.stream("stdout") != "from main\n" {
		t.Fatalf("program stdout %q", r.stream("stdout"))
	}
	if r := s.run("1").ok(t); r.stream("stdout") != "" {
		t.Fatalf("main ran again: %q", r.stream("stdout"))
	}
	if r := s.run("main()").ok(t); r.stream("stdout") != "from main\n" {
		t.Fatalf("main(): %q", r.stream("stdout"))
	}
}

func TestLastExpression(t *testing.T) {
	s := newTestSession(t)
	cases := []struct{ code, want string }{
		{"1+1", "2"},
		{`"a" + "b"`, `"ab"`},
		{"func two() (int, string) { return 7, \"x\" }\ntwo()", `(7, "x")`},
		{"func ok() (int, error) { return 3, nil }\nok()", "3"},
		{"func three() (int, int, error) { return 1, 2, nil }\nthree()", "(1, 2)"},
		{"[]int{1, 2}", "[1 2]"},
		{"x := 5 // a statement shows nothing", ""},
		{"func none() {}\nnone()", ""},
		{`fmt.Println("printed")`, ""},
		{"var e error\ne", "<nil>"},
		{"time.Duration(1500) * time.Millisecond", "1.5s"},
	}
	for _, c := range cases {
		r := s.run(c.code).ok(t)
		if got := r.text(); got != c.want {
			t.Errorf("%q shows %q, want %q", c.code, got, c.want)
		}
	}
	// A huge value's text is cut.
	if got := s.run("make([]int, 1<<20)").ok(t).text(); len(got) > 1<<20+100 || !strings.HasSuffix(got, " more)") {
		t.Fatalf("huge value text: %d bytes, ends %q", len(got), got[len(got)-20:])
	}
	// A non-nil final error fails the cell.
	r := s.run("func bad() (int, error) { return 0, fmt.Errorf(\"no rows for %s\", \"q\") }\nbad()")
	if r.status() != "error" || !strings.Contains(r.errorText(), "no rows for q") {
		t.Fatalf("bad() = %s", r.errorText())
	}
}

// rich is a compiled type with every capability.
type rich struct{ err error }

func (r rich) HTML() string     { return "<b>rich</b>" }
func (r rich) Markdown() string { return "**rich**" }
func (r rich) SVG() string      { return "<svg/>" }
func (r rich) PNG() []byte      { return []byte{0x89, 'P', 'N', 'G'} }
func (r rich) MIMEBundle() map[string]any {
	return map[string]any{"application/json": map[string]any{"a": 1}}
}
func (r rich) String() string { return "rich!" }
func (r rich) Err() error     { return r.err }

type richErr struct{ msg string }

func (e *richErr) Error() string { return e.msg }

func useTestPkg(t *testing.T, s *tsession) {
	t.Helper()
	err := s.interp.Use(interp.Exports{"gohunt/testpkg/testpkg": {
		"Rich":    reflect.ValueOf(func() rich { return rich{} }),
		"Broken":  reflect.ValueOf(func() rich { return rich{err: &richErr{"column \"x\" not found"}} }),
		"Counted": reflect.ValueOf(func() (int, error) { return 0, &richErr{"count failed"} }),
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.run(`import "gohunt/testpkg"`).ok(t)
}

func TestRichDisplayCompiled(t *testing.T) {
	s := newTestSession(t)
	useTestPkg(t, s)
	d := s.run("testpkg.Rich()").ok(t).data()
	want := map[string]any{"text/html": "<b>rich</b>", "text/markdown": "**rich**", "image/svg+xml": "<svg/>",
		"image/png": "iVBORw==", "application/json": map[string]any{"a": float64(1)}, "text/plain": "rich!"}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("bundle = %v\nwant %v", d, want)
	}
	// The Err() contract: a value carrying an error fails the cell with it.
	r := s.run("testpkg.Broken()")
	if r.status() != "error" || r.reply["ename"] != "worker.richErr" || r.reply["evalue"] != `column "x" not found` {
		t.Fatalf("Broken() = %v %v", r.reply["ename"], r.reply["evalue"])
	}
	// The final error of a multi-value expression fails the cell.
	r = s.run("testpkg.Counted()")
	if r.status() != "error" || r.reply["evalue"] != "count failed" {
		t.Fatalf("Counted() = %s", r.errorText())
	}
}

func TestRichDisplayCellTypes(t *testing.T) {
	s := newTestSession(t)
	s.run(`type card struct{ title string }
func (c card) HTML() string { return "<h1>" + c.title + "</h1>" }
func (c *card) Markdown() string { return "# " + c.title }
func (c card) String() string { return "card " + c.title }
type pic []byte
func (p pic) PNG() []byte { return []byte(p) }
type bundle int
func (b bundle) MIMEBundle() map[string]any { return map[string]any{"text/csv": "a,b"} }
type failing struct{}
func (failing) Err() error { return fmt.Errorf("deferred failure") }
func (failing) HTML() string { return "never shown" }`).ok(t)
	d := s.run(`card{"t"}`).ok(t).data()
	if d["text/html"] != "<h1>t</h1>" || d["text/markdown"] != "# t" || d["text/plain"] != "card t" {
		t.Fatalf("card bundle = %v", d)
	}
	if d := s.run(`pic("ab")`).ok(t).data(); d["image/png"] != "YWI=" {
		t.Fatalf("pic bundle = %v", d)
	}
	if d := s.run(`bundle(1)`).ok(t).data(); d["text/csv"] != "a,b" || d["text/plain"] != "1" {
		t.Fatalf("bundle bundle = %v", d)
	}
	r := s.run(`failing{}`)
	if r.status() != "error" || r.reply["evalue"] != "deferred failure" {
		t.Fatalf("failing{} = %s", r.errorText())
	}
}

// TestUndefinedBareName: yaegi alone evaluates a bare undefined name to nothing and reports
// success (it takes it for a type declared later); the cell must fail naming it.
func TestUndefinedBareName(t *testing.T) {
	cases := []struct{ code, want string }{
		{"keep", "cell:1:1: undefined: keep"},
		{"a := 2\n\n  nothere", "cell:3:3: undefined: nothere"},
		{"b := nothere2 + 1", "undefined: nothere2"},
	}
	for _, c := range cases {
		s := newTestSession(t)
		r := s.run(c.code)
		if r.status() != "error" || !strings.Contains(r.reply["evalue"].(string), c.want) {
			t.Errorf("%q: got %s, want it to contain %q", c.code, r.errorText(), c.want)
		}
	}
}

func TestCompileErrorsNameCellLine(t *testing.T) {
	s := newTestSession(t)
	cases := []struct{ code, want string }{
		{"x := 1\n\ny := x +\n", "cell:4:1"},
		{"a := 1\nb := nosuch + a", "cell:2:6: undefined: nosuch"},
		{"import \"strings\"\nfunc f() int {\n\treturn strings.NoSuch(1)\n}", "cell:3:"},
		{"x := 1\nx = \"s\"", "cell:2:"},
		{"q := \"unterminated", "cell:1:6"},
	}
	for _, c := range cases {
		r := s.run(c.code)
		if r.status() != "error" || !strings.Contains(r.reply["evalue"].(string), c.want) {
			t.Errorf("%q: got %s, want it to contain %q", c.code, r.errorText(), c.want)
		}
		if n := len(r.events); n != 1 || r.events[0].Kind != ipc.EvError {
			t.Errorf("%q: events %v, want exactly one error", c.code, r.kinds())
		}
	}
}

func TestFaultsKeepVariables(t *testing.T) {
	s := newTestSession(t)
	s.run(`kept := 41`).ok(t)
	faults := []struct{ code, ename, evalue string }{
		{`panic("boom")`, "panic", "boom"},
		{"var m map[string]int\nm[\"a\"] = 1", "runtime error", "assignment to entry in nil map"},
		{"var p *struct{ X int }\np.X = 1", "runtime error", "nil pointer"},
		{"os.Exit(3)", "SystemExit", "os.Exit(3)"},
		{`log.Fatal("fatal thing")`, "log.Fatal", "fatal thing"},
		{`log.Fatalf("bad %d", 7)`, "log.Fatal", "bad 7"},
		// The hour-long sleep shows the goroutine's panic stops the cell: it would not return.
		{"go func() { panic(\"in goroutine\") }()\ntime.Sleep(time.Hour)", "panic", "in a goroutine: in goroutine"},
		{"func work(m map[int]int) { m[1] = 1 }\ngo work(nil)\nselect {}", "panic", "assignment to entry in nil map"},
		{"defer fmt.Println()", "CompileError", "defer at the top level"},
	}
	for _, f := range faults {
		r := s.run(f.code)
		if r.status() != "error" || r.reply["ename"] != f.ename || !strings.Contains(r.reply["evalue"].(string), f.evalue) {
			t.Errorf("%q: got %s (traceback %v), want %s: ...%s...", f.code, r.errorText(), r.reply["traceback"], f.ename, f.evalue)
		}
		if got := s.run("kept + 1").ok(t).text(); got != "42" {
			t.Fatalf("after %q: kept+1 = %q", f.code, got)
		}
	}
}

func TestLogFatalPrints(t *testing.T) {
	s := newTestSession(t)
	r := s.run(`log.Fatalln("stop", 1)`)
	if r.reply["ename"] != "log.Fatal" || !strings.Contains(r.stream("stderr"), "stop 1\n") {
		t.Fatalf("got %s, stderr %q", r.errorText(), r.stream("stderr"))
	}
}

func TestInterpreterInternalPanic(t *testing.T) {
	s := newTestSession(t)
	s.run(`kept := 1`).ok(t)
	// Ranging over a func (Go 1.23) makes yaegi v0.16.1 panic internally.
	r := s.run("seq := func(yield func(int) bool) { yield(1) }\nfor v := range seq { fmt.Println(v) }")
	if r.status() != "error" || !strings.Contains(r.reply["evalue"].(string), "range") {
		t.Fatalf("range over func: %s", r.errorText())
	}
	if got := s.run("kept").ok(t).text(); got != "1" {
		t.Fatalf("kept = %q", got)
	}
}

func TestRewrites(t *testing.T) {
	s := newTestSession(t)
	cases := []struct{ code, out string }{
		{"for i := range 3 { fmt.Print(i) }", "012"},
		{"n := 4\nfor i := range n { fmt.Print(i) }", "0123"},
		{"xs := []string{\"a\", \"b\"}\nfor i := range len(xs) { fmt.Print(i, xs[i]) }", "0a1b"},
		{"for range 2 { fmt.Print(\"x\") }", "xx"},
		{"outer:\nfor i := range 3 { for j := range 3 { if j > i { continue outer }; fmt.Print(i, j, \" \") } }", "0 0 1 0 1 1 2 0 2 1 2 2 "},
		{"func count(n int) (s int) { for i := range n { s += i }; return }\nfmt.Print(count(5))", "10"},
		// Go 1.22 per-iteration loop variables.
		{"var fs []func()\nfor i := 0; i < 3; i++ { fs = append(fs, func() { fmt.Print(i) }) }\nfor _, f := range fs { f() }", "012"},
		{"var gs []func()\nfor _, v := range []string{\"a\", \"b\"} { gs = append(gs, func() { fmt.Print(v) }) }\nfor _, g := range gs { g() }", "ab"},
		{"func mk() (fs []func()) { for i := range 3 { fs = append(fs, func() { fmt.Print(i) }) }; return }\nfor _, f := range mk() { f() }", "012"},
		// A loop that changes its variable keeps working (no copy is made).
		{"for i := 0; i < 5; i++ { if i == 1 { i += 2 }; fmt.Print(i) }", "034"},
		// go statements: arguments are evaluated at the go statement.
		{"var wg sync.WaitGroup\nres := make([]int, 3)\nfor i := 0; i < 3; i++ { wg.Add(1); go func(k int) { defer wg.Done(); res[k] = k * k }(i) }\nwg.Wait()\nfmt.Print(res)", "[0 1 4]"},
		{"ch := make(chan float64, 1)\nfunc half(x float64, c chan float64) { c <- x / 2 }\nv := 3.0\ngo half(v, ch)\nv = 100\nfmt.Print(<-ch)", "1.5"},
		{"ch2 := make(chan float64, 1)\ngo half(1, ch2)\nfmt.Print(<-ch2)", "0.5"},
	}
	for _, c := range cases {
		r := s.run(c.code)
		if r.status() != "ok" || r.stream("stdout") != c.out {
			t.Errorf("%q: status %s %s, stdout %q, want %q", c.code, r.status(), r.errorText(), r.stream("stdout"), c.out)
		}
	}
}

func TestGenerics(t *testing.T) {
	s := newTestSession(t)
	s.run("func Sum[T int | float64](xs []T) T { var s T; for _, x := range xs { s += x }; return s }").ok(t)
	if got := s.run("Sum[int]([]int{1, 2})").ok(t).text(); got != "3" {
		t.Fatalf("explicit instantiation = %q", got)
	}
	if got := s.run("Sum([]float64{1, 2.5})").ok(t).text(); got != "3.5" {
		t.Fatalf("inferred = %q", got)
	}
	if got := s.run("max(3, 7)").ok(t).text(); got != "7" {
		t.Fatalf("max(3, 7) = %q", got)
	}
	if got := s.run("func larger(a, b float64) float64 { m := max(a, b); return m }\nlarger(1.5, -2)").ok(t).text(); got != "1.5" {
		t.Fatalf("max in a func = %q", got)
	}
	for _, code := range []string{"m := max(3, 7)", "var m int = max(3, 7)", "s := Sum([]int{1})"} {
		if r := s.run(code); r.status() != "error" || !strings.Contains(r.errorText(), "at the top level of a cell") {
			t.Fatalf("%q: %s", code, r.errorText())
		}
	}
	s.run("func Apply[T, U any](x T, f func(T) U) U { return f(x) }").ok(t)
	r := s.run(`Apply(1, func(i int) string { return "s" })`)
	if r.status() == "error" && !strings.Contains(r.reply["evalue"].(string), "instantiate Apply explicitly") {
		t.Fatalf("inference failure not explained: %s", r.errorText())
	}
}

// TestTopLevelIndexOfCompiledResult: a cell that defines a slice or map from a compiled
// function and then indexes it at the top level, the way hunters take the first of a frame's
// values, runs (yaegi v0.16.1 failed it as a "constant definition loop": fixed in the copy of
// its interp package, third_party/yaegi/PATCHES.md).
func TestTopLevelIndexOfCompiledResult(t *testing.T) {
	s := newTestSession(t)
	cells := []struct{ code, want string }{
		{"names := strings.Fields(\"wkst5 dc01\")\nfirst := names[0]\nfmt.Println(first, names[len(names)-1])", "wkst5 dc01\n"},
		{"host := names[1]\nfmt.Println(host)", "dc01\n"},
		{"ev := hunt.Read(\"../../testdata/mordor/empire_shell_reg_dump_sam.zip\")\nhosts, _ := ev.Select(\"Hostname\").Distinct().OrderBy(\"Hostname\").Strings(\"Hostname\")\nh0 := hosts[0]\nrows, _ := ev.Limit(1).Collect()\nrec := rows[0]\nfmt.Println(h0 != \"\", rec[\"Hostname\"] != nil)", "true true\n"},
	}
	for _, c := range cells {
		r := s.run(c.code)
		if r.status() != "ok" || r.stream("stdout") != c.want {
			t.Errorf("%q: %s, stdout %q, want %q", c.code, r.errorText(), r.stream("stdout"), c.want)
		}
	}
}

// TestTopLevelCommaOkExplained: the two-value definitions yaegi v0.16.1 fails at the top level
// with "nil type" are explained with the cell line and what to write instead; the session
// keeps its variables.
func TestTopLevelCommaOkExplained(t *testing.T) {
	s := newTestSession(t)
	if r := s.run("m := map[string]int{\"a\": 1}"); r.status() != "ok" {
		t.Fatal(r.errorText())
	}
	for _, c := range []struct{ code, want string }{
		{"x := 1\nv, ok := m[\"a\"]", "cell:2: yaegi v0.16.1 cannot define two values from a map index"},
		{"var y any = 1\n_ = y", ""},
		{"s, ok := y.(string)", "cell:1: yaegi v0.16.1 cannot define two values from a type assertion"},
	} {
		r := s.run(c.code)
		if c.want == "" {
			if r.status() != "ok" {
				t.Fatalf("%q: %s", c.code, r.errorText())
			}
			continue
		}
		if r.status() != "error" || !strings.Contains(r.errorText(), c.want) || !strings.Contains(r.errorText(), "inside a func") {
			t.Errorf("%q: %s, want %q", c.code, r.errorText(), c.want)
		}
	}
	if r := s.run("func() { v, ok := m[\"a\"]; fmt.Println(v, ok) }()"); r.status() != "ok" || r.stream("stdout") != "1 true\n" {
		t.Errorf("inside a func: %s %q", r.errorText(), r.stream("stdout"))
	}
}
