package kernel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// crashOutputLimit caps how much of the worker's fd-5 crash output the front keeps.
const crashOutputLimit = 64 << 10

// eventPipeGrace is how long a worker may run on after its event pipe closed before the front
// ends it. A worker that exits closes the pipe as it exits, so this only delays the report of a
// worker whose pipe was closed from inside (a cell closing fd 4).
const eventPipeGrace = 2 * time.Second

// pipeClosedReason is the death reason of a worker ended because its event pipe closed.
const pipeClosedReason = "the interpreter's event pipe (fd 4) was closed while the process kept running (did a cell close fd 4?), so no reply could reach the kernel and the process was ended"

// workerProc is one running `gohunt worker` process and the pipes of the ipc contract.
type workerProc struct {
	cmd  *exec.Cmd
	log  *log.Logger
	reqs *os.File // fd 3 of the worker: Requests, one JSON object per line

	wmu sync.Mutex // serializes writes to reqs

	mu      sync.Mutex
	pending map[uint64]chan ipc.Event // open requests, by ID
	orphan  func(ipc.Event)           // receives Events whose request is gone
	killMsg string                    // why the front killed the worker, if it did
	// reported is set (under Kernel.mu) once the user has been told of this worker's death.
	reported bool
	// pipeClosed is set when the front ended a worker whose event pipe (fd 4) had closed.
	pipeClosed bool

	crash  bytes.Buffer  // fd 5: the Go runtime's crash output
	done   chan struct{} // closed when the process has exited and all pipes are drained
	exit   error         // cmd.Wait's result, valid after done
	nextID uint64
}

// startWorker starts the worker process cmd with the ipc pipes on fds 3, 4 and 5. Events whose
// request is no longer open (output of goroutines that outlive their cell) go to orphan.
func startWorker(cmd *exec.Cmd, logger *log.Logger, orphan func(ipc.Event)) (*workerProc, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("worker request pipe: %w", err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("worker event pipe: %w", err)
	}
	crR, crW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		evR.Close()
		evW.Close()
		return nil, fmt.Errorf("worker crash pipe: %w", err)
	}
	cmd.ExtraFiles = []*os.File{reqR, evW, crW}
	if cmd.Stdout == nil {
		cmd.Stdout = os.Stderr
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	// Own process group: a Ctrl-C in a terminal reaches the front, which forwards it as an
	// interrupt; Pdeathsig ends the worker if the front dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	reqR.Close()
	evW.Close()
	crW.Close()
	if err != nil {
		reqW.Close()
		evR.Close()
		crR.Close()
		return nil, fmt.Errorf("starting worker %s: %w", cmd.Path, err)
	}
	w := &workerProc{cmd: cmd, log: logger, reqs: reqW, pending: map[uint64]chan ipc.Event{}, orphan: orphan, done: make(chan struct{})}
	crashDone := make(chan struct{})
	go func() {
		defer close(crashDone)
		io.Copy(&limitedBuffer{b: &w.crash, n: crashOutputLimit, mu: &w.mu}, crR)
		crR.Close()
	}()
	go func() {
		w.readEvents(evR)
		evR.Close()
		// The event pipe ends when the worker exits. If it ended while the process runs on (a
		// cell closed fd 4), no reply can ever come: end the worker so the cell fails and a
		// fresh one starts, instead of waiting forever.
		exited := make(chan struct{})
		go func() {
			select {
			case <-exited:
			case <-time.After(eventPipeGrace):
				w.mu.Lock()
				w.pipeClosed = true
				w.mu.Unlock()
				w.log.Printf("worker: its event pipe closed but the process kept running: killing it")
				if cmd.Process != nil {
					cmd.Process.Kill()
				}
			}
		}()
		w.exit = cmd.Wait()
		close(exited)
		<-crashDone
		w.reqs.Close()
		w.mu.Lock()
		for id, ch := range w.pending {
			close(ch) // closed without a reply: the worker died
			delete(w.pending, id)
		}
		w.mu.Unlock()
		close(w.done)
	}()
	return w, nil
}

// readEvents routes each Event from fd 4 to its request until the pipe closes.
func (w *workerProc) readEvents(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var ev ipc.Event
			if jerr := json.Unmarshal(line, &ev); jerr != nil {
				w.log.Printf("worker: bad event line (%v): %.200q", jerr, line)
			} else {
				w.route(ev)
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				w.log.Printf("worker: reading events: %v", err)
			}
			return
		}
	}
}

func (w *workerProc) route(ev ipc.Event) {
	w.mu.Lock()
	ch, ok := w.pending[ev.ID]
	if ok && ev.Kind == ipc.EvReply {
		delete(w.pending, ev.ID)
	}
	w.mu.Unlock()
	if !ok {
		if w.orphan != nil {
			w.orphan(ev)
		}
		return
	}
	ch <- ev
	if ev.Kind == ipc.EvReply {
		close(ch)
	}
}

// call sends req with a fresh ID and returns the channel of its Events. The channel ends with
// the reply Event; it is closed without one if the worker dies first.
func (w *workerProc) call(req ipc.Request) (<-chan ipc.Event, error) {
	ch := make(chan ipc.Event, 64)
	w.mu.Lock()
	select {
	case <-w.done:
		w.mu.Unlock()
		return nil, errWorkerGone
	default:
	}
	w.nextID++
	req.ID = w.nextID
	w.pending[req.ID] = ch
	w.mu.Unlock()
	if err := w.send(req); err != nil {
		w.mu.Lock()
		delete(w.pending, req.ID)
		w.mu.Unlock()
		return nil, err
	}
	return ch, nil
}

var errWorkerGone = errors.New("the interpreter process is not running")

// send writes one Request line to the worker.
func (w *workerProc) send(req ipc.Request) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if _, err := w.reqs.Write(b); err != nil {
		return fmt.Errorf("sending %s to the worker: %w", req.Op, err)
	}
	return nil
}

// alive reports whether the process is still running.
func (w *workerProc) alive() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// kill ends the worker, recording why (reason is shown to the user).
func (w *workerProc) kill(reason string) {
	w.mu.Lock()
	if w.killMsg == "" {
		w.killMsg = reason
	}
	w.mu.Unlock()
	if w.cmd.Process != nil {
		w.cmd.Process.Kill()
	}
}

// stop asks the worker to shut down and kills it if it has not exited within timeout.
func (w *workerProc) stop(timeout time.Duration) {
	if !w.alive() {
		return
	}
	w.send(ipc.Request{ID: 0, Op: ipc.OpShutdown})
	w.wmu.Lock()
	w.reqs.Close() // EOF on fd 3 also tells the worker to exit
	w.wmu.Unlock()
	select {
	case <-w.done:
	case <-time.After(timeout):
		w.kill("the kernel is shutting down")
		<-w.done
	}
}

// deathReason waits for the process to be gone and describes why it ended: the front's own
// reason if it killed the worker, else the runtime's crash output and the exit status.
func (w *workerProc) deathReason() (summary string, detail []string) {
	<-w.done
	w.mu.Lock()
	killMsg := w.killMsg
	pipeClosed := w.pipeClosed
	crash := w.crash.String()
	w.mu.Unlock()
	if killMsg != "" {
		return killMsg, nil
	}
	status := "exited"
	if w.exit != nil {
		status = w.exit.Error()
	}
	crash = strings.TrimSpace(crash)
	if crash == "" {
		if pipeClosed {
			return pipeClosedReason, nil
		}
		if strings.Contains(status, "signal: killed") {
			status += ", from outside the kernel: often the system's out-of-memory killer"
		}
		return fmt.Sprintf("the interpreter process ended unexpectedly (%s)", status), nil
	}
	lines := strings.Split(crash, "\n")
	head := crashHeadline(crash, lines)
	const maxDetail = 15
	if len(lines) > maxDetail {
		lines = append(lines[:maxDetail:maxDetail], fmt.Sprintf("... (%d more lines of crash output)", len(lines)-maxDetail))
	}
	return fmt.Sprintf("the interpreter process crashed: %s (%s)", strings.TrimSpace(head), status), lines
}

// limitedBuffer keeps the first n bytes written to it and discards the rest.
type limitedBuffer struct {
	b  *bytes.Buffer
	n  int
	mu *sync.Mutex
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.n - l.b.Len(); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		l.b.Write(p[:room])
	}
	return len(p), nil
}

// crashHeadline names a Go runtime crash. The runtime prints the "fatal error: ..." line before
// it switches to the crash output file, so when that line is missing the cause is read from
// the stack trace.
func crashHeadline(crash string, lines []string) string {
	for _, prefix := range []string{"fatal error:", "panic:"} {
		if i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) }); i >= 0 {
			return strings.TrimSpace(lines[i])
		}
	}
	switch {
	case strings.Contains(crash, "runtime.newstack"):
		return "fatal error: stack overflow (runaway recursion: the goroutine stack exceeded its 1 GB limit)"
	case strings.Contains(crash, "out of memory"):
		return "fatal error: out of memory"
	case strings.Contains(crash, "runtime.fatal") && (strings.Contains(crash, "runtime.map") || strings.Contains(crash, "internal/runtime/maps.")):
		return "fatal error: concurrent map access (a map was written by one goroutine while another used it)"
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return "unknown crash"
}
