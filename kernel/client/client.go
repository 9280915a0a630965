// Package client drives a Jupyter kernel as a frontend does: it connects to the kernel's
// sockets, sends requests and collects the IOPub output of each one. `gohunt run` uses it to
// execute notebooks headless, and the kernel's own tests use it.
//
// Typical use:
//
//	k, err := client.Start(ctx, []string{exe, "kernel", "-f", "{connection_file}"}, nil)
//	if err != nil { ... }
//	defer k.Shutdown()
//	res, err := k.Execute(ctx, `fmt.Println("hi")`, client.ExecuteOptions{StopOnError: true})
//	// res.Status is "ok" or "error"; res.Outputs holds stream, display_data, update_display_data,
//	// clear_output, execute_result and error messages in the order the kernel published them.
//
// Any kernel works, not only gohunt: Start takes a kernelspec-style argv.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/gohunt/gohunt/messaging"
	"github.com/google/uuid"
)

// Client is a frontend connected to one kernel. Its methods are safe for concurrent use.
type Client struct {
	Info    messaging.ConnectionInfo
	session string

	shell, control, stdin, iopub *messaging.Channel

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	waiters map[string]*waiter // by the msg_id of the request
}

// Output is one IOPub message that a request produced.
type Output struct {
	// MsgType is stream, display_data, update_display_data, clear_output, execute_result,
	// error (or another IOPub type such as comm_close).
	MsgType string
	// Content is the message content as the kernel sent it.
	Content json.RawMessage
}

// waiter collects everything addressed to one request.
type waiter struct {
	mu      sync.Mutex
	reply   *messaging.Message
	outputs []Output
	idle    bool
	notify  chan struct{} // signalled (non-blocking) on every change
	input   func(prompt string, password bool) (string, error)
	onOut   func(Output)
}

func (w *waiter) signal() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// Dial connects to the kernel described by ci and waits until it answers kernel_info on shell
// and publishes on IOPub (so no output is missed), or ctx ends.
func Dial(ctx context.Context, ci messaging.ConnectionInfo) (*Client, error) {
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{Info: ci, session: uuid.NewString(), ctx: cctx, cancel: cancel, waiters: map[string]*waiter{}}
	codec := messaging.Codec{Signer: messaging.NewSigner([]byte(ci.Key))}
	opts := []zmq4.Option{zmq4.WithID(zmq4.SocketIdentity(c.session)), zmq4.WithDialerRetry(20 * time.Millisecond), zmq4.WithDialerMaxRetries(250),
		messaging.MaxMessageOption(0)} // a kernel that sends more than the limit is dropped
	type sock struct {
		ch   **messaging.Channel
		name string
		z    zmq4.Socket
		port int
	}
	socks := []sock{
		{&c.shell, "shell", zmq4.NewDealer(cctx, opts...), ci.ShellPort},
		{&c.control, "control", zmq4.NewDealer(cctx, opts...), ci.ControlPort},
		{&c.stdin, "stdin", zmq4.NewDealer(cctx, opts...), ci.StdinPort},
		{&c.iopub, "iopub", zmq4.NewSub(cctx, opts[1:]...), ci.IOPubPort},
	}
	for _, s := range socks {
		if err := s.z.Dial(ci.Endpoint(s.port)); err != nil {
			c.Close()
			s.z.Close()
			return nil, fmt.Errorf("connecting %s: %w", s.name, err)
		}
		*s.ch = &messaging.Channel{Name: s.name, Sock: s.z, Codec: codec}
	}
	if err := c.iopub.Sock.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		c.Close()
		return nil, fmt.Errorf("subscribing to iopub: %w", err)
	}
	go c.readReplies(c.shell)
	go c.readReplies(c.control)
	go c.readStdin()
	go c.readIOPub()
	if err := c.waitReady(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// waitReady sends kernel_info_request until one is answered and its status reaches IOPub.
func (c *Client) waitReady(ctx context.Context) error {
	for {
		m, w, err := c.send(c.shell, "kernel_info_request", map[string]any{}, nil)
		if err != nil {
			return err
		}
		t := time.NewTimer(200 * time.Millisecond)
		for {
			w.mu.Lock()
			ready := w.reply != nil && w.idle
			w.mu.Unlock()
			if ready {
				t.Stop()
				c.forget(m.Header.MsgID)
				return nil
			}
			select {
			case <-ctx.Done():
				c.forget(m.Header.MsgID)
				return fmt.Errorf("waiting for the kernel to answer: %w", ctx.Err())
			case <-t.C:
			case <-w.notify:
				continue
			}
			break // no IOPub yet: the subscription may not be active; ask again
		}
		c.forget(m.Header.MsgID)
	}
}

// send sends a request on ch and registers a waiter for its reply and outputs.
func (c *Client) send(ch *messaging.Channel, msgType string, content any, setup func(*waiter)) (*messaging.Message, *waiter, error) {
	m, err := messaging.NewMessage(c.session, msgType, nil, content)
	if err != nil {
		return nil, nil, err
	}
	w := &waiter{notify: make(chan struct{}, 1)}
	if setup != nil {
		setup(w)
	}
	c.mu.Lock()
	c.waiters[m.Header.MsgID] = w
	c.mu.Unlock()
	if err := ch.Send(m); err != nil {
		c.forget(m.Header.MsgID)
		return nil, nil, err
	}
	return m, w, nil
}

func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.waiters, id)
	c.mu.Unlock()
}

func (c *Client) waiter(parent string) *waiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiters[parent]
}

func (c *Client) readReplies(ch *messaging.Channel) {
	for {
		m, err := ch.Recv()
		if err != nil {
			return
		}
		if w := c.waiter(m.Parent.MsgID); w != nil {
			w.mu.Lock()
			w.reply = m
			w.mu.Unlock()
			w.signal()
		}
	}
}

func (c *Client) readIOPub() {
	for {
		m, err := c.iopub.Recv()
		if err != nil {
			return
		}
		w := c.waiter(m.Parent.MsgID)
		if w == nil {
			continue
		}
		switch m.Header.MsgType {
		case "status":
			var s struct {
				State string `json:"execution_state"`
			}
			m.DecodeContent(&s)
			if s.State == "idle" {
				w.mu.Lock()
				w.idle = true
				w.mu.Unlock()
			}
		case "execute_input":
		default:
			o := Output{MsgType: m.Header.MsgType, Content: m.Content}
			w.mu.Lock()
			w.outputs = append(w.outputs, o)
			onOut := w.onOut
			w.mu.Unlock()
			if onOut != nil {
				onOut(o)
			}
		}
		w.signal()
	}
}

func (c *Client) readStdin() {
	for {
		m, err := c.stdin.Recv()
		if err != nil {
			return
		}
		if m.Header.MsgType != "input_request" {
			continue
		}
		var req struct {
			Prompt   string `json:"prompt"`
			Password bool   `json:"password"`
		}
		m.DecodeContent(&req)
		w := c.waiter(m.Parent.MsgID)
		var input func(string, bool) (string, error)
		if w != nil {
			input = w.input
		}
		go func() {
			value := ""
			if input != nil {
				if v, err := input(req.Prompt, req.Password); err == nil {
					value = v
				}
			}
			r, err := messaging.NewMessage(c.session, "input_reply", m, map[string]any{"value": value})
			if err == nil {
				r.Identities = nil
				c.stdin.Send(r)
			}
		}()
	}
}

// ExecuteOptions are the execute_request flags and the callbacks of one execution.
type ExecuteOptions struct {
	Silent      bool
	NoHistory   bool // store_history false
	StopOnError bool
	// Input answers input_request (a cell reading stdin); nil sends allow_stdin false, so the
	// cell gets an error instead of waiting.
	Input func(prompt string, password bool) (string, error)
	// OnOutput, if set, sees each output as it arrives (Execute still returns them all).
	OnOutput func(Output)
	// UserExpressions are evaluated after the cell; see the reply's user_expressions.
	UserExpressions map[string]string
}

// ExecuteResult is the outcome of one execute_request.
type ExecuteResult struct {
	Status         string // "ok" or "error" (also for a cell aborted after an earlier error)
	ExecutionCount int
	Ename, Evalue  string          // set when Status is "error"
	Reply          json.RawMessage // the whole execute_reply content
	Outputs        []Output        // IOPub outputs in order, up to status idle
}

// Execute runs code and waits for both its execute_reply and its status idle, so Outputs is
// complete. If ctx ends first, Execute sends interrupt_request and returns ctx's error.
func (c *Client) Execute(ctx context.Context, code string, opt ExecuteOptions) (*ExecuteResult, error) {
	ue := opt.UserExpressions
	if ue == nil {
		ue = map[string]string{}
	}
	content := map[string]any{
		"code": code, "silent": opt.Silent, "store_history": !opt.NoHistory && !opt.Silent,
		"user_expressions": ue, "allow_stdin": opt.Input != nil, "stop_on_error": opt.StopOnError,
	}
	m, w, err := c.send(c.shell, "execute_request", content, func(w *waiter) {
		w.input = opt.Input
		w.onOut = opt.OnOutput
	})
	if err != nil {
		return nil, err
	}
	defer c.forget(m.Header.MsgID)
	if err := c.wait(ctx, w, true); err != nil {
		c.Interrupt(context.Background())
		return nil, err
	}
	w.mu.Lock()
	res := &ExecuteResult{Reply: w.reply.Content, Outputs: append([]Output(nil), w.outputs...)}
	w.mu.Unlock()
	var r struct {
		Status         string `json:"status"`
		ExecutionCount int    `json:"execution_count"`
		Ename          string `json:"ename"`
		Evalue         string `json:"evalue"`
	}
	if err := json.Unmarshal(w.reply.Content, &r); err != nil {
		return nil, fmt.Errorf("execute_reply: %w", err)
	}
	res.Status, res.ExecutionCount, res.Ename, res.Evalue = r.Status, r.ExecutionCount, r.Ename, r.Evalue
	return res, nil
}

// wait blocks until w has its reply (and, with idle, its status idle) or ctx ends.
func (c *Client) wait(ctx context.Context, w *waiter, idle bool) error {
	for {
		w.mu.Lock()
		done := w.reply != nil && (!idle || w.idle)
		w.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.ctx.Done():
			return errors.New("client closed")
		case <-w.notify:
		}
	}
}

// Request sends msgType with content on the shell channel (or control, if control is true) and
// returns the reply, waiting for status idle too so that its outputs have arrived.
func (c *Client) Request(ctx context.Context, control bool, msgType string, content any) (*messaging.Message, []Output, error) {
	ch := c.shell
	if control {
		ch = c.control
	}
	m, w, err := c.send(ch, msgType, content, nil)
	if err != nil {
		return nil, nil, err
	}
	defer c.forget(m.Header.MsgID)
	if err := c.wait(ctx, w, true); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", msgType, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reply, append([]Output(nil), w.outputs...), nil
}

// KernelInfo returns the kernel_info_reply content.
func (c *Client) KernelInfo(ctx context.Context) (map[string]any, error) {
	m, _, err := c.Request(ctx, false, "kernel_info_request", map[string]any{})
	if err != nil {
		return nil, err
	}
	var info map[string]any
	return info, m.DecodeContent(&info)
}

// Interrupt sends interrupt_request on the control channel and waits for the reply.
func (c *Client) Interrupt(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, _, err := c.Request(ctx, true, "interrupt_request", map[string]any{})
	return err
}

// Shutdown sends shutdown_request on the control channel and waits for the reply.
func (c *Client) Shutdown(ctx context.Context, restart bool) error {
	m, w, err := c.send(c.control, "shutdown_request", map[string]any{"restart": restart}, nil)
	if err != nil {
		return err
	}
	defer c.forget(m.Header.MsgID)
	return c.wait(ctx, w, false)
}

// Close disconnects from the kernel (the kernel keeps running).
func (c *Client) Close() error {
	c.cancel()
	var errs []error
	for _, ch := range []*messaging.Channel{c.shell, c.control, c.stdin, c.iopub} {
		if ch != nil {
			errs = append(errs, ch.Sock.Close())
		}
	}
	return errors.Join(errs...)
}

// Notify sends msgType (one that has no reply, such as comm_open or comm_msg) on the shell
// channel and returns the outputs it produced, up to its status idle.
func (c *Client) Notify(ctx context.Context, msgType string, content any) ([]Output, error) {
	m, w, err := c.send(c.shell, msgType, content, nil)
	if err != nil {
		return nil, err
	}
	defer c.forget(m.Header.MsgID)
	for {
		w.mu.Lock()
		if w.idle {
			defer w.mu.Unlock()
			return append([]Output(nil), w.outputs...), nil
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", msgType, ctx.Err())
		case <-c.ctx.Done():
			return nil, errors.New("client closed")
		case <-w.notify:
		}
	}
}
