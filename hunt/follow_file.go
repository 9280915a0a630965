package hunt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// followTailBytes is how much of a file's end begin reads for the last lines to show.
const followTailBytes = 4 << 20

// fileFollow follows a growing JSON-lines file. It keeps the file open and its offset after
// the last complete line; a poll reads what was appended, hands on the complete lines and
// keeps a last line without its newline for the next poll. The name is checked at each poll:
// another file under it (a rotation) is read from its start once the old file's last lines are
// read; a file shorter than the offset (truncated) is read again from its start.
type fileFollow struct {
	path     string
	f        *os.File
	off      int64  // offset after the last complete line handed on
	partial  []byte // bytes after off read so far (a line without its newline yet)
	line     int64  // lines handed on (for the origin of errors and notes)
	bad      int64  // lines that were not one JSON object
	noted    int64  // bad lines already said in a note
	firstBad int64  // line number of the first bad line
}

func (s *fileFollow) describe() string { return "file " + s.path }

func (s *fileFollow) shape(l *Frame) *Frame { return l }

func (s *fileFollow) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// begin opens the file and, unless the follow starts at the beginning, moves to its end and
// returns its last lines (at most last).
func (s *fileFollow) begin(_ context.Context, w *Follower) ([]json.RawMessage, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, &Error{Msg: "hunt.Follow: " + err.Error(), Err: err}
	}
	s.f = f
	if w.start {
		return nil, nil
	}
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{Msg: "hunt.Follow: " + err.Error(), Err: err}
	}
	size := st.Size()
	from := max(0, size-followTailBytes)
	buf := make([]byte, size-from)
	if _, err := f.ReadAt(buf, from); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Msg: "hunt.Follow: " + err.Error(), Err: err}
	}
	end := bytes.LastIndexByte(buf, '\n') + 1 // complete lines end here; the rest is partial
	s.off = from + int64(end)
	s.partial = append(s.partial[:0], buf[end:]...)
	lines := bytes.Split(buf[:end], []byte{'\n'})
	if from > 0 && len(lines) > 0 {
		lines = lines[1:] // the first may be cut
	}
	var out []json.RawMessage
	for i := len(lines) - 1; i >= 0 && len(out) < w.last; i-- {
		if d, ok := jsonObject(lines[i]); ok {
			out = append(out, d)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// poll reads what was appended since the last poll.
func (s *fileFollow) poll(_ context.Context) ([]json.RawMessage, []string, error) {
	var notes []string
	var out []json.RawMessage
	cur, err := s.f.Stat()
	if err != nil {
		return nil, nil, &Error{Msg: "hunt.Follow: " + err.Error(), Err: err}
	}
	named, nerr := os.Stat(s.path)
	switch {
	case nerr == nil && !os.SameFile(cur, named):
		// Rotated: finish the old file, then read the new one from its start.
		out, err = s.read(out)
		if err != nil {
			return nil, nil, err
		}
		if len(bytes.TrimSpace(s.partial)) > 0 {
			notes = append(notes, fmt.Sprintf("%s was rotated with an unfinished last line (%d bytes) in the old file: it was left out", s.path, len(s.partial)))
		}
		f, err := os.Open(s.path)
		if err != nil {
			return nil, nil, &Error{Msg: "hunt.Follow: " + err.Error(), Err: err}
		}
		s.f.Close()
		s.f, s.off, s.partial = f, 0, s.partial[:0]
		notes = append(notes, fmt.Sprintf("%s was rotated (a new file under its name): reading the new file from its start", s.path))
	case cur.Size() < s.off:
		notes = append(notes, fmt.Sprintf("%s was truncated (%d bytes, was %d): reading it again from its start", s.path, cur.Size(), s.off))
		s.off, s.partial = 0, s.partial[:0]
	}
	out, err = s.read(out)
	if err != nil {
		return nil, nil, err
	}
	if s.bad > s.noted {
		notes = append(notes, fmt.Sprintf("%s: %d line(s) that are not one JSON object skipped so far (the first: line %d)", s.path, s.bad, s.firstBad))
		s.noted = s.bad
	}
	return out, notes, nil
}

// read appends to out the complete lines after the offset.
func (s *fileFollow) read(out []json.RawMessage) ([]json.RawMessage, error) {
	start := s.off + int64(len(s.partial))
	buf := make([]byte, 1<<20)
	for {
		n, err := s.f.ReadAt(buf, start)
		if n > 0 {
			s.partial = append(s.partial, buf[:n]...)
			start += int64(n)
		}
		if len(s.partial) > DefaultMaxLineBytes && bytes.IndexByte(s.partial, '\n') < 0 {
			return nil, errorf("hunt.Follow: %s: line %d is longer than %d bytes", s.path, s.line+1, DefaultMaxLineBytes)
		}
		if err != nil || n == 0 {
			break
		}
	}
	end := bytes.LastIndexByte(s.partial, '\n') + 1
	if end == 0 {
		return out, nil
	}
	for _, l := range bytes.Split(s.partial[:end-1], []byte{'\n'}) {
		s.line++
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		d, ok := jsonObject(l)
		if !ok {
			if s.bad == 0 {
				s.firstBad = s.line
			}
			s.bad++
			continue
		}
		out = append(out, d)
	}
	s.off += int64(end)
	s.partial = append([]byte(nil), s.partial[end:]...)
	return out, nil
}

// jsonObject returns line as one JSON object (trimmed), or false.
func jsonObject(line []byte) (json.RawMessage, bool) {
	l := bytes.TrimSpace(line)
	if len(l) < 2 || l[0] != '{' || !utf8.Valid(l) || !json.Valid(l) {
		return nil, false
	}
	return append(json.RawMessage(nil), l...), true
}
