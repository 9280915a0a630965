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
	"go/parser"
	"go/token"
	"io"
	"log"
	"maps"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/traefik/yaegi/interp"
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

	mu        sync.Mutex // guards the fields below
	cancel    context.CancelFunc
	parked    func() // set while stopBackground's evaluation runs
	running   bool
	goPanic   *execError // first goroutine panic of the running cell
	trace     []string   // interpreter panic frames of the running cell
	cellTypes map[string]bool
	generics  map[string]bool
	funcDocs  map[string]funcDoc
	sites     callSites               // calls and panics in cell-defined funcs, for tracebacks
	globals   map[string]reflect.Type // snapshot after each cell, for completion
	columns   map[string]columner     // variables that know their column names (frames)
	varTypes  map[string]string       // variable -> cell-defined type name, when the cell says
	renames   map[string]string       // redefined type -> its current internal name
	results   map[string]string       // func -> cell-defined type it returns
	imports   map[string]string       // package name -> import path
}

// funcDoc is the signature and doc comment of a cell-defined func or type.
type funcDoc struct{ sig, doc string }

// New starts a session: a yaegi interpreter with the standard library, the display package and
// the hunt library preloaded (no import needed), printing to cfg's pipes.
func New(cfg Config) (*Session, error) {
	if cfg.OutputLimit == 0 {
		cfg.OutputLimit = DefaultOutputLimit
	}
	if cfg.DisplayLimit == 0 {
		cfg.DisplayLimit = DefaultDisplayLimit
	}
	s := &Session{cfg: cfg, cellTypes: map[string]bool{}, generics: map[string]bool{},
		funcDocs: map[string]funcDoc{}, globals: map[string]reflect.Type{}, imports: map[string]string{}, sites: callSites{},
		varTypes: map[string]string{}, results: map[string]string{},
		// yaegi runs a declared func main after every later Eval: a cell's main gets another name.
		renames: map[string]string{"main": "main" + typeMark}}
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
		s.imports[name] = path
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

// logFatal is the panic value of log.Fatal in a cell.
type logFatal string

// execError is a cell's failure as Jupyter shows it.
type execError struct {
	Ename, Evalue string
	Traceback     []string
}

// Error returns "ename: evalue".
func (e *execError) Error() string { return e.Ename + ": " + e.Evalue }

// Execute runs one cell and returns the execute_reply content (without execution_count, which
// the front adds). Outputs are emitted as events before it returns.
func (s *Session) Execute(req ipc.Request) map[string]any {
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
	if err == nil && ctx.Err() != nil {
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
		return map[string]any{"status": "error", "ename": ee.Ename, "evalue": ee.Evalue, "traceback": ee.Traceback,
			"payload": []any{}, "user_expressions": map[string]any{}}
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
	return map[string]any{"status": "ok", "payload": res.payload, "user_expressions": ue}
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

// maxResultText caps the text/plain form of a shown value (a huge slice printed by fmt).
const maxResultText = 1 << 20

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

// typeMark is appended to the name of a type redefined in a later cell: yaegi cannot replace a
// type, so the new definition is a new type, T then Tʹ (a letter: a valid identifier).
const typeMark = "ʹ"

// renameRedefinedTypes gives each type the cell defines again a new internal name, used from
// this cell on; undo restores the previous names (when the cell fails).
func (s *Session) renameRedefinedTypes(code string, chs []chunk) (undo func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := map[string]string{}
	for _, c := range chs {
		if c.kind != segDecl {
			continue
		}
		p, err := parseChunk(code, c)
		if err != nil {
			return func() {}, compileError(err)
		}
		for _, d := range p.file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, sp := range gd.Specs {
				ts, ok := sp.(*ast.TypeSpec)
				if !ok || !s.cellTypes[ts.Name.Name] || ts.Name.Name == "main" {
					continue
				}
				name := ts.Name.Name
				if _, done := old[name]; done {
					continue
				}
				cur, ok := s.renames[name]
				old[name] = cur
				if !ok {
					cur = name
				}
				s.renames[name] = cur + typeMark
			}
		}
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for name, prev := range old {
			if prev == "" {
				delete(s.renames, name)
			} else {
				s.renames[name] = prev
			}
		}
	}, nil
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
		s.mu.Lock()
		renames := maps.Clone(s.renames)
		s.mu.Unlock()
		src, err := rewriteChunk(code, c, p, session{intVar: s.isIntGlobal, renames: renames, imported: s.imported,
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

// errCarrier is a value that carries a deferred error, such as a hunt frame built on a file that
// cannot be read.
type errCarrier interface{ Err() error }

// checkAssigned fails the cell when a top-level assignment of the chunk stored a value that
// carries an error (ev := hunt.Read("missing.zip")), so the error shows at the cell that made
// it, not at the next cell that uses the value. Contexts are left alone: their Err is a state.
func (s *Session) checkAssigned(ctx context.Context, p *parsedChunk) error {
	check := func(id *ast.Ident) error {
		if id == nil || id.Name == "_" {
			return nil
		}
		v, err := s.eval(ctx, id.Name)
		if err != nil || !v.IsValid() || !v.CanInterface() || isNilValue(v) {
			return nil
		}
		x := v.Interface()
		if _, isCtx := x.(context.Context); isCtx {
			return nil
		}
		c, ok := x.(errCarrier)
		if !ok {
			return nil
		}
		if e := safeErr(c); e != nil {
			ee := valueError(e)
			ee.Evalue = fmt.Sprintf("cell:%d: %s: %s", p.fset.Position(id.Pos()).Line-1, id.Name, ee.Evalue)
			return ee
		}
		return nil
	}
	for _, st := range p.stmts {
		switch x := st.(type) {
		case *ast.AssignStmt:
			for _, l := range x.Lhs {
				id, _ := l.(*ast.Ident)
				if err := check(id); err != nil {
					return err
				}
			}
		case *ast.DeclStmt:
			if gd, ok := x.Decl.(*ast.GenDecl); ok {
				for _, sp := range gd.Specs {
					if vs, ok := sp.(*ast.ValueSpec); ok && len(vs.Values) > 0 {
						for _, id := range vs.Names {
							if err := check(id); err != nil {
								return err
							}
						}
					}
				}
			}
		}
	}
	return nil
}

// safeErr calls c.Err, a panic in it counting as no error.
func safeErr(c errCarrier) (err error) {
	defer func() {
		if recover() != nil {
			err = nil
		}
	}()
	return c.Err()
}

// autoImport imports the standard library packages the chunk uses without importing them
// (fmt.Println works in a cell without import "fmt"), when the name is unambiguous.
func (s *Session) autoImport(ctx context.Context, p *parsedChunk) error {
	declared := map[string]bool{}
	var need []string
	s.mu.Lock()
	ast.Inspect(p.file, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && !declared[id.Name] && s.unknown(id.Name, declared) {
			if paths := autoPaths[id.Name]; paths != "" {
				need = append(need, paths)
				declared[id.Name] = true
			} else if ps := stdPackages()[id.Name]; len(ps) == 1 {
				need = append(need, ps[0])
				declared[id.Name] = true
			}
		}
		return true
	})
	s.mu.Unlock()
	for _, path := range need {
		if _, err := s.eval(ctx, "import "+strconv.Quote(path)); err != nil {
			return &execError{Ename: "ImportError", Evalue: fmt.Sprintf("importing %s: %v", path, err)}
		}
		s.mu.Lock()
		s.imports[path[strings.LastIndex(path, "/")+1:]] = path
		s.mu.Unlock()
	}
	return nil
}

// autoPaths picks the package for names the standard library has more than once.
var autoPaths = map[string]string{"rand": "math/rand", "template": "text/template", "pprof": "runtime/pprof"}

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

var mismatchRE = regexp.MustCompile(`assignment mismatch: 2 variables but .* returns (\d+) value`)

// evalLast evaluates the cell's final expression, code[start:end], and shows its value.
func (s *Session) evalLast(ctx context.Context, code string, start, end int, e ast.Expr, res *cellResult) error {
	expr := code[start:end]
	pad := blank(code[:start])
	if err := s.undefinedLast(code, start, e); err != nil {
		return err
	}
	n := 1
	isCall := false
	if call, ok := e.(*ast.CallExpr); ok && !s.isType(call.Fun) {
		isCall = true
		// yaegi keeps only the first result of a call: learn how many there are.
		_, err := s.compile("__r0, __r1 :=\n" + pad + expr)
		var pe interp.Panic
		switch {
		case err == nil:
			n = 2
		case mismatchRE.MatchString(err.Error()):
			n, _ = strconv.Atoi(mismatchRE.FindStringSubmatch(err.Error())[1])
		case strings.Contains(err.Error(), "unsupported assign expression"):
		case errors.As(err, &pe):
			n = -1 // the interpreter cannot compile the probe (some generic calls)
		default:
			return err
		}
	}
	if n == 0 {
		_, err := s.eval(ctx, ";\n"+pad+expr)
		return err
	}
	vars := make([]string, max(n, 1))
	for i := range vars {
		vars[i] = "__r" + strconv.Itoa(i)
	}
	assign := strings.Join(vars, ", ") + " :=\n" + pad + expr
	vals := make([]reflect.Value, max(n, 0))
	if n == 1 && isCall {
		// yaegi fails (panics) on some generic calls: check that the assignment compiles
		// before running it, so that the call runs once.
		if _, err := s.compile(assign); err != nil {
			n = -1
		}
	}
	if n == 1 {
		// One Eval assigns and returns the value.
		v, err := s.eval(ctx, assign+"\n__r0")
		switch {
		case err == nil:
			vals[0] = v
		case isCompileError(err):
			n = -1 // e.g. some generic calls: evaluate the expression as it is
		default:
			return err
		}
	} else if n > 1 {
		if _, err := s.compile(assign); err != nil {
			n = -1
		}
	}
	if n < 0 {
		// Evaluate the expression as it is: yaegi shows its first value.
		v, err := s.eval(ctx, ";\n"+pad+expr)
		if err != nil {
			return err
		}
		if !v.IsValid() {
			return nil
		}
		data, err := safeBundle(v.Interface())
		if err != nil {
			return err
		}
		res.data = data
		return nil
	}
	if n > 1 {
		// Compiled again by Eval: yaegi's ExecuteWithContext races with its own goroutine
		// when interrupted.
		if _, err := s.eval(ctx, assign); err != nil {
			return err
		}
		for i, v := range vars {
			rv, err := s.eval(ctx, v)
			if err != nil {
				return err
			}
			vals[i] = rv
		}
	}
	if n > 1 {
		// A non-nil final error fails the cell; a nil one is not shown.
		last := vals[n-1]
		if last.IsValid() && last.CanInterface() {
			if err, ok := last.Interface().(error); ok && err != nil {
				return valueError(err)
			}
		}
		if !last.IsValid() || isNilValue(last) || last.Type().Implements(errorType) {
			vals, vars = vals[:n-1], vars[:n-1]
		}
	}
	if len(vals) == 1 {
		data, err := s.bundle(ctx, vars[0], vals[0])
		if err != nil {
			return err
		}
		res.data = data
		return nil
	}
	texts := make([]string, len(vals))
	for i, v := range vals {
		texts[i] = s.plain(ctx, vars[i], v)
	}
	res.data = map[string]any{display.MIMEText: "(" + strings.Join(texts, ", ") + ")"}
	return nil
}

func debugStack() []byte { return debug.Stack() }

// isType reports whether e names a type, making a call of it a conversion.
func (s *Session) isType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return s.isType(x.X)
	case *ast.Ident:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.cellTypes[x.Name] || builtinTypes[x.Name]
	case *ast.SelectorExpr:
		pkg, ok := x.X.(*ast.Ident)
		if !ok {
			return false
		}
		path, ok := s.pkgPath(pkg.Name)
		if !ok {
			return false
		}
		for _, exp := range []map[string]reflect.Value{stdlib.Symbols[path+"/"+pkg.Name], symbols.Symbols[path+"/"+pkg.Name]} {
			if v, ok := exp[x.Sel.Name]; ok {
				return v.Kind() == reflect.Pointer && v.IsNil()
			}
		}
	case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType, *ast.StructType, *ast.StarExpr:
		return true
	case *ast.IndexExpr:
		return s.isType(x.X)
	}
	return false
}

var builtinTypes = map[string]bool{"bool": true, "byte": true, "complex64": true, "complex128": true, "error": true,
	"float32": true, "float64": true, "int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"rune": true, "string": true, "uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true,
	"uintptr": true, "any": true}

// isCompileError reports whether err came before anything ran: not a panic, not an interrupt.
func isCompileError(err error) bool {
	var pe interp.Panic
	return !errors.As(err, &pe) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

func isNilValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// valueError is the cell error for a displayed value's error: ename is the error's Go type.
func valueError(err error) *execError {
	name := strings.TrimPrefix(fmt.Sprintf("%T", err), "*")
	if name == "errors.errorString" || name == "fmt.wrapError" || name == "fmt.wrapErrors" {
		name = "error"
	}
	return &execError{Ename: name, Evalue: err.Error()}
}

// capabilities, in the order they are probed on values of cell-defined types.
var capabilities = []struct{ method, mime string }{
	{"HTML", display.MIMEHTML},
	{"Markdown", display.MIMEMarkdown},
	{"SVG", display.MIMESVG},
	{"PNG", display.MIMEPNG},
}

// bundle renders the value held in the interpreter variable name by capability.
func (s *Session) bundle(ctx context.Context, name string, v reflect.Value) (map[string]any, error) {
	if !v.IsValid() {
		return map[string]any{display.MIMEText: "<nil>"}, nil
	}
	if v.CanInterface() && hasMethods(v) {
		data, err := safeBundle(v.Interface())
		if err != nil {
			return nil, err
		}
		return data, nil
	}
	if !s.mayHaveCellMethods() {
		data, err := safeBundle(v.Interface())
		return data, err
	}
	// A value of a cell-defined type: reflect sees none of its methods; call them inside the
	// interpreter. "undefined selector" means the method does not exist.
	call := func(method string) (reflect.Value, bool, error) {
		rv, err := s.eval(ctx, name+"."+method+"()")
		if err != nil {
			if strings.Contains(err.Error(), "undefined selector") || strings.Contains(err.Error(), "undefined method") {
				return reflect.Value{}, false, nil
			}
			return reflect.Value{}, false, fmt.Errorf("calling %s.%s(): %w", name, method, err)
		}
		return rv, true, nil
	}
	if rv, ok, err := call("Err"); err != nil {
		return nil, err
	} else if ok && rv.IsValid() && rv.CanInterface() {
		if e, isErr := rv.Interface().(error); isErr && e != nil {
			return nil, valueError(e)
		}
	}
	data := map[string]any{}
	if rv, ok, err := call("MIMEBundle"); err != nil {
		return nil, err
	} else if ok && rv.IsValid() {
		if m, isMap := rv.Interface().(map[string]any); isMap {
			for k, x := range m {
				data[k] = x
			}
		}
	}
	for _, c := range capabilities {
		rv, ok, err := call(c.method)
		if err != nil {
			return nil, err
		}
		if ok && rv.IsValid() && rv.CanInterface() {
			data[c.mime] = rv.Interface()
		}
	}
	if _, ok := data[display.MIMEText]; !ok {
		data[display.MIMEText] = s.plain(ctx, name, v)
	}
	out, err := safeBundle(mimeData(data))
	return out, err
}

// mimeData is a compiled value with a MIMEBundle method, to reuse display.Bundle's encoding.
type mimeData map[string]any

// MIMEBundle returns the bundle itself.
func (m mimeData) MIMEBundle() map[string]any { return m }

// plain returns the text/plain form of the value held in the interpreter variable name.
func (s *Session) plain(ctx context.Context, name string, v reflect.Value) string {
	if !v.IsValid() {
		return "<nil>"
	}
	if !hasMethods(v) && s.mayHaveCellMethods() {
		if rv, err := s.eval(ctx, name+".String()"); err == nil && rv.IsValid() && rv.Kind() == reflect.String {
			return rv.String()
		}
		if rv, err := s.eval(ctx, name+".Error()"); err == nil && rv.IsValid() && rv.Kind() == reflect.String {
			return rv.String()
		}
	}
	if !v.CanInterface() {
		return v.String()
	}
	return display.Plain(v.Interface())
}

func (s *Session) mayHaveCellMethods() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cellTypes) > 0
}

// hasMethods reports whether reflect can see methods on v (a compiled type with methods).
func hasMethods(v reflect.Value) bool {
	t := v.Type()
	if t.NumMethod() > 0 {
		return true
	}
	return t.Kind() != reflect.Pointer && reflect.PointerTo(t).NumMethod() > 0
}

// safeBundle is display.Bundle with a panic in a method turned into an error.
func safeBundle(v any) (data map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &execError{Ename: "panic", Evalue: fmt.Sprintf("rendering the value: %v", r)}
		}
	}()
	data, err = display.Bundle(v)
	if err != nil {
		return nil, valueError(err)
	}
	return data, nil
}

// userExpression evaluates one of an execute request's user_expressions under the cell's
// context ctx: an interrupt stops it as it stops a cell, failing it with KeyboardInterrupt.
func (s *Session) userExpression(ctx context.Context, expr string) map[string]any {
	fail := func(err error) map[string]any {
		if ctx.Err() != nil {
			ie := s.interrupted()
			return map[string]any{"status": "error", "ename": ie.Ename, "evalue": ie.Evalue, "traceback": ie.Traceback}
		}
		msg := redact.Text(err.Error())
		return map[string]any{"status": "error", "ename": "Error", "evalue": msg, "traceback": []string{msg}}
	}
	if _, err := s.eval(ctx, "__ue := "+expr); err != nil {
		if m := err.Error(); strings.Contains(m, "definition loop") || strings.Contains(m, "incomplete type") {
			// yaegi's words for a name nothing declares.
			if name := s.unknownIn(expr); name != "" {
				return fail(fmt.Errorf("undefined: %s", name))
			}
		}
		return fail(s.mapPositions(err))
	}
	v, err := s.eval(ctx, "__ue")
	if err != nil {
		return fail(err)
	}
	data, err := s.bundle(ctx, "__ue", v)
	if err != nil {
		return fail(err)
	}
	return map[string]any{"status": "ok", "data": data, "metadata": map[string]any{}}
}

// unknownIn returns the first name the expression uses that nothing in the session declares.
func (s *Session) unknownIn(expr string) string {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		return ""
	}
	found := ""
	check := func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && found == "" && s.isUnknown(id.Name) {
			found = id.Name
		}
		return found == ""
	}
	ast.Inspect(e, func(n ast.Node) bool { return found == "" && inspectUse(n, check) })
	return found
}

// goPanicked is called (through the go-statement rewrite) when an interpreted goroutine
// panics: the panic becomes the running cell's error and stops it, as it would stop a program.
func (s *Session) goPanicked(r any) {
	s.mu.Lock()
	running := s.running
	trace := append([]string(nil), s.trace...)
	if running && s.goPanic == nil {
		s.goPanic = &execError{Ename: "panic", Evalue: fmt.Sprintf("in a goroutine: %v", r),
			Traceback: append([]string{fmt.Sprintf("panic in a goroutine: %v", r)}, trace...)}
		if s.cancel != nil {
			s.cancel()
		}
	}
	s.mu.Unlock()
	if !running {
		fmt.Fprintf(s.cfg.Stderr, "panic in a goroutine (after its cell finished): %v\n", r)
	}
}

// guard returns f with a panic reported like an interpreted goroutine's.
func (s *Session) guard(f func()) func() {
	return func() {
		defer func() {
			if r := recover(); r != nil {
				s.goPanicked(r)
			}
		}()
		f()
	}
}

// stderrFilter receives what the interpreter writes to its stderr: the "N:M: panic: f(...)"
// frames yaegi prints while a panic unwinds become the cell's traceback; the rest (log output)
// goes to the stderr stream.
type stderrFilter struct{ s *Session }

var panicFrameRE = regexp.MustCompile(`^(\d+):(\d+): panic: (.*)\n?$`)

// Write implements io.Writer: panic frames go to the traceback, the rest to stderr.
func (f *stderrFilter) Write(p []byte) (int, error) {
	if m := panicFrameRE.FindSubmatch(p); m != nil {
		line, _ := strconv.Atoi(string(m[1]))
		f.s.mu.Lock()
		f.s.trace = append(f.s.trace, fmt.Sprintf("cell:%d:%s: in %s", line-1, m[2], m[3]))
		f.s.mu.Unlock()
		return len(p), nil
	}
	return f.s.cfg.Stderr.Write(p)
}

// interrupted is the error of a cancelled cell.
func (s *Session) interrupted() *execError {
	s.mu.Lock()
	gp := s.goPanic
	s.mu.Unlock()
	if gp != nil {
		return gp
	}
	return &execError{Ename: "KeyboardInterrupt", Evalue: "the cell was interrupted",
		Traceback: []string{"KeyboardInterrupt: the cell was interrupted. If it was blocked in a call that ignores interruption (a compiled function such as time.Sleep or a network read), that call finishes in the background; variables it sets may still change."}}
}

// learn records what the chunk declares: types (their values may have methods reflect cannot
// see), generic funcs, and docs of funcs and types for inspection.
func (s *Session) learn(code string, p *parsedChunk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range p.file.Decls {
		switch x := d.(type) {
		case *ast.GenDecl:
			for _, sp := range x.Specs {
				if ts, ok := sp.(*ast.TypeSpec); ok {
					s.cellTypes[ts.Name.Name] = true
					doc := x.Doc.Text()
					if ts.Doc != nil {
						doc = ts.Doc.Text()
					}
					s.funcDocs[ts.Name.Name] = funcDoc{sig: "type " + code[p.off(ts.Pos()):p.off(ts.End())], doc: doc}
				}
			}
		case *ast.FuncDecl:
			if x.Name.Name == "_" {
				continue // the statement wrapper
			}
			if x.Type.TypeParams != nil && len(x.Type.TypeParams.List) > 0 {
				s.generics[x.Name.Name] = true
			}
			end := x.Type.End()
			sig := code[p.off(x.Pos()):p.off(end)]
			name := x.Name.Name
			if x.Recv != nil && len(x.Recv.List) > 0 {
				name = recvName(x.Recv.List[0].Type) + "." + name
			}
			s.funcDocs[name] = funcDoc{sig: sig, doc: x.Doc.Text()}
			if x.Body != nil {
				s.sites.record(name, p, x.Body)
			}
		}
	}
	for _, d := range p.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Type.Results != nil && len(fd.Type.Results.List) > 0 {
			if tn := typeIdent(fd.Type.Results.List[0].Type); tn != "" && s.cellTypes[tn] {
				s.results[fd.Name.Name] = tn
			}
		}
	}
	for _, st := range p.stmts {
		switch x := st.(type) {
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE && len(x.Lhs) == len(x.Rhs) {
				for i, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						if tn := s.exprType(x.Rhs[i]); tn != "" {
							s.varTypes[id.Name] = tn
						} else {
							delete(s.varTypes, id.Name)
						}
					}
				}
			}
		case *ast.DeclStmt:
			if gd, ok := x.Decl.(*ast.GenDecl); ok {
				for _, sp := range gd.Specs {
					if vs, ok := sp.(*ast.ValueSpec); ok {
						for i, id := range vs.Names {
							tn := ""
							if vs.Type != nil {
								tn = typeIdent(vs.Type)
							} else if i < len(vs.Values) {
								tn = s.exprType(vs.Values[i])
							}
							if tn != "" && s.cellTypes[tn] {
								s.varTypes[id.Name] = tn
							} else {
								delete(s.varTypes, id.Name)
							}
						}
					}
				}
			}
		}
	}
	for _, st := range p.stmts {
		if ds, ok := st.(*ast.DeclStmt); ok {
			if gd, ok := ds.Decl.(*ast.GenDecl); ok {
				for _, sp := range gd.Specs {
					if ts, ok := sp.(*ast.TypeSpec); ok {
						s.cellTypes[ts.Name.Name] = true
					}
				}
			}
		}
	}
	for _, im := range p.file.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		s.imports[name] = path
	}
}

// typeIdent returns the name of a type written T or *T.
func typeIdent(e ast.Expr) string {
	if st, ok := e.(*ast.StarExpr); ok {
		e = st.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// exprType returns the cell-defined type of T{...}, &T{...}, T(x) or f() where f returns one.
func (s *Session) exprType(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			return s.exprType(x.X)
		}
	case *ast.CompositeLit:
		if tn := typeIdent(x.Type); s.cellTypes[tn] {
			return tn
		}
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok {
			if s.cellTypes[id.Name] {
				return id.Name
			}
			return s.results[id.Name]
		}
	}
	return ""
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.IndexExpr:
		return recvName(x.X)
	case *ast.IndexListExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// cellTypeOf returns the cell-defined type of e when the session knows it: a variable it saw
// defined, T{...}, &T{...}, T(x), or a call of a func returning T.
func (s *Session) cellTypeOf(e ast.Expr) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := e.(*ast.Ident); ok {
		return s.varTypes[id.Name]
	}
	return s.exprType(e)
}

// methodsOf returns the methods cells defined on the type typ.
func (s *Session) methodsOf(typ string) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := map[string]bool{}
	for k := range s.funcDocs {
		if m, ok := strings.CutPrefix(k, typ+"."); ok {
			ms[m] = true
		}
	}
	return ms
}

// imported reports whether the package path is imported under name already.
func (s *Session) imported(name, path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.imports[name] == path
}

// isIntGlobal reports whether a session variable holds an integer.
func (s *Session) isIntGlobal(name string) bool {
	s.mu.Lock()
	t, ok := s.globals[name]
	s.mu.Unlock()
	if !ok || t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// snapshot records the session's globals and their types, for completion and rewrites.
func (s *Session) snapshot() {
	defer func() { _ = recover() }()
	g := s.interp.Globals()
	m := make(map[string]reflect.Type, len(g))
	cols := map[string]columner{}
	for k, v := range g {
		if strings.HasPrefix(k, "__") || k == "_" {
			continue
		}
		if v.IsValid() {
			m[k] = v.Type()
			if v.CanInterface() && !isNilValue(v) {
				if c, ok := v.Interface().(columner); ok {
					cols[k] = c
				}
			}
		} else {
			m[k] = nil
		}
	}
	s.mu.Lock()
	s.globals = m
	s.columns = cols
	s.mu.Unlock()
}

// sweep tells the hunt library what the session's variables hold, so that it frees what
// none of them reaches (yaegi keeps values it no longer names).
func (s *Session) sweep() {
	defer func() { _ = recover() }()
	g := s.interp.Globals()
	roots := make([]reflect.Value, 0, len(g))
	for _, v := range g {
		roots = append(roots, v)
	}
	huntsession.Sweep(roots)
}

var posRE = regexp.MustCompile(`(?m)(^|[\s(])(?:_\.go:)?(\d+):(\d+): `)

// mapPositions rewrites the "line:col: " positions of a yaegi error (one line below the cell's)
// as "cell:line:col: ".
func (s *Session) mapPositions(err error) error {
	msg := posRE.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sm := posRE.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sm[2])
		if line > 1 {
			line--
		}
		return fmt.Sprintf("%scell:%d:%s: ", sm[1], line, sm[3])
	})
	return errors.New(msg)
}

func compileError(err error) *execError {
	var ce *cellError
	if errors.As(err, &ce) {
		return &execError{Ename: "CompileError", Evalue: ce.Error()}
	}
	return &execError{Ename: "CompileError", Evalue: err.Error()}
}

var rangeRE = regexp.MustCompile(`\bfor\b[^{]*\brange\b`)

// explain turns an interpreter error into the cell's error: positions name the cell's lines,
// panics carry the interpreted frames, and failures of features yaegi lacks say so.
func (s *Session) explain(err error, code string, p *parsedChunk) error { // code: the chunk's text
	var ee *execError
	if errors.As(err, &ee) {
		return ee
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return s.interrupted()
	}
	s.mu.Lock()
	trace := append([]string(nil), s.trace...)
	s.trace = nil
	s.mu.Unlock()
	var pe interp.Panic
	if errors.As(err, &pe) {
		val := pe.Value
		if e, ok := val.(error); ok {
			val = s.mapPositions(e).Error()
		}
		msg := fmt.Sprint(val)
		if lf, ok := pe.Value.(logFatal); ok {
			return &execError{Ename: "log.Fatal", Evalue: string(lf) + " (the cell called log.Fatal; the kernel keeps running and kept your variables)"}
		}
		if m := regexp.MustCompile(`^os\.Exit\((-?\d+)\)$`).FindStringSubmatch(msg); m != nil {
			return &execError{Ename: "SystemExit", Evalue: fmt.Sprintf("the cell called os.Exit(%s); the kernel keeps running and kept your variables", m[1])}
		}
		if len(trace) == 0 {
			// No interpreted frame unwound: the interpreter itself failed on this code.
			if p != nil && strings.Contains(msg, "incomplete type") {
				// yaegi's way of meeting a name nothing declares (e.g. after a worker restart).
				if id := s.undefinedName(p); id != nil {
					ps := p.fset.Position(id.Pos())
					return &execError{Ename: "CompileError", Evalue: fmt.Sprintf("cell:%d:%d: undefined: %s", ps.Line-1, ps.Column, id.Name)}
				}
			}
			if g := s.topLevelGenericAssign(p); g != "" {
				return &execError{Ename: "InterpreterError", Evalue: fmt.Sprintf("yaegi v0.16.1 cannot assign the result of the generic function %s at the top level of a cell (it fails or gives a wrong value): use the call inside a func, or as the cell's last expression", g)}
			}
			hint := ""
			if rangeRE.MatchString(code) {
				hint = "; if the cell ranges over an int or a function (Go 1.22/1.23 range forms), yaegi v0.16.1 does not support it unless the int is recognizable (see %help): write `for i := 0; i < n; i++` or call the iterator function with a yield callback"
			}
			return &execError{Ename: "InterpreterError", Evalue: "the interpreter (yaegi v0.16.1) failed on this cell: " + msg + hint}
		}
		ename := "panic"
		if _, ok := pe.Value.(runtime.Error); ok {
			ename = "runtime error"
		}
		if strings.HasPrefix(msg, "reflect: call of reflect.Value.") && strings.HasSuffix(msg, "on zero Value") {
			// How yaegi meets a nil pointer.
			ename, msg = "runtime error", "invalid memory address or nil pointer dereference ("+msg+")"
		}
		top := callSites{}
		if p != nil && len(p.stmts) > 0 {
			top.record("", p, &ast.BlockStmt{List: p.stmts})
		}
		s.mu.Lock()
		trace = fixFrames(trace, s.sites, top[""], ename == "panic")
		s.mu.Unlock()
		tb := append([]string{fmt.Sprintf("panic: %s", msg)}, trace...)
		return &execError{Ename: ename, Evalue: msg, Traceback: tb}
	}
	msg := s.mapPositions(err).Error()
	ename := "CompileError"
	if !posRE.MatchString(err.Error()) {
		ename = "Error"
	}
	if g := s.topLevelGenericAssign(p); g != "" && strings.Contains(msg, "definition loop") {
		return &execError{Ename: "InterpreterError", Evalue: fmt.Sprintf("yaegi v0.16.1 cannot assign the result of the generic function %s at the top level of a cell (it fails or gives a wrong value): use the call inside a func, or as the cell's last expression", g)}
	}
	if p != nil && (strings.Contains(msg, "definition loop") || strings.Contains(msg, "incomplete type")) {
		if id := s.undefinedName(p); id != nil {
			ps := p.fset.Position(id.Pos())
			return &execError{Ename: "CompileError", Evalue: fmt.Sprintf("cell:%d:%d: undefined: %s", ps.Line-1, ps.Column, id.Name)}
		}
	}
	for g := range s.generics {
		if strings.Contains(code, g+"(") && (strings.Contains(msg, "cannot use") || strings.Contains(msg, "infer")) {
			msg += fmt.Sprintf("; yaegi v0.16.1 infers type arguments only in simple cases: instantiate %s explicitly, e.g. %s[int](...)", g, g)
			break
		}
	}
	return &execError{Ename: ename, Evalue: msg}
}

// undefinedName returns an identifier of the chunk that nothing declares, if any.
func (s *Session) undefinedName(p *parsedChunk) *ast.Ident {
	declared := map[string]bool{}
	ast.Inspect(p.file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if x.Tok.String() == ":=" {
				for _, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						declared[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range x.Names {
				declared[id.Name] = true
			}
		case *ast.TypeSpec:
			declared[x.Name.Name] = true
		case *ast.FuncDecl:
			declared[x.Name.Name] = true
		case *ast.Field:
			for _, id := range x.Names {
				declared[id.Name] = true
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{x.Key, x.Value} {
				if id, ok := e.(*ast.Ident); ok {
					declared[id.Name] = true
				}
			}
		}
		return true
	})
	var found *ast.Ident
	s.mu.Lock()
	defer s.mu.Unlock()
	check := func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && found == nil && s.unknown(id.Name, declared) {
			found = id
		}
		return found == nil
	}
	ast.Inspect(p.file, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch x := n.(type) {
		case *ast.File:
			for _, d := range x.Decls {
				ast.Inspect(d, func(m ast.Node) bool { return found == nil && inspectUse(m, check) })
			}
			return false
		}
		return true
	})
	return found
}

// topLevelGenericAssign returns the generic function whose result a top-level statement of the
// chunk assigns, if any.
func (s *Session) topLevelGenericAssign(p *parsedChunk) string {
	if p == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	generic := func(e ast.Expr) string {
		call, ok := e.(*ast.CallExpr)
		if !ok {
			return ""
		}
		f := call.Fun
		if ix, ok := f.(*ast.IndexExpr); ok {
			f = ix.X
		}
		if ix, ok := f.(*ast.IndexListExpr); ok {
			f = ix.X
		}
		if id, ok := f.(*ast.Ident); ok && (s.generics[id.Name] || id.Name == "min" || id.Name == "max") {
			return id.Name
		}
		return ""
	}
	for _, st := range p.stmts {
		switch x := st.(type) {
		case *ast.AssignStmt:
			for _, r := range x.Rhs {
				if g := generic(r); g != "" {
					return g
				}
			}
		case *ast.DeclStmt:
			if gd, ok := x.Decl.(*ast.GenDecl); ok {
				for _, sp := range gd.Specs {
					if vs, ok := sp.(*ast.ValueSpec); ok {
						for _, v := range vs.Values {
							if g := generic(v); g != "" {
								return g
							}
						}
					}
				}
			}
		}
	}
	return ""
}

// inspectUse walks the identifiers of n that refer to something (not field or method names,
// not struct literal keys), calling check on each.
func inspectUse(n ast.Node, check func(ast.Node) bool) bool {
	switch x := n.(type) {
	case *ast.SelectorExpr:
		ast.Inspect(x.X, func(m ast.Node) bool { return inspectUse(m, check) })
		return false
	case *ast.KeyValueExpr:
		if _, ok := x.Key.(*ast.Ident); !ok {
			ast.Inspect(x.Key, func(m ast.Node) bool { return inspectUse(m, check) })
		}
		ast.Inspect(x.Value, func(m ast.Node) bool { return inspectUse(m, check) })
		return false
	case *ast.Field:
		ast.Inspect(x.Type, func(m ast.Node) bool { return inspectUse(m, check) })
		return false
	case *ast.FuncDecl:
		if x.Recv != nil {
			ast.Inspect(x.Recv, func(m ast.Node) bool { return inspectUse(m, check) })
		}
		ast.Inspect(x.Type, func(m ast.Node) bool { return inspectUse(m, check) })
		if x.Body != nil {
			ast.Inspect(x.Body, func(m ast.Node) bool { return inspectUse(m, check) })
		}
		return false
	case *ast.LabeledStmt:
		ast.Inspect(x.Stmt, func(m ast.Node) bool { return inspectUse(m, check) })
		return false
	case *ast.BranchStmt:
		return false
	case *ast.Ident:
		return check(x)
	}
	return true
}

var universe = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap clear close complex copy delete imag len make max min new panic print println real recover main _ p`) {
		universe[n] = true
	}
}

// undefinedLast returns the error for a last expression that is a bare name nothing declares:
// yaegi takes such a name for a type not yet declared and evaluates it to nothing.
func (s *Session) undefinedLast(code string, start int, e ast.Expr) error {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok || !s.isUnknown(id.Name) {
		return nil
	}
	line := strings.Count(code[:start], "\n") + 1
	col := utf8.RuneCountInString(code[strings.LastIndex(code[:start], "\n")+1:start]) + 1
	return &execError{Ename: "CompileError", Evalue: fmt.Sprintf("cell:%d:%d: undefined: %s", line, col, id.Name)}
}

// isUnknown reports whether nothing in the session declares name, including what earlier
// chunks of the running cell defined.
func (s *Session) isUnknown(name string) (unknown bool) {
	s.mu.Lock()
	u := s.unknown(name, nil)
	s.mu.Unlock()
	if !u {
		return false
	}
	defer func() {
		if recover() != nil {
			unknown = false // cannot tell: let yaegi decide
		}
	}()
	_, ok := s.interp.Globals()[name]
	return !ok
}

func (s *Session) unknown(name string, declared map[string]bool) bool {
	if declared[name] || universe[name] || strings.HasPrefix(name, "__") {
		return false
	}
	if _, ok := s.globals[name]; ok {
		return false
	}
	if _, ok := s.imports[name]; ok {
		return false
	}
	if _, ok := s.funcDocs[name]; ok {
		return false
	}
	return !s.cellTypes[name]
}
