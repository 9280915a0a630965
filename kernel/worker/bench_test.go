package worker

import (
	"testing"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// BenchmarkExecute measures one cell through the session, without the ipc pipes.
func BenchmarkExecute(b *testing.B) {
	t := &testing.T{}
	s := newTestSession(t)
	s.t = t
	for _, code := range []string{"1+1", "x := 3", "fmt.Println(1)", "strings.ToUpper(\"a\")"} {
		b.Run(code, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s.Execute(ipc.Request{ID: 1, Op: ipc.OpExecute, Code: code})
			}
		})
	}
}
