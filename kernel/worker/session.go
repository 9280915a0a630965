// Package worker is the interpreter side of the gohunt kernel: a yaegi v0.16.1 session that
// runs notebook cells, and the `gohunt worker` process that serves it over the pipes described
// in kernel/ipc.
//
// A cell may mix imports, declarations and statements in any order: the session splits it into
// chunks yaegi can evaluate (see split.go), rewrites the Go that yaegi lags on where that is
// provably safe (rewrite.go), shows the value of a final expression by capability, and turns
// every fault it can survive into an error output, keeping the session's variables.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"io"
	"log"
	"maps"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gohunt/gohunt/third_party/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	huntsession "github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/internal/redact"
	"github.com/gohunt/gohunt/kernel/display"
	"github.com/gohunt/gohunt/kernel/ipc"
	"github.com/gohunt/gohunt/kernel/symbols"
)

// Config configures a Session.
type Config struct {
	// Stdout and Stderr are the write ends cells print to (in the worker process, the
	// redirected fds 1 and 2); StdoutR and StderrR are their read ends, drained by the session.
	Stdout, Stderr   *os.File
	StdoutR, StderrR *os.File
	// Emit receives every event (stream, display, error, input_request, ...). It is called
	// from several goroutines, one event at a time per stream.
	Emit func(ev ipc.Event)
	// OutputLimit caps the bytes one cell forwards per stream (DefaultOutputLimit if 0).
	OutputLimit int
	// DisplayLimit caps the size of one rich output (DefaultDisplayLimit if 0).
	DisplayLimit int
}

// Session is one interpreter session: the names cells define live as long as it does.
type Session struct {
	cfg    Config
	interp *interp.Interpreter
	out    *stream
	errs   *stream
	stdin  *stdinReader
	// cellOut and cellErr are os.Stdout and os.Stderr as cells see them.
	cellOut, cellErr *handle

	emitMu sync.Mutex
	curID  uint64 // ID of the request whose output is being produced

	runMu sync.Mutex // held while a cell runs

	mu      sync.Mutex // guards the fields below: the running cell's state
	cancel  context.CancelFunc
	parked  func() // set while stopBackground's evaluation runs
	running bool
	goPanic *execError // first goroutine panic of the running cell
	trace   []string   // interpreter panic frames of the running cell

	d *decls // what cells defined, with its own lock
}

// New starts a session: a yaegi interpreter with the standard library, the display package and
// the hunt library preloaded (no import needed), printing to cfg's pipes.
func New(cfg Config) (*Session, error) {
	if cfg.OutputLimit == 0 {
		cfg.OutputLimit = DefaultOutputLimit
	}
	if cfg.DisplayLimit == 0 {
		cfg.DisplayLimit = DefaultDisplayLimit
	}
	s := &Session{cfg: cfg, d: newDecls()}
	s.out = newStream("stdout", cfg.StdoutR, cfg.Stdout, cfg.OutputLimit, s.sendStream, nil)
	s.errs = newStream("stderr", cfg.StderrR, cfg.Stderr, cfg.OutputLimit, s.sendStream, s.out)
	s.stdin = &stdinReader{s: s}
	s.interp = interp.New(interp.Options{
		Stdin:  s.stdin,
		Stdout: cfg.Stdout,
		Stderr: &stderrFilter{s: s},
		Env:    os.Environ(),
		Args:   []string{"gohunt"},
	})
	if err := s.interp.Use(stdlib.Symbols); err != nil {
		return nil, fmt.Errorf("loading the standard library: %w", err)
	}
	if err := s.interp.Use(symbols.Symbols); err != nil {
		return nil, fmt.Errorf("loading gohunt symbols: %w", err)
	}
	// os.Stdin is the input_request reader (an io.Reader); os.Stdout and os.Stderr are
	// duplicates of the pipes the session drains, mended after each cell (handles.go).
	var stdinVar io.Reader = s.stdin
	var stdoutVar, stderrVar *os.File
	var err error
	if s.cellOut, err = newHandle("os.Stdout", cfg.Stdout, &stdoutVar); err != nil {
		return nil, err
	}
	if s.cellErr, err = newHandle("os.Stderr", cfg.Stderr, &stderrVar); err != nil {
		return nil, err
	}
	// log.Fatal prints and stops the cell with a recognizable panic (yaegi's restricted log
	// panics with the bare message).
	logger := log.New(&stderrFilter{s: s}, "", log.LstdFlags)
	fatal := func(msg string) {
		_ = logger.Output(3, msg)
		panic(logFatal(strings.TrimSuffix(msg, "\n")))
	}
	err = s.interp.Use(interp.Exports{
		"log/log": {
			"Fatal":   reflect.ValueOf(func(v ...any) { fatal(fmt.Sprint(v...)) }),
			"Fatalf":  reflect.ValueOf(func(f string, v ...any) { fatal(fmt.Sprintf(f, v...)) }),
			"Fatalln": reflect.ValueOf(func(v ...any) { fatal(fmt.Sprintln(v...)) }),
		},
		// Callbacks that compiled code runs in its own goroutine: a panic in the cell's func
		// becomes the cell's error instead of ending the process, as for go statements.
		"time/time": {"AfterFunc": reflect.ValueOf(func(d time.Duration, f func()) *time.Timer {
			return time.AfterFunc(d, s.guard(f))
		})},
		"context/context": {"AfterFunc": reflect.ValueOf(func(ctx context.Context, f func()) (stop func() bool) {
			return context.AfterFunc(ctx, s.guard(f))
		})},
		"gohunt/rt/rt": {"GoPanic": reflect.ValueOf(s.goPanicked), "Sprint": reflect.ValueOf(fmt.Sprint), "Park": reflect.ValueOf(s.park)},
		"os/os": {
			"Stdin":  reflect.ValueOf(&stdinVar).Elem(),
			"Stdout": reflect.ValueOf(&stdoutVar).Elem(),
			"Stderr": reflect.ValueOf(&stderrVar).Elem(),
		},
	})
	if err != nil {
		return nil, err
	}
	imports := []string{`__gohunt "gohunt/rt"`, `__os "os"`}
	var pre []string
	for key := range symbols.Symbols {
		path, name := key[:strings.LastIndex(key, "/")], key[strings.LastIndex(key, "/")+1:]
		pre = append(pre, path)
		s.d.imports[name] = path
	}
	sort.Strings(pre)
	for _, p := range pre {
		imports = append(imports, strconv.Quote(p))
	}
	if _, err := s.interp.Eval("import (\n" + strings.Join(imports, "\n") + "\n)"); err != nil {
		return nil, fmt.Errorf("preloading packages: %w", err)
	}
	// Go 1.21's min and max builtins, which yaegi v0.16.1 lacks, as generic funcs.
	if _, err := s.interp.Eval(minMax); err != nil {
		return nil, fmt.Errorf("defining min and max: %w", err)
	}
	display.SetSink(s)
	return s, nil
}

const ordered = "int | int8 | int16 | int32 | int64 | uint | uint8 | uint16 | uint32 | uint64 | uintptr | float32 | float64 | string"

var minMax = `func min[T ` + ordered + `](x T, y ...T) T { for _, v := range y { if v < x { x = v } }; return x }
func max[T ` + ordered + `](x T, y ...T) T { for _, v := range y { if v > x { x = v } }; return x }`

// emit sends one event for the current request.
func (s *Session) emit(kind string, content any) {
	b, err := json.Marshal(content)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"name": "stderr", "text": "gohunt: cannot encode output: " + err.Error() + "\n"})
		kind = ipc.EvStream
	}
	s.emitMu.Lock()
	id := s.curID
	s.emitMu.Unlock()
	s.cfg.Emit(ipc.Event{ID: id, Kind: kind, Content: b})
}

func (s *Session) sendStream(name, text string) {
	s.emit(ipc.EvStream, map[string]string{"name": name, "text": text})
}

// syncOutput forwards everything printed so far, so that events stay in order.
func (s *Session) syncOutput() {
	s.out.Sync(2 * time.Second)
	s.errs.Sync(2 * time.Second)
}

// Display implements display.Sink.
func (s *Session) Display(data, metadata map[string]any, id string, update bool) {
	s.syncOutput()
	transient := map[string]any{}
	if id != "" {
		transient["display_id"] = id
	}
	kind := ipc.EvDisplayData
	if update {
		kind = ipc.EvUpdateDisplayData
	}
	if capped, ok := capBundle(data, s.cfg.DisplayLimit); ok {
		data, metadata = capped, map[string]any{}
	}
	s.emit(kind, map[string]any{"data": data, "metadata": metadata, "transient": transient})
}

// progressDisplay shows the hunt library's progress through kernel/display.
type progressDisplay struct{}

func (progressDisplay) Show(id string, v any)   { display.ShowID(id, v) }
func (progressDisplay) Update(id string, v any) { display.Update(id, v) }

// Clear implements display.Sink.
func (s *Session) Clear(wait bool) {
	s.syncOutput()
	s.emit(ipc.EvClearOutput, map[string]any{"wait": wait})
}

// Interrupt cancels the running cell, if any; with no cell running it stops the goroutines that
// earlier cells started and left running. It is safe to call from any goroutine.
//
// Either way every goroutine interpreted code started stops: yaegi ends all interpreted frames
// of earlier evaluations when one is cancelled (a goroutine blocked in a compiled call stops
// when that call returns). This is how output of a goroutine that outlived its cell is
// stopped: it goes to whichever cell runs while it prints, until an interrupt.
func (s *Session) Interrupt() {
	s.mu.Lock()
	cancel := s.cancel
	if cancel != nil {
		cancel()
	}
	s.mu.Unlock()
	s.stdin.interrupt()
	if cancel == nil && s.runMu.TryLock() {
		defer s.runMu.Unlock()
		s.stopBackground()
	}
}

// stopBackground cancels an evaluation parked in compiled code, which makes yaegi stop the
// interpreted goroutines of all earlier evaluations. Call it with runMu held.
func (s *Session) stopBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	s.mu.Lock()
	s.parked = func() { cancel(); <-release }
	s.mu.Unlock()
	_, _ = s.eval(ctx, "__gohunt.Park()")
	s.mu.Lock()
	s.parked = nil
	s.mu.Unlock()
	close(release)
}

// park is gohunt/rt.Park: it runs stopBackground's hook, if one is set.
func (s *Session) park() {
	s.mu.Lock()
	p := s.parked
	s.mu.Unlock()
	if p != nil {
		p()
	}
}

// Execute runs one cell and returns the execute_reply content (without execution_count, which
// the front adds). Outputs are emitted as events before it returns.
func (s *Session) Execute(req ipc.Request) ipc.ExecuteReply {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Library work the cell starts (queries, reads) runs under its context and stops with the
	// cell on interrupt; their progress goes to the cell's output.
	defer huntsession.Begin(ctx, progressDisplay{})()
	s.emitMu.Lock()
	s.curID = req.ID
	s.emitMu.Unlock()
	s.mu.Lock()
	s.cancel, s.running, s.goPanic, s.trace = cancel, true, nil, nil
	s.mu.Unlock()
	s.stdin.start(req.AllowStdin)
	s.out.reset()
	s.errs.reset()

	res := &cellResult{payload: []any{}}
	err := s.runCellSafe(ctx, req.Code, res)
	var endNotes []string
	ended := false
	if ctx.Err() != nil {
		// An interrupt that stopped library work running until interrupted (a follow of live
		// events) is that work's normal end: the cell ends ok with its note.
		if notes, ok := huntsession.InterruptEnded(10 * time.Second); ok {
			err, endNotes, ended = nil, notes, true
		}
	}
	if err == nil && ctx.Err() != nil && !ended {
		// Interrupted inside a library call that stopped and returned (a query cancelled
		// through the cell's context): the cell did not finish what it was asked.
		err = s.interrupted()
	}

	s.stdin.stop()
	s.mu.Lock()
	s.running = false
	gp := s.goPanic
	s.mu.Unlock()
	// The cell's context stays the interrupt's target until the reply: user_expressions are
	// evaluated under it, so an interrupt stops them as it stops the cell.
	defer func() {
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
	}()
	var ee *execError
	if err != nil && gp != nil && ctx.Err() != nil {
		err = gp // the goroutine's panic stopped the cell
	}
	if err == nil && gp != nil {
		err = gp
	}
	if err == nil && s.stdin.wasRefused() {
		err = &execError{Ename: "StdinNotImplementedError", Evalue: errNoStdin.Error()}
	}
	if err != nil && !errors.As(err, &ee) {
		ee = &execError{Ename: "Error", Evalue: err.Error()}
	}
	notes := append(s.cellOut.restore(), s.cellErr.restore()...)
	s.syncOutput()
	for _, n := range endNotes {
		s.sendStream("stdout", n+"\n")
	}
	for _, n := range notes {
		s.sendStream("stderr", "gohunt: "+n+"\n")
	}
	if dropped := s.dropped(); dropped != "" {
		if ee == nil {
			// The cell ran, but not all it printed reached the notebook: say so as its error.
			ee = &execError{Ename: "OutputLimitExceeded", Evalue: dropped}
		} else {
			s.sendStream("stderr", "\n[gohunt: "+dropped+"]\n")
		}
	}
	if ctx.Err() == nil {
		// After an interrupt the abandoned evaluation may still be stopping: leave the
		// interpreter's globals alone until the next cell.
		s.snapshot()
		s.sweep()
	}
	if ee != nil {
		if len(ee.Traceback) == 0 {
			ee.Traceback = []string{ee.Ename + ": " + ee.Evalue}
		}
		// Error texts quote values (a panic's, a failed URL's): credentials in them are masked.
		ee.Evalue = redact.Text(ee.Evalue)
		for i, l := range ee.Traceback {
			ee.Traceback[i] = redact.Text(l)
		}
		s.emit(ipc.EvError, map[string]any{"ename": ee.Ename, "evalue": ee.Evalue, "traceback": ee.Traceback})
		return ipc.ExecuteReply{Status: "error", Ename: ee.Ename, Evalue: ee.Evalue, Traceback: ee.Traceback,
			Payload: []any{}, UserExpressions: map[string]any{}}
	}
	if t, ok := res.data[display.MIMEText].(string); ok && len(t) > maxResultText {
		res.data[display.MIMEText] = fmt.Sprintf("%s\n... (%s more)", strings.ToValidUTF8(t[:maxResultText], ""), byteSize(len(t)-maxResultText))
	}
	if res.data != nil {
		res.data, _ = capBundle(res.data, s.cfg.DisplayLimit)
	}
	if res.data != nil && !req.Silent {
		s.emit(ipc.EvExecuteResult, map[string]any{"data": res.data, "metadata": map[string]any{}})
	}
	ue := map[string]any{}
	for name, expr := range req.UserExpressions {
		ue[name] = s.userExpression(ctx, expr)
	}
	return ipc.ExecuteReply{Status: "ok", Payload: res.payload, UserExpressions: ue}
}

// dropped says how much of the cell's output was read and dropped past the output limit, or "".
func (s *Session) dropped() string {
	var said []string
	for _, st := range []*stream{s.out, s.errs} {
		if d := st.droppedNow(); d > 0 {
			said = append(said, fmt.Sprintf("%s of %s output dropped", byteSize(d), st.name))
		}
	}
	if len(said) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: a cell forwards at most %s per stream (write large results to a file, or show a frame, which displays its first rows)",
		strings.Join(said, " and "), byteSize(s.cfg.OutputLimit))
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// cellResult collects what a cell shows besides its outputs.
type cellResult struct {
	data    map[string]any // execute_result bundle, if any
	payload []any
}

// runCellSafe is runCell with a panic of the session's own code reported as the cell's error.
func (s *Session) runCellSafe(ctx context.Context, code string, res *cellResult) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &execError{Ename: "InternalError", Evalue: fmt.Sprintf("gohunt worker: %v", r),
				Traceback: []string{fmt.Sprintf("gohunt worker: %v", r), string(debugStack())}}
		}
	}()
	return s.runCell(ctx, code, res)
}

// runCell runs the code of one cell: magics, then Go.
func (s *Session) runCell(ctx context.Context, code string, res *cellResult) error {
	if strings.TrimSpace(code) == "" {
		return nil
	}
	if exitRequest(code) && s.isUnknown(strings.Trim(strings.TrimSpace(code), "()")) {
		// As in IPython: the frontend (jupyter console) leaves and shuts the kernel down.
		res.payload = append(res.payload, map[string]any{"source": "ask_exit", "keepkernel": false})
		return nil
	}
	if name, ok := helpRequest(code); ok {
		return s.pageHelp(name, res)
	}
	if strings.HasPrefix(code, "%%") {
		return s.cellMagic(ctx, code, res)
	}
	parts := splitMagicLines(code)
	for i, p := range parts {
		last := i == len(parts)-1
		if p.magic {
			if err := s.lineMagic(ctx, strings.TrimSpace(code[p.start:p.end]), res); err != nil {
				return err
			}
			continue
		}
		if err := s.runGo(ctx, code, p.start, p.end, last, res); err != nil {
			return err
		}
	}
	return nil
}

// exitRequest reports whether the cell is IPython's exit or quit (bare or called).
func exitRequest(code string) bool {
	switch strings.TrimSpace(code) {
	case "exit", "quit", "exit()", "quit()":
		return true
	}
	return false
}

// part is a run of Go lines or one magic line of a cell.
type part struct {
	start, end int
	magic      bool
}

// splitMagicLines separates line magics (%name, !shell) from Go code.
func splitMagicLines(code string) []part {
	var parts []part
	off := 0
	for _, line := range strings.SplitAfter(code, "\n") {
		t := strings.TrimLeft(line, " \t")
		magic := strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") && !strings.HasPrefix(t, "!=")
		if n := len(parts); magic && n > 0 && !parts[n-1].magic {
			// Inside an unfinished Go statement (a && \n !ok) the line is Go.
			if st, _ := isComplete(code[parts[n-1].start:off]); st == "incomplete" {
				magic = false
			}
		}
		end := off + len(line)
		if n := len(parts); n > 0 && !magic && !parts[n-1].magic {
			parts[n-1].end = end
		} else {
			parts = append(parts, part{start: off, end: end, magic: magic})
		}
		off = end
	}
	return parts
}

// runGo evaluates the Go code in code[start:end]; if display, a final expression is shown.
func (s *Session) runGo(ctx context.Context, code string, start, end int, display bool, res *cellResult) error {
	segs, err := splitCell(code, start, end)
	if err != nil {
		return compileError(err)
	}
	// A pasted program: drop its package clause, and run its main after the cell.
	runMain := false
	if len(segs) > 0 && strings.HasPrefix(code[segs[0].start:segs[0].end], "package ") {
		segs = segs[1:]
		for _, sg := range segs {
			if sg.kind == segDecl && regexp.MustCompile(`^func\s+main\s*\(\s*\)`).MatchString(code[sg.start:sg.end]) {
				runMain = true
			}
		}
	}
	chs, err := chunks(code, segs)
	if err != nil {
		return compileError(err)
	}
	undo, err := s.renameRedefinedTypes(code, chs)
	if err != nil {
		return err
	}
	if err := s.runChunks(ctx, code, chs, display, res); err != nil {
		undo()
		return err
	}
	if runMain {
		if _, err := s.eval(ctx, "main"+typeMark+"()"); err != nil {
			return s.explain(err, "main()", nil)
		}
	}
	return nil
}

// runChunks evaluates the chunks of a cell in order.
func (s *Session) runChunks(ctx context.Context, code string, chs []chunk, display bool, res *cellResult) error {
	for _, c := range chs {
		if err := ctx.Err(); err != nil {
			return s.interrupted()
		}
		p, err := parseChunk(code, c)
		if err != nil {
			return compileError(err)
		}
		s.d.mu.Lock()
		renames := maps.Clone(s.d.renames)
		s.d.mu.Unlock()
		src, err := rewriteChunk(code, c, p, rewriteEnv{intVar: s.isIntGlobal, renames: renames, imported: s.imported,
			cellType: s.cellTypeOf, methods: s.methodsOf})
		if err != nil {
			return compileError(err)
		}
		s.learn(code, p)
		if g := s.topLevelGenericAssign(p); g != "" {
			return &execError{Ename: "InterpreterError", Evalue: fmt.Sprintf("yaegi v0.16.1 cannot assign the result of the generic function %s at the top level of a cell (it fails or gives a wrong value): use the call inside a func, or as the cell's last expression", g)}
		}
		if err := s.autoImport(ctx, p); err != nil {
			return err
		}
		// Put the rewritten text back at the chunk's place in the cell.
		full := code[:c.start] + src
		if c.lastExpr != nil && display && !isPrint(c.lastExpr) {
			if err := s.evalLast(ctx, full, c.start, len(full), c.lastExpr, res); err != nil {
				return s.explain(err, code[c.start:c.end], p)
			}
			continue
		}
		head := ""
		if c.kind == segStmt {
			// yaegi takes a source starting with "func" for a declaration and, when that fails,
			// declares it as func main, which it then reruns after every later Eval.
			head = ";"
		}
		if _, err := s.eval(ctx, positioned(head, full, c.start, len(full))); err != nil {
			return s.explain(err, code[c.start:c.end], p)
		}
		if err := s.checkAssigned(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// isPrint reports whether e is a call to a print function, whose results are not shown.
func isPrint(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name == "print" || f.Name == "println" || f.Name == "panic"
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && (x.Name == "fmt" || x.Name == "log") {
			return strings.HasPrefix(f.Sel.Name, "Print") || strings.HasPrefix(f.Sel.Name, "Fprint")
		}
	}
	return false
}

// eval runs src in the interpreter, turning any panic (from the interpreter itself too) into
// an error.
func (s *Session) eval(ctx context.Context, src string) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = interp.Panic{Value: r}
		}
	}()
	return s.interp.EvalWithContext(ctx, src)
}

// compile compiles src without running it.
func (s *Session) compile(src string) (p *interp.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = interp.Panic{Value: r}
		}
	}()
	return s.interp.Compile(src)
}
