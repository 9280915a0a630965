package worker

import (
	"errors"
	"sync"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// errNoStdin is what a cell reading standard input gets when the frontend does not accept input.
var errNoStdin = errors.New("standard input is not available: this frontend does not accept input (allow_stdin is false)")

// stdinReader is the standard input of cells (os.Stdin, fmt.Scan, bufio on os.Stdin). A read
// with nothing buffered asks the frontend with an input_request event and waits for the
// input_reply (or an interrupt).
type stdinReader struct {
	s *Session

	mu      sync.Mutex
	allow   bool
	active  bool
	refused bool // a read failed because input is not allowed
	buf     []byte
	waiting chan string // non-nil while a request is outstanding
	cancel  chan struct{}
}

// start prepares input for a new cell.
func (r *stdinReader) start(allow bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.allow, r.active, r.buf, r.refused = allow, true, nil, false
	r.cancel = make(chan struct{})
}

// stop ends input for the cell: a pending read fails.
func (r *stdinReader) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active = false
	if r.cancel != nil {
		close(r.cancel)
		r.cancel = nil
	}
}

// wasRefused reports whether the cell tried to read input it was not allowed.
func (r *stdinReader) wasRefused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// interrupt fails a pending read.
func (r *stdinReader) interrupt() { r.stop() }

// Reply delivers the frontend's input_reply.
func (r *stdinReader) Reply(value string) {
	r.mu.Lock()
	ch := r.waiting
	r.waiting = nil
	r.mu.Unlock()
	if ch != nil {
		ch <- value
	}
}

// Read implements io.Reader.
func (r *stdinReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	if len(r.buf) > 0 {
		n := copy(p, r.buf)
		r.buf = r.buf[n:]
		r.mu.Unlock()
		return n, nil
	}
	if !r.active || !r.allow {
		r.refused = r.active
		r.mu.Unlock()
		return 0, errNoStdin
	}
	ch := make(chan string, 1)
	r.waiting = ch
	cancel := r.cancel
	r.mu.Unlock()

	r.s.syncOutput() // the prompt the cell printed comes first
	r.s.emit(ipc.EvInputRequest, map[string]any{"prompt": "", "password": false})
	select {
	case v := <-ch:
		r.mu.Lock()
		r.buf = append(r.buf, v+"\n"...)
		n := copy(p, r.buf)
		r.buf = r.buf[n:]
		r.mu.Unlock()
		return n, nil
	case <-cancel:
		return 0, errors.New("reading standard input: interrupted")
	case <-time.After(24 * time.Hour):
		return 0, errors.New("reading standard input: no reply")
	}
}
