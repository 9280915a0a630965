package worker

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"reflect"
	"sort"
	"strings"

	"github.com/traefik/yaegi/stdlib"

	"github.com/gohunt/gohunt/kernel/ipc"
	"github.com/gohunt/gohunt/kernel/symbols"
)

var goKeywords = strings.Fields(`break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var`)

var builtins = strings.Fields(`any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap clear close complex copy delete imag len make max min new panic print println real recover`)

// Complete answers a complete_request. cursorPos is in code points; matches replace the text
// between cursor_start and cursor_end (also code points), and carry the qualifier typed before
// the dot (fmt.Pr => fmt.Print, fmt.Printf, ...), as IPython does.
func (s *Session) Complete(code string, cursorPos int) ipc.CompleteReply {
	rs := []rune(code)
	if cursorPos > len(rs) || cursorPos < 0 {
		cursorPos = len(rs)
	}
	if strings.HasPrefix(code, "%%sql") && (len(rs) == 5 || rs[5] == ' ' || rs[5] == '\n') {
		return completeSQL(catalog(), rs, cursorPos)
	}
	start := chainStart(rs, cursorPos)
	end := cursorPos
	for end < len(rs) && isIdentRune(rs[end]) {
		end++
	}
	if cols, qstart, ok := s.completeColumn(rs, cursorPos); ok {
		end := cursorPos // up to the closing quote, if the line has one
		for i := cursorPos; i < len(rs) && rs[i] != '\n'; i++ {
			if rs[i] == '"' {
				end = i
				break
			}
		}
		if cols == nil {
			cols = []string{}
		}
		return ipc.CompleteReply{Status: "ok", Matches: cols, CursorStart: qstart, CursorEnd: end, Metadata: map[string]any{}}
	}
	prefix := string(rs[start:cursorPos])
	var cands []string
	if i := strings.LastIndex(prefix, "."); i >= 0 {
		base, partial := prefix[:i], prefix[i+1:]
		members := s.members(base)
		if members == nil {
			members = s.chainMembers(base)
		}
		for _, m := range members {
			if strings.HasPrefix(m, partial) {
				cands = append(cands, base+"."+m)
			}
		}
	} else {
		for _, n := range s.topNames() {
			if strings.HasPrefix(n, prefix) {
				cands = append(cands, n)
			}
		}
	}
	sort.Strings(cands)
	cands = dedup(cands)
	if cands == nil {
		cands = []string{}
	}
	return ipc.CompleteReply{Status: "ok", Matches: cands, CursorStart: start, CursorEnd: end, Metadata: map[string]any{}}
}

// chainStart returns where the dotted expression ending at cursor starts: names, dots, and
// balanced (...) or [...] groups, so that hunt.Read(p).Where(c).Se completes as a chain.
func chainStart(rs []rune, cursor int) int {
	i := cursor
	for i > 0 {
		c := rs[i-1]
		switch {
		case isIdentRune(c) || c == '.':
			i--
		case (c == ')' || c == ']') && i-1 > 0 && i < len(rs)+1 && (i == cursor || rs[i] == '.'):
			open := map[rune]rune{')': '(', ']': '['}[c]
			depth, j := 0, i-1
			for ; j >= 0; j-- {
				if rs[j] == c {
					depth++
				} else if rs[j] == open {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j < 0 {
				return i
			}
			i = j
		default:
			return i
		}
	}
	return i
}

// chainMembers returns the members of the type of a call chain on compiled code
// (hunt.Read(p).Where(c)), found from the functions' and methods' signatures without
// evaluating anything.
func (s *Session) chainMembers(base string) []string {
	e, err := parser.ParseExpr(base)
	if err != nil {
		return nil
	}
	t := s.staticType(e)
	if t == nil {
		return nil
	}
	return s.typeMembers(t)
}

// staticType returns the reflect type of e when it follows from session variables and
// compiled signatures alone.
func (s *Session) staticType(e ast.Expr) reflect.Type {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return s.staticType(x.X)
	case *ast.Ident:
		s.d.mu.Lock()
		defer s.d.mu.Unlock()
		return s.d.globals[x.Name]
	case *ast.CallExpr:
		ft := s.staticType(x.Fun)
		if ft == nil || ft.Kind() != reflect.Func || ft.NumOut() == 0 {
			return nil
		}
		return ft.Out(0)
	case *ast.IndexExpr:
		t := s.staticType(x.X)
		if t == nil {
			return nil
		}
		switch t.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map:
			return t.Elem()
		}
		return nil
	case *ast.SelectorExpr:
		if pkg, ok := x.X.(*ast.Ident); ok {
			s.d.mu.Lock()
			_, isVar := s.d.globals[pkg.Name]
			s.d.mu.Unlock()
			if !isVar {
				path, ok := s.pkgPath(pkg.Name)
				if !ok {
					return nil
				}
				exp := stdlib.Symbols[path+"/"+pkg.Name]
				if exp == nil {
					exp = symbols.Symbols[path+"/"+pkg.Name]
				}
				v, ok := exp[x.Sel.Name]
				if !ok || !v.IsValid() {
					return nil
				}
				if v.Kind() == reflect.Func {
					return v.Type()
				}
				if v.Kind() == reflect.Pointer && !v.IsNil() {
					return v.Type().Elem() // a package variable
				}
				return nil
			}
		}
		t := s.staticType(x.X)
		if t == nil {
			return nil
		}
		for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
			if m, ok := tt.MethodByName(x.Sel.Name); ok {
				return m.Type
			}
		}
		st := t
		if st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		if st.Kind() == reflect.Struct {
			if f, ok := st.FieldByName(x.Sel.Name); ok {
				return f.Type
			}
		}
	}
	return nil
}

func dedup(ss []string) []string {
	out := ss[:0]
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// topNames returns the names usable without a qualifier.
func (s *Session) topNames() []string {
	names := append(append([]string{}, goKeywords...), builtins...)
	s.d.mu.Lock()
	for n := range s.d.globals {
		names = append(names, n)
	}
	for n := range s.d.funcDocs {
		if !strings.Contains(n, ".") {
			names = append(names, n)
		}
	}
	for n := range s.d.imports {
		if !strings.HasPrefix(n, "__") {
			names = append(names, n)
		}
	}
	s.d.mu.Unlock()
	for n := range stdPackages() {
		names = append(names, n)
	}
	return names
}

// members returns what may follow "base.": a package's exported names, or a variable's
// fields and methods.
func (s *Session) members(base string) []string {
	s.d.mu.Lock()
	t, isVar := s.d.globals[base]
	tn := s.d.varTypes[base]
	var methods []string
	if tn != "" {
		for k := range s.d.funcDocs {
			if m, ok := strings.CutPrefix(k, tn+"."); ok {
				methods = append(methods, m)
			}
		}
	}
	s.d.mu.Unlock()
	if isVar {
		return append(s.typeMembers(t), methods...)
	}
	if strings.Contains(base, ".") {
		return nil
	}
	path, ok := s.pkgPath(base)
	if !ok {
		return nil
	}
	var out []string
	exp := stdlib.Symbols[path+"/"+base]
	if exp == nil {
		exp = symbols.Symbols[path+"/"+base]
	}
	if exp == nil {
		exp = stdlib.Symbols[path+"/"+path[strings.LastIndex(path, "/")+1:]]
	}
	for n := range exp {
		if token.IsExported(n) {
			out = append(out, n)
		}
	}
	return out
}

// typeMembers lists the fields and methods of values of type t, compiled or cell-defined.
func (s *Session) typeMembers(t reflect.Type) []string {
	if t == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
		for i := 0; i < tt.NumMethod(); i++ {
			add(tt.Method(i).Name)
		}
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		for i := 0; i < st.NumField(); i++ {
			f := st.Field(i)
			switch {
			case st.PkgPath() != "":
				// A compiled type: only exported fields can be used from a cell.
				if f.IsExported() {
					add(f.Name)
				}
			case f.IsExported():
				// A cell-defined struct (reflect.StructOf): yaegi exports an unexported field
				// x as Xx; the cell writes x.
				if n := strings.TrimPrefix(f.Name, "X"); n != f.Name && n != "" && !token.IsExported(n) {
					add(n)
				} else {
					add(f.Name)
				}
			}
		}
	}
	return out
}

// columner is a value that knows its column names, such as a hunt frame.
type columner interface{ Columns() []string }

// Methods of a frame, and functions of package hunt, whose string arguments name columns.
var (
	columnMethods = map[string]bool{"Select": true, "Where": true, "GroupBy": true, "ValueCounts": true, "Drop": true,
		"Sort": true, "SortBy": true, "OrderBy": true, "Between": true, "Rename": true, "Distinct": true,
		"RareValues": true, "Histogram": true, "Timeline": true, "Column": true, "Strings": true, "ProcessTree": true}
	columnFuncs = map[string]bool{"Col": true, "CountDistinct": true, "Min": true, "Max": true, "Sum": true,
		"Avg": true, "First": true, "Last": true}
)

// completeColumn completes a column name inside a string argument, as in ev.Select("Ho or
// ev.Where(hunt.Col("Ev: the frame at hand is the session variable the enclosing call chain
// starts from. It returns ok false when the cursor is not in such a string.
func (s *Session) completeColumn(rs []rune, cursor int) (matches []string, start int, ok bool) {
	q := cursor
	for q > 0 && rs[q-1] != '"' && rs[q-1] != '\n' {
		q--
	}
	if q == 0 || rs[q-1] != '"' {
		return nil, 0, false
	}
	// The quote must open a string: an even number of quotes before it on the line.
	n := 0
	for i := q - 2; i >= 0 && rs[i] != '\n'; i-- {
		if rs[i] == '"' && (i == 0 || rs[i-1] != '\\') {
			n++
		}
	}
	if n%2 != 0 {
		return nil, 0, false
	}
	partial := string(rs[q:cursor])
	pos := q - 1
	for depth := 0; depth < 8; depth++ {
		open := enclosingParen(rs, pos)
		if open < 0 {
			return nil, 0, false
		}
		callee := string(rs[chainStart(rs, open):open])
		dot := strings.LastIndex(callee, ".")
		if dot < 0 {
			pos = open
			continue
		}
		recv, name := callee[:dot], callee[dot+1:]
		base := recv
		if i := strings.IndexAny(base, ".(["); i >= 0 {
			base = base[:i]
		}
		s.d.mu.Lock()
		c := s.d.columns[base]
		_, isPkg := s.d.imports[base]
		s.d.mu.Unlock()
		switch {
		case c != nil && columnMethods[name]:
			var out []string
			for _, col := range safeColumns(c) {
				if strings.HasPrefix(col, partial) {
					out = append(out, col)
				}
			}
			sort.Strings(out)
			return dedup(out), q, true
		case isPkg && recv == "hunt" && columnFuncs[name]:
			pos = chainStart(rs, open) // hunt.Col(...) names a column of the frame around it
		default:
			pos = open
		}
	}
	return nil, 0, false
}

// enclosingParen returns the index of the unclosed '(' before pos, or -1 (strings skipped).
func enclosingParen(rs []rune, pos int) int {
	depth := 0
	for i := pos - 1; i >= 0; i-- {
		switch rs[i] {
		case '"':
			for i--; i >= 0 && rs[i] != '"'; i-- {
			}
		case ')', ']':
			depth++
		case '(', '[':
			if depth == 0 {
				if rs[i] == '(' {
					return i
				}
				return -1
			}
			depth--
		case '\n', ';', '{', '}':
			if depth == 0 && rs[i] != '\n' {
				return -1
			}
		}
	}
	return -1
}

// safeColumns asks c for its columns; a panic counts as none.
func safeColumns(c columner) (cols []string) {
	defer func() {
		if recover() != nil {
			cols = nil
		}
	}()
	return c.Columns()
}

// IsComplete answers an is_complete_request: "complete", "incomplete" (with an indent for the
// next line) or "invalid".
func (s *Session) IsComplete(code string) ipc.IsCompleteReply {
	status, indent := isComplete(code)
	r := ipc.IsCompleteReply{Status: status}
	if status == "incomplete" {
		r.Indent = &indent
	}
	return r
}

func isComplete(code string) (string, string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	t := strings.TrimSpace(code)
	if strings.HasPrefix(t, "%%") {
		// A cell magic takes the lines after it: a blank line ends it.
		if strings.HasSuffix(code, "\n\n") {
			return "complete", ""
		}
		return "incomplete", ""
	}
	if _, ok := helpRequest(code); ok {
		return "complete", ""
	}
	// Blank the magic lines; judge the Go.
	var goSrc strings.Builder
	for _, p := range splitMagicLines(code) {
		if p.magic {
			goSrc.WriteString(blank(code[p.start:p.end]))
		} else {
			goSrc.WriteString(code[p.start:p.end])
		}
	}
	src := goSrc.String()
	// Unclosed brackets, strings or comments mean more is coming.
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var s scanner.Scanner
	var errs scanner.ErrorList
	s.Init(file, []byte(src), func(pos token.Position, msg string) { errs.Add(pos, msg) }, scanner.ScanComments)
	depth := 0
	var last token.Token
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if tok != token.SEMICOLON || lit == ";" {
			if tok != token.COMMENT {
				last = tok
			}
		}
	}
	for _, e := range errs {
		if strings.Contains(e.Msg, "not terminated") {
			return "incomplete", ""
		}
	}
	if len(errs) > 0 {
		return "invalid", ""
	}
	if depth < 0 {
		return "invalid", ""
	}
	if depth > 0 {
		return "incomplete", strings.Repeat("    ", depth)
	}
	switch last {
	case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.AND, token.OR, token.XOR,
		token.SHL, token.SHR, token.AND_NOT, token.LAND, token.LOR, token.EQL, token.NEQ, token.LSS,
		token.GTR, token.LEQ, token.GEQ, token.ASSIGN, token.DEFINE, token.COMMA, token.PERIOD,
		token.ADD_ASSIGN, token.SUB_ASSIGN, token.MUL_ASSIGN, token.QUO_ASSIGN, token.ARROW:
		return "incomplete", ""
	}
	// Balanced: it is complete if every chunk parses.
	segs, err := splitCell(src, 0, len(src))
	if err != nil {
		return "invalid", ""
	}
	chs, _ := chunks(src, segs)
	for _, c := range chs {
		if _, err := parseChunk(src, c); err != nil {
			return "invalid", ""
		}
	}
	return "complete", ""
}
