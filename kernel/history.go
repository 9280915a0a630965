package kernel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// historyKeep is how many entries the history file keeps across restarts.
const historyKeep = 10000

// historyEntry is one executed cell, stored as one JSON line in the history file.
type historyEntry struct {
	Session int     `json:"session"`
	Line    int     `json:"line"`
	Input   string  `json:"input"`
	Output  *string `json:"output,omitempty"` // text/plain of the execute_result, if any
}

// history is the kernel's input history: the cells of this session and of earlier sessions,
// persisted as JSON lines so that history_request sees them after a restart.
type history struct {
	path    string
	session int // this kernel's session number, one more than the newest in the file

	mu      sync.Mutex
	entries []historyEntry
}

// DefaultHistoryPath is where history is kept: gohunt/history.jsonl in the Jupyter data
// directory ($JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter).
func DefaultHistoryPath() string {
	dir := os.Getenv("JUPYTER_DATA_DIR")
	if dir == "" {
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			dir = filepath.Join(x, "jupyter")
		} else if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "share", "jupyter")
		} else {
			dir = filepath.Join(os.TempDir(), "jupyter")
		}
	}
	return filepath.Join(dir, "gohunt", "history.jsonl")
}

// openHistory loads the history file at path (empty path: memory only) and starts a new
// session. Unreadable lines are skipped; a missing file is an empty history.
func openHistory(path string) (*history, error) {
	h := &history{path: path}
	if path != "" {
		f, err := os.Open(path)
		switch {
		case err == nil:
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<16), 64<<20)
			for sc.Scan() {
				var e historyEntry
				if json.Unmarshal(sc.Bytes(), &e) == nil && e.Session > 0 {
					h.entries = append(h.entries, e)
				}
			}
			f.Close()
			if err := sc.Err(); err != nil {
				return h, fmt.Errorf("reading history %s: %w", path, err)
			}
		case !os.IsNotExist(err):
			return h, fmt.Errorf("reading history: %w", err)
		}
	}
	for _, e := range h.entries {
		h.session = max(h.session, e.Session)
	}
	h.session++
	if len(h.entries) > historyKeep {
		h.entries = h.entries[len(h.entries)-historyKeep:]
		h.rewrite()
	}
	return h, nil
}

// rewrite replaces the file with the entries kept in memory.
func (h *history) rewrite() {
	if h.path == "" {
		return
	}
	var b strings.Builder
	for _, e := range h.entries {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	tmp := h.path + ".tmp"
	if os.WriteFile(tmp, []byte(b.String()), 0o600) == nil {
		os.Rename(tmp, h.path)
	}
}

// add records one cell of this session and appends it to the file.
func (h *history) add(line int, input string, output *string) error {
	e := historyEntry{Session: h.session, Line: line, Input: input, Output: output}
	h.mu.Lock()
	h.entries = append(h.entries, e)
	h.mu.Unlock()
	if h.path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("history dir: %w", err)
	}
	f, err := os.OpenFile(h.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	j, _ := json.Marshal(e)
	_, err = f.Write(append(j, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// historyRequest is the content of history_request.
type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           *int   `json:"stop"`
	N              *int   `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// maxHistoryPattern is the longest history search pattern accepted, in bytes: far above any
// glob a person types, and small enough that compiling it is cheap and matching it stays
// linear in the history's size (Go's regexp never backtracks).
const maxHistoryPattern = 1024

// query answers a history_request: a list of (session, line, input) or, with Output,
// (session, line, [input, output]) tuples, oldest first. A search pattern that is too long
// or does not compile is an error naming the field.
func (h *history) query(r historyRequest) ([]any, error) {
	var re *regexp.Regexp
	if r.HistAccessType == "search" {
		var err error
		if re, err = globRegexp(r.Pattern); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	entries := append([]historyEntry(nil), h.entries...)
	h.mu.Unlock()
	var sel []historyEntry
	switch r.HistAccessType {
	default:
		return nil, fmt.Errorf("field hist_access_type: %q is not tail, range or search", r.HistAccessType)
	case "tail":
		n := 10
		if r.N != nil {
			n = *r.N
		}
		if n < len(entries) {
			entries = entries[len(entries)-max(n, 0):]
		}
		sel = entries
	case "range":
		session := r.Session
		if session <= 0 { // 0 is this session, -1 the one before, ...
			session += h.session
		}
		for _, e := range entries {
			if e.Session == session && e.Line >= r.Start && (r.Stop == nil || e.Line < *r.Stop) {
				sel = append(sel, e)
			}
		}
	case "search":
		seen := map[string]bool{}
		for i := len(entries) - 1; i >= 0; i-- { // newest first, so unique keeps the newest
			e := entries[i]
			if !re.MatchString(e.Input) || (r.Unique && seen[e.Input]) {
				continue
			}
			seen[e.Input] = true
			sel = append(sel, e)
			if r.N != nil && *r.N > 0 && len(sel) == *r.N {
				break
			}
		}
		for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
			sel[i], sel[j] = sel[j], sel[i]
		}
	}
	out := make([]any, 0, len(sel))
	for _, e := range sel {
		if r.Output {
			var o any
			if e.Output != nil {
				o = *e.Output
			}
			out = append(out, []any{e.Session, e.Line, []any{e.Input, o}})
		} else {
			out = append(out, []any{e.Session, e.Line, e.Input})
		}
	}
	return out, nil
}

// globRegexp compiles an IPython history pattern (a glob over the whole input: * any text,
// ? one character) into a regexp. Patterns above maxHistoryPattern bytes are refused.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > maxHistoryPattern {
		return nil, fmt.Errorf("field pattern: %d bytes, above the limit of %d", len(pattern), maxHistoryPattern)
	}
	if pattern == "" {
		pattern = "*"
	}
	var b strings.Builder
	b.WriteString(`(?s)^`)
	prev := rune(0)
	for _, r := range pattern {
		star := prev == '*'
		prev = r
		switch r {
		case '*':
			if !star { // ** matches what * does
				b.WriteString(".*")
			}
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("field pattern: %w", err)
	}
	return re, nil
}
