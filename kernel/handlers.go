package kernel

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gohunt/gohunt/kernel/ipc"
	"github.com/gohunt/gohunt/messaging"
)

// Version is the gohunt kernel's implementation version, reported in kernel_info_reply.
const Version = "0.1.0"

// handlers is the dispatch table: one handler per msg_type, for shell and control alike.
var handlers = map[string]handler{
	"kernel_info_request": (*Kernel).kernelInfo,
	"execute_request":     (*Kernel).execute,
	"complete_request":    (*Kernel).complete,
	"inspect_request":     (*Kernel).inspect,
	"is_complete_request": (*Kernel).isComplete,
	"history_request":     (*Kernel).historyRequest,
	"comm_info_request":   (*Kernel).commInfo,
	"comm_open":           (*Kernel).commOpen,
	"comm_msg":            func(*Kernel, *request) {}, // no comm targets: nothing to deliver to
	"comm_close":          func(*Kernel, *request) {},
	"shutdown_request":    (*Kernel).shutdown,
	"interrupt_request":   (*Kernel).interruptRequest,
}

// KernelInfo is the content of kernel_info_reply.
func KernelInfo() map[string]any {
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       messaging.ProtocolVersion,
		"implementation":         "gohunt",
		"implementation_version": Version,
		"language_info": map[string]any{
			"name":               "go",
			"version":            goVersion,
			"mimetype":           "text/x-go",
			"file_extension":     ".go",
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "script",
		},
		"banner": "gohunt " + Version + ": Go (yaegi v0.16.1 interpreter, Go " + goVersion +
			" runtime) for threat-hunting notebooks. %help lists the magics.",
		"help_links": []map[string]string{
			{"text": "gohunt kernel", "url": "https://github.com/gohunt/gohunt/blob/main/docs/kernel.md"},
			{"text": "Go documentation", "url": "https://go.dev/doc/"},
			{"text": "yaegi interpreter", "url": "https://github.com/traefik/yaegi"},
		},
		"debugger": false,
	}
}

func (k *Kernel) kernelInfo(r *request) { k.reply(r, "kernel_info_reply", KernelInfo()) }

// completeRequest is the content of complete_request and inspect_request.
type completeRequest struct {
	Code        string `json:"code"`
	CursorPos   *int   `json:"cursor_pos"`
	DetailLevel int    `json:"detail_level"`
}

// maxCompleteCode is the longest code complete, inspect and is_complete accept, in bytes
// (a cell is sent whole on every Tab; no real cell comes near it).
const maxCompleteCode = 4 << 20

// cursor returns the cursor position in code points, defaulting to the end of the code and
// clamped to it, so the worker never sees a position outside the code.
func (c completeRequest) cursor() int {
	n := utf8.RuneCountInString(c.Code)
	if c.CursorPos == nil {
		return n
	}
	return min(max(*c.CursorPos, 0), n)
}

// decodeCompleteRequest decodes the content of complete, inspect and is_complete requests,
// refusing code above maxCompleteCode.
func decodeCompleteRequest(m *messaging.Message) (completeRequest, error) {
	var c completeRequest
	if err := m.DecodeContent(&c); err != nil {
		return c, fmt.Errorf("%s content: %w", m.Header.MsgType, err)
	}
	if len(c.Code) > maxCompleteCode {
		return c, fmt.Errorf("%s: field code: %d bytes, above the limit of %d", m.Header.MsgType, len(c.Code), maxCompleteCode)
	}
	return c, nil
}

func (k *Kernel) complete(r *request) {
	c, err := decodeCompleteRequest(r.msg)
	if err != nil {
		k.replyError(r, "complete_reply", err)
		return
	}
	pos := c.cursor()
	content, err := k.callWorker(ipc.Request{Op: ipc.OpComplete, Code: c.Code, CursorPos: pos})
	if err != nil {
		k.log.Printf("complete: %v", err)
		k.reply(r, "complete_reply", ipc.CompleteReply{Status: "ok", Matches: []string{},
			CursorStart: pos, CursorEnd: pos, Metadata: map[string]any{}})
		return
	}
	k.reply(r, "complete_reply", workerReply(content, func(c *ipc.CompleteReply) {
		c.Matches = nonNil(c.Matches)
		c.Metadata = nonNilMap(c.Metadata)
	}))
}

func (k *Kernel) inspect(r *request) {
	c, err := decodeCompleteRequest(r.msg)
	if err != nil {
		k.replyError(r, "inspect_reply", err)
		return
	}
	content, err := k.callWorker(ipc.Request{Op: ipc.OpInspect, Code: c.Code, CursorPos: c.cursor(), DetailLevel: c.DetailLevel})
	if err != nil {
		k.log.Printf("inspect: %v", err)
		k.reply(r, "inspect_reply", ipc.InspectReply{Status: "ok", Data: map[string]any{}, Metadata: map[string]any{}})
		return
	}
	k.reply(r, "inspect_reply", workerReply(content, func(c *ipc.InspectReply) {
		c.Data = nonNilMap(c.Data)
		c.Metadata = nonNilMap(c.Metadata)
	}))
}

func (k *Kernel) isComplete(r *request) {
	c, err := decodeCompleteRequest(r.msg)
	if err != nil {
		k.log.Printf("%s: %v", r.ch.Name, err)
		k.reply(r, "is_complete_reply", ipc.IsCompleteReply{Status: "unknown"})
		return
	}
	content, err := k.callWorker(ipc.Request{Op: ipc.OpIsComplete, Code: c.Code})
	if err != nil {
		k.log.Printf("is_complete: %v", err)
		k.reply(r, "is_complete_reply", ipc.IsCompleteReply{Status: "unknown"})
		return
	}
	k.reply(r, "is_complete_reply", workerReply(content, func(*ipc.IsCompleteReply) {}))
}

func (k *Kernel) historyRequest(r *request) {
	var h historyRequest
	if err := r.msg.DecodeContent(&h); err != nil {
		k.replyError(r, "history_reply", fmt.Errorf("history_request content: %w", err))
		return
	}
	hist, err := k.history.query(h)
	if err != nil {
		k.replyError(r, "history_reply", fmt.Errorf("history_request: %w", err))
		return
	}
	k.reply(r, "history_reply", map[string]any{"status": "ok", "history": hist})
}

// replyError answers r with an error reply of msgType (ename BadRequest) and logs it.
func (k *Kernel) replyError(r *request, msgType string, err error) {
	k.log.Printf("%s: %v", r.ch.Name, err)
	k.reply(r, msgType, map[string]any{"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{}})
}

func (k *Kernel) commInfo(r *request) {
	k.reply(r, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
}

// commOpen answers every comm_open with comm_close: gohunt registers no comm targets.
func (k *Kernel) commOpen(r *request) {
	var c struct {
		CommID     string `json:"comm_id"`
		TargetName string `json:"target_name"`
	}
	r.msg.DecodeContent(&c)
	k.log.Printf("comm_open for unknown target %q: closing comm %s", c.TargetName, c.CommID)
	k.publish(r.msg, "comm_close", map[string]any{"comm_id": c.CommID, "data": map[string]any{}})
}

// shutdown answers, stops the worker and ends Run. With restart, Jupyter starts a new kernel
// process; this one exits either way.
func (k *Kernel) shutdown(r *request) {
	var c struct {
		Restart bool `json:"restart"`
	}
	r.msg.DecodeContent(&c)
	content := map[string]any{"status": "ok", "restart": c.Restart}
	k.reply(r, "shutdown_reply", content)
	k.publish(r.msg, "shutdown_reply", content)
	k.stopWorker()
	go func() {
		time.Sleep(100 * time.Millisecond) // let the PUB queue deliver idle and the replies
		k.cancel()
	}()
}

func (k *Kernel) interruptRequest(r *request) {
	k.interrupt()
	k.reply(r, "interrupt_reply", map[string]any{"status": "ok"})
}

// workerReply decodes the content of a worker's reply as T (normalized by fix: no null where
// Jupyter expects a list or an object), or as an ipc.ErrorReply when the worker failed the
// request itself. Content that decodes as neither becomes an error reply saying so.
func workerReply[T any](content json.RawMessage, fix func(*T)) any {
	var status struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(content, &status); err != nil {
		return ipc.ErrorReply{Status: "error", Ename: "InternalError", Evalue: fmt.Sprintf("worker reply: %v", err), Traceback: []string{}}
	}
	if status.Status == "error" {
		var e ipc.ErrorReply
		if err := json.Unmarshal(content, &e); err != nil {
			return ipc.ErrorReply{Status: "error", Ename: "InternalError", Evalue: fmt.Sprintf("worker error reply: %v", err), Traceback: []string{}}
		}
		if e.Traceback == nil {
			e.Traceback = []string{}
		}
		return e
	}
	var t T
	if err := json.Unmarshal(content, &t); err != nil {
		return ipc.ErrorReply{Status: "error", Ename: "InternalError", Evalue: fmt.Sprintf("worker reply: %v", err), Traceback: []string{}}
	}
	fix(&t)
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// jsonObject returns content decoded as an object, or an empty one.
func jsonObject(content json.RawMessage) map[string]any {
	var m map[string]any
	if json.Unmarshal(content, &m) != nil || m == nil {
		m = map[string]any{}
	}
	return m
}
