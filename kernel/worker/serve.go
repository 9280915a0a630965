package worker

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync"
	"syscall"

	huntsession "github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/kernel/ipc"
)

// eventWriter writes events as JSON lines; it is safe for concurrent use.
type eventWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	err error
}

func (e *eventWriter) send(ev ipc.Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return
	}
	b = append(b, '\n')
	if _, err := e.w.Write(b); err != nil {
		e.err = err
		return
	}
	e.err = e.w.Flush()
}

// Serve answers the front's requests, read from r, with events written by the session's Emit
// (see NewEventWriter). Executes run one at a time in order, in their own goroutine, so that
// interrupt and input_reply are handled while a cell runs; complete, inspect and is_complete
// are answered at once. Serve returns after the shutdown reply, or when r ends.
func Serve(s *Session, r io.Reader, emit func(ipc.Event)) error {
	reply := func(id uint64, content any) {
		b, _ := json.Marshal(content)
		emit(ipc.Event{ID: id, Kind: ipc.EvReply, Content: b})
	}
	execs := make(chan ipc.Request, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for req := range execs {
			reply(req.ID, s.Execute(req))
		}
	}()
	defer func() {
		if execs != nil {
			close(execs) // the front closed the pipe: finish what was queued
			<-done
		}
	}()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for sc.Scan() {
		var req ipc.Request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			fmt.Fprintf(os.Stderr, "gohunt worker: bad request: %v\n", err)
			continue
		}
		switch req.Op {
		case ipc.OpExecute:
			execs <- req
		case ipc.OpComplete:
			reply(req.ID, safely(func() any { return s.Complete(req.Code, req.CursorPos) }))
		case ipc.OpInspect:
			reply(req.ID, safely(func() any { return s.Inspect(req.Code, req.CursorPos, req.DetailLevel) }))
		case ipc.OpIsComplete:
			reply(req.ID, safely(func() any { return s.IsComplete(req.Code) }))
		case ipc.OpInputReply:
			s.stdin.Reply(req.Value)
		case ipc.OpInterrupt:
			s.Interrupt()
		case ipc.OpShutdown:
			s.Interrupt()
			close(execs)
			<-done
			execs = nil
			reply(req.ID, ipc.ShutdownReply{Status: "ok"})
			return nil
		default:
			if req.ID != 0 {
				reply(req.ID, ipc.ErrorReply{Status: "error", Ename: "UnknownOp", Evalue: "unknown op " + req.Op, Traceback: []string{}})
			}
		}
	}
	return sc.Err()
}

// safely runs a request handler; a panic in it becomes an error reply instead of ending the
// worker and the session's state.
func safely(f func() any) (reply any) {
	defer func() {
		if r := recover(); r != nil {
			reply = ipc.ErrorReply{Status: "error", Ename: "InternalError", Evalue: fmt.Sprint(r), Traceback: []string{fmt.Sprint(r)}}
		}
	}()
	return f()
}

// Main runs the `gohunt worker` process: requests on fd 3, events on fd 4, the Go runtime's
// crash output on fd 5 (see kernel/ipc). It redirects its fd 1 into a pipe it drains, and gives
// cells (and compiled code, through os.Stderr) a drained stderr pipe, so that everything a cell
// prints reaches the front as ordered stream events; fd 2 becomes the crash pipe, so that a
// fatal error reaches the front whole; fd 0 becomes /dev/null (cells read input through
// input_request).
func Main() error {
	reqs, events, crash := os.NewFile(3, "requests"), os.NewFile(4, "events"), os.NewFile(5, "crash")
	for _, f := range []*os.File{reqs, events} {
		if _, err := f.Stat(); err != nil {
			return errors.New("gohunt worker is started by `gohunt kernel` with pipes on fds 3, 4 and 5")
		}
	}
	// Child processes (!cmd) must not inherit the ipc pipes: one still holding fd 4 would keep
	// the front from seeing the pipe close when the worker's own end is closed.
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	outR, err := redirect(1)
	if err != nil {
		return err
	}
	// Cells' stderr (os.Stderr in cells and in compiled code, log, child processes) goes to a
	// pipe drained like stdout. The process's fd 2 itself becomes the crash pipe: the Go
	// runtime writes a fatal error's first line ("fatal error: stack overflow") to fd 2 only,
	// before it starts copying to a SetCrashOutput file, so this is the way the front learns
	// the reason.
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	if _, err := crash.Stat(); err == nil {
		if err := syscall.Dup3(int(crash.Fd()), 2, 0); err != nil {
			return fmt.Errorf("redirecting fd 2 to the crash pipe: %w", err)
		}
		_ = crash.Close()
	} else if err := syscall.Dup3(int(errW.Fd()), 2, 0); err != nil {
		return fmt.Errorf("redirecting fd 2: %w", err)
	}
	fd2 = os.Stderr // keep it reachable: its finalizer would close fd 2
	os.Stderr = errW
	if null, err := os.Open(os.DevNull); err == nil {
		_ = syscall.Dup3(int(null.Fd()), 0, 0)
		_ = null.Close()
	}
	// yaegi reports some internal failures with log.Panic, which also prints; the error
	// reaches the cell anyway.
	log.SetOutput(io.Discard)

	w := &eventWriter{w: bufio.NewWriterSize(events, 64<<10)}
	s, err := New(Config{Stdout: os.Stdout, Stderr: errW, StdoutR: outR, StderrR: errR, Emit: w.send})
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT)
	go func() {
		for range sig {
			s.Interrupt()
		}
	}()
	// The session's DuckDB database and its spill files go with the worker. (A worker that is
	// killed leaves them; the next session start removes them.)
	defer func() { _ = huntsession.Close() }()
	return Serve(s, reqs, w.send)
}

// fd2 holds the process's original *os.File for fd 2 once os.Stderr is replaced.
var fd2 *os.File

// redirect points fd at the write end of a new pipe and returns the read end.
func redirect(fd int) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	if err := syscall.Dup3(int(w.Fd()), fd, 0); err != nil {
		return nil, fmt.Errorf("redirecting fd %d: %w", fd, err)
	}
	_ = w.Close()
	return r, nil
}
