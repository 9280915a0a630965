package messaging

import (
	"context"
	"log"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

func TestBindHeartbeatAndRouting(t *testing.T) {
	dir, err := os.MkdirTemp("", "ghm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tcp, err := NewLocalConnectionInfo()
	if err != nil {
		t.Fatal(err)
	}
	ipc := ConnectionInfo{Transport: "ipc", IP: filepath.Join(dir, "kernel"), ShellPort: 1, ControlPort: 2, StdinPort: 3, IOPubPort: 4, HBPort: 5, Key: "secret"}
	for _, ci := range []ConnectionInfo{tcp, ipc} {
		t.Run(ci.Transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := Bind(ctx, ci, Options{Log: log.New(os.Stderr, "", 0)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()

			// Heartbeat: a REQ ping comes back unchanged.
			req := zmq4.NewReq(ctx)
			defer req.Close()
			if err := req.Dial(ci.Endpoint(ci.HBPort)); err != nil {
				t.Fatal(err)
			}
			if err := req.Send(zmq4.NewMsgString("ping")); err != nil {
				t.Fatal(err)
			}
			pong, err := req.Recv()
			if err != nil || string(pong.Frames[0]) != "ping" {
				t.Fatalf("heartbeat echo = %q, %v", pong.Frames, err)
			}

			// Shell: a DEALER's request arrives with its identity; the reply routes back.
			d := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("client-1")))
			defer d.Close()
			if err := d.Dial(ci.Endpoint(ci.ShellPort)); err != nil {
				t.Fatal(err)
			}
			client := &Channel{Name: "client", Sock: d, Codec: s.Shell.Codec}
			m, _ := NewMessage("c", "kernel_info_request", nil, nil)
			if err := client.Send(m); err != nil {
				t.Fatal(err)
			}
			got, err := s.Shell.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Identities) != 1 || string(got.Identities[0]) != "client-1" || got.Header.MsgID != m.Header.MsgID {
				t.Fatalf("received %+v", got)
			}
			rep, _ := NewMessage("k", "kernel_info_reply", got, map[string]any{"status": "ok"})
			if err := s.Shell.Send(rep); err != nil {
				t.Fatal(err)
			}
			back, err := client.Recv()
			if err != nil || back.Parent.MsgID != m.Header.MsgID || back.Header.MsgType != "kernel_info_reply" {
				t.Fatalf("reply = %+v, %v", back, err)
			}
		})
	}
}

func TestConnectionFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	os.WriteFile(p, []byte(`{"ip":"::1","shell_port":1,"control_port":2,"stdin_port":3,"iopub_port":4,"hb_port":5,"key":"k"}`), 0o600)
	ci, err := ReadConnectionFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Transport != "tcp" || ci.SignatureScheme != "hmac-sha256" || ci.Endpoint(1) != "tcp://[::1]:1" {
		t.Fatalf("defaults: %+v %s", ci, ci.Endpoint(1))
	}
	for name, body := range map[string]string{
		"transport": `{"transport":"udp","ip":"x","shell_port":1,"control_port":2,"stdin_port":3,"iopub_port":4,"hb_port":5}`,
		"hb_port":   `{"ip":"127.0.0.1","shell_port":1,"control_port":2,"stdin_port":3,"iopub_port":4}`,
		"signature": `{"ip":"127.0.0.1","shell_port":1,"control_port":2,"stdin_port":3,"iopub_port":4,"hb_port":5,"key":"k","signature_scheme":"hmac-md5"}`,
	} {
		os.WriteFile(p, []byte(body), 0o600)
		if _, err := ReadConnectionFile(p); err == nil || !contains(err.Error(), name) {
			t.Errorf("%s: error %v does not name the field", name, err)
		}
	}
	if ci := (ConnectionInfo{Transport: "ipc", IP: "/tmp/k"}); ci.Endpoint(7) != "ipc:///tmp/k-7" {
		t.Errorf("ipc endpoint = %s", ci.Endpoint(7))
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestIOPubWelcomesEachSubscriber: every subscriber's first IOPub message is its signed
// welcome, also when messages are being published as it subscribes.
func TestIOPubWelcomesEachSubscriber(t *testing.T) {
	ci, err := NewLocalConnectionInfo()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	welcome := func(topic string) (*Message, error) {
		return NewMessage("k", "iopub_welcome", nil, map[string]any{"subscription": topic})
	}
	s, err := Bind(ctx, ci, Options{Log: log.New(os.Stderr, "", 0), Welcome: welcome})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		for ctx.Err() == nil {
			m, _ := NewMessage("k", "stream", nil, map[string]any{"name": "stdout", "text": "x"})
			m.Identities = [][]byte{[]byte("stream")}
			s.IOPub.Send(m)
			time.Sleep(time.Millisecond)
		}
	}()
	for i, topic := range []string{"", "", "stream"} {
		sub := zmq4.NewSub(ctx)
		defer sub.Close()
		if err := sub.Dial(ci.Endpoint(ci.IOPubPort)); err != nil {
			t.Fatal(err)
		}
		if err := sub.SetOption(zmq4.OptionSubscribe, topic); err != nil {
			t.Fatal(err)
		}
		ch := &Channel{Name: "sub", Sock: sub, Codec: s.IOPub.Codec}
		m, err := ch.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Subscription *string `json:"subscription"`
		}
		m.DecodeContent(&c)
		if m.Header.MsgType != "iopub_welcome" || c.Subscription == nil || *c.Subscription != topic || m.Parent.MsgID != "" {
			t.Fatalf("subscriber %d (%q): first message %s %s", i, topic, m.Header.MsgType, m.Content)
		}
	}
}
