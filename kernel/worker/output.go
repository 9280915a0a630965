package worker

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Output limits.
const (
	// flushInterval is how often printed output is forwarded while a cell runs.
	flushInterval = 20 * time.Millisecond
	// flushSize forwards printed output at once when this much is pending.
	flushSize = 64 << 10
	// DefaultOutputLimit is how many bytes of printed output one cell forwards per stream;
	// the rest is drained and counted, so a runaway print never blocks or exhausts memory.
	DefaultOutputLimit = 4 << 20
	// DefaultDisplayLimit is the largest rich output (display_data, update_display_data or
	// execute_result bundle, all its MIME types together) forwarded whole; a larger one is
	// replaced by a text/plain note saying so.
	DefaultDisplayLimit = 10 << 20
)

// The worker is the one owner of output limits: the front forwards what the worker sends.

// capBundle returns data, or, when its size is over limit, a bundle holding only a note that
// names the MIME types and size that were not shown (and capped true).
func capBundle(data map[string]any, limit int) (_ map[string]any, capped bool) {
	size := 0
	for _, v := range data {
		size += bundleValueSize(v)
	}
	if size <= limit {
		return data, false
	}
	mimes := make([]string, 0, len(data))
	for k := range data {
		mimes = append(mimes, k)
	}
	sort.Strings(mimes)
	note := fmt.Sprintf("[gohunt: this output (%s) is %s, over the %s limit for one display output, so it was not shown. "+
		"Show less (a frame shows its first rows: hunt.SetDisplayRows), or write it to a file.]",
		strings.Join(mimes, ", "), byteSize(size), byteSize(limit))
	return map[string]any{"text/plain": note}, true
}

// bundleValueSize is about how many bytes v takes in the JSON of a display message.
func bundleValueSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return base64.StdEncoding.EncodedLen(len(x))
	case nil:
		return 4
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

// fenceMark starts a fence written into a stream's pipe; "\x00\x1bGHF" + number + "\x00".
const fenceMark = "\x00\x1bGHF"

// stream drains one pipe (the worker's fd 1 or 2, or a test pipe) and forwards what it reads as
// "stream" events, in order, coalesced over flushInterval. A fence (Sync) waits until everything
// written to the pipe before it has been forwarded.
type stream struct {
	name  string   // "stdout" or "stderr"
	w     *os.File // the write end: what cells print to
	r     *os.File
	send  func(name, text string)
	limit int
	// before, if set, is a stream whose earlier output must be forwarded before this one's:
	// stderr waits for stdout, so that interleaved prints keep their order.
	before *stream

	mu      sync.Mutex
	pending []byte
	sent    int // bytes forwarded since reset
	dropped int // bytes dropped since reset
	fences  map[uint64]chan struct{}
	nextID  uint64
	wake    chan struct{}
	closed  chan struct{}
}

// newStream starts draining r; w is the pipe's write end (fences are written to it).
func newStream(name string, r, w *os.File, limit int, send func(name, text string), before *stream) *stream {
	s := &stream{name: name, r: r, w: w, send: send, limit: limit, before: before, fences: map[uint64]chan struct{}{},
		wake: make(chan struct{}, 1), closed: make(chan struct{})}
	go s.read()
	go s.flusher()
	return s
}

func (s *stream) read() {
	defer close(s.closed)
	buf := make([]byte, 64<<10)
	var carry []byte
	for {
		n, err := s.r.Read(buf)
		if n > 0 {
			data := append(carry, buf[:n]...)
			carry = nil
			data, carry = s.takeFences(data)
			if s.before != nil && len(data) > 0 {
				s.before.Sync(time.Second)
				s.add(data)
				s.flush()
			} else {
				s.add(data)
			}
		}
		if err != nil {
			s.add(carry)
			s.flush()
			return
		}
	}
}

// takeFences removes complete fence marks from data, releasing their waiters after forwarding
// what came before them, and returns the rest plus a possibly incomplete mark to carry over.
func (s *stream) takeFences(data []byte) (rest, carry []byte) {
	for {
		i := bytes.Index(data, []byte(fenceMark))
		if i < 0 {
			break
		}
		j := bytes.IndexByte(data[i+len(fenceMark):], 0)
		if j < 0 {
			return data[:i], append([]byte(nil), data[i:]...)
		}
		id, _ := strconv.ParseUint(string(data[i+len(fenceMark):i+len(fenceMark)+j]), 10, 64)
		s.add(data[:i])
		s.flush()
		s.mu.Lock()
		if ch, ok := s.fences[id]; ok {
			close(ch)
			delete(s.fences, id)
		}
		s.mu.Unlock()
		data = data[i+len(fenceMark)+j+1:]
	}
	// Hold back a tail that may be the start of a mark.
	for k := len(fenceMark) - 1; k > 0; k-- {
		if len(data) >= k && bytes.HasSuffix(data, []byte(fenceMark[:k])) {
			return data[:len(data)-k], append([]byte(nil), data[len(data)-k:]...)
		}
	}
	return data, nil
}

func (s *stream) add(b []byte) {
	if len(b) == 0 {
		return
	}
	s.mu.Lock()
	room := s.limit - s.sent - len(s.pending)
	if room < 0 {
		room = 0
	}
	keep := b
	if len(keep) > room {
		keep = keep[:room]
		s.dropped += len(b) - room
	}
	s.pending = append(s.pending, keep...)
	big := len(s.pending) >= flushSize
	s.mu.Unlock()
	if big {
		s.flush()
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *stream) flusher() {
	for {
		select {
		case <-s.closed:
			return
		case <-s.wake:
		}
		select {
		case <-s.closed:
			return
		case <-time.After(flushInterval):
		}
		s.flush()
	}
}

// flush forwards pending output now.
func (s *stream) flush() {
	s.mu.Lock()
	defer s.mu.Unlock() // held while sending, so chunks stay in order
	if len(s.pending) == 0 {
		return
	}
	text := validUTF8(s.pending)
	s.sent += len(s.pending) - len(text.carry)
	s.pending = text.carry
	s.send(s.name, text.s)
}

type utf8Split struct {
	s     string
	carry []byte
}

// validUTF8 returns b as a string, holding back an incomplete UTF-8 sequence at its end.
func validUTF8(b []byte) utf8Split {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c&0xC0 == 0x80 {
			continue // continuation byte: look further back
		}
		if c >= 0xC0 {
			need := 2
			if c >= 0xE0 {
				need = 3
			}
			if c >= 0xF0 {
				need = 4
			}
			if need > k {
				return utf8Split{string(b[:len(b)-k]), append([]byte(nil), b[len(b)-k:]...)}
			}
		}
		break
	}
	return utf8Split{string(b), nil}
}

// Sync waits until everything written to the stream before the call has been forwarded, or
// until timeout (a pipe filled by a goroutine that never stops could otherwise delay it).
func (s *stream) Sync(timeout time.Duration) {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	ch := make(chan struct{})
	s.fences[id] = ch
	s.mu.Unlock()
	if _, err := fmt.Fprintf(s.w, "%s%d\x00", fenceMark, id); err != nil {
		return
	}
	select {
	case <-ch:
	case <-s.closed:
	case <-time.After(timeout):
		s.mu.Lock()
		delete(s.fences, id)
		s.mu.Unlock()
	}
}

// reset starts a new cell's output accounting and returns how many bytes the previous cell
// dropped.
func (s *stream) reset() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dropped
	s.sent, s.dropped = 0, 0
	return d
}

// droppedNow returns the bytes dropped so far in this cell.
func (s *stream) droppedNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}
