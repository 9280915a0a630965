package worker

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// collector records the events a session emits.
type collector struct {
	mu     sync.Mutex
	events []ipc.Event
}

func (c *collector) add(ev ipc.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
}

func (c *collector) take() []ipc.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	evs := c.events
	c.events = nil
	return evs
}

type tsession struct {
	*Session
	t *testing.T
	c *collector
	n uint64
}

// newTestSession starts an in-process session printing into pipes.
func newTestSession(t *testing.T) *tsession {
	t.Helper()
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	s, err := New(Config{Stdout: outW, Stderr: errW, StdoutR: outR, StderrR: errR, Emit: c.add})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { outW.Close(); errW.Close() })
	return &tsession{Session: s, t: t, c: c}
}

// result is what one cell produced.
type result struct {
	reply  map[string]any
	events []ipc.Event
}

func (ts *tsession) run(code string) *result {
	return ts.runReq(ipc.Request{Op: ipc.OpExecute, Code: code})
}

func (ts *tsession) runReq(req ipc.Request) *result {
	ts.t.Helper()
	ts.n++
	req.ID = ts.n
	ts.c.take()
	reply := replyMap(ts.Execute(req))
	return &result{reply: reply, events: ts.c.take()}
}

func content(ev ipc.Event) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(ev.Content, &m)
	return m
}

// stream returns the text of the named stream.
func (r *result) stream(name string) string {
	var b strings.Builder
	for _, ev := range r.events {
		if ev.Kind == ipc.EvStream {
			c := content(ev)
			if c["name"] == name {
				b.WriteString(c["text"].(string))
			}
		}
	}
	return b.String()
}

// data returns the execute_result bundle, or nil.
func (r *result) data() map[string]any {
	for _, ev := range r.events {
		if ev.Kind == ipc.EvExecuteResult {
			return content(ev)["data"].(map[string]any)
		}
	}
	return nil
}

func (r *result) text() string {
	d := r.data()
	if d == nil {
		return ""
	}
	s, _ := d["text/plain"].(string)
	return s
}

func (r *result) status() string { return r.reply["status"].(string) }

func (r *result) errorText() string {
	if r.status() != "error" {
		return ""
	}
	return r.reply["ename"].(string) + ": " + r.reply["evalue"].(string)
}

func (r *result) kinds() []string {
	var k []string
	for _, ev := range r.events {
		k = append(k, ev.Kind)
	}
	return k
}

// ok fails the test unless the cell succeeded.
func (r *result) ok(t *testing.T) *result {
	t.Helper()
	if r.status() != "ok" {
		t.Fatalf("cell failed: %s\ntraceback: %v\nevents: %v", r.errorText(), r.reply["traceback"], r.kinds())
	}
	return r
}

// replyMap is an execute reply as the front decodes it from the pipe.
func replyMap(r ipc.ExecuteReply) map[string]any {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}
