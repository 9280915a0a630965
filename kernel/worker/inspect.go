package worker

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/traefik/yaegi/stdlib"

	"github.com/gohunt/gohunt/kernel/ipc"
	"github.com/gohunt/gohunt/kernel/symbols"
	"github.com/gohunt/gohunt/kernel/symbols/docgen"
)

var (
	preDocsOnce sync.Once
	preDocs     map[string]symbols.Doc

	stdPkgsOnce sync.Once
	stdPkgs     map[string][]string // package name -> import paths in the yaegi stdlib

	stdDocMu sync.Mutex
	stdDocs  = map[string]map[string]symbols.Doc{} // import path -> name -> doc
)

func preloadedDocs() map[string]symbols.Doc {
	preDocsOnce.Do(func() { preDocs = symbols.Docs() })
	return preDocs
}

// stdPackages indexes the standard library packages the interpreter can import by name.
func stdPackages() map[string][]string {
	stdPkgsOnce.Do(func() {
		stdPkgs = map[string][]string{}
		for key := range stdlib.Symbols {
			i := strings.LastIndex(key, "/")
			if i < 0 {
				continue
			}
			stdPkgs[key[i+1:]] = append(stdPkgs[key[i+1:]], key[:i])
		}
		for _, v := range stdPkgs {
			sort.Slice(v, func(i, j int) bool { return len(v[i]) < len(v[j]) || len(v[i]) == len(v[j]) && v[i] < v[j] })
		}
	})
	return stdPkgs
}

// pkgPath returns the import path the name refers to in the session: an import of a cell,
// a preloaded package, or else the standard library package of that name.
func (s *Session) pkgPath(name string) (string, bool) {
	s.d.mu.Lock()
	p, ok := s.d.imports[name]
	s.d.mu.Unlock()
	if ok {
		return p, true
	}
	if ps := stdPackages()[name]; len(ps) > 0 {
		return ps[0], true
	}
	return "", false
}

// goroot finds the Go installation whose sources document the standard library.
func goroot() string {
	if r := os.Getenv("GOROOT"); r != "" {
		return r
	}
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return runtime.GOROOT() //nolint:staticcheck // last resort
}

var gorootOnce = sync.OnceValue(goroot)

// stdDoc returns the documentation of name (Name or Type.Method) in the standard library
// package path, read from GOROOT's sources.
func stdDoc(path, name string) (symbols.Doc, bool) {
	stdDocMu.Lock()
	defer stdDocMu.Unlock()
	m, ok := stdDocs[path]
	if !ok {
		m = map[string]symbols.Doc{}
		stdDocs[path] = m
		dir := filepath.Join(gorootOnce(), "src", filepath.FromSlash(path))
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
			n := fi.Name()
			return !strings.HasSuffix(n, "_test.go")
		}, parser.ParseComments)
		if err == nil {
			var files []*ast.File
			base := filepath.Base(dir)
			for pn, p := range pkgs {
				if pn == base || len(pkgs) == 1 || pn == strings.TrimSuffix(base, "_test") {
					for _, f := range p.Files {
						files = append(files, f)
					}
				}
			}
			var mode []any
			if path == "builtin" {
				mode = append(mode, doc.AllDecls) // its names are lower case
			}
			if dp, err := doc.NewFromFiles(fset, files, path, mode...); err == nil {
				for k, d := range docgen.Index(fset, dp, path == "builtin") {
					m[k] = symbols.Doc(d)
				}
			}
		}
	}
	d, ok := m[name]
	return d, ok
}

// docOf returns the documentation of a dotted name as the session sees it: a cell-defined func
// or type, a session variable (its type, then the method or field), a preloaded package's
// name, or a standard library name.
func (s *Session) docOf(name, _ string) (string, bool) {
	format := func(d symbols.Doc) string {
		if d.Doc == "" {
			return d.Signature
		}
		return d.Signature + "\n\n" + strings.TrimRight(d.Doc, "\n")
	}
	s.d.mu.Lock()
	fd, isFunc := s.d.funcDocs[name]
	s.d.mu.Unlock()
	if isFunc {
		return format(symbols.Doc{Signature: fd.sig, Doc: fd.doc}), true
	}
	head, rest, dotted := strings.Cut(name, ".")
	// A variable: show its type, or document its method.
	s.d.mu.Lock()
	t, isVar := s.d.globals[head]
	tn := s.d.varTypes[head]
	s.d.mu.Unlock()
	if isVar && tn != "" {
		if !dotted {
			return head + " " + tn, true
		}
		if d, ok := s.docOf(tn+"."+rest, ""); ok {
			return d, true
		}
	}
	if isVar && t != nil {
		if !dotted {
			return head + " " + t.String(), true
		}
		tn := typeName(t)
		if d, ok := s.docOf(tn+"."+rest, ""); ok {
			return d, true
		}
		if m, ok := t.MethodByName(rest); ok {
			return tn + "." + rest + " " + m.Type.String(), true
		}
		return "", false
	}
	if !dotted && universe[head] {
		if d, ok := stdDoc("builtin", head); ok {
			return format(d), true
		}
	}
	if path, ok := s.pkgPath(head); ok {
		if d, ok := preloadedDocs()[name]; ok {
			return format(d), true
		}
		if !dotted {
			if d, ok := preloadedDocs()[head]; ok {
				return format(d), true
			}
		}
		if d, ok := stdDoc(path, rest); ok {
			return format(d), true
		}
		// No Go sources here: the symbol's type is still known.
		if v, ok := stdlib.Symbols[path+"/"+head][rest]; ok && v.IsValid() {
			switch {
			case v.Kind() == reflect.Func:
				return name + " " + v.Type().String(), true
			case v.Kind() == reflect.Pointer && v.IsNil():
				return "type " + name + " " + v.Type().Elem().Kind().String(), true
			default:
				return "var " + name + " " + v.Type().String(), true
			}
		}
	}
	return "", false
}

// typeName returns "pkg.Type" for a compiled named type (through one pointer).
func typeName(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return t.String()
	}
	p := t.PkgPath()
	return p[strings.LastIndex(p, "/")+1:] + "." + t.Name()
}

// Inspect answers an inspect_request: the documentation of the name at cursorPos (in code
// points).
func (s *Session) Inspect(code string, cursorPos, detail int) ipc.InspectReply {
	reply := ipc.InspectReply{Status: "ok", Data: map[string]any{}, Metadata: map[string]any{}}
	text, ok := "", false
	for _, name := range []string{nameAt(code, cursorPos), s.chainAt(code, cursorPos), callAt(code, cursorPos)} {
		if name != "" {
			if text, ok = s.docOf(name, ""); ok {
				break
			}
		}
	}
	if !ok {
		return reply
	}
	reply.Found = true
	reply.Data = map[string]any{"text/plain": text}
	return reply
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// nameAt returns the dotted name under or before the cursor.
func nameAt(code string, cursor int) string {
	rs := []rune(code)
	if cursor > len(rs) {
		cursor = len(rs)
	}
	if cursor < 0 {
		cursor = 0
	}
	word := func(at int) string {
		i, j := at, at
		for i > 0 && (isIdentRune(rs[i-1]) || rs[i-1] == '.') {
			i--
		}
		for j < len(rs) && isIdentRune(rs[j]) {
			j++
		}
		return strings.Trim(string(rs[i:j]), ".")
	}
	return word(cursor)
}

// chainAt returns "pkg.Type.Method" for the method of a call chain under the cursor
// (hunt.Read(p).Where), typed from signatures.
func (s *Session) chainAt(code string, cursor int) string {
	rs := []rune(code)
	if cursor > len(rs) || cursor < 0 {
		cursor = len(rs)
	}
	end := cursor
	for end < len(rs) && isIdentRune(rs[end]) {
		end++
	}
	start := chainStart(rs, end)
	text := string(rs[start:end])
	i := strings.LastIndex(text, ".")
	if i <= 0 || !strings.ContainsAny(text[:i], "([") {
		return ""
	}
	e, err := parser.ParseExpr(text[:i])
	if err != nil {
		return ""
	}
	t := s.staticType(e)
	if t == nil {
		return ""
	}
	return typeName(t) + "." + text[i+1:]
}

// callAt returns the name of the call whose parentheses hold the cursor.
func callAt(code string, cursor int) string {
	rs := []rune(code)
	if cursor > len(rs) {
		cursor = len(rs)
	}
	word := func(at int) string {
		i := at
		for i > 0 && (isIdentRune(rs[i-1]) || rs[i-1] == '.') {
			i--
		}
		return strings.Trim(string(rs[i:at]), ".")
	}
	depth := 0
	for i := cursor - 1; i >= 0; i-- {
		switch rs[i] {
		case ')':
			depth++
		case '(':
			if depth == 0 {
				return word(i)
			}
			depth--
		case '\n':
			if depth == 0 {
				return ""
			}
		}
	}
	return ""
}
