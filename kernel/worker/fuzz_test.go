package worker

import (
	"os"
	"sync"
	"testing"

	"github.com/gohunt/gohunt/kernel/ipc"
)

var (
	fuzzOnce    sync.Once
	fuzzSession *Session
)

// sessionForFuzz is one session shared by the fuzz inputs (completion and inspection only read it).
func sessionForFuzz(t *testing.T) *Session {
	fuzzOnce.Do(func() {
		outR, outW, _ := os.Pipe()
		errR, errW, _ := os.Pipe()
		s, err := New(Config{Stdout: outW, Stderr: errW, StdoutR: outR, StderrR: errR, Emit: func(ipc.Event) {}})
		if err != nil {
			t.Fatal(err)
		}
		s.Execute(ipc.Request{ID: 1, Op: ipc.OpExecute, Code: "type T struct{ A int }\nfunc (T) M() {}\nv := T{}\nvar sb strings.Builder"})
		fuzzSession = s
	})
	return fuzzSession
}

// FuzzCellTools runs the cell splitter, the rewrites, is_complete, completion and inspection
// positions on arbitrary text: none may panic, and a split must cover the text in order.
func FuzzCellTools(f *testing.F) {
	for _, seed := range []string{
		"x := 1\nfunc f() {}\nf()",
		"for i := range 3 { go func() { println(i) }() }",
		"import (\n\"fmt\"\n)\ntype T struct{}\nfunc (T) M() {}\nT{}",
		"outer:\nfor i := range n { for j := range 3 { continue outer } }",
		"go f(a, 1, b...)",
		"s := `unterminated",
		"%%sql -o x\nselect 1",
		"%%sql\nSELECT `@t, e. FROM a x, `b` JOIN c ON x.y = 'it''s' -- from",
		"%env A=1\n!ls\nx?",
		"func(){ defer func(){ recover() }() }()",
		"é := \"ü\"; é",
		"switch v := x.(type) { case int: _ = v }",
		"/* c */ // d\nfunc /* e */ f() {}",
		"{{{",
		")))",
	} {
		f.Add(seed, 3)
	}
	f.Fuzz(func(t *testing.T, code string, cursor int) {
		isComplete(code)
		nameAt(code, cursor)
		callAt(code, cursor)
		s := sessionForFuzz(t)
		s.Complete(code, cursor)
		s.Inspect(code, cursor, 0)
		segs, err := splitCell(code, 0, len(code))
		if err != nil {
			return
		}
		prev := 0
		for _, s := range segs {
			if s.start < prev || s.end < s.start || s.end > len(code) {
				t.Fatalf("segment [%d,%d) after %d in %q", s.start, s.end, prev, code)
			}
			prev = s.end
		}
		chs, err := chunks(code, segs)
		if err != nil {
			return
		}
		for _, c := range chs {
			p, err := parseChunk(code, c)
			if err != nil {
				continue
			}
			_, _ = rewriteChunk(code, c, p, rewriteEnv{
				intVar:   func(string) bool { return true },
				renames:  map[string]string{"T": "Tʹ"},
				imported: func(string, string) bool { return true },
			})
		}
	})
}
