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
}

// Sockets are the kernel's sockets, bound to the endpoints of a connection file.
type Sockets struct {
	Shell, Control, Stdin, IOPub *Channel
	HB                           zmq4.Socket
	// Subscriptions receives the topic of every subscription a frontend makes on IOPub (""
	// for all), so the kernel can greet it with iopub_welcome (JEP 65). Subscriptions that
	// arrive while the channel is full are logged and dropped.
	Subscriptions <-chan string
	ctx           context.Context
	cancel        context.CancelFunc
}

// Bind opens the kernel's five sockets on exactly the transport, ip and ports of ci (shell,
// control and stdin are ROUTER, iopub is XPUB, heartbeat is REP), starts echoing heartbeats and
// reporting IOPub subscriptions. Messages are signed and verified with ci.Key, and a message
// whose signature was already received on any of the sockets is dropped as a replay.
func Bind(ctx context.Context, ci ConnectionInfo, o Options) (*Sockets, error) {
	if err := ci.normalize(); err != nil {
		return nil, err
	}
	logger := o.Log
	ctx, cancel := context.WithCancel(ctx)
	codec := Codec{Signer: NewSigner([]byte(ci.Key)), Replay: NewDigestHistory(0)}
	zlog := log.New(logWriter{logger}, "zmq4: ", 0)
	subs := make(chan string, 16)
	s := &Sockets{ctx: ctx, cancel: cancel, Subscriptions: subs}
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
	if s.IOPub, err = mk("iopub", zmq4.NewXPub(ctx, opt...), ci.IOPubPort); err != nil {
		return fail(err)
	}
	s.HB = zmq4.NewRep(ctx, opt...)
	if err := open("heartbeat", s.HB, ci.HBPort); err != nil {
		return fail(err)
	}
	go s.heartbeat()
	go s.subscriptions(subs)
	return s, nil
}

// subscriptions reads what IOPub subscribers send and passes on the topic of each
// subscription ("\x01" + topic) until the socket closes. Anything else is ignored.
func (s *Sockets) subscriptions(out chan<- string) {
	for s.ctx.Err() == nil {
		m, err := s.IOPub.Sock.Recv()
		if err != nil || len(m.Frames) != 1 || len(m.Frames[0]) == 0 || m.Frames[0][0] != 1 {
			continue
		}
		select {
		case out <- string(m.Frames[0][1:]):
		default:
			s.IOPub.logf("iopub: subscription %q not reported: the kernel is not reading them", m.Frames[0][1:])
		}
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
