package worker

import (
	"fmt"
	"go/ast"
	"regexp"
	"strings"
)

// yaegi v0.16.1 prints each interpreted frame of a panic at the first statement of its function
// (a shadowed variable in its runCfg loses the node that was running), so every frame of a
// recursive function shows the same line. The session knows where each function calls which
// other function and where it panics, and puts the true line on a frame when it is unique.

// site is one call or panic in a function's body, at a cell line and column.
type site struct{ line, col int }

// callSites maps a function ("rec", or "T.Norm" for a method, "" for a chunk's top level) to the
// sites in its body of each called name ("panic" for panic calls; a method call by its name).
type callSites map[string]map[string][]site

// record adds the calls of body, a function's or a chunk's statements, under fn.
func (cs callSites) record(fn string, p *parsedChunk, body ast.Node) {
	m := map[string][]site{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			return false // its frames are named after the literal, not fn
		case *ast.CallExpr:
			name := ""
			switch f := x.Fun.(type) {
			case *ast.Ident:
				name = f.Name
			case *ast.SelectorExpr:
				name = f.Sel.Name
			}
			if name != "" {
				pos := p.fset.Position(x.Pos())
				m[name] = append(m[name], site{pos.Line - 1, pos.Column})
			}
		}
		return true
	})
	cs[fn] = m
}

var frameRE = regexp.MustCompile(`^cell:(\d+):(\d+): in (.*)\(\.\.\.\)$`)

// frameFunc returns the function a traceback frame is in: "rec" for "main.rec", "" for the top
// level ("main"), and ok false for frames it cannot name (func literals, other packages).
func frameFunc(name string) (string, bool) {
	if name == "main" {
		return "", true
	}
	fn, ok := strings.CutPrefix(name, "main.")
	if !ok || strings.Contains(fn, ".func") {
		return "", false
	}
	return fn, true
}

// fixFrames puts the true cell line on each frame of trace (innermost first) whose function's
// call of the next inner function, or whose panic when it is the innermost, is at one place.
// sites holds the session's functions; top is the running chunk's top level.
func fixFrames(trace []string, sites callSites, top map[string][]site, explicitPanic bool) []string {
	out := append([]string(nil), trace...)
	type frame struct {
		fn string
		ok bool
	}
	frames := make([]frame, len(trace))
	for i, t := range trace {
		if m := frameRE.FindStringSubmatch(t); m != nil {
			fn, ok := frameFunc(m[3])
			frames[i] = frame{fn, ok}
		}
	}
	for i, t := range trace {
		m := frameRE.FindStringSubmatch(t)
		if m == nil || !frames[i].ok {
			continue
		}
		calls := top
		if fn := frames[i].fn; fn != "" {
			calls = sites[fn]
			if calls == nil {
				calls = methodSites(sites, fn)
			}
		}
		var target string
		switch {
		case i == 0 && explicitPanic:
			target = "panic"
		case i > 0 && frames[i-1].ok && frames[i-1].fn != "":
			target = frames[i-1].fn
			if j := strings.LastIndex(target, "."); j >= 0 {
				target = target[j+1:] // a method is called by its name
			}
		default:
			continue
		}
		if ss := calls[target]; len(ss) == 1 {
			out[i] = fmt.Sprintf("cell:%d:%d: in %s(...)", ss[0].line, ss[0].col, m[3])
		}
	}
	return out
}

// methodSites returns the sites of the one method named name (yaegi names a method's frame
// without its type), or nil when no or several types have it.
func methodSites(sites callSites, name string) map[string][]site {
	var found map[string][]site
	n := 0
	for k, v := range sites {
		if strings.HasSuffix(k, "."+name) {
			found, n = v, n+1
		}
	}
	if n != 1 {
		return nil
	}
	return found
}
