package worker

import (
	"fmt"
	"go/token"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// Credentials never reach the notebook through what the worker prints: %env (list, one
// name, set) and error texts mask URL userinfo and credential-named variables.
func TestCredentialsMasked(t *testing.T) {
	s := newTestSession(t)
	t.Setenv("GOHUNT_TEST_ES_URL", "")
	t.Setenv("GOHUNT_TEST_API_KEY", "")
	const secret = "hunter2secret"
	outs := []string{
		s.run("%env GOHUNT_TEST_ES_URL=http://elastic:" + secret + "@127.0.0.1:9200/").ok(t).stream("stdout"),
		s.run("%env GOHUNT_TEST_API_KEY=" + secret).ok(t).stream("stdout"),
		s.run("%env GOHUNT_TEST_ES_URL").ok(t).stream("stdout"),
		s.run("%env GOHUNT_TEST_API_KEY").ok(t).stream("stdout"),
		s.run("%env").ok(t).stream("stdout"),
	}
	for i, out := range outs {
		if strings.Contains(out, secret) {
			t.Errorf("output %d shows the secret: %q", i, out)
		}
	}
	if !strings.Contains(outs[2], "http://elastic:<hidden>@127.0.0.1:9200/") {
		t.Errorf("%%env NAME of a URL: %q, want the URL with its password masked", outs[2])
	}
	if !strings.Contains(outs[4], "GOHUNT_TEST_API_KEY=<hidden>") {
		t.Errorf("%%env lists the key as %q", outs[4])
	}
	// The value is set for real (only its display is masked).
	if r := s.run(`os.Getenv("GOHUNT_TEST_ES_URL") == "http://elastic:` + secret + `@127.0.0.1:9200/"`).ok(t); r.text() != "true" {
		t.Fatalf("the variable was not set: %q", r.text())
	}
	// Error texts: a panic quoting the URL, and a failing user expression.
	r := s.run(`panic("cannot reach " + os.Getenv("GOHUNT_TEST_ES_URL"))`)
	if r.status() != "error" || strings.Contains(r.errorText(), secret) || !strings.Contains(r.errorText(), "elastic:<hidden>@") {
		t.Errorf("panic error: %q", r.errorText())
	}
	for _, ev := range r.events {
		if strings.Contains(string(ev.Content), secret) {
			t.Errorf("event %s shows the secret: %s", ev.Kind, ev.Content)
		}
	}
	r = s.runReq(ipc.Request{Op: ipc.OpExecute, Code: "1", UserExpressions: map[string]string{"u": `func() int { panic("key GOHUNT_TEST_API_KEY=" + os.Getenv("GOHUNT_TEST_API_KEY")) }()`}}).ok(t)
	if ue := r.reply["user_expressions"].(map[string]any)["u"].(map[string]any); ue["status"] != "error" || strings.Contains(ue["evalue"].(string), secret) {
		t.Errorf("user expression error: %v", ue)
	}
}

// A cell cannot cut its own output channel: closing or replacing os.Stdout / os.Stderr lasts
// for that cell only, later cells print as before, and the cell is told (issue 11 item 5).
func TestCellCannotCloseItsOutput(t *testing.T) {
	s := newTestSession(t)
	for _, name := range []string{"Stdout", "Stderr"} {
		r := s.run("os." + name + ".Close()").ok(t)
		if note := r.stream("stderr"); !strings.Contains(note, "closed os."+name) || !strings.Contains(note, "reopened") {
			t.Errorf("closing os.%s: note %q", name, note)
		}
		r = s.run(`fmt.Fprintln(os.Stdout, "out")` + "\n" + `fmt.Fprintln(os.Stderr, "err")` + "\nfmt.Println(\"println\")\n!echo child").ok(t)
		if out, errOut := r.stream("stdout"), r.stream("stderr"); out != "out\nprintln\nchild\n" || errOut != "err\n" {
			t.Fatalf("after closing os.%s: stdout %q stderr %q", name, out, errOut)
		}
	}
	r := s.run("os.Stdout = nil").ok(t)
	if note := r.stream("stderr"); !strings.Contains(note, "replaced os.Stdout") {
		t.Errorf("replacing os.Stdout: note %q", note)
	}
	if out := s.run(`fmt.Fprintln(os.Stdout, "back")`).ok(t).stream("stdout"); out != "back\n" {
		t.Fatalf("after replacing os.Stdout: %q", out)
	}
	// A cell that leaves its handles alone gets no note.
	if errOut := s.run(`fmt.Fprint(os.Stdout, "")`).ok(t).stream("stderr"); errOut != "" {
		t.Fatalf("note without cause: %q", errOut)
	}
}

// peek reports whether the stream output collected so far contains text, without taking it.
func (c *collector) peek(text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.events {
		if ev.Kind == ipc.EvStream && strings.Contains(string(ev.Content), text) {
			return true
		}
	}
	return false
}

// An endless loop in user_expressions stops at the interrupt, like the same loop in a cell:
// that expression fails with KeyboardInterrupt and the session keeps its variables (issue 11
// item 6).
func TestInterruptUserExpression(t *testing.T) {
	s := newTestSession(t)
	s.run("kept := 41").ok(t)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for !s.c.peek("spinning") {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		s.Interrupt()
	}()
	r := s.runReq(ipc.Request{Op: ipc.OpExecute, Code: "kept", UserExpressions: map[string]string{
		"spin": `func() int { println("spinning"); for { kept++ } }()`,
	}}).ok(t)
	ue := r.reply["user_expressions"].(map[string]any)["spin"].(map[string]any)
	if ue["status"] != "error" || ue["ename"] != "KeyboardInterrupt" {
		t.Fatalf("interrupted user expression: %v", ue)
	}
	if got := s.run("kept >= 41").ok(t).text(); got != "true" {
		t.Fatalf("variables after the interrupt: %q", got)
	}
}

// A rich output over the display limit is replaced by a note naming its size, whether it is
// shown by display.HTML, updated, or the cell's value; smaller ones pass whole.
func TestDisplayOutputCap(t *testing.T) {
	s := newTestSession(t)
	big := fmt.Sprintf("strings.Repeat(\"<b>x</b>\", %d)", (DefaultDisplayLimit/8)+1)
	checkNote := func(what string, c map[string]any) {
		t.Helper()
		data := c["data"].(map[string]any)
		note, _ := data["text/plain"].(string)
		if len(data) != 1 || !strings.Contains(note, "text/html") || !strings.Contains(note, "10.0 MB") || !strings.Contains(note, "not shown") {
			t.Errorf("%s: got %d MIME types, note %.200q", what, len(data), note)
		}
	}
	r := s.run("id := display.NewID()\ndisplay.HTML(\"small\")\ndisplay.DataID(id, map[string]any{\"text/html\": " + big + "})\ndisplay.UpdateData(id, map[string]any{\"text/html\": " + big + "})").ok(t)
	var kinds []string
	for _, ev := range r.events {
		if ev.Kind != ipc.EvDisplayData && ev.Kind != ipc.EvUpdateDisplayData {
			continue
		}
		kinds = append(kinds, ev.Kind)
		c := content(ev)
		if len(kinds) == 1 {
			if c["data"].(map[string]any)["text/html"] != "small" {
				t.Errorf("a small output was changed: %v", c)
			}
			continue
		}
		checkNote(ev.Kind, c)
		if c["transient"].(map[string]any)["display_id"] == nil {
			t.Errorf("%s lost its display_id", ev.Kind)
		}
	}
	if strings.Join(kinds, " ") != "display_data display_data update_display_data" {
		t.Fatalf("display events %v", kinds)
	}
	r = s.run("type big struct{}\nfunc (big) HTML() string { return " + big + " }\nbig{}").ok(t)
	for _, ev := range r.events {
		if ev.Kind == ipc.EvExecuteResult {
			checkNote("execute_result", content(ev))
		}
	}
	if r.data() == nil {
		t.Fatal("no execute_result")
	}
}

// A goroutine that outlives its cell runs on (its output goes to whichever cell is running)
// until an interrupt: one while no cell runs stops it too, and the session goes on.
func TestInterruptWhileIdleStopsGoroutines(t *testing.T) {
	s := newTestSession(t)
	s.run("var ticks int64\ngo func() {\n\tfor {\n\t\tatomic.AddInt64(&ticks, 1)\n\t\ttime.Sleep(time.Millisecond)\n\t}\n}()").ok(t)
	const advances = "a := atomic.LoadInt64(&ticks)\ntime.Sleep(100 * time.Millisecond)\natomic.LoadInt64(&ticks) > a"
	if got := s.run(advances).ok(t).text(); got != "true" {
		t.Fatalf("the goroutine does not run after its cell: %q", got)
	}
	s.Interrupt() // no cell running
	if got := s.run("time.Sleep(50 * time.Millisecond)\n" + advances).ok(t).text(); got != "false" {
		t.Fatalf("the goroutine still runs after an interrupt: %q", got)
	}
	if got := s.run("x := 20\nx + 22").ok(t).text(); got != "42" {
		t.Fatalf("cell after the interrupt: %q", got)
	}
}

// exit and quit ask the frontend to leave, as in IPython (an ask_exit payload), unless the
// session defines the name.
func TestExitAndQuit(t *testing.T) {
	s := newTestSession(t)
	for _, code := range []string{"exit", "quit", " exit() \n", "quit()"} {
		r := s.run(code).ok(t)
		p, _ := r.reply["payload"].([]any)
		if len(p) != 1 || p[0].(map[string]any)["source"] != "ask_exit" || p[0].(map[string]any)["keepkernel"] != false {
			t.Fatalf("%q: payload %v", code, r.reply["payload"])
		}
	}
	if r := s.run("quit := 3\nquit").ok(t); r.text() != "3" {
		t.Fatalf("a variable named quit: %q", r.text())
	}
	if r := s.run("quit").ok(t); r.text() != "3" || len(r.reply["payload"].([]any)) != 0 {
		t.Fatalf("quit defined by the session: %q %v", r.text(), r.reply["payload"])
	}
}

// A cell whose assignment stores a frame carrying an error fails at once with that error
// (issue 13), naming the cell line and variable; good frames and contexts pass.
func TestAssignedFrameErrorFailsTheCell(t *testing.T) {
	s := newTestSession(t)
	r := s.run("x := 1\nev := hunt.Read(\"no/such/file.zip\")")
	if r.status() != "error" || !strings.Contains(r.errorText(), "cell:2: ev:") || !strings.Contains(r.errorText(), "no/such/file.zip") {
		t.Fatalf("assignment of a failed Read: %s", r.errorText())
	}
	r = s.run("var ev2 = hunt.Read(\"no/such/other.zip\")")
	if r.status() != "error" || !strings.Contains(r.errorText(), "ev2:") {
		t.Fatalf("var of a failed Read: %s", r.errorText())
	}
	s.run("good := hunt.Read(\"../../testdata/mordor/empire_shell_reg_dump_sam.zip\")\ngood = good.Limit(3)").ok(t)
	s.run("ctx, cancel := context.WithCancel(context.Background())\ncancel()\nctx2 := ctx\n_ = ctx2").ok(t)
}

// Completion after "ev." lists what a cell can use (no unexported fields of compiled types),
// and inside a column-name string it lists the columns of the frame at hand (issue 13).
func TestCompletionOfFramesAndColumns(t *testing.T) {
	s := newTestSession(t)
	s.run("ev := hunt.Read(\"../../testdata/mordor/empire_shell_reg_dump_sam.zip\")\ntype rec struct{ name string; N int }\nr := rec{}").ok(t)
	matches := func(code string) ([]string, ipc.CompleteReply) {
		t.Helper()
		rep := s.Complete(code, len([]rune(code)))
		return rep.Matches, rep
	}
	got, _ := matches("ev.")
	if !contains(got, "ev.Select") || !contains(got, "ev.Columns") {
		t.Fatalf("ev. lacks the API: %v", got)
	}
	for _, m := range got {
		if n := strings.TrimPrefix(m, "ev."); !token.IsExported(n) {
			t.Errorf("ev. lists the unexported %q", m)
		}
	}
	if got, _ := matches("r."); !contains(got, "r.name") || !contains(got, "r.N") {
		t.Errorf("fields of a cell type: %v", got)
	}
	for _, code := range []string{`ev.Select("Ho`, `ev.Where(hunt.Col("Ho`, `x := ev.Where(hunt.Col("EventID").Eq(1)).Select("Image", "Ho`, `ev.ValueCounts("Ho`, `ev.GroupBy("Ho`} {
		got, rep := matches(code)
		if !contains(got, "Hostname") {
			t.Errorf("%s: %v", code, got)
		}
		for _, m := range got {
			if !strings.HasPrefix(m, "Ho") {
				t.Errorf("%s: %q does not start with the typed text", code, m)
			}
		}
		if start := rep.CursorStart; start != len([]rune(code))-2 {
			t.Errorf("%s: cursor_start %d", code, start)
		}
	}
	// Not a column argument: ordinary completion.
	if got, _ := matches(`fmt.Println("Ho`); contains(got, "Hostname") {
		t.Errorf("columns offered in an unrelated string: %v", got)
	}
	if got, _ := matches(`ev.Sel`); !contains(got, "ev.Select") {
		t.Errorf("ev.Sel: %v", got)
	}
}

// Every frame of a panic's traceback names its true cell line: the panic in the innermost
// frame, the recursive call in the others (yaegi alone puts them all at the function's first
// statement) (issue 13).
func TestPanicTraceLines(t *testing.T) {
	s := newTestSession(t)
	r := s.run("func rec(n int) int {\n\tif n == 0 {\n\t\tpanic(\"bottom\")\n\t}\n\treturn rec(n-1) + 1\n}\nx := 0\nrec(2)")
	want := []string{"panic: bottom", "cell:3:3: in main.rec(...)", "cell:5:9: in main.rec(...)", "cell:5:9: in main.rec(...)", "cell:8:1: in main(...)"}
	if got := toStrings(r.reply["traceback"]); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("traceback:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r = s.run("type T struct{}\nfunc (T) Boom() {\n\tx := 1\n\t_ = x\n\tpanic(\"in method\")\n}\nfunc call() {\n\tvar t T\n\tt.Boom()\n}\ncall()")
	want = []string{"panic: in method", "cell:5:2: in main.Boom(...)", "cell:9:2: in main.call(...)", "cell:11:1: in main(...)"}
	if got := toStrings(r.reply["traceback"]); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("method traceback:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
