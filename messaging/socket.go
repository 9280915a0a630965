package messaging

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/go-zeromq/zmq4"
)

// Channel is one ZeroMQ socket carrying Jupyter messages, with the codec that signs and
// verifies them. Send is safe for concurrent use; Recv must be called from one goroutine.
type Channel struct {
	Name  string // "shell", "control", "stdin", "iopub"
	Sock  zmq4.Socket
	Codec Codec
	// Log receives one line per dropped message; nil means log.Default().
	Log *log.Logger

	mu sync.Mutex
}

// Send encodes, signs and sends m.
func (ch *Channel) Send(m *Message) error {
	frames, err := ch.Codec.Encode(m)
	if err != nil {
		return fmt.Errorf("%s: %w", ch.Name, err)
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if err := ch.Sock.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("%s: sending %s: %w", ch.Name, m.Header.MsgType, err)
	}
	return nil
}

// Recv returns the next valid message. Messages with a bad or missing signature, or that are
// not Jupyter messages, are logged and dropped; Recv only returns an error when the socket
// itself fails (for example when it is closed).
func (ch *Channel) Recv() (*Message, error) {
	for {
		zm, err := ch.Sock.Recv()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ch.Name, err)
		}
		m, err := ch.Codec.Decode(zm.Frames)
		if err != nil {
			ch.logf("%s: dropped message: %v", ch.Name, err)
			continue
		}
		return m, nil
	}
}

func (ch *Channel) logf(format string, args ...any) {
	l := ch.Log
	if l == nil {
		l = log.Default()
	}
	l.Printf(format, args...)
}

// DefaultMaxMessageSize is the largest message a socket accepts unless configured otherwise:
// 256 MiB, far above what Jupyter frontends send (a notebook's largest outputs travel from the
// kernel, not to it).
const DefaultMaxMessageSize = 256 << 20

// MaxMessageOption returns the zmq4 option that bounds inbound messages to n bytes (n <= 0:
// DefaultMaxMessageSize): a peer that sends or announces a larger frame or message is
// disconnected, and no frame is allocated ahead of its bytes.
func MaxMessageOption(n int64) zmq4.Option {
	if n <= 0 {
		n = DefaultMaxMessageSize
	}
	return zmq4.WithMaxMsgSize(n)
}

// Options configures Bind. The zero value has sensible defaults.
type Options struct {
	// Log receives dropped-message reports and zmq4's own log lines; nil means log.Default().
	Log *log.Logger
	// MaxMessageSize bounds every inbound message on every socket, in bytes (frames, and 64
	// bytes per frame); 0 means DefaultMaxMessageSize.
	MaxMessageSize int64
	// Welcome, if not nil, returns the message that greets an IOPub subscription to topic (""
	// for all): Jupyter's iopub_welcome (JEP 65). It is signed, sent on topic (or on
	// "iopub_welcome" for ""), and reaches the subscriber before anything published after.
	Welcome func(topic string) (*Message, error)
}

// Sockets are the kernel's sockets, bound to the endpoints of a connection file.
type Sockets struct {
	Shell, Control, Stdin, IOPub *Channel
	HB                           zmq4.Socket
	ctx                          context.Context
	cancel                       context.CancelFunc
}

// Bind opens the kernel's five sockets on exactly the transport, ip and ports of ci (shell,
// control and stdin are ROUTER, iopub is XPUB, heartbeat is REP), starts echoing heartbeats
// and greeting IOPub subscriptions with o.Welcome. Messages are signed and verified with
// ci.Key, and a message whose signature was already received on any of the sockets is dropped
// as a replay.
func Bind(ctx context.Context, ci ConnectionInfo, o Options) (*Sockets, error) {
	if err := ci.normalize(); err != nil {
		return nil, err
	}
	logger := o.Log
	ctx, cancel := context.WithCancel(ctx)
	codec := Codec{Signer: NewSigner([]byte(ci.Key)), Replay: NewDigestHistory(0)}
	zlog := log.New(logWriter{logger}, "zmq4: ", 0)
	s := &Sockets{ctx: ctx, cancel: cancel}
	var opened []zmq4.Socket
	fail := func(err error) (*Sockets, error) {
		for _, z := range opened {
			z.Close()
		}
		cancel()
		return nil, err
	}
	open := func(name string, z zmq4.Socket, port int) error {
		ep := ci.Endpoint(port)
		if err := z.Listen(ep); err != nil {
			z.Close()
			return fmt.Errorf("binding %s socket to %s: %w", name, ep, err)
		}
		opened = append(opened, z)
		return nil
	}
	opt := []zmq4.Option{zmq4.WithLogger(zlog), MaxMessageOption(o.MaxMessageSize)}
	mk := func(name string, z zmq4.Socket, port int) (*Channel, error) {
		if err := open(name, z, port); err != nil {
			return nil, err
		}
		return &Channel{Name: name, Sock: z, Codec: codec, Log: logger}, nil
	}
	var err error
	if s.Shell, err = mk("shell", zmq4.NewRouter(ctx, opt...), ci.ShellPort); err != nil {
		return fail(err)
	}
	if s.Control, err = mk("control", zmq4.NewRouter(ctx, opt...), ci.ControlPort); err != nil {
		return fail(err)
	}
	if s.Stdin, err = mk("stdin", zmq4.NewRouter(ctx, opt...), ci.StdinPort); err != nil {
		return fail(err)
	}
	iopubOpt := opt
	if o.Welcome != nil {
		iopubOpt = append(iopubOpt[:len(opt):len(opt)], zmq4.WithXPubWelcome(welcomer(codec, o.Welcome, logger)))
	}
	if s.IOPub, err = mk("iopub", zmq4.NewXPub(ctx, iopubOpt...), ci.IOPubPort); err != nil {
		return fail(err)
	}
	s.HB = zmq4.NewRep(ctx, opt...)
	if err := open("heartbeat", s.HB, ci.HBPort); err != nil {
		return fail(err)
	}
	go s.heartbeat()
	go s.drainIOPub()
	return s, nil
}

// welcomer adapts welcome to zmq4's XPUB hook: the message is encoded and signed with codec,
// its topic frame first.
func welcomer(codec Codec, welcome func(string) (*Message, error), logger *log.Logger) func([]byte) (zmq4.Msg, bool) {
	return func(topic []byte) (zmq4.Msg, bool) {
		m, err := welcome(string(topic))
		if err == nil {
			m.Identities = [][]byte{topic}
			if len(topic) == 0 {
				m.Identities = [][]byte{[]byte(m.Header.MsgType)}
			}
			var frames [][]byte
			if frames, err = codec.Encode(m); err == nil {
				return zmq4.NewMsgFrom(frames...), true
			}
		}
		logWriter{logger}.Write([]byte(fmt.Sprintf("iopub: welcoming subscription %q: %v", topic, err)))
		return zmq4.Msg{}, false
	}
}

// drainIOPub reads and discards what IOPub subscribers send ((un)subscriptions, which the XPUB
// socket has already applied and welcomed), so that their connections never stall.
func (s *Sockets) drainIOPub() {
	for s.ctx.Err() == nil {
		s.IOPub.Sock.Recv()
	}
}

// heartbeat echoes every ping back until the socket closes.
func (s *Sockets) heartbeat() {
	for s.ctx.Err() == nil {
		m, err := s.HB.Recv()
		if err != nil {
			continue // a malformed ping, or the socket closing (then ctx is done)
		}
		s.HB.Send(m)
	}
}

// Close closes all sockets.
func (s *Sockets) Close() error {
	s.cancel() // first, so the heartbeat and subscription loops see the end, not errors
	var errs []error
	for _, ch := range []*Channel{s.Shell, s.Control, s.Stdin, s.IOPub} {
		errs = append(errs, ch.Sock.Close())
	}
	errs = append(errs, s.HB.Close())
	return errors.Join(errs...)
}

// logWriter sends zmq4's internal log lines to the kernel's logger.
type logWriter struct{ l *log.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	l := w.l
	if l == nil {
		l = log.Default()
	}
	l.Print(string(p))
	return len(p), nil
}
