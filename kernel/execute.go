package kernel

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gohunt/gohunt/internal/redact"
	"github.com/gohunt/gohunt/kernel/ipc"
	"github.com/gohunt/gohunt/messaging"
)

// streamFlushInterval is how long printed output may wait in the front before it is published.
const streamFlushInterval = 50 * time.Millisecond

// streamFlushSize publishes buffered output once this many bytes are waiting.
const streamFlushSize = 64 << 10

// executeRequest is the content of execute_request. Pointer fields default as the spec says.
type executeRequest struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    *bool             `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      *bool             `json:"allow_stdin"`
	StopOnError     *bool             `json:"stop_on_error"`
}

func orTrue(b *bool) bool { return b == nil || *b }

// runningCell is the execute request the worker is running; interrupt uses it.
type runningCell struct {
	w           *workerProc
	finished    chan struct{}
	interrupted sync.Once
}

// execute runs a cell: execute_input, the worker's outputs, execute_reply. After an error with
// stop_on_error, the executes already queued are aborted.
func (k *Kernel) execute(r *request) {
	var req executeRequest
	if err := r.msg.DecodeContent(&req); err != nil {
		k.reply(r, "execute_reply", errorReply(k.execCount, "BadRequest", fmt.Sprintf("execute_request content: %v", err)))
		return
	}
	storeHistory := orTrue(req.StoreHistory) && !req.Silent
	if storeHistory {
		k.execCount++
	}
	count := k.execCount
	if !req.Silent {
		k.publish(r.msg, "execute_input", map[string]any{"code": req.Code, "execution_count": count})
	}
	reply, output := k.runCell(r.msg, req, count, storeHistory)
	reply["execution_count"] = count
	if storeHistory {
		if err := k.history.add(count, req.Code, output); err != nil {
			k.log.Printf("%v", err)
		}
	}
	k.reply(r, "execute_reply", reply)
	if reply["status"] == "error" && orTrue(req.StopOnError) {
		k.abortQueued()
	}
}

// abortQueued answers every execute_request already waiting on the shell queue with an
// aborted error reply, without running it; other queued requests are handled normally.
func (k *Kernel) abortQueued() {
	for {
		select {
		case m := <-k.shellQ:
			r := &request{msg: m, ch: k.socks.Shell}
			if m.Header.MsgType != "execute_request" {
				k.dispatch(r)
				continue
			}
			k.publish(m, "status", map[string]any{"execution_state": "busy"})
			k.reply(r, "execute_reply", errorReply(k.execCount, "ExecutionAborted",
				"not run: an earlier cell failed and stop_on_error is set"))
			k.publish(m, "status", map[string]any{"execution_state": "idle"})
		default:
			return
		}
	}
}

// errorReply is an execute_reply with status "error" (jupyter_kernel_test's abort schema).
func errorReply(count int, ename, evalue string) map[string]any {
	return map[string]any{"status": "error", "execution_count": count, "ename": ename, "evalue": evalue, "traceback": []string{}}
}

// runCell sends the cell to the worker, publishes its events in order and returns the reply
// content and the text/plain of its execute_result (for history).
func (k *Kernel) runCell(parent *messaging.Message, req executeRequest, count int, storeHistory bool) (map[string]any, *string) {
	w, err := k.currentWorker()
	var evs <-chan ipc.Event
	if err == nil {
		evs, err = w.call(ipc.Request{
			Op: ipc.OpExecute, Code: req.Code, Silent: req.Silent, StoreHistory: storeHistory,
			AllowStdin: orTrue(req.AllowStdin), UserExpressions: req.UserExpressions, ExecutionCount: count,
		})
	}
	if err != nil {
		return k.cellFailed(parent, count, "WorkerUnavailable", fmt.Sprintf("the interpreter could not be started: %v", err), nil), nil
	}
	cell := &runningCell{w: w, finished: make(chan struct{})}
	k.mu.Lock()
	k.running = cell
	k.orphanP = parent
	notice := k.notice
	k.notice = ""
	k.mu.Unlock()
	if notice != "" {
		k.publish(parent, ipc.EvStream, map[string]any{"name": "stderr", "text": "gohunt: " + notice + "\n"})
	}
	defer func() {
		close(cell.finished)
		k.mu.Lock()
		k.running = nil
		k.mu.Unlock()
	}()

	out := &streamBuffer{k: k, parent: parent}
	var result *string
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-timer.C:
			out.flush()
			continue
		case ev, ok := <-evs:
			if !ok { // closed without a reply: the worker died
				out.flush()
				summary, detail := w.deathReason()
				k.mu.Lock()
				w.reported = true
				k.mu.Unlock()
				go k.currentWorker() // a fresh worker for the next cell
				msg := summary + "; all variables, functions, types and imports defined so far were lost (a fresh interpreter was started)"
				return k.cellFailed(parent, count, "WorkerDied", msg, detail), result
			}
			switch ev.Kind {
			case ipc.EvStream:
				var s struct{ Name, Text string }
				json.Unmarshal(ev.Content, &s)
				if out.add(s.Name, s.Text) {
					timer.Reset(streamFlushInterval)
				}
				continue
			case ipc.EvExecuteResult:
				out.flush()
				c := jsonObject(ev.Content)
				if data, ok := c["data"].(map[string]any); ok {
					if t, ok := data["text/plain"].(string); ok {
						result = &t
					}
				}
				if !req.Silent {
					c["execution_count"] = count
					k.publish(parent, ipc.EvExecuteResult, c)
				}
			case ipc.EvDisplayData, ipc.EvUpdateDisplayData, ipc.EvClearOutput, ipc.EvError:
				out.flush()
				k.publish(parent, ev.Kind, ev.Content)
			case ipc.EvInputRequest:
				out.flush()
				go k.askInput(parent, w, ev.Content, orTrue(req.AllowStdin), cell.finished)
			case ipc.EvReply:
				out.flush()
				reply := jsonObject(ev.Content)
				if _, ok := reply["status"]; !ok {
					reply["status"] = "ok"
				}
				if reply["status"] == "ok" {
					if _, ok := reply["user_expressions"]; !ok {
						reply["user_expressions"] = map[string]any{}
					}
					if _, ok := reply["payload"]; !ok {
						reply["payload"] = []any{}
					}
				}
				return reply, result
			default:
				k.log.Printf("worker: unknown event kind %q ignored", ev.Kind)
			}
		}
	}
}

// cellFailed publishes an error output and returns the matching error reply.
func (k *Kernel) cellFailed(parent *messaging.Message, count int, ename, evalue string, detail []string) map[string]any {
	c := errorContent(ename, evalue, detail)
	k.publish(parent, ipc.EvError, c)
	reply := errorReply(count, ename, c["evalue"].(string))
	reply["traceback"] = c["traceback"]
	return reply
}

// errorContent is an error output; credentials in its texts are masked.
func errorContent(ename, evalue string, detail []string) map[string]any {
	evalue = redact.Text(evalue)
	tb := []string{ename + ": " + evalue}
	for _, d := range detail {
		tb = append(tb, redact.Text(d))
	}
	return map[string]any{"ename": ename, "evalue": evalue, "traceback": tb}
}

// askInput forwards the worker's input_request to the frontend on the stdin socket and the
// answer back to the worker. Without allow_stdin, or when the cell ends first, the worker
// gets an empty answer.
func (k *Kernel) askInput(parent *messaging.Message, w *workerProc, content json.RawMessage, allowed bool, finished <-chan struct{}) {
	if !allowed {
		w.send(ipc.Request{Op: ipc.OpInputReply})
		return
	}
	// Drop stale replies to an earlier request.
	for len(k.inputCh) > 0 {
		<-k.inputCh
	}
	m, err := messaging.NewMessage(k.session, "input_request", parent, content)
	if err == nil {
		err = k.socks.Stdin.Send(m)
	}
	if err != nil {
		k.log.Printf("input_request: %v", err)
		w.send(ipc.Request{Op: ipc.OpInputReply})
		return
	}
	select {
	case rep := <-k.inputCh:
		var c struct {
			Value string `json:"value"`
		}
		rep.DecodeContent(&c)
		w.send(ipc.Request{Op: ipc.OpInputReply, Value: c.Value})
	case <-finished:
	}
}

// interrupt cancels the running cell. If the worker has not answered within the grace period,
// it is killed; the cell then reports that the worker was restarted and state was lost. With
// no cell running, the worker is interrupted too (it stops goroutines left running).
func (k *Kernel) interrupt() {
	k.mu.Lock()
	cell := k.running
	idle := k.w
	k.mu.Unlock()
	if cell == nil {
		// No cell runs: the worker stops the goroutines earlier cells left running.
		if idle != nil && idle.alive() {
			if err := idle.send(ipc.Request{Op: ipc.OpInterrupt}); err != nil {
				k.log.Printf("interrupt: %v", err)
			}
		}
		return
	}
	if err := cell.w.send(ipc.Request{Op: ipc.OpInterrupt}); err != nil {
		k.log.Printf("interrupt: %v", err)
	}
	cell.interrupted.Do(func() {
		grace := k.cfg.InterruptGrace
		go func() {
			select {
			case <-cell.finished:
			case <-time.After(grace):
				k.log.Printf("worker did not stop within %v of the interrupt: killing it", grace)
				cell.w.kill(fmt.Sprintf("the cell did not stop within %v of the interrupt, so the interpreter process was killed", grace))
			}
		}()
	})
}

// streamBuffer coalesces a cell's printed output into few stream messages, keeping order
// across stdout and stderr. Output limits are the worker's (kernel/worker/output.go): it
// forwards at most its per-stream limit and says what it dropped.
type streamBuffer struct {
	k      *Kernel
	parent *messaging.Message
	name   string
	buf    strings.Builder
}

// add buffers text; it reports whether the buffer was empty before (start the flush timer).
func (s *streamBuffer) add(name, text string) bool {
	if name != "stderr" {
		name = "stdout"
	}
	if text == "" {
		return false
	}
	if s.buf.Len() > 0 && name != s.name {
		s.flush()
	}
	wasEmpty := s.buf.Len() == 0
	s.name = name
	s.buf.WriteString(text)
	if s.buf.Len() >= streamFlushSize {
		s.flush()
		return false
	}
	return wasEmpty
}

// flush publishes the buffered text as one stream message.
func (s *streamBuffer) flush() {
	if s.buf.Len() == 0 {
		return
	}
	s.k.publish(s.parent, ipc.EvStream, map[string]any{"name": s.name, "text": s.buf.String()})
	s.buf.Reset()
}
