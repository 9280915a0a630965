package worker

// What cells defined: types, funcs, generics, imports and variable types, learned from each chunk
// and used by rewrites, completion and inspection.

import (
	"context"
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"strconv"
	"strings"
	"sync"

	huntsession "github.com/gohunt/gohunt/hunt/session"
)

// decls is what the session's cells defined, learned from each chunk (learn, snapshot) and
// read by rewrites, completion, inspection and error explanation. Its lock guards every field.
type decls struct {
	mu        sync.Mutex
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

func newDecls() *decls {
	return &decls{cellTypes: map[string]bool{}, generics: map[string]bool{}, funcDocs: map[string]funcDoc{},
		globals: map[string]reflect.Type{}, imports: map[string]string{}, sites: callSites{},
		varTypes: map[string]string{}, results: map[string]string{},
		// yaegi runs a declared func main after every later Eval: a cell's main gets another name.
		renames: map[string]string{"main": "main" + typeMark}}
}

// funcDoc is the signature and doc comment of a cell-defined func or type.
type funcDoc struct{ sig, doc string }

// typeMark is appended to the name of a type redefined in a later cell: yaegi cannot replace a
// type, so the new definition is a new type, T then Tʹ (a letter: a valid identifier).
const typeMark = "ʹ"

// renameRedefinedTypes gives each type the cell defines again a new internal name, used from
// this cell on; undo restores the previous names (when the cell fails).
func (s *Session) renameRedefinedTypes(code string, chs []chunk) (undo func(), err error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
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
				if !ok || !s.d.cellTypes[ts.Name.Name] || ts.Name.Name == "main" {
					continue
				}
				name := ts.Name.Name
				if _, done := old[name]; done {
					continue
				}
				cur, ok := s.d.renames[name]
				old[name] = cur
				if !ok {
					cur = name
				}
				s.d.renames[name] = cur + typeMark
			}
		}
	}
	return func() {
		s.d.mu.Lock()
		defer s.d.mu.Unlock()
		for name, prev := range old {
			if prev == "" {
				delete(s.d.renames, name)
			} else {
				s.d.renames[name] = prev
			}
		}
	}, nil
}

// autoImport imports the standard library packages the chunk uses without importing them
// (fmt.Println works in a cell without import "fmt"), when the name is unambiguous.
func (s *Session) autoImport(ctx context.Context, p *parsedChunk) error {
	declared := map[string]bool{}
	var need []string
	s.d.mu.Lock()
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
	s.d.mu.Unlock()
	for _, path := range need {
		if _, err := s.eval(ctx, "import "+strconv.Quote(path)); err != nil {
			return &execError{Ename: "ImportError", Evalue: fmt.Sprintf("importing %s: %v", path, err)}
		}
		s.d.mu.Lock()
		s.d.imports[path[strings.LastIndex(path, "/")+1:]] = path
		s.d.mu.Unlock()
	}
	return nil
}

// autoPaths picks the package for names the standard library has more than once.
var autoPaths = map[string]string{"rand": "math/rand", "template": "text/template", "pprof": "runtime/pprof"}

// learn records what the chunk declares: types (their values may have methods reflect cannot
// see), generic funcs, and docs of funcs and types for inspection.
func (s *Session) learn(code string, p *parsedChunk) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	for _, d := range p.file.Decls {
		switch x := d.(type) {
		case *ast.GenDecl:
			for _, sp := range x.Specs {
				if ts, ok := sp.(*ast.TypeSpec); ok {
					s.d.cellTypes[ts.Name.Name] = true
					doc := x.Doc.Text()
					if ts.Doc != nil {
						doc = ts.Doc.Text()
					}
					s.d.funcDocs[ts.Name.Name] = funcDoc{sig: "type " + code[p.off(ts.Pos()):p.off(ts.End())], doc: doc}
				}
			}
		case *ast.FuncDecl:
			if x.Name.Name == "_" {
				continue // the statement wrapper
			}
			if x.Type.TypeParams != nil && len(x.Type.TypeParams.List) > 0 {
				s.d.generics[x.Name.Name] = true
			}
			end := x.Type.End()
			sig := code[p.off(x.Pos()):p.off(end)]
			name := x.Name.Name
			if x.Recv != nil && len(x.Recv.List) > 0 {
				name = recvName(x.Recv.List[0].Type) + "." + name
			}
			s.d.funcDocs[name] = funcDoc{sig: sig, doc: x.Doc.Text()}
			if x.Body != nil {
				s.d.sites.record(name, p, x.Body)
			}
		}
	}
	for _, d := range p.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Type.Results != nil && len(fd.Type.Results.List) > 0 {
			if tn := typeIdent(fd.Type.Results.List[0].Type); tn != "" && s.d.cellTypes[tn] {
				s.d.results[fd.Name.Name] = tn
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
							s.d.varTypes[id.Name] = tn
						} else {
							delete(s.d.varTypes, id.Name)
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
							if tn != "" && s.d.cellTypes[tn] {
								s.d.varTypes[id.Name] = tn
							} else {
								delete(s.d.varTypes, id.Name)
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
						s.d.cellTypes[ts.Name.Name] = true
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
		s.d.imports[name] = path
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
		if tn := typeIdent(x.Type); s.d.cellTypes[tn] {
			return tn
		}
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok {
			if s.d.cellTypes[id.Name] {
				return id.Name
			}
			return s.d.results[id.Name]
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
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if id, ok := e.(*ast.Ident); ok {
		return s.d.varTypes[id.Name]
	}
	return s.exprType(e)
}

// methodsOf returns the methods cells defined on the type typ.
func (s *Session) methodsOf(typ string) map[string]bool {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	ms := map[string]bool{}
	for k := range s.d.funcDocs {
		if m, ok := strings.CutPrefix(k, typ+"."); ok {
			ms[m] = true
		}
	}
	return ms
}

// imported reports whether the package path is imported under name already.
func (s *Session) imported(name, path string) bool {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	return s.d.imports[name] == path
}

// isIntGlobal reports whether a session variable holds an integer.
func (s *Session) isIntGlobal(name string) bool {
	s.d.mu.Lock()
	t, ok := s.d.globals[name]
	s.d.mu.Unlock()
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
	s.d.mu.Lock()
	s.d.globals = m
	s.d.columns = cols
	s.d.mu.Unlock()
}

// isUnknown reports whether nothing in the session declares name, including what earlier
// chunks of the running cell defined.
func (s *Session) isUnknown(name string) (unknown bool) {
	s.d.mu.Lock()
	u := s.unknown(name, nil)
	s.d.mu.Unlock()
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
	if _, ok := s.d.globals[name]; ok {
		return false
	}
	if _, ok := s.d.imports[name]; ok {
		return false
	}
	if _, ok := s.d.funcDocs[name]; ok {
		return false
	}
	return !s.d.cellTypes[name]
}
