package kernel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/gohunt/gohunt/kernel/client"
	"github.com/gohunt/gohunt/messaging"
)

// zmtpGreeting is a ZMTP 3.0 greeting with the NULL mechanism, as a client sends it.
func zmtpGreeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xFF, 0x7F, 3, 0
	copy(g[12:32], "NULL")
	return g
}

// zmtpReady is the NULL mechanism's READY command for a peer of socket type typ.
func zmtpReady(typ string) []byte {
	body := []byte("\x05READY")
	prop := func(k, v string) {
		body = append(body, byte(len(k)))
		body = append(body, k...)
		body = binary.BigEndian.AppendUint32(body, uint32(len(v)))
		body = append(body, v...)
	}
	prop("Socket-Type", typ)
	if typ != "SUB" {
		prop("Identity", "")
	}
	return append([]byte{0x04, byte(len(body))}, body...)
}

// longFrameHeader is the header of a long frame claiming size bytes (flags: long, plus more).
func longFrameHeader(size uint64, more bool) []byte {
	h := []byte{0x02}
	if more {
		h[0] |= 0x01
	}
	return binary.BigEndian.AppendUint64(h, size)
}

// expectDropped reads from conn until the kernel closes it. A peer that claimed more than the
// limit must be disconnected, not left waiting for bytes that never come.
func expectDropped(t *testing.T, name string, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("%s: the kernel kept the connection open after an oversized frame header", name)
	}
}

// TestFrameLengthBombIsRefused is the unauthenticated frame-length bomb: a local peer that
// completes a ZMTP greeting, then claims a frame of 2^62 bytes (which made zmq4 panic in
// makeslice) or 2^40 bytes (which ran the process out of memory), on every socket, during the
// handshake and after it. No key is needed for any of this. The kernel must drop each such peer
// and go on answering the real client.
func TestFrameLengthBombIsRefused(t *testing.T) {
	tk := startKernel(t, nil)
	ports := map[string]struct {
		port int
		peer string
	}{
		"shell": {tk.ci.ShellPort, "DEALER"}, "control": {tk.ci.ControlPort, "DEALER"},
		"stdin": {tk.ci.StdinPort, "DEALER"}, "iopub": {tk.ci.IOPubPort, "SUB"},
		"hb": {tk.ci.HBPort, "REQ"},
	}
	for name, p := range ports {
		for _, size := range []uint64{1 << 62, 1 << 40, 1<<63 + 5} {
			for _, handshake := range []bool{false, true} {
				label := name + " size " + strconv.FormatUint(size, 10) + " handshake " + strconv.FormatBool(handshake)
				conn, err := net.Dial("tcp", net.JoinHostPort(tk.ci.IP, strconv.Itoa(p.port)))
				if err != nil {
					t.Fatal(err)
				}
				msg := zmtpGreeting()
				if handshake {
					msg = append(msg, zmtpReady(p.peer)...)
				}
				msg = append(msg, longFrameHeader(size, false)...)
				msg = append(msg, "only a few bytes follow"...)
				if _, err := conn.Write(msg); err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				expectDropped(t, label, conn)
				conn.Close()
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := tk.c.KernelInfo(ctx); err != nil {
		t.Fatalf("kernel_info after the frame bombs: %v", err)
	}
}

// TestMessageLimitDropsPeer sends messages above a configured limit for real: one frame of
// 2 MiB, and 40,000 empty frames of one message (each frame counts 64 bytes). Both peers are
// dropped, and a message under the limit from another client still runs.
func TestMessageLimitDropsPeer(t *testing.T) {
	tk := startKernel(t, nil, func(c *Config) { c.MaxMessageSize = 1 << 20 })
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", net.JoinHostPort(tk.ci.IP, strconv.Itoa(tk.ci.ShellPort)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(append(zmtpGreeting(), zmtpReady("DEALER")...)); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	big := dial()
	go func() { // the kernel may close the connection before all of it is written
		big.Write(append(longFrameHeader(2<<20, false), make([]byte, 2<<20)...))
	}()
	expectDropped(t, "a 2 MiB frame", big)
	big.Close()

	many := dial()
	go func() {
		many.Write(bytesRepeat([]byte{0x01, 0x00}, 40000))
	}()
	expectDropped(t, "40,000 empty frames", many)
	many.Close()

	if r := tk.exec(t, "result 1", client.ExecuteOptions{}); r.Status != "ok" {
		t.Fatalf("execute after the dropped peers: %+v", r)
	}
}

// TestStalledHandshakeBlocksNoOne: a peer that connects and never sends its greeting must not
// keep the kernel from accepting the next frontend.
func TestStalledHandshakeBlocksNoOne(t *testing.T) {
	tk := startKernel(t, nil)
	for _, port := range []int{tk.ci.ShellPort, tk.ci.ControlPort, tk.ci.StdinPort, tk.ci.IOPubPort, tk.ci.HBPort} {
		conn, err := net.Dial("tcp", net.JoinHostPort(tk.ci.IP, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, tk.ci)
	if err != nil {
		t.Fatalf("a second frontend could not connect while stalled peers were open: %v", err)
	}
	defer c.Close()
	if _, err := c.KernelInfo(ctx); err != nil {
		t.Fatal(err)
	}
}

func bytesRepeat(b []byte, n int) []byte {
	out := make([]byte, 0, len(b)*n)
	for range n {
		out = append(out, b...)
	}
	return out
}

// TestReplayedRequestRunsOnce sends the same signed execute_request twice, byte for byte, and
// once more with its signature in upper case (the same digest): it runs once, the copies are
// logged as replays, and the next fresh request gets execution count 2.
func TestReplayedRequestRunsOnce(t *testing.T) {
	tk := startKernel(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("replayer")))
	defer d.Close()
	if err := d.Dial(tk.ci.Endpoint(tk.ci.ShellPort)); err != nil {
		t.Fatal(err)
	}
	ch := &messaging.Channel{Name: "replayer", Sock: d, Codec: messaging.Codec{Signer: messaging.NewSigner([]byte(tk.ci.Key))}}
	m, _ := messaging.NewMessage("replayer", "execute_request", nil, map[string]any{
		"code": "result 7", "silent": false, "store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	frames, err := ch.Codec.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	upper := append([][]byte(nil), frames...)
	upper[1] = bytes.ToUpper(frames[1])
	for _, f := range [][][]byte{frames, frames, upper} {
		if err := d.Send(zmq4.NewMsgFrom(f...)); err != nil {
			t.Fatal(err)
		}
	}
	reply, err := ch.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Status         string `json:"status"`
		ExecutionCount int    `json:"execution_count"`
	}
	reply.DecodeContent(&c)
	if reply.Header.MsgType != "execute_reply" || c.Status != "ok" || c.ExecutionCount != 1 {
		t.Fatalf("first reply: %s %s", reply.Header.MsgType, reply.Content)
	}
	for strings.Count(tk.logs.String(), "replayed message") < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("the replays were not logged; log:\n%s", tk.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Requests are handled in order: had a copy run, this would be count 3, not 2.
	if r := tk.exec(t, "result 8", client.ExecuteOptions{}); r.Status != "ok" || r.ExecutionCount != 2 {
		t.Fatalf("next execute: status %s, count %d (want 2: the replays must not run)", r.Status, r.ExecutionCount)
	}
}

// TestHistorySearchHugePatternIsAnError: a 4 MB glob made regexp.MustCompile panic and the
// kernel exit. It is an error reply naming the field, and the kernel goes on.
func TestHistorySearchHugePatternIsAnError(t *testing.T) {
	tk := startKernel(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tk.exec(t, "result 1", client.ExecuteOptions{})
	for _, content := range []map[string]any{
		{"hist_access_type": "search", "pattern": strings.Repeat("a?*", 4<<20/3), "output": false, "raw": true},
		{"hist_access_type": "range", "session": 1e30, "start": 0, "stop": 1, "output": false, "raw": true},
		{"hist_access_type": "bogus", "output": false, "raw": true},
	} {
		m, _, err := tk.c.Request(ctx, false, "history_request", content)
		if err != nil {
			t.Fatal(err)
		}
		var c struct{ Status, Ename, Evalue string }
		m.DecodeContent(&c)
		if m.Header.MsgType != "history_reply" || c.Status != "error" || c.Ename != "BadRequest" {
			t.Fatalf("history_request %v: %s %s", content["hist_access_type"], m.Header.MsgType, m.Content)
		}
	}
	m, _, err := tk.c.Request(ctx, false, "history_request", map[string]any{"hist_access_type": "search", "pattern": "result*", "output": false, "raw": true})
	if err != nil || !strings.Contains(string(m.Content), `[[1,1,"result 1"]]`) {
		t.Fatalf("a good search after the bad ones: %v %s", err, m.Content)
	}
}

// TestCompleteCursorIsClamped: cursor positions outside the code never reach the worker.
func TestCompleteCursorIsClamped(t *testing.T) {
	tk := startKernel(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for pos, want := range map[int]int{-5: 0, 1 << 40: 6, 3: 3} {
		m, _, err := tk.c.Request(ctx, false, "complete_request", map[string]any{"code": "fmt.Pr", "cursor_pos": pos})
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			CursorEnd int `json:"cursor_end"`
		}
		m.DecodeContent(&c)
		if c.CursorEnd != want {
			t.Errorf("cursor_pos %d: the worker saw %d, want %d", pos, c.CursorEnd, want)
		}
	}
	m, _, err := tk.c.Request(ctx, false, "complete_request", map[string]any{"code": strings.Repeat("x", maxCompleteCode+1), "cursor_pos": 0})
	if err != nil || !strings.Contains(string(m.Content), `"status":"error"`) || !strings.Contains(string(m.Content), "field code") {
		t.Fatalf("oversized code: %v %s", err, m.Content)
	}
}
