package worker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestMain makes the test binary a `gohunt worker` process when GOHUNT_WORKER_TEST is set, so
// the process tests drive the real worker over the kernel/ipc pipes.
func TestMain(m *testing.M) {
	if os.Getenv("GOHUNT_WORKER_TEST") == "1" {
		if err := Main(); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// proc is a worker process with its ipc pipes.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	reqs   *os.File
	events chan ipc.Event
	stdout bytes.Buffer // the worker's original fds 1 and 2: nothing may arrive here
	mu     sync.Mutex
	crash  bytes.Buffer
	done   chan struct{}
	nextID uint64
}

func startProc(t *testing.T) *proc {
	t.Helper()
	reqR, reqW, _ := os.Pipe()
	evR, evW, _ := os.Pipe()
	crR, crW, _ := os.Pipe()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GOHUNT_WORKER_TEST=1")
	cmd.ExtraFiles = []*os.File{reqR, evW, crW}
	p := &proc{t: t, cmd: cmd, reqs: reqW, events: make(chan ipc.Event, 100000), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reqR.Close()
	evW.Close()
	crW.Close()
	go func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		io.Copy(&p.crash, crR)
	}()
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(evR)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var ev ipc.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("bad event %q: %v", sc.Text(), err)
				continue
			}
			p.events <- ev
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) send(req ipc.Request) {
	b, _ := json.Marshal(req)
	if _, err := p.reqs.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("sending %v: %v", req.Op, err)
	}
}

// call sends req and returns its events up to and including the reply.
func (p *proc) call(req ipc.Request, timeout time.Duration) *result {
	p.t.Helper()
	p.nextID++
	req.ID = p.nextID
	p.send(req)
	r := &result{}
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-p.events:
			if ev.ID != req.ID {
				continue
			}
			if ev.Kind == ipc.EvReply {
				_ = json.Unmarshal(ev.Content, &r.reply)
				return r
			}
			r.events = append(r.events, ev)
		case <-p.done:
			r.reply = map[string]any{"status": "died"}
			return r
		case <-deadline:
			p.t.Fatalf("no reply to %q within %v", req.Code, timeout)
		}
	}
}

func (p *proc) exec(code string) *result {
	p.t.Helper()
	return p.call(ipc.Request{Op: ipc.OpExecute, Code: code}, 30*time.Second)
}

func TestProcessExecuteAndTools(t *testing.T) {
	p := startProc(t)
	r := p.exec("x := 2\nfmt.Println(\"hi\")\nfmt.Fprintln(os.Stderr, \"to stderr\")\nprintln(\"builtin println\")\nx * 21").ok(t)
	if !strings.HasPrefix(r.stream("stdout"), "hi\n") || r.stream("stderr") != "to stderr\n" || !strings.Contains(r.stream("stdout")+r.stream("stderr"), "builtin println") || r.text() != "42" {
		t.Fatalf("stdout %q stderr %q result %q", r.stream("stdout"), r.stream("stderr"), r.text())
	}
	c := p.call(ipc.Request{Op: ipc.OpComplete, Code: "fmt.Sprin", CursorPos: 9}, 60*time.Second)
	if fmt.Sprint(c.reply["matches"]) != "[fmt.Sprint fmt.Sprintf fmt.Sprintln]" {
		t.Fatalf("complete: %v", c.reply)
	}
	in := p.call(ipc.Request{Op: ipc.OpInspect, Code: "strings.Split", CursorPos: 13}, 60*time.Second)
	if in.reply["found"] != true {
		t.Fatalf("inspect: %v", in.reply)
	}
	ic := p.call(ipc.Request{Op: ipc.OpIsComplete, Code: "for {"}, 60*time.Second)
	if ic.reply["status"] != "incomplete" {
		t.Fatalf("is_complete: %v", ic.reply)
	}
	sd := p.call(ipc.Request{Op: ipc.OpShutdown}, 60*time.Second)
	if sd.reply["status"] != "ok" {
		t.Fatalf("shutdown: %v", sd.reply)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not exit after shutdown")
	}
	if p.stdout.Len() != 0 {
		t.Fatalf("the worker wrote to its original stdout/stderr: %q", p.stdout.String())
	}
}

func TestProcessCCodeAndSubprocessOutput(t *testing.T) {
	p := startProc(t)
	// Writes straight to fd 1 (as C code would) and a child process's output are captured too.
	r := p.exec("f := os.NewFile(1, \"fd1\")\nf.Write([]byte(\"raw fd\\n\"))\n!echo child").ok(t)
	if r.stream("stdout") != "raw fd\nchild\n" {
		t.Fatalf("stdout %q", r.stream("stdout"))
	}
}

func TestProcessStackOverflowCrashOutput(t *testing.T) {
	p := startProc(t)
	p.exec("kept := 1").ok(t)
	r := p.call(ipc.Request{Op: ipc.OpExecute, Code: "func r(n int) int { return r(n+1) + 1 }\nr(0)"}, 60*time.Second)
	if r.reply["status"] != "died" {
		t.Fatalf("runaway recursion: %v", r.reply)
	}
	<-p.done
	p.mu.Lock()
	crash := p.crash.String()
	p.mu.Unlock()
	if !strings.Contains(crash, "fatal error: stack overflow") {
		t.Fatalf("crash output lacks the reason: %.500q (stdout/stderr %.300q)", crash, p.stdout.String())
	}
}

func TestProcessInterrupt(t *testing.T) {
	p := startProc(t)
	p.exec("n := 0").ok(t)
	for _, how := range []string{"op", "sigint"} {
		p.nextID++
		id := p.nextID
		p.send(ipc.Request{ID: id, Op: ipc.OpExecute, Code: "for { n++ }"})
		time.Sleep(300 * time.Millisecond)
		if how == "op" {
			p.send(ipc.Request{Op: ipc.OpInterrupt})
		} else {
			p.cmd.Process.Signal(syscall.SIGINT)
		}
		for {
			ev := <-p.events
			if ev.ID == id && ev.Kind == ipc.EvReply {
				var reply map[string]any
				json.Unmarshal(ev.Content, &reply)
				if reply["ename"] != "KeyboardInterrupt" {
					t.Fatalf("%s: reply %v", how, reply)
				}
				break
			}
		}
	}
	if r := p.exec("n > 0").ok(t); r.text() != "true" {
		t.Fatalf("n > 0: %q", r.text())
	}
}

func TestProcessStdin(t *testing.T) {
	p := startProc(t)
	p.nextID++
	id := p.nextID
	p.send(ipc.Request{ID: id, Op: ipc.OpExecute, AllowStdin: true, Code: "fmt.Print(\"age? \")\nvar age int\nfmt.Scan(&age)\nage + 1"})
	var text, prompt string
	for {
		ev := <-p.events
		if ev.Kind == ipc.EvStream {
			prompt += content(ev)["text"].(string)
		}
		if ev.Kind == ipc.EvInputRequest {
			if prompt != "age? " {
				t.Fatalf("prompt not sent before the input_request: %q", prompt)
			}
			p.send(ipc.Request{Op: ipc.OpInputReply, Value: "41"})
		}
		if ev.Kind == ipc.EvExecuteResult {
			text = content(ev)["data"].(map[string]any)["text/plain"].(string)
		}
		if ev.Kind == ipc.EvReply && ev.ID == id {
			break
		}
	}
	if text != "42" {
		t.Fatalf("result %q", text)
	}
}

func TestProcessLargeOutputInOrder(t *testing.T) {
	p := startProc(t)
	r := p.exec("for i := 0; i < 100000; i++ { fmt.Println(i) }").ok(t)
	out := r.stream("stdout")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 100000 || lines[0] != "0" || lines[99999] != "99999" {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if l != fmt.Sprint(i) {
			t.Fatalf("line %d = %q", i, l)
		}
	}
}

func TestProcessConcurrentMapWritesCrashOutput(t *testing.T) {
	p := startProc(t)
	r := p.call(ipc.Request{Op: ipc.OpExecute, Code: "m := map[int]int{}\nfor i := range 8 { go func() { for j := 0; ; j++ { m[j%100] = i } }() }\ntime.Sleep(20 * time.Second)"}, 60*time.Second)
	if r.reply["status"] != "died" {
		t.Fatalf("concurrent map writes: %v", r.reply)
	}
	<-p.done
	p.mu.Lock()
	crash := p.crash.String()
	p.mu.Unlock()
	if !strings.Contains(crash, "fatal error: concurrent map writes") {
		t.Fatalf("crash output lacks the reason: %.300q", crash)
	}
}

// Closing the worker's fd 1 itself (as C code or a finalizer of os.NewFile(1) could) does not
// silence later cells: the descriptor is reopened after the cell, which is told (issue 11 item 5).
func TestProcessCellClosesFd1(t *testing.T) {
	p := startProc(t)
	r := p.exec(`os.NewFile(1, "fd1").Close()`).ok(t)
	if note := r.stream("stderr"); !strings.Contains(note, "file descriptor 1") {
		t.Errorf("no note of the closed fd 1: %q", note)
	}
	r = p.exec("fmt.Println(\"after\")\n!echo child").ok(t)
	if out := r.stream("stdout"); out != "after\nchild\n" {
		t.Fatalf("output after fd 1 was closed: %q", out)
	}
}
