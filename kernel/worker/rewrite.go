package worker

import (
	"fmt"
	"go/ast"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// The rewrites below make Go as users write it today run on yaegi v0.16.1. Each one is applied
// only where it provably keeps Go's meaning; elsewhere the interpreter's error is explained.
//
//   - range over an int (Go 1.22): `for i := range n {` becomes a counting loop over a hidden
//     counter, with i declared per iteration. Applied when n is an integer by its syntax (an
//     integer literal or constant expression, len/cap, an integer conversion) or a variable
//     the cell or session declares as an integer.
//   - per-iteration loop variables (Go 1.22): when a closure, go or defer statement in a loop
//     body refers to a variable the loop declares, the body starts with `v := v`. For a
//     three-clause loop this is done only when the body never assigns the variable nor takes
//     its address (then the copy would diverge from the loop variable).
//   - go statements: the call runs in a closure whose deferred recover reports a panic as the
//     cell's error instead of killing the process. The function value and arguments are
//     evaluated first, as `go` does; constant arguments stay in place (so they keep their
//     untyped-constant meaning).
//   - a defer at the top level of a cell is refused: yaegi would run it after every later cell.

// edit replaces text[start:end] of the cell with text.
type edit struct {
	start, end int
	text       string
}

// rewriter collects edits for one parsed chunk.
type rewriter struct {
	cell   string
	p      *parsedChunk
	intVar func(name string) bool // session globals known to be integers
	edits  []edit
	n      int // counter for hidden names
	// nonInt and isInt record local declarations seen in the chunk.
	isInt, nonInt map[string]bool
	errs          []*cellError
	// top holds the statements at the top level of a statement chunk: yaegi evaluates them in
	// the global scope, where a block's shadowing declaration (v := v) misbehaves, so a
	// rewritten loop there runs inside func() { ... }().
	top   map[ast.Stmt]bool
	wraps []edit
	env   rewriteEnv
}

// wrapTop runs the top-level statement st inside a func literal (see top).
func (rw *rewriter) wrapTop(st ast.Stmt, outer ast.Node) {
	if !rw.top[st] {
		return
	}
	if outer == nil {
		outer = st
	}
	rw.wraps = append(rw.wraps, edit{start: rw.off(outer.Pos()), end: rw.off(outer.End())})
}

// rewriteChunk returns the rewritten cell text of chunk c (still at the cell's offsets: the
// returned text replaces cell[c.start:c.end]).
// rewriteEnv is what rewrites know of the session.
type rewriteEnv struct {
	cellType func(e ast.Expr) string          // the cell-defined type of e, if known
	methods  func(typ string) map[string]bool // methods of a cell-defined type
	intVar   func(name string) bool           // a session variable holds an integer
	renames  map[string]string                // redefined types (and main): internal names
	imported func(name, path string) bool     // the package is already imported under name
}

func rewriteChunk(cell string, c chunk, p *parsedChunk, env rewriteEnv) (string, error) {
	intVar, renames := env.intVar, env.renames
	rw := &rewriter{cell: cell, p: p, intVar: intVar, isInt: map[string]bool{}, nonInt: map[string]bool{}, env: env}
	if c.kind == segImport && env.imported != nil {
		rw.dropKnownImports(env.imported)
	}
	if len(renames) > 0 {
		// Redefined types (and main, see New): every reference uses the internal name.
		for _, d := range p.file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				if to, ok := renames[fd.Name.Name]; ok {
					at := rw.off(fd.Name.Pos())
					rw.edits = append(rw.edits, edit{at, at + len(fd.Name.Name), to})
				}
			}
			ast.Inspect(d, func(n ast.Node) bool {
				return inspectUse(n, func(m ast.Node) bool {
					if id, ok := m.(*ast.Ident); ok {
						if to, ok := renames[id.Name]; ok {
							at := rw.off(id.Pos())
							rw.edits = append(rw.edits, edit{at, at + len(id.Name), to})
						}
					}
					return true
				})
			})
		}
	}
	rw.collectLocals()
	rw.top = map[ast.Stmt]bool{}
	for _, st := range p.stmts {
		rw.top[st] = true
		if l, ok := st.(*ast.LabeledStmt); ok {
			rw.top[l.Stmt] = true
		}
	}
	if c.kind == segStmt {
		for _, st := range p.stmts {
			if d, ok := st.(*ast.DeferStmt); ok {
				rw.errorf(d.Pos(), "defer at the top level of a cell is not supported (the interpreter would run it after every later cell): put it inside a func")
			}
		}
	}
	ast.Inspect(p.file, rw.visit)
	sort.SliceStable(rw.wraps, func(i, j int) bool { return rw.wraps[i].start < rw.wraps[j].start })
	for _, w := range rw.wraps {
		rw.edits = append(rw.edits, edit{w.start, w.start, "func() {"})
	}
	for _, w := range rw.wraps {
		rw.edits = append(rw.edits, edit{w.end, w.end, "}()"})
	}
	if len(rw.errs) > 0 {
		return "", rw.errs[0]
	}
	return applyEdits(cell, c.start, c.end, rw.edits), nil
}

// dropKnownImports blanks imports the session already has: yaegi refuses to import a package
// twice ("fmt/_.go redeclared"), which a cell run again, or importing what was auto-imported,
// would otherwise do.
func (rw *rewriter) dropKnownImports(imported func(name, path string) bool) {
	known := func(is *ast.ImportSpec) bool {
		path, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			return false
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if is.Name != nil {
			name = is.Name.Name
		}
		return imported(name, path)
	}
	blankNode := func(n ast.Node) {
		start, end := rw.off(n.Pos()), rw.off(n.End())
		rw.edits = append(rw.edits, edit{start, end, blank(rw.cell[start:end])})
	}
	for _, d := range rw.p.file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		all := true
		for _, sp := range gd.Specs {
			all = all && known(sp.(*ast.ImportSpec))
		}
		if all {
			blankNode(gd)
			continue
		}
		for _, sp := range gd.Specs {
			if known(sp.(*ast.ImportSpec)) {
				blankNode(sp)
			}
		}
	}
}

func (rw *rewriter) errorf(pos token.Pos, format string, args ...any) {
	ps := rw.p.fset.Position(pos)
	rw.errs = append(rw.errs, &cellError{Line: ps.Line - 1, Col: ps.Column, Msg: fmt.Sprintf(format, args...)})
}

func (rw *rewriter) off(pos token.Pos) int { return rw.p.off(pos) }

func (rw *rewriter) text(n ast.Node) string { return rw.cell[rw.off(n.Pos()):rw.off(n.End())] }

// take returns the text of n with the edits made inside it applied, and removes those edits.
func (rw *rewriter) take(n ast.Node) string {
	start, end := rw.off(n.Pos()), rw.off(n.End())
	var inside []edit
	kept := rw.edits[:0]
	for _, e := range rw.edits {
		if e.start >= start && e.end <= end {
			inside = append(inside, e)
		} else {
			kept = append(kept, e)
		}
	}
	rw.edits = kept
	return applyEdits(rw.cell, start, end, inside)
}

func (rw *rewriter) hidden(base string) string {
	rw.n++
	return fmt.Sprintf("__%s%d", base, rw.n)
}

// collectLocals records names declared in the chunk as integers or as something else.
func (rw *rewriter) collectLocals() {
	mark := func(name string, isInt bool) {
		if isInt {
			rw.isInt[name] = true
		} else {
			rw.nonInt[name] = true
		}
	}
	ast.Inspect(rw.p.file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE && len(x.Lhs) == len(x.Rhs) {
				for i, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						mark(id.Name, rw.intExpr(x.Rhs[i]))
					}
				}
			}
		case *ast.ValueSpec:
			for i, id := range x.Names {
				switch {
				case x.Type != nil:
					mark(id.Name, isIntType(x.Type))
				case i < len(x.Values):
					mark(id.Name, rw.intExpr(x.Values[i]))
				}
			}
		case *ast.Field:
			for _, id := range x.Names {
				mark(id.Name, isIntType(x.Type))
			}
		case *ast.RangeStmt:
			if id, ok := x.Key.(*ast.Ident); ok {
				mark(id.Name, false)
			}
		}
		return true
	})
}

var intTypes = map[string]bool{"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true, "byte": true, "rune": true}

func isIntType(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && intTypes[id.Name]
}

// intExpr reports whether e is an integer by its syntax or by what the cell and session
// declare.
func (rw *rewriter) intExpr(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return x.Kind == token.INT || x.Kind == token.CHAR
	case *ast.ParenExpr:
		return rw.intExpr(x.X)
	case *ast.UnaryExpr:
		return (x.Op == token.SUB || x.Op == token.ADD || x.Op == token.XOR) && rw.intExpr(x.X)
	case *ast.BinaryExpr:
		switch x.Op {
		case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.AND, token.OR, token.XOR, token.AND_NOT:
			return rw.intExpr(x.X) && rw.intExpr(x.Y)
		case token.SHL, token.SHR:
			return rw.intExpr(x.X)
		}
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok {
			return id.Name == "len" || id.Name == "cap" || intTypes[id.Name]
		}
	case *ast.Ident:
		if rw.nonInt[x.Name] {
			return false
		}
		return rw.isInt[x.Name] || (rw.intVar != nil && rw.intVar(x.Name))
	}
	return false
}

func (rw *rewriter) visit(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.LabeledStmt:
		if r, ok := x.Stmt.(*ast.RangeStmt); ok && rw.rangeInt(r, x) {
			ast.Inspect(r.Body, rw.visit)
			return false
		}
	case *ast.RangeStmt:
		if rw.rangeInt(x, nil) {
			ast.Inspect(x.Body, rw.visit)
			return false
		}
		if x.Tok == token.DEFINE && rw.loopVars(x.Body, x.Key, x.Value) {
			rw.wrapTop(x, nil)
		}
	case *ast.ForStmt:
		if as, ok := x.Init.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			// Only when the body neither assigns nor takes the address of a loop variable.
			safe := true
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && assigns(x.Body, id.Name) {
					safe = false
				}
			}
			if safe && rw.loopVars(x.Body, as.Lhs...) {
				rw.wrapTop(x, nil)
			}
		}
	case *ast.CallExpr:
		if rw.displayCall(x) {
			return false
		}
	case *ast.TypeSwitchStmt:
		// yaegi fails internally on a binding type switch (switch v := x.(type)) in its global
		// scope; inside a func it works.
		if _, binds := x.Assign.(*ast.AssignStmt); binds {
			rw.wrapTop(x, nil)
		}
	case *ast.GoStmt:
		// Rewrite inside the call first, then the statement around it.
		ast.Inspect(x.Call, rw.visit)
		rw.goStmt(x)
		return false
	}
	return true
}

// rangeInt rewrites `for k := range n {` when n is an integer; label is the statement's label.
func (rw *rewriter) rangeInt(r *ast.RangeStmt, label *ast.LabeledStmt) bool {
	if r.Value != nil || !rw.intExpr(r.X) || (r.Key != nil && r.Tok != token.DEFINE) {
		return false
	}
	start := rw.off(r.Pos())
	if label != nil {
		start = rw.off(label.Pos())
		rw.wrapTop(label, label)
	} else {
		rw.wrapTop(r, r)
	}
	lbrace := rw.off(r.Body.Lbrace)
	k := rw.hidden("k")
	var b strings.Builder
	lit, isLit := r.X.(*ast.BasicLit)
	lim := ""
	if isLit {
		lim = lit.Value
		b.WriteString("{")
	} else {
		lim = rw.hidden("n")
		fmt.Fprintf(&b, "{%s := %s; ", lim, rw.text(r.X))
	}
	if label != nil {
		b.WriteString(label.Label.Name + ": ")
	}
	fmt.Fprintf(&b, "for %s := %s - %s; %s < %s; %s++ {", k, lim, lim, k, lim, k)
	if id, ok := r.Key.(*ast.Ident); ok && id.Name != "_" {
		fmt.Fprintf(&b, " %s := %s; _ = %s;", id.Name, k, id.Name)
	}
	b.WriteString(newlines(rw.cell[start : lbrace+1]))
	rw.edits = append(rw.edits, edit{start, lbrace + 1, b.String()})
	end := rw.off(r.Body.Rbrace) + 1
	rw.edits = append(rw.edits, edit{end, end, "}"})
	return true
}

// displayCall rewrites display.Show(v), display.ShowID(id, v) and display.Update(id, v) when v
// is of a cell-defined type: compiled code cannot see its methods, so the bundle is built here,
// in the interpreter, from the methods the type has.
func (rw *rewriter) displayCall(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || rw.env.cellType == nil {
		return false
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "display" {
		return false
	}
	target := map[string]string{"Show": "Data", "ShowID": "DataID", "Update": "UpdateData"}[sel.Sel.Name]
	want := 1
	if sel.Sel.Name != "Show" {
		want = 2
	}
	if target == "" || len(call.Args) != want || call.Ellipsis.IsValid() {
		return false
	}
	val := call.Args[want-1]
	typ := rw.env.cellType(val)
	if id, ok := val.(*ast.Ident); ok && typ == "" {
		// A variable the chunk itself defines: x := T{...}.
		ast.Inspect(rw.p.file, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok && as.Tok == token.DEFINE && len(as.Lhs) == len(as.Rhs) {
				for i, l := range as.Lhs {
					if lid, ok := l.(*ast.Ident); ok && lid.Name == id.Name && as.Pos() < call.Pos() {
						typ = rw.env.cellType(as.Rhs[i])
					}
				}
			}
			return true
		})
	}
	if typ == "" {
		return false
	}
	ms := rw.env.methods(typ)
	var b strings.Builder
	b.WriteString("display." + target + "(")
	if want == 2 {
		b.WriteString(rw.take(call.Args[0]) + ", ")
	}
	b.WriteString("func() map[string]any { __v := (" + rw.take(val) + "); __m := map[string]any{}; ")
	if ms["Err"] {
		b.WriteString(`if __e := __v.Err(); __e != nil { return map[string]any{"text/plain": "error: " + __e.Error()} }; `)
	}
	if ms["MIMEBundle"] {
		b.WriteString("for __k, __x := range __v.MIMEBundle() { __m[__k] = __x }; ")
	}
	for _, c := range capabilities {
		if ms[c.method] {
			fmt.Fprintf(&b, "__m[%q] = __v.%s(); ", c.mime, c.method)
		}
	}
	switch {
	case ms["String"]:
		b.WriteString(`__m["text/plain"] = __v.String(); `)
	case ms["Error"]:
		b.WriteString(`__m["text/plain"] = __v.Error(); `)
	default:
		b.WriteString(`__m["text/plain"] = __gohunt.Sprint(__v); `)
	}
	b.WriteString("return __m }())")
	start, end := rw.off(call.Pos()), rw.off(call.End())
	b.WriteString(newlines(rw.cell[start:end]))
	rw.edits = append(rw.edits, edit{start, end, b.String()})
	return true
}

// loopVars gives the loop variables among vars a per-iteration copy when a closure, go or defer
// statement in body refers to one of them.
func (rw *rewriter) loopVars(body *ast.BlockStmt, vars ...ast.Expr) bool {
	var names []string
	for _, v := range vars {
		if id, ok := v.(*ast.Ident); ok && id.Name != "_" && captured(body, id.Name) {
			names = append(names, id.Name)
		}
	}
	if len(names) == 0 {
		return false
	}
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, " %s := %s;", n, n)
	}
	at := rw.off(body.Lbrace) + 1
	rw.edits = append(rw.edits, edit{at, at, b.String()})
	return true
}

// captured reports whether a func literal, go or defer statement, or address-of in body
// refers to name.
func captured(body ast.Node, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found {
			return false
		}
		switch x := n.(type) {
		case *ast.FuncLit:
			found = uses(x, name)
		case *ast.GoStmt:
			found = uses(x, name)
		case *ast.DeferStmt:
			found = uses(x, name)
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				found = uses(x.X, name)
			}
		}
		return !found
	})
	return found
}

func uses(n ast.Node, name string) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name {
			found = true
		}
		if sel, ok := n.(*ast.SelectorExpr); ok {
			ast.Inspect(sel.X, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok && id.Name == name {
					found = true
				}
				return !found
			})
			return false
		}
		return !found
	})
	return found
}

// assigns reports whether n assigns to name or takes its address.
func assigns(n ast.Node, name string) bool {
	if n == nil {
		return false
	}
	found := false
	is := func(e ast.Expr) bool {
		id, ok := e.(*ast.Ident)
		return ok && id.Name == name
	}
	ast.Inspect(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if x.Tok != token.DEFINE {
				for _, l := range x.Lhs {
					found = found || is(l)
				}
			}
		case *ast.IncDecStmt:
			found = found || is(x.X)
		case *ast.UnaryExpr:
			found = found || (x.Op == token.AND && is(x.X))
		}
		return !found
	})
	return found
}

// goStmt makes a goroutine's panic an error of the cell instead of a fatal crash.
func (rw *rewriter) goStmt(g *ast.GoStmt) {
	const rec = "defer func() { if r := recover(); r != nil { __gohunt.GoPanic(r) } }(); "
	call := g.Call
	if fl, ok := call.Fun.(*ast.FuncLit); ok {
		at := rw.off(fl.Body.Lbrace) + 1
		rw.edits = append(rw.edits, edit{at, at, " " + rec})
		return
	}
	// go f(a, b) => {__f, __a := f, a; go func() { defer ...; __f(__a, b) }()}
	// Only the go keyword, the parentheses and commas change; f and the arguments keep their
	// place, so that rewrites inside them still apply.
	var names, vals, args []string
	fun := rw.take(call.Fun)
	if !simpleCallee(call.Fun) {
		n := rw.hidden("f")
		names, vals = append(names, n), append(vals, fun)
		fun = n
	}
	for _, a := range call.Args {
		if constExpr(a) {
			args = append(args, rw.take(a))
			continue
		}
		n := rw.hidden("a")
		names, vals = append(names, n), append(vals, rw.take(a))
		args = append(args, n)
	}
	ell := ""
	if call.Ellipsis.IsValid() {
		ell = "..."
	}
	start, end := rw.off(g.Pos()), rw.off(g.End())
	var b strings.Builder
	b.WriteString("{")
	if len(names) > 0 {
		fmt.Fprintf(&b, "%s := %s; ", strings.Join(names, ", "), strings.Join(vals, ", "))
	}
	fmt.Fprintf(&b, "go func() { %s%s(%s%s) }()}", rec, fun, strings.Join(args, ", "), ell)
	b.WriteString(newlines(rw.cell[start:end]))
	rw.edits = append(rw.edits, edit{start, end, b.String()})
}

// simpleCallee reports whether evaluating f later gives the same function: a name, possibly
// instantiated. Anything else (a method value, pkg.F, a call) is evaluated at the go statement.
func simpleCallee(f ast.Expr) bool {
	switch x := f.(type) {
	case *ast.Ident:
		return true
	case *ast.IndexExpr:
		return simpleCallee(x.X)
	}
	return false
}

// constExpr reports whether e is a constant by its syntax, so it may be evaluated late.
func constExpr(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return x.Name == "nil" || x.Name == "true" || x.Name == "false"
	case *ast.ParenExpr:
		return constExpr(x.X)
	case *ast.UnaryExpr:
		return x.Op != token.AND && x.Op != token.ARROW && constExpr(x.X)
	case *ast.BinaryExpr:
		return constExpr(x.X) && constExpr(x.Y)
	}
	return false
}

func newlines(s string) string { return strings.Repeat("\n", strings.Count(s, "\n")) }

// applyEdits applies non-overlapping edits (later ones win over the text they cover) to
// cell[start:end] and returns the result.
func applyEdits(cell string, start, end int, edits []edit) string {
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start < edits[j].start
		}
		return edits[i].end < edits[j].end
	})
	var b strings.Builder
	pos := start
	for _, e := range edits {
		if e.start < pos {
			continue // overlaps an earlier edit
		}
		b.WriteString(cell[pos:e.start])
		b.WriteString(e.text)
		pos = e.end
	}
	b.WriteString(cell[pos:end])
	return b.String()
}
