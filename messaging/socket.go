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

// Sockets are the kernel's sockets, bound to the endpoints of a connection file.
type Sockets struct {
	Shell, Control, Stdin, IOPub *Channel
	HB                           zmq4.Socket
	ctx                          context.Context
	cancel                       context.CancelFunc
}

// Bind opens the kernel's five sockets on exactly the transport, ip and ports of ci (shell,
// control and stdin are ROUTER, iopub is PUB, heartbeat is REP) and starts echoing heartbeats.
// Messages are signed and verified with ci.Key; logger receives dropped-message reports.
func Bind(ctx context.Context, ci ConnectionInfo, logger *log.Logger) (*Sockets, error) {
	if err := ci.normalize(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	codec := Codec{Signer: NewSigner([]byte(ci.Key))}
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
	opt := zmq4.WithLogger(zlog)
	mk := func(name string, z zmq4.Socket, port int) (*Channel, error) {
		if err := open(name, z, port); err != nil {
			return nil, err
		}
		return &Channel{Name: name, Sock: z, Codec: codec, Log: logger}, nil
	}
	var err error
	if s.Shell, err = mk("shell", zmq4.NewRouter(ctx, opt), ci.ShellPort); err != nil {
		return fail(err)
	}
	if s.Control, err = mk("control", zmq4.NewRouter(ctx, opt), ci.ControlPort); err != nil {
		return fail(err)
	}
	if s.Stdin, err = mk("stdin", zmq4.NewRouter(ctx, opt), ci.StdinPort); err != nil {
		return fail(err)
	}
	if s.IOPub, err = mk("iopub", zmq4.NewPub(ctx, opt), ci.IOPubPort); err != nil {
		return fail(err)
	}
	s.HB = zmq4.NewRep(ctx, opt)
	if err := open("heartbeat", s.HB, ci.HBPort); err != nil {
		return fail(err)
	}
	go s.heartbeat()
	return s, nil
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
	var errs []error
	for _, ch := range []*Channel{s.Shell, s.Control, s.Stdin, s.IOPub} {
		errs = append(errs, ch.Sock.Close())
	}
	s.cancel()
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
