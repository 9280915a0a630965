package worker

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"
)

// segKind classifies one top-level element of a cell.
type segKind int

const (
	segImport segKind = iota // import declaration
	segDecl                  // type, var, const or func declaration
	segStmt                  // statement
)

// segment is one top-level element of a cell: a declaration or a statement, as the byte range
// [start, end) of the cell's source.
type segment struct {
	kind       segKind
	start, end int
}

// chunk is a run of consecutive segments of one kind that yaegi can evaluate in one Eval.
type chunk struct {
	kind       segKind
	start, end int // byte range in the cell
	// lastExpr is set on a statement chunk made of the cell's final expression alone.
	lastExpr ast.Expr
}

// cellError is a syntax or compile error at a position of the cell.
type cellError struct {
	Line, Col int // 1-based; 0 when unknown
	Msg       string
}

// Error returns the message with its cell position, "cell:LINE:COL: msg".
func (e *cellError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("cell:%d:%d: %s", e.Line, e.Col, e.Msg)
}

// blank returns s with every byte but '\n' replaced by a space, so that source placed after it
// keeps its line and byte column.
func blank(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// positioned returns the cell's range [start, end) padded so that, after a first line holding
// head, each byte sits at its cell line + 1 and cell column. yaegi puts its own wrapper on that
// first line, so its positions are the cell's with the line shifted by one.
func positioned(head, cell string, start, end int) string {
	return head + "\n" + blank(cell[:start]) + cell[start:end]
}

// ctok is one scanned token of a cell.
type ctok struct {
	t        token.Token
	off, end int
}

// splitCell cuts the Go source in cell[start:end] into top-level segments: it scans tokens and
// ends a segment at every semicolon (written or implied by a newline) outside brackets.
func splitCell(cell string, start, end int) ([]segment, error) {
	padded := blank(cell[:start]) + cell[start:end]
	fset := token.NewFileSet()
	file := fset.AddFile("cell", -1, len(padded))
	var errs scanner.ErrorList
	var s scanner.Scanner
	s.Init(file, []byte(padded), func(pos token.Position, msg string) { errs.Add(pos, msg) }, scanner.ScanComments)
	var toks []ctok
	for {
		pos, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		off := file.Offset(pos)
		n := len(lit)
		if lit == "" {
			n = len(t.String())
		}
		if t == token.SEMICOLON {
			n = 0
			if lit == ";" {
				n = 1
			}
		}
		toks = append(toks, ctok{t: t, off: off, end: off + n})
	}
	if len(errs) > 0 {
		errs.Sort()
		e := errs[0]
		return nil, &cellError{Line: e.Pos.Line, Col: e.Pos.Column, Msg: e.Msg}
	}
	var segs []segment
	depth := 0
	first := -1
	doc := -1 // start of the comments before the segment: its doc comment
	flush := func(i int) {
		if first < 0 {
			return
		}
		var ts []ctok
		for _, t := range toks[first:i] {
			if t.t != token.COMMENT {
				ts = append(ts, t)
			}
		}
		last := i - 1
		for last > first && toks[last].t == token.COMMENT {
			last--
		}
		start := toks[first].off
		if doc >= 0 {
			start = doc
		}
		segs = append(segs, segment{start: start, end: toks[last].end, kind: classify(ts)})
		first, doc = -1, -1
	}
	for i, t := range toks {
		if t.t == token.COMMENT {
			if first < 0 && doc < 0 {
				doc = t.off
			}
			continue
		}
		switch t.t {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if depth > 0 {
				depth--
			}
		case token.SEMICOLON:
			if depth == 0 {
				flush(i)
				continue
			}
		}
		if first < 0 {
			first = i
		}
	}
	flush(len(toks))
	return segs, nil
}

// classify returns the kind of the segment whose tokens are ts.
func classify(ts []ctok) segKind {
	switch ts[0].t {
	case token.IMPORT:
		return segImport
	case token.TYPE, token.CONST:
		return segDecl
	case token.VAR:
		// yaegi's declarations do not see variables that statements defined (x := 1; var y = x
		// fails as a "definition loop"), while a var statement does, and is global too.
		return segStmt
	case token.FUNC:
		if len(ts) > 1 && ts[1].t == token.IDENT {
			return segDecl // func Name(
		}
		if len(ts) > 1 && ts[1].t == token.LPAREN {
			// A method declaration: func (r T) Name( ... ; a literal: func(x T) R { ... }(...).
			depth := 0
			for i := 1; i < len(ts); i++ {
				switch ts[i].t {
				case token.LPAREN, token.LBRACK, token.LBRACE:
					depth++
				case token.RPAREN, token.RBRACK, token.RBRACE:
					depth--
				}
				if depth == 0 {
					if i+2 < len(ts) && ts[i+1].t == token.IDENT && (ts[i+2].t == token.LPAREN || ts[i+2].t == token.LBRACK) {
						return segDecl
					}
					return segStmt
				}
			}
		}
	}
	return segStmt
}

// chunks groups segments into evaluation chunks in cell order: consecutive declarations
// together (so that they may refer to each other), consecutive statements together, each run
// of imports alone. If the cell ends with an expression statement, it becomes a chunk of its
// own with lastExpr set, for display.
func chunks(cell string, segs []segment) ([]chunk, error) {
	var out []chunk
	for _, s := range segs {
		if n := len(out); n > 0 && out[n-1].kind == s.kind {
			out[n-1].end = s.end
			continue
		}
		out = append(out, chunk{kind: s.kind, start: s.start, end: s.end})
	}
	if len(segs) == 0 {
		return out, nil
	}
	last := segs[len(segs)-1]
	if last.kind != segStmt {
		return out, nil
	}
	e, err := parseExprStmt(cell, last.start, last.end)
	if err != nil || e == nil {
		return out, nil // not an expression; syntax errors surface when the chunk is compiled
	}
	c := &out[len(out)-1]
	if c.start < last.start {
		c.end = prevEnd(segs)
		out = append(out, chunk{kind: segStmt, start: last.start, end: last.end})
		c = &out[len(out)-1]
	}
	c.lastExpr = e
	return out, nil
}

func prevEnd(segs []segment) int { return segs[len(segs)-2].end }

// parseExprStmt returns the expression if cell[start:end] is a single expression statement.
func parseExprStmt(cell string, start, end int) (ast.Expr, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", "package p;func _(){"+positioned("", cell, start, end)+"\n}", 0)
	if err != nil {
		return nil, err
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(body) != 1 {
		return nil, nil
	}
	if es, ok := body[0].(*ast.ExprStmt); ok {
		return es.X, nil
	}
	return nil, nil
}

// parseChunk parses a chunk for analysis: statements as the body of a func, declarations as a
// file. Positions in the result map to the cell by cellPos.
type parsedChunk struct {
	fset  *token.FileSet
	file  *ast.File
	stmts []ast.Stmt // for statement chunks
	head  int        // bytes before the cell's first byte in the parsed source
}

const (
	stmtHead = "package p;func _(){"
	declHead = "package p;"
)

func parseChunk(cell string, c chunk) (*parsedChunk, error) {
	head := declHead
	tail := ""
	if c.kind == segStmt {
		head, tail = stmtHead, "\n}"
	}
	fset := token.NewFileSet()
	src := positioned(head, cell, c.start, c.end) + tail
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
			return nil, &cellError{Line: el[0].Pos.Line - 1, Col: el[0].Pos.Column, Msg: el[0].Msg}
		}
		return nil, err
	}
	p := &parsedChunk{fset: fset, file: f, head: len(head) + 1}
	if c.kind == segStmt {
		p.stmts = f.Decls[0].(*ast.FuncDecl).Body.List
	}
	return p, nil
}

// off returns the cell byte offset of pos.
func (p *parsedChunk) off(pos token.Pos) int { return p.fset.Position(pos).Offset - p.head }

// lineOf returns the cell line of the byte offset off.
func lineOf(cell string, off int) int {
	if off > len(cell) {
		off = len(cell)
	}
	return strings.Count(cell[:off], "\n") + 1
}
