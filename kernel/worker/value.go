package worker

// Showing values: the cell's last expression, its MIME bundle by capability, user_expressions, and
// values that carry an error.

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/gohunt/gohunt/third_party/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/gohunt/gohunt/internal/redact"
	"github.com/gohunt/gohunt/kernel/display"
	"github.com/gohunt/gohunt/kernel/symbols"
)

// maxResultText caps the text/plain form of a shown value (a huge slice printed by fmt).
const maxResultText = 1 << 20

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

// isType reports whether e names a type, making a call of it a conversion.
func (s *Session) isType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return s.isType(x.X)
	case *ast.Ident:
		s.d.mu.Lock()
		defer s.d.mu.Unlock()
		return s.d.cellTypes[x.Name] || builtinTypes[x.Name]
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
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	return len(s.d.cellTypes) > 0
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
