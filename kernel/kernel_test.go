package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/gohunt/gohunt/kernel/client"
	"github.com/gohunt/gohunt/messaging"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testKernel struct {
	k    *Kernel
	c    *client.Client
	ci   messaging.ConnectionInfo
	logs *syncBuffer
	done chan error
}

// startKernel runs a front with the fake worker in this process and connects a client;
// tune, if given, adjusts the Config first.
func startKernel(t *testing.T, ci *messaging.ConnectionInfo, tune ...func(*Config)) *testKernel {
	t.Helper()
	if ci == nil {
		c, err := messaging.NewLocalConnectionInfo()
		if err != nil {
			t.Fatal(err)
		}
		ci = &c
	}
	logs := &syncBuffer{}
	cfg := Config{
		WorkerCommand: func() (*exec.Cmd, error) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "GOHUNT_FAKE_WORKER=1")
			return cmd, nil
		},
		HistoryPath:    filepath.Join(t.TempDir(), "history.jsonl"),
		InterruptGrace: 500 * time.Millisecond,
		Log:            log.New(logs, "", 0),
	}
	for _, f := range tune {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k, err := New(ctx, *ci, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	tk := &testKernel{k: k, ci: *ci, logs: logs, done: make(chan error, 1)}
	go func() { tk.done <- k.Run(ctx) }()
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	tk.c, err = client.Dial(dctx, *ci)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tk.c.Close()
		cancel()
		select {
		case <-tk.done:
		case <-time.After(60 * time.Second):
			t.Error("kernel did not stop")
		}
	})
	return tk
}

func (tk *testKernel) exec(t *testing.T, code string, opt client.ExecuteOptions) *client.ExecuteResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := tk.c.Execute(ctx, code, opt)
	if err != nil {
		t.Fatalf("execute %q: %v", code, err)
	}
	return res
}

func streamText(res *client.ExecuteResult, name string) string {
	var b strings.Builder
	for _, o := range res.Outputs {
		if o.MsgType == "stream" {
			var s struct{ Name, Text string }
			json.Unmarshal(o.Content, &s)
			if s.Name == name {
				b.WriteString(s.Text)
			}
		}
	}
	return b.String()
}

func TestKernelInfo(t *testing.T) {
	tk := startKernel(t, nil)
	info, err := tk.c.KernelInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	li := info["language_info"].(map[string]any)
	for k, want := range map[string]string{"name": "go", "mimetype": "text/x-go", "file_extension": ".go", "pygments_lexer": "go", "codemirror_mode": "go"} {
		if li[k] != want {
			t.Errorf("language_info.%s = %v, want %s", k, li[k], want)
		}
	}
	if info["protocol_version"] != messaging.ProtocolVersion || info["implementation"] != "gohunt" || info["banner"] == "" {
		t.Errorf("kernel_info = %v", info)
	}
}

func TestIPCTransport(t *testing.T) {
	dir, err := os.MkdirTemp("", "gh")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ci := messaging.ConnectionInfo{Transport: "ipc", IP: filepath.Join(dir, "k"), ShellPort: 1, ControlPort: 2, StdinPort: 3, IOPubPort: 4, HBPort: 5, Key: "k"}
	tk := startKernel(t, &ci)
	res := tk.exec(t, "print 2", client.ExecuteOptions{})
	if got := streamText(res, "stdout"); got != "line 0\nline 1\n" {
		t.Fatalf("stdout = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "k-1")); err != nil {
		t.Fatalf("shell socket file: %v", err)
	}
}

func TestStreamsInOrderBeforeIdle(t *testing.T) {
	tk := startKernel(t, nil)
	res := tk.exec(t, "print 20000", client.ExecuteOptions{})
	var want strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if got := streamText(res, "stdout"); got != want.String() {
		t.Fatalf("stdout differs: %d bytes, want %d", len(got), want.Len())
	}
	if len(res.Outputs) > 200 {
		t.Errorf("%d stream messages for 20000 lines: output is not coalesced", len(res.Outputs))
	}
	res = tk.exec(t, "mixed", client.ExecuteOptions{})
	var seq []string
	for _, o := range res.Outputs {
		var s struct{ Name, Text string }
		json.Unmarshal(o.Content, &s)
		seq = append(seq, s.Name+":"+s.Text)
	}
	if strings.Join(seq, "") != "stdout:a\nstderr:b\nstdout:c\n" {
		t.Fatalf("interleaving lost: %q", seq)
	}
}

func TestExecuteResultAndCount(t *testing.T) {
	tk := startKernel(t, nil)
	r1 := tk.exec(t, "result 2", client.ExecuteOptions{})
	r2 := tk.exec(t, "result 3", client.ExecuteOptions{})
	if r1.ExecutionCount != 1 || r2.ExecutionCount != 2 {
		t.Fatalf("execution counts %d, %d", r1.ExecutionCount, r2.ExecutionCount)
	}
	var er struct {
		ExecutionCount int               `json:"execution_count"`
		Data           map[string]string `json:"data"`
	}
	json.Unmarshal(r2.Outputs[0].Content, &er)
	if r2.Outputs[0].MsgType != "execute_result" || er.ExecutionCount != 2 || er.Data["text/plain"] != "3" {
		t.Fatalf("outputs = %+v", r2.Outputs)
	}
	silent := tk.exec(t, "result 4", client.ExecuteOptions{Silent: true})
	if len(silent.Outputs) != 0 || silent.ExecutionCount != 2 {
		t.Fatalf("silent: count %d outputs %v", silent.ExecutionCount, silent.Outputs)
	}
}

func TestStopOnErrorAbortsQueued(t *testing.T) {
	tk := startKernel(t, nil)
	var wg sync.WaitGroup
	results := make([]*client.ExecuteResult, 3)
	codes := []string{"error", "print 1", "print 1"}
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = tk.exec(t, codes[i], client.ExecuteOptions{StopOnError: true})
		}()
		time.Sleep(20 * time.Millisecond) // keep the order
	}
	wg.Wait()
	if results[0].Status != "error" || results[0].Ename != "panic" {
		t.Fatalf("first = %+v", results[0])
	}
	for _, r := range results[1:] {
		if r.Status != "error" || r.Ename != "ExecutionAborted" || len(r.Outputs) != 0 {
			t.Fatalf("queued cell not aborted: %+v", r)
		}
	}
	if r := tk.exec(t, "print 1", client.ExecuteOptions{StopOnError: true}); r.Status != "ok" {
		t.Fatalf("cell after the aborts: %+v", r)
	}
	// Without stop_on_error the queue runs.
	var r2 *client.ExecuteResult
	wg.Add(1)
	go func() { defer wg.Done(); tk.exec(t, "error", client.ExecuteOptions{}) }()
	time.Sleep(20 * time.Millisecond)
	r2 = tk.exec(t, "print 1", client.ExecuteOptions{})
	wg.Wait()
	if r2.Status != "ok" {
		t.Fatalf("without stop_on_error: %+v", r2)
	}
}

func TestWorkerCrashIsReportedAndRestarted(t *testing.T) {
	tk := startKernel(t, nil)
	res := tk.exec(t, "crash", client.ExecuteOptions{})
	if res.Status != "error" || res.Ename != "WorkerDied" {
		t.Fatalf("crash reply = %+v", res)
	}
	if !strings.Contains(res.Evalue, "fatal error: stack overflow") || !strings.Contains(res.Evalue, "lost") {
		t.Fatalf("crash evalue does not name the reason and the lost state: %q", res.Evalue)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].MsgType != "error" {
		t.Fatalf("crash outputs = %+v", res.Outputs)
	}
	if r := tk.exec(t, "print 1", client.ExecuteOptions{}); r.Status != "ok" || streamText(r, "stdout") != "line 0\n" {
		t.Fatalf("cell after crash: %+v", r)
	}
}

func TestCrashBetweenCellsIsReported(t *testing.T) {
	tk := startKernel(t, nil)
	if r := tk.exec(t, "bgcrash", client.ExecuteOptions{}); r.Status != "ok" {
		t.Fatalf("bgcrash = %+v", r)
	}
	// Wait for the crash itself (the next cell must start after it, not race with it).
	tk.k.mu.Lock()
	w := tk.k.w
	tk.k.mu.Unlock()
	select {
	case <-w.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the worker did not crash")
	}
	r := tk.exec(t, "print 1", client.ExecuteOptions{})
	if r.Status != "ok" || streamText(r, "stdout") != "line 0\n" {
		t.Fatalf("cell after a crash between cells: %+v", r)
	}
	notice := streamText(r, "stderr")
	if !strings.Contains(notice, "concurrent map writes") || !strings.Contains(notice, "lost") {
		t.Fatalf("no notice of the crash between cells: %q", notice)
	}
	if r := tk.exec(t, "print 1", client.ExecuteOptions{}); streamText(r, "stderr") != "" {
		t.Fatalf("notice repeated: %+v", r)
	}
}

func TestInterrupt(t *testing.T) {
	tk := startKernel(t, nil)
	go func() {
		time.Sleep(200 * time.Millisecond)
		tk.c.Interrupt(context.Background())
	}()
	res := tk.exec(t, "loop", client.ExecuteOptions{})
	if res.Ename != "KeyboardInterrupt" {
		t.Fatalf("interrupted loop: %+v", res)
	}
	// A worker that ignores the interrupt is killed after the grace period and restarted.
	go func() {
		time.Sleep(200 * time.Millisecond)
		tk.c.Interrupt(context.Background())
	}()
	res = tk.exec(t, "hang", client.ExecuteOptions{})
	if res.Ename != "WorkerDied" || !strings.Contains(res.Evalue, "did not stop") || !strings.Contains(res.Evalue, "lost") {
		t.Fatalf("hung cell: %+v", res)
	}
	if r := tk.exec(t, "result ok", client.ExecuteOptions{}); r.Status != "ok" {
		t.Fatalf("cell after restart: %+v", r)
	}
	// SIGINT-style interrupt with nothing running is harmless.
	tk.k.interrupt()
}

func TestInputRoundTrip(t *testing.T) {
	tk := startKernel(t, nil)
	res := tk.exec(t, "input", client.ExecuteOptions{Input: func(prompt string, pw bool) (string, error) {
		if prompt != "name? " {
			return "", fmt.Errorf("prompt %q", prompt)
		}
		return "hunter", nil
	}})
	if got := streamText(res, "stdout"); got != "got hunter\n" {
		t.Fatalf("stdout = %q", got)
	}
	// Without allow_stdin the worker gets an empty answer at once, never a hang.
	res = tk.exec(t, "input", client.ExecuteOptions{})
	if got := streamText(res, "stdout"); got != "got \n" {
		t.Fatalf("stdout without stdin = %q", got)
	}
}

// The worker owns the output limit (kernel/worker/output.go): the front publishes all a worker
// sends, coalesced, in order, with nothing dropped or added.
func TestFrontForwardsAllWorkerOutput(t *testing.T) {
	tk := startKernel(t, nil)
	res := tk.exec(t, "print 200000", client.ExecuteOptions{})
	if res.Status != "ok" {
		t.Fatalf("reply = %+v", res)
	}
	lines := strings.Split(strings.TrimSuffix(streamText(res, "stdout"), "\n"), "\n")
	if len(lines) != 200000 {
		t.Fatalf("published %d lines, want 200000", len(lines))
	}
	for i, l := range lines {
		if l != fmt.Sprintf("line %d", i) {
			t.Fatalf("line %d = %q", i, l)
		}
	}
}

func TestOrphanOutputIsPublished(t *testing.T) {
	tk := startKernel(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub := zmq4.NewSub(ctx)
	defer sub.Close()
	if err := sub.Dial(tk.ci.Endpoint(tk.ci.IOPubPort)); err != nil {
		t.Fatal(err)
	}
	sub.SetOption(zmq4.OptionSubscribe, "")
	time.Sleep(200 * time.Millisecond) // let the subscription reach the PUB socket
	tk.exec(t, "orphan", client.ExecuteOptions{})
	codec := messaging.Codec{Signer: messaging.NewSigner([]byte(tk.ci.Key))}
	for {
		zm, err := sub.Recv()
		if err != nil {
			t.Fatalf("output of a goroutine outliving its cell was lost: %v", err)
		}
		m, err := codec.Decode(zm.Frames)
		if err != nil {
			t.Fatal(err)
		}
		if m.Header.MsgType == "stream" && strings.Contains(string(m.Content), "late") {
			if m.Parent.MsgType != "execute_request" {
				t.Fatalf("late output has parent %+v", m.Parent)
			}
			return
		}
	}
}

func TestCompleteAndIsComplete(t *testing.T) {
	tk := startKernel(t, nil)
	ctx := context.Background()
	m, _, err := tk.c.Request(ctx, false, "complete_request", map[string]any{"code": "fmt.Pr", "cursor_pos": 6})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Matches     []string `json:"matches"`
		CursorStart int      `json:"cursor_start"`
	}
	m.DecodeContent(&c)
	if len(c.Matches) != 2 || c.CursorStart != 4 {
		t.Fatalf("complete_reply = %s", m.Content)
	}
	m, _, err = tk.c.Request(ctx, false, "is_complete_request", map[string]any{"code": "func f() {"})
	if err != nil || !strings.Contains(string(m.Content), "incomplete") {
		t.Fatalf("is_complete_reply = %v %v", m, err)
	}
}

func TestHistoryAndComms(t *testing.T) {
	tk := startKernel(t, nil)
	for _, code := range []string{"result 1", "result 2", "result 1"} {
		tk.exec(t, code, client.ExecuteOptions{})
	}
	ctx := context.Background()
	m, _, err := tk.c.Request(ctx, false, "history_request", map[string]any{"hist_access_type": "tail", "n": 2, "output": true, "raw": true})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[[1,2,["result 2","2"]],[1,3,["result 1","1"]]]`; !strings.Contains(string(m.Content), want) {
		t.Fatalf("tail = %s, want %s", m.Content, want)
	}
	m, _, _ = tk.c.Request(ctx, false, "history_request", map[string]any{"hist_access_type": "search", "pattern": "result 1*", "unique": true, "output": false, "raw": true})
	if want := `[[1,3,"result 1"]]`; !strings.Contains(string(m.Content), want) {
		t.Fatalf("search = %s, want %s", m.Content, want)
	}
	m, _, _ = tk.c.Request(ctx, false, "comm_info_request", map[string]any{})
	if !strings.Contains(string(m.Content), `"comms":{}`) {
		t.Fatalf("comm_info = %s", m.Content)
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	outs, err := tk.c.Notify(tctx, "comm_open", map[string]any{"comm_id": "c1", "target_name": "nope", "data": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].MsgType != "comm_close" || !strings.Contains(string(outs[0].Content), "c1") {
		t.Fatalf("comm_open outputs = %+v", outs)
	}
}

func TestBadSignatureIsDropped(t *testing.T) {
	tk := startKernel(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := zmq4.NewDealer(ctx)
	defer d.Close()
	if err := d.Dial(tk.ci.Endpoint(tk.ci.ShellPort)); err != nil {
		t.Fatal(err)
	}
	forged := messaging.Codec{Signer: messaging.NewSigner([]byte("wrong key"))}
	m, _ := messaging.NewMessage("s", "execute_request", nil, map[string]any{"code": "crash"})
	frames, _ := forged.Encode(m)
	if err := d.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		t.Fatal(err)
	}
	unsigned, _ := messaging.Codec{}.Encode(m)
	d.Send(zmq4.NewMsgFrom(unsigned...))
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(tk.logs.String(), "dropped message") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("forged messages not logged as dropped; log:\n%s", tk.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Nothing ran: the execution count is still 0 and the worker is alive.
	if r := tk.exec(t, "result x", client.ExecuteOptions{}); r.ExecutionCount != 1 || r.Status != "ok" {
		t.Fatalf("after forged messages: %+v", r)
	}
}

func TestShutdownEndsRun(t *testing.T) {
	tk := startKernel(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := tk.c.Shutdown(ctx, true); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-tk.done:
		if err != nil {
			t.Fatal(err)
		}
		tk.done <- nil // for the cleanup
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return after shutdown_request")
	}
}

// A worker whose event pipe closes while it runs on can never reply: the front ends it, fails
// the cell saying why, and the next cell runs in a fresh worker (issue 11 item 4).
func TestEventPipeClosedByCell(t *testing.T) {
	tk := startKernel(t, nil)
	res := tk.exec(t, "closefd", client.ExecuteOptions{})
	if res.Status != "error" || res.Ename != "WorkerDied" || !strings.Contains(res.Evalue, "event pipe (fd 4) was closed") || !strings.Contains(res.Evalue, "lost") {
		t.Fatalf("cell that closed fd 4: %+v", res)
	}
	if r := tk.exec(t, "result ok", client.ExecuteOptions{}); r.Status != "ok" {
		t.Fatalf("cell after the worker was replaced: %+v", r)
	}
}
