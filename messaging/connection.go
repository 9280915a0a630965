package messaging

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/google/uuid"
)

// ConnectionInfo is the content of a Jupyter connection file: where the kernel's five sockets
// live and how messages are signed.
type ConnectionInfo struct {
	Transport       string `json:"transport"` // "tcp" or "ipc"
	IP              string `json:"ip"`        // an address for tcp; a path prefix for ipc
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	StdinPort       int    `json:"stdin_port"`
	IOPubPort       int    `json:"iopub_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// ReadConnectionFile reads and checks the connection file at path. A missing transport means
// tcp and a missing signature scheme means hmac-sha256, as in jupyter_client.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("reading connection file: %w", err)
	}
	var ci ConnectionInfo
	if err := json.Unmarshal(b, &ci); err != nil {
		return ConnectionInfo{}, fmt.Errorf("parsing connection file %s: %w", path, err)
	}
	if err := ci.normalize(); err != nil {
		return ConnectionInfo{}, fmt.Errorf("connection file %s: %w", path, err)
	}
	return ci, nil
}

// WriteConnectionFile writes ci to path with mode 0600, as a kernel launcher does.
func WriteConnectionFile(path string, ci ConnectionInfo) error {
	b, err := json.MarshalIndent(ci, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("writing connection file: %w", err)
	}
	return nil
}

func (ci *ConnectionInfo) normalize() error {
	if ci.Transport == "" {
		ci.Transport = "tcp"
	}
	if ci.SignatureScheme == "" {
		ci.SignatureScheme = "hmac-sha256"
	}
	switch ci.Transport {
	case "tcp", "ipc":
	default:
		return fmt.Errorf("field transport: unsupported transport %q (want tcp or ipc)", ci.Transport)
	}
	if ci.IP == "" {
		return fmt.Errorf("field ip: empty")
	}
	if ci.Key != "" && ci.SignatureScheme != "hmac-sha256" {
		return fmt.Errorf("field signature_scheme: unsupported scheme %q (want hmac-sha256)", ci.SignatureScheme)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"shell_port", ci.ShellPort}, {"control_port", ci.ControlPort}, {"stdin_port", ci.StdinPort}, {"iopub_port", ci.IOPubPort}, {"hb_port", ci.HBPort}} {
		if p.port <= 0 || p.port > 65535 {
			return fmt.Errorf("field %s: invalid port %d", p.name, p.port)
		}
	}
	return nil
}

// Endpoint returns the ZeroMQ endpoint for port: "tcp://IP:PORT" for tcp, and "ipc://IP-PORT"
// for ipc (jupyter_client names ipc sockets by appending "-PORT" to the ip path).
func (ci ConnectionInfo) Endpoint(port int) string {
	if ci.Transport == "ipc" {
		return fmt.Sprintf("ipc://%s-%d", ci.IP, port)
	}
	ip := ci.IP
	if len(ip) > 0 && ip[0] != '[' && containsColon(ip) {
		ip = "[" + ip + "]" // IPv6 literal
	}
	return fmt.Sprintf("tcp://%s:%d", ip, port)
}

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}

// NewLocalConnectionInfo returns a tcp ConnectionInfo on 127.0.0.1 with five free ports and a
// fresh random key, as a kernel launcher writes it. The ports are free when chosen; another
// process may still take one before the kernel binds it.
func NewLocalConnectionInfo() (ConnectionInfo, error) {
	ports := make([]int, 5)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ConnectionInfo{}, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ConnectionInfo{
		Transport: "tcp", IP: "127.0.0.1",
		ShellPort: ports[0], ControlPort: ports[1], StdinPort: ports[2], IOPubPort: ports[3], HBPort: ports[4],
		Key: uuid.NewString(), SignatureScheme: "hmac-sha256",
	}, nil
}
