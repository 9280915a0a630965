package worker

// Error explanation: a cell's failure as Jupyter shows it, with cell positions, panic frames and
// the limits of yaegi named.

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gohunt/gohunt/third_party/yaegi/interp"
)

// logFatal is the panic value of log.Fatal in a cell.
type logFatal string

// execError is a cell's failure as Jupyter shows it.
type execError struct {
	Ename, Evalue string
	Traceback     []string
}

// Error returns "ename: evalue".
func (e *execError) Error() string { return e.Ename + ": " + e.Evalue }

func debugStack() []byte { return debug.Stack() }

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
			if line, form := topLevelCommaOk(p); line > 0 && strings.Contains(msg, "nil type") {
				return &execError{Ename: "InterpreterError", Evalue: fmt.Sprintf("cell:%d: yaegi v0.16.1 cannot define two values from %s at the top level of a cell: do it inside a func (func() { v, ok := ...; ... }()), or take the value alone (v := m[k])", line, form)}
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
		s.d.mu.Lock()
		trace = fixFrames(trace, s.d.sites, top[""], ename == "panic")
		s.d.mu.Unlock()
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
	for g := range s.d.generics {
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
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
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
// topLevelCommaOk returns the cell line of the first top-level two-value definition from a
// map index, a type assertion or a receive in p (which yaegi v0.16.1 fails with "nil type"),
// and what it defines from; 0 if there is none.
func topLevelCommaOk(p *parsedChunk) (int, string) {
	if p == nil {
		return 0, ""
	}
	for _, st := range p.stmts {
		a, ok := st.(*ast.AssignStmt)
		if !ok || a.Tok != token.DEFINE || len(a.Lhs) != 2 || len(a.Rhs) != 1 {
			continue
		}
		form := ""
		switch r := a.Rhs[0].(type) {
		case *ast.IndexExpr:
			form = "a map index"
		case *ast.TypeAssertExpr:
			form = "a type assertion"
		case *ast.UnaryExpr:
			if r.Op == token.ARROW {
				form = "a receive"
			}
		}
		if form != "" {
			return p.fset.Position(a.Pos()).Line - 1, form
		}
	}
	return 0, ""
}

func (s *Session) topLevelGenericAssign(p *parsedChunk) string {
	if p == nil {
		return ""
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
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
		if id, ok := f.(*ast.Ident); ok && (s.d.generics[id.Name] || id.Name == "min" || id.Name == "max") {
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
