package kernel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestMain turns the test binary into a fake interpreter worker when GOHUNT_FAKE_WORKER is
// set, so the front's dispatch, supervision and restart logic is tested without yaegi.
func TestMain(m *testing.M) {
	if os.Getenv("GOHUNT_FAKE_WORKER") == "1" {
		fakeWorker()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeWorker speaks the ipc contract on fds 3, 4 and 5. Cell code is a command:
//
//	print N      N lines "line i" on stdout, then ok
//	mixed        stdout, stderr, stdout lines, then ok
//	result X     execute_result text/plain X
//	error        an error output and an error reply
//	crash        writes a Go fatal error to fd 5 and exits 2
//	loop         runs until interrupted, then a KeyboardInterrupt error
//	hang         ignores interrupts forever
//	input        asks for input and prints the answer
//	orphan       replies ok, then prints "late" from the background
//	bgcrash      replies ok, then crashes from the background
//	closefd      closes its event pipe (fd 4) and runs on, as a cell closing fd 4 would
func fakeWorker() {
	reqs := bufio.NewScanner(os.NewFile(3, "requests"))
	reqs.Buffer(make([]byte, 1<<20), 1<<26)
	events := os.NewFile(4, "events")
	crash := os.NewFile(5, "crash")
	var mu sync.Mutex
	emit := func(id uint64, kind string, content any) {
		b, _ := json.Marshal(content)
		line, _ := json.Marshal(ipc.Event{ID: id, Kind: kind, Content: b})
		mu.Lock()
		events.Write(append(line, '\n'))
		mu.Unlock()
	}
	interrupts := make(chan struct{}, 16)
	inputs := make(chan string, 1)
	work := make(chan ipc.Request, 16)
	go func() {
		for r := range work {
			runFake(r, emit, interrupts, inputs, crash)
		}
	}()
	for reqs.Scan() {
		var r ipc.Request
		json.Unmarshal(reqs.Bytes(), &r)
		switch r.Op {
		case ipc.OpInterrupt:
			interrupts <- struct{}{}
		case ipc.OpInputReply:
			inputs <- r.Value
		case ipc.OpShutdown:
			return
		case ipc.OpComplete:
			emit(r.ID, ipc.EvReply, map[string]any{"status": "ok", "matches": []string{"Println", "Printf"}, "cursor_start": r.CursorPos - 2, "cursor_end": r.CursorPos, "metadata": map[string]any{}})
		case ipc.OpIsComplete:
			st := "complete"
			if strings.HasSuffix(r.Code, "{") {
				st = "incomplete"
			}
			emit(r.ID, ipc.EvReply, map[string]any{"status": st})
		default:
			work <- r
		}
	}
}

func runFake(r ipc.Request, emit func(uint64, string, any), interrupts chan struct{}, inputs chan string, crash *os.File) {
	for len(interrupts) > 0 {
		<-interrupts
	}
	ok := map[string]any{"status": "ok"}
	cmd, arg, _ := strings.Cut(r.Code, " ")
	switch cmd {
	case "print":
		var n int
		fmt.Sscan(arg, &n)
		for i := 0; i < n; i++ {
			emit(r.ID, ipc.EvStream, map[string]any{"name": "stdout", "text": fmt.Sprintf("line %d\n", i)})
		}
	case "mixed":
		emit(r.ID, ipc.EvStream, map[string]any{"name": "stdout", "text": "a\n"})
		emit(r.ID, ipc.EvStream, map[string]any{"name": "stderr", "text": "b\n"})
		emit(r.ID, ipc.EvStream, map[string]any{"name": "stdout", "text": "c\n"})
	case "result":
		emit(r.ID, ipc.EvExecuteResult, map[string]any{"data": map[string]any{"text/plain": arg}, "metadata": map[string]any{}})
	case "error":
		time.Sleep(100 * time.Millisecond)
		e := map[string]any{"ename": "panic", "evalue": "boom", "traceback": []string{"panic: boom"}}
		emit(r.ID, ipc.EvError, e)
		e["status"] = "error"
		emit(r.ID, ipc.EvReply, e)
		return
	case "crash":
		crash.WriteString("runtime: goroutine stack exceeds 1000000000-byte limit\nfatal error: stack overflow\n\ngoroutine 1 [running]:\n")
		os.Exit(2)
	case "loop":
		<-interrupts
		e := map[string]any{"ename": "KeyboardInterrupt", "evalue": "interrupted", "traceback": []string{}}
		emit(r.ID, ipc.EvError, e)
		e["status"] = "error"
		emit(r.ID, ipc.EvReply, e)
		return
	case "bgcrash":
		go func() {
			time.Sleep(100 * time.Millisecond)
			crash.WriteString("fatal error: concurrent map writes\n")
			os.Exit(2)
		}()
	case "hang":
		select {}
	case "closefd":
		os.NewFile(4, "events").Close()
		select {}
	case "input":
		emit(r.ID, ipc.EvInputRequest, map[string]any{"prompt": "name? ", "password": false})
		v := <-inputs
		emit(r.ID, ipc.EvStream, map[string]any{"name": "stdout", "text": "got " + v + "\n"})
	case "orphan":
		go func() {
			time.Sleep(50 * time.Millisecond)
			emit(r.ID, ipc.EvStream, map[string]any{"name": "stdout", "text": "late\n"})
		}()
	}
	emit(r.ID, ipc.EvReply, ok)
}
