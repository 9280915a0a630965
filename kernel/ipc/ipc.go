// Package ipc is the contract between the kernel front (the process Jupyter starts, which owns the
// ZeroMQ sockets) and the interpreter worker (a child process the front supervises, which owns the
// yaegi session, the hunt library and its DuckDB database).
//
// The worker is a separate process so that faults Go cannot recover in-process (fatal stack
// overflow, concurrent map writes, out of memory) end only the worker: the front stays alive,
// reports what happened as the cell's error, says which state was lost, and starts a new worker.
//
// Transport: the front starts `gohunt worker` with two extra pipes: fd 3 carries Requests from the
// front, fd 4 carries Events from the worker, and fd 5 receives the Go runtime's crash output
// (the worker makes it its fd 2: the runtime writes a fatal error's first line, such as
// "fatal error: stack overflow", only to fd 2). Each message is one JSON object followed by '\n'. The worker
// sends, for every Request with an ID, zero or more Events with that ID followed by exactly one
// Event of kind "reply". Requests without an ID (input_reply, interrupt) get no reply.
//
// The worker's own fd 1, and os.Stderr (in cells and in compiled code), are redirected by the
// worker into pipes it drains itself, so that everything a cell prints (fmt, os.Stdout, os.Stderr,
// log, goroutines, child processes, C code on fd 1) reaches the front as ordered "stream" Events
// on fd 4, before the cell's "reply".
package ipc

import "encoding/json"

// Request operations sent by the front to the worker.
const (
	OpExecute    = "execute"     // run a cell; Events stream back, then a reply with ExecuteReply content
	OpComplete   = "complete"    // reply content is the complete_reply content
	OpInspect    = "inspect"     // reply content is the inspect_reply content
	OpIsComplete = "is_complete" // reply content is the is_complete_reply content
	OpInputReply = "input_reply" // answers the worker's last input_request; no ID, no reply
	OpInterrupt  = "interrupt"   // cancels the running cell; no ID, no reply (SIGINT does the same)
	OpShutdown   = "shutdown"    // the worker closes its session and exits after the reply
)

// Event kinds sent by the worker to the front. Except for Reply and InputRequest, the front
// publishes each one on IOPub as the Jupyter message of the same name, with the request's parent.
const (
	EvStream            = "stream"              // Content: {"name": "stdout"|"stderr", "text": ...}
	EvDisplayData       = "display_data"        // Content: {"data", "metadata", "transient"}
	EvUpdateDisplayData = "update_display_data" // Content: {"data", "metadata", "transient"}
	EvClearOutput       = "clear_output"        // Content: {"wait": bool}
	EvExecuteResult     = "execute_result"      // Content: {"data", "metadata"}; the front adds execution_count
	EvError             = "error"               // Content: {"ename", "evalue", "traceback"}
	EvInputRequest      = "input_request"       // Content: {"prompt", "password"}; the front asks on stdin and answers with OpInputReply
	EvReply             = "reply"               // Content: the reply's content; always the last Event for an ID
)

// Request is one message from the front to the worker.
type Request struct {
	ID   uint64 `json:"id,omitempty"`
	Op   string `json:"op"`
	Code string `json:"code,omitempty"`
	// CursorPos is in Unicode code points, as Jupyter sends it.
	CursorPos       int               `json:"cursor_pos,omitempty"`
	DetailLevel     int               `json:"detail_level,omitempty"`
	Silent          bool              `json:"silent,omitempty"`
	StoreHistory    bool              `json:"store_history,omitempty"`
	AllowStdin      bool              `json:"allow_stdin,omitempty"`
	UserExpressions map[string]string `json:"user_expressions,omitempty"`
	ExecutionCount  int               `json:"execution_count,omitempty"`
	// Value is the user's answer for OpInputReply.
	Value string `json:"value,omitempty"`
}

// Event is one message from the worker to the front.
type Event struct {
	ID      uint64          `json:"id"`
	Kind    string          `json:"ev"`
	Content json.RawMessage `json:"content"`
}

// ExecuteReply is the content of the worker's reply to OpExecute: execute_reply's content
// without execution_count, which the front adds. Ename, Evalue and Traceback are set when
// Status is "error"; Payload and UserExpressions are never null.
type ExecuteReply struct {
	Status          string         `json:"status"` // "ok" or "error"
	Ename           string         `json:"ename,omitempty"`
	Evalue          string         `json:"evalue,omitempty"`
	Traceback       []string       `json:"traceback,omitempty"`
	Payload         []any          `json:"payload"`
	UserExpressions map[string]any `json:"user_expressions"`
}

// CompleteReply is the content of the worker's reply to OpComplete and of the front's
// complete_reply. Matches replace the code between CursorStart and CursorEnd (code points);
// Matches and Metadata are never null.
type CompleteReply struct {
	Status      string         `json:"status"` // "ok"
	Matches     []string       `json:"matches"`
	CursorStart int            `json:"cursor_start"`
	CursorEnd   int            `json:"cursor_end"`
	Metadata    map[string]any `json:"metadata"`
}

// InspectReply is the content of the worker's reply to OpInspect and of the front's
// inspect_reply. Data is a MIME bundle (text/plain: signature and doc comment) when Found;
// Data and Metadata are never null.
type InspectReply struct {
	Status   string         `json:"status"` // "ok"
	Found    bool           `json:"found"`
	Data     map[string]any `json:"data"`
	Metadata map[string]any `json:"metadata"`
}

// IsCompleteReply is the content of the worker's reply to OpIsComplete and of the front's
// is_complete_reply. Status is "complete", "incomplete", "invalid" or "unknown"; Indent is
// present exactly when Status is "incomplete" (it may be empty).
type IsCompleteReply struct {
	Status string  `json:"status"`
	Indent *string `json:"indent,omitempty"`
}

// ErrorReply is the content of a reply whose request failed in the worker itself (an internal
// error or an unknown op) rather than in a cell: Status is "error".
type ErrorReply struct {
	Status    string   `json:"status"`
	Ename     string   `json:"ename"`
	Evalue    string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

// ShutdownReply is the content of the worker's reply to OpShutdown.
type ShutdownReply struct {
	Status string `json:"status"` // "ok"
}
