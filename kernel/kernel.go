// Package kernel is the front of the gohunt Jupyter kernel: the process Jupyter starts. It owns
// the ZeroMQ sockets, dispatches each request to the handler for its msg_type, keeps the
// execution count and history, and supervises the interpreter worker process (package
// kernel/worker, started as `gohunt worker`) that runs the cells.
//
// The message path, in one pass:
//
//	socket (messaging.Channel.Recv: envelope decoded, signature verified)
//	  -> Kernel.dispatch: status busy, handlers[msg_type], status idle
//	  -> handler: executeRequest, completeRequest, ... (kernel_info, history, comm_* answered here)
//	  -> worker (ipc.Request on fd 3): the yaegi session runs the cell
//	  -> ipc.Events on fd 4 (stream, display_data, execute_result, error, ...) published on IOPub
//
// Shell requests run one at a time, in order; control requests (interrupt, shutdown) run at
// once on their own goroutine. A worker that dies is reported as the cell's error, with the
// crash reason and the news that all variables were lost, and a fresh worker is started.
package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
	"github.com/gohunt/gohunt/messaging"
	"github.com/google/uuid"
)

// Config configures a Kernel. The zero value of each field has a sensible default.
type Config struct {
	// WorkerCommand returns the command that starts a fresh interpreter worker; the default
	// runs this executable as `gohunt worker`.
	WorkerCommand func() (*exec.Cmd, error)
	// HistoryPath is the history file; "" means DefaultHistoryPath(), "-" means no file.
	HistoryPath string
	// InterruptGrace is how long a cell may take to stop after an interrupt before the front
	// kills and restarts the worker (default 3 s).
	InterruptGrace time.Duration
	// Log receives the kernel's diagnostics (dropped messages, worker deaths); default stderr.
	Log *log.Logger
	// MaxMessageSize bounds every message a peer may send to any of the kernel's sockets, in
	// bytes; a peer that sends or announces more is disconnected (default
	// messaging.DefaultMaxMessageSize, 256 MiB).
	MaxMessageSize int64
}

// Kernel is one running gohunt kernel: its sockets, session state and worker.
type Kernel struct {
	cfg      Config
	socks    *messaging.Sockets
	log      *log.Logger
	session  string // this kernel's session id, in the header of every message it sends
	handlers map[string]handler
	history  *history

	shellQ  chan *messaging.Message // shell requests, in arrival order
	inputCh chan *messaging.Message // input_reply messages from the stdin socket
	cancel  context.CancelFunc

	execCount int // touched only by the shell goroutine
	closing   atomic.Bool

	mu      sync.Mutex
	w       *workerProc        // the current worker; nil before the first start
	running *runningCell       // the execute in progress, if any
	orphanP *messaging.Message // parent for output of goroutines that outlive their cell
	notice  string             // news of a worker death no cell has reported yet
}

// handler answers one request. It runs between the busy and idle status messages.
type handler func(k *Kernel, r *request)

// request is a received message and the channel its reply goes back on.
type request struct {
	msg *messaging.Message
	ch  *messaging.Channel
}

// New returns a kernel bound to the sockets of ci. Run starts serving.
func New(ctx context.Context, ci messaging.ConnectionInfo, cfg Config) (*Kernel, error) {
	if cfg.Log == nil {
		cfg.Log = log.New(os.Stderr, "gohunt kernel: ", log.LstdFlags)
	}
	if cfg.InterruptGrace <= 0 {
		cfg.InterruptGrace = 3 * time.Second
	}
	if cfg.WorkerCommand == nil {
		cfg.WorkerCommand = defaultWorkerCommand
	}
	hpath := cfg.HistoryPath
	switch hpath {
	case "":
		hpath = DefaultHistoryPath()
	case "-":
		hpath = ""
	}
	hist, err := openHistory(hpath)
	if err != nil {
		cfg.Log.Printf("%v (continuing with what could be read)", err)
	}
	session := uuid.NewString()
	// Each IOPub subscription is greeted with iopub_welcome (JEP 65), before anything else
	// published after it, so a frontend knows its subscription is live. No parent.
	welcome := func(topic string) (*messaging.Message, error) {
		return messaging.NewMessage(session, "iopub_welcome", nil, map[string]any{"subscription": topic})
	}
	socks, err := messaging.Bind(ctx, ci, messaging.Options{Log: cfg.Log, MaxMessageSize: cfg.MaxMessageSize, Welcome: welcome})
	if err != nil {
		return nil, err
	}
	return &Kernel{
		cfg:      cfg,
		socks:    socks,
		log:      cfg.Log,
		session:  session,
		handlers: handlers,
		history:  hist,
		shellQ:   make(chan *messaging.Message, 4096),
		inputCh:  make(chan *messaging.Message, 16),
	}, nil
}

// defaultWorkerCommand runs this executable's worker subcommand.
func defaultWorkerCommand() (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the gohunt executable: %w", err)
	}
	return exec.Command(exe, "worker"), nil
}

// Run serves requests until a shutdown_request arrives, ctx is cancelled or SIGTERM arrives.
// SIGINT interrupts the running cell, as interrupt_request does.
func (k *Kernel) Run(ctx context.Context) error {
	ctx, k.cancel = context.WithCancel(ctx)
	defer k.cancel()
	defer k.socks.Close()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	k.publish(nil, "status", map[string]any{"execution_state": "starting"})
	if _, err := k.currentWorker(); err != nil {
		k.log.Printf("%v", err) // reported again on the first execute
	}

	go k.readLoop(ctx, k.socks.Shell, func(m *messaging.Message) { k.shellQ <- m })
	go k.readLoop(ctx, k.socks.Control, func(m *messaging.Message) {
		k.dispatch(&request{msg: m, ch: k.socks.Control})
	})
	go k.readLoop(ctx, k.socks.Stdin, func(m *messaging.Message) {
		if m.Header.MsgType == "input_reply" {
			select {
			case k.inputCh <- m:
			default:
				k.log.Printf("stdin: input_reply with no pending input_request dropped")
			}
		}
	})

	go k.watchParent(ctx)

	// Signals are handled apart from the shell loop, which is busy while a cell runs.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sigs:
				if s == os.Interrupt {
					k.interrupt()
					continue
				}
				k.log.Printf("%v: shutting down", s)
				k.stopWorker()
				k.cancel()
				return
			}
		}
	}()

	for {
		select {
		case <-ctx.Done():
			k.stopWorker()
			return nil
		case m := <-k.shellQ:
			k.dispatch(&request{msg: m, ch: k.socks.Shell})
		}
	}
}

// readLoop receives messages from ch and passes each to deliver until the socket closes.
func (k *Kernel) readLoop(ctx context.Context, ch *messaging.Channel, deliver func(*messaging.Message)) {
	for {
		m, err := ch.Recv()
		if err != nil {
			if ctx.Err() == nil {
				k.log.Printf("%v", err)
			}
			return
		}
		deliver(m)
	}
}

// dispatch runs the handler for r's msg_type between status busy and idle.
func (k *Kernel) dispatch(r *request) {
	h, ok := k.handlers[r.msg.Header.MsgType]
	if !ok {
		k.log.Printf("%s: unknown message type %q ignored", r.ch.Name, r.msg.Header.MsgType)
		return
	}
	k.publish(r.msg, "status", map[string]any{"execution_state": "busy"})
	k.run(h, r)
	k.publish(r.msg, "status", map[string]any{"execution_state": "idle"})
}

// run calls h for r. A panic in a handler is a bug, not a reason for the kernel to exit with
// every variable of the session: it is logged with its stack and answered with an error reply.
func (k *Kernel) run(h handler, r *request) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		k.log.Printf("%s: handler for %s panicked: %v\n%s", r.ch.Name, r.msg.Header.MsgType, p, debug.Stack())
		if t, ok := strings.CutSuffix(r.msg.Header.MsgType, "_request"); ok {
			k.reply(r, t+"_reply", map[string]any{"status": "error", "ename": "InternalError",
				"evalue": fmt.Sprintf("the kernel failed to answer %s: %v", r.msg.Header.MsgType, p), "traceback": []string{}})
		}
	}()
	h(k, r)
}

// reply sends msgType with content back to r's sender on r's channel.
func (k *Kernel) reply(r *request, msgType string, content any) {
	m, err := messaging.NewMessage(k.session, msgType, r.msg, content)
	if err == nil {
		err = r.ch.Send(m)
	}
	if err != nil {
		k.log.Printf("replying %s: %v", msgType, err)
	}
}

// publish sends msgType with content on IOPub, as output of parent (nil: no parent).
func (k *Kernel) publish(parent *messaging.Message, msgType string, content any) {
	m, err := messaging.NewMessage(k.session, msgType, parent, content)
	if err == nil {
		m.Identities = [][]byte{[]byte(msgType)} // the PUB topic
		err = k.socks.IOPub.Send(m)
	}
	if err != nil {
		k.log.Printf("publishing %s: %v", msgType, err)
	}
}

// currentWorker returns the running worker, starting one if there is none or it died.
func (k *Kernel) currentWorker() (*workerProc, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.w != nil && k.w.alive() {
		return k.w, nil
	}
	if k.closing.Load() {
		return nil, errors.New("the kernel is shutting down")
	}
	if k.w != nil && !k.w.reported {
		// It died while no cell was running: tell the user with the next cell's output.
		summary, _ := k.w.deathReason()
		k.w.reported = true
		k.notice = summary + " while no cell was running; all variables, functions, types and imports defined so far were lost (a fresh interpreter was started)"
	}
	cmd, err := k.cfg.WorkerCommand()
	if err != nil {
		return nil, err
	}
	w, err := startWorker(cmd, k.log, k.orphanEvent)
	if err != nil {
		return nil, err
	}
	k.w = w
	return w, nil
}

// orphanEvent publishes output that arrives for a request that already finished, such as
// prints of a goroutine that outlived its cell, as output of the latest execute request.
func (k *Kernel) orphanEvent(ev ipc.Event) {
	switch ev.Kind {
	case ipc.EvStream, ipc.EvDisplayData, ipc.EvUpdateDisplayData, ipc.EvClearOutput:
	default:
		return
	}
	k.mu.Lock()
	parent := k.orphanP
	k.mu.Unlock()
	k.publish(parent, ev.Kind, ev.Content)
}

// stopWorker shuts the worker down, killing it if it does not exit within 2 s.
func (k *Kernel) stopWorker() {
	k.closing.Store(true)
	k.mu.Lock()
	w := k.w
	k.mu.Unlock()
	if w != nil {
		w.stop(2 * time.Second)
	}
}

// callWorker sends a request that has a single reply (complete, inspect, is_complete) and
// returns the reply content. Other events are ignored.
func (k *Kernel) callWorker(req ipc.Request) (json.RawMessage, error) {
	w, err := k.currentWorker()
	if err != nil {
		return nil, err
	}
	evs, err := w.call(req)
	if err != nil {
		return nil, err
	}
	for ev := range evs {
		if ev.Kind == ipc.EvReply {
			return ev.Content, nil
		}
	}
	summary, _ := w.deathReason()
	k.mu.Lock()
	w.reported = true
	k.mu.Unlock()
	go k.currentWorker() // start the replacement now, not on the next request
	return nil, errors.New(summary)
}

// watchParent shuts the kernel down when the process that launched it dies without asking
// (jupyter_client sets JPY_PARENT_PID), so a crashed frontend leaves no kernel behind.
func (k *Kernel) watchParent(ctx context.Context) {
	ppid, err := strconv.Atoi(os.Getenv("JPY_PARENT_PID"))
	if err != nil || ppid <= 1 || os.Getppid() != ppid {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != ppid {
				k.log.Printf("parent process %d is gone: shutting down", ppid)
				k.stopWorker()
				k.cancel()
				return
			}
		}
	}
}
