package client

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gohunt/gohunt/messaging"
)

// Kernel is a kernel process started by Start, with a Client connected to it.
type Kernel struct {
	*Client
	Cmd      *exec.Cmd
	connFile string
	exited   chan struct{}
}

// Start writes a connection file (127.0.0.1, free ports, random key), starts argv with every
// "{connection_file}" replaced by its path (as Jupyter starts a kernelspec's argv), and
// connects. env, if not nil, replaces the process environment. The kernel's stdout and stderr
// go to this process's stderr.
func Start(ctx context.Context, argv []string, env []string) (*Kernel, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("starting kernel: empty argv")
	}
	ci, err := messaging.NewLocalConnectionInfo()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gohunt-kernel-")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "kernel.json")
	if err := messaging.WriteConnectionFile(file, ci); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "{connection_file}", file)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting kernel %s: %w", args[0], err)
	}
	k := &Kernel{Cmd: cmd, connFile: file, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(k.exited) }()
	dctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-k.exited:
			cancel() // the kernel died during start-up: stop waiting
		case <-dctx.Done():
		}
	}()
	k.Client, err = Dial(dctx, ci)
	cancel()
	if err != nil {
		k.kill()
		select {
		case <-k.exited:
			err = fmt.Errorf("kernel %s exited during start-up (%v): %w", args[0], cmd.ProcessState, err)
		default:
		}
		return nil, err
	}
	return k, nil
}

// Exited is closed when the kernel process has exited.
func (k *Kernel) Exited() <-chan struct{} { return k.exited }

// Shutdown asks the kernel to shut down, waits up to 5 s for it to exit, kills it otherwise,
// and removes the connection file.
func (k *Kernel) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := k.Client.Shutdown(ctx, false)
	select {
	case <-k.exited:
	case <-ctx.Done():
		k.kill()
	}
	k.Client.Close()
	os.RemoveAll(filepath.Dir(k.connFile))
	return err
}

func (k *Kernel) kill() {
	if k.Cmd.Process != nil {
		k.Cmd.Process.Kill()
	}
	<-k.exited
	os.RemoveAll(filepath.Dir(k.connFile))
}
