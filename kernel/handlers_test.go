package kernel

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestWorkerReplyTyped decodes the worker's replies into the typed contents the front sends:
// a worker error stays an error reply, nulls become the empty list and object Jupyter expects,
// the indent of an incomplete is_complete survives even when empty, and content that is not
// JSON becomes an error reply naming it.
func TestWorkerReplyTyped(t *testing.T) {
	fix := func(c *ipc.CompleteReply) { c.Matches = nonNil(c.Matches); c.Metadata = nonNilMap(c.Metadata) }
	got := workerReply(json.RawMessage(`{"status":"ok","matches":null,"cursor_start":2,"cursor_end":3,"metadata":null}`), fix)
	want := ipc.CompleteReply{Status: "ok", Matches: []string{}, CursorStart: 2, CursorEnd: 3, Metadata: map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("complete: %#v, want %#v", got, want)
	}
	got = workerReply(json.RawMessage(`{"status":"error","ename":"InternalError","evalue":"boom","traceback":["boom"]}`), fix)
	if e, ok := got.(ipc.ErrorReply); !ok || e.Ename != "InternalError" || e.Evalue != "boom" || len(e.Traceback) != 1 {
		t.Errorf("error: %#v", got)
	}
	ic := workerReply(json.RawMessage(`{"status":"incomplete","indent":""}`), func(*ipc.IsCompleteReply) {})
	b, _ := json.Marshal(ic)
	if string(b) != `{"status":"incomplete","indent":""}` {
		t.Errorf("is_complete: %s", b)
	}
	b, _ = json.Marshal(workerReply(json.RawMessage(`{"status":"complete"}`), func(*ipc.IsCompleteReply) {}))
	if string(b) != `{"status":"complete"}` {
		t.Errorf("is_complete complete: %s", b)
	}
	if e, ok := workerReply(json.RawMessage(`not json`), fix).(ipc.ErrorReply); !ok || e.Status != "error" || e.Evalue == "" {
		t.Errorf("bad content: %#v", e)
	}
}
