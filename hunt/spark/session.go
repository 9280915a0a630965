// Package spark is gohunt's client of Spark Connect: a Session on a Spark Connect server, lazy
// DataFrames whose plans are built on the client and run on the server, results as Arrow record
// batches or Go rows, uploads of local data, and interrupts of the session's running operations.
//
// It sits on github.com/apache/spark-connect-go, whose public interface has no Interrupt. Every
// operation the session starts is tracked by a gRPC interceptor on the session's own connection;
// when the context of an operation is cancelled, the session sends Spark Connect's Interrupt RPC
// for that operation, so the server stops the job (cancelling the gRPC stream alone leaves it
// running). The Interrupt request is built from the protocol's message descriptors, which the
// client module registers with the protobuf registry (see interrupt.go).
//
// Credentials (a token in the URL or given with WithToken) never appear in errors or in the
// session's String form.
package spark

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	sparksql "github.com/apache/spark-connect-go/spark/sql"
)

// DefaultPort is Spark Connect's port when the URL names none.
const DefaultPort = 15002

// Option configures Connect.
type Option func(*config)

type config struct {
	token     string
	tls       *tls.Config
	useTLS    bool
	user      string
	userAgent string
}

// WithToken authenticates every request with a bearer token. A token is only ever sent over
// TLS: with a token and no WithTLS, the system's root certificates verify the server.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithTLS connects over TLS with cfg (nil: the system's root certificates, the server name
// from the URL).
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) {
		c.useTLS = true
		c.tls = cfg
	}
}

// WithUser sets the user id sent with every request (default: $USER, or "gohunt").
func WithUser(user string) Option { return func(c *config) { c.user = user } }

// Session is a Spark Connect session. Its methods are safe for concurrent use. A Session holds
// one gRPC connection; Close releases it.
type Session struct {
	addr   string // host:port, for messages
	user   string
	cfg    config
	conn   *grpc.ClientConn
	spark  sparksql.SparkSession
	seq    atomic.Int64
	closed atomic.Bool

	mu        sync.Mutex
	sessionID string              // the Spark Connect session id, as sent by the client
	ops       map[string]struct{} // operation ids running now
}

// Connect opens a Spark Connect session on the server at rawURL ("sc://host[:port]", with the
// optional parameters of Spark Connect's connection string: "/;token=T;user_id=U;use_ssl=true")
// and checks that the server answers before it returns.
func Connect(ctx context.Context, rawURL string, opts ...Option) (*Session, error) {
	cfg, addr, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.user == "" {
		cfg.user = defaultUser()
	}
	s := &Session{addr: addr, user: cfg.user, cfg: cfg, ops: map[string]struct{}{}}
	conn, err := s.dial()
	if err != nil {
		return nil, &Error{Op: "Connect " + s.String(), Message: err.Error(), Err: err}
	}
	s.conn = conn
	ss, err := sparksql.NewSessionBuilder().WithChannelBuilder(channelBuilder{s}).Build(ctx)
	if err != nil {
		conn.Close()
		return nil, wrapErr(ctx, "Connect "+s.String(), err)
	}
	s.spark = ss
	// A round trip: the gRPC connection is lazy, and a session that cannot reach its server
	// should fail here, with the address in the message.
	if _, err := ss.Sql(ctx, "SELECT 1"); err != nil {
		conn.Close()
		return nil, wrapErr(ctx, "Connect "+s.String(), err)
	}
	return s, nil
}

// String returns "spark sc://host:port" (never a credential).
func (s *Session) String() string { return "spark sc://" + s.addr }

// defaultUser is the user id sent when none is given: $USER, or "gohunt".
func defaultUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "gohunt"
}

// Close ends the session: operations still running on the server are interrupted, the server
// releases the session (its temporary views, configuration and cached results go; see
// Released), and the connection is closed. A server that cannot be reached makes Close return
// an error after at most 10 seconds, with the connection closed all the same. Close is safe to
// call more than once; later calls do nothing.
func (s *Session) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.running() > 0 {
		ictx, cancel := context.WithTimeout(context.Background(), interruptTimeout)
		s.InterruptAll(ictx)
		cancel()
	}
	rctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	err := s.release(rctx)
	cancel()
	if cerr := s.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// parseURL reads a Spark Connect URL: sc://host[:port][/;key=value;...].
func parseURL(raw string) (config, string, error) {
	var cfg config
	bad := func(why string) (config, string, error) {
		return cfg, "", &Error{Op: "Connect", Message: "bad Spark Connect URL " + strconv.Quote(redactURL(raw)) + ": " + why}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URL")
	}
	if u.Scheme != "sc" {
		return bad("the scheme must be sc:// (as in sc://host:15002)")
	}
	host, port := u.Hostname(), DefaultPort
	if host == "" {
		return bad("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return bad("port " + strconv.Quote(p) + " out of range")
		}
		port = n
	}
	if u.Path != "" && u.Path != "/" {
		if !strings.HasPrefix(u.Path, "/;") {
			return bad("parameters go after \"/;\", as in sc://host:15002/;use_ssl=true")
		}
		for _, kv := range strings.Split(u.Path[2:], ";") {
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return bad("parameter " + strconv.Quote(redactParam(kv)) + " is not key=value")
			}
			switch k {
			case "token":
				cfg.token = v
			case "user_id":
				cfg.user = v
			case "use_ssl":
				b, err := strconv.ParseBool(v)
				if err != nil {
					return bad("use_ssl=" + strconv.Quote(v) + " is not true or false")
				}
				cfg.useTLS = b
			case "user_agent":
				cfg.userAgent = v
			default:
				return bad("unknown parameter " + strconv.Quote(k))
			}
		}
	}
	if u.RawQuery != "" || u.User != nil {
		return bad("no query or user:password part is accepted (parameters go after \"/;\")")
	}
	return cfg, net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// redactURL drops credentials from a Spark Connect URL: every parameter whose key starts with
// "token", the user:password part, and anything after a stray "token" elsewhere.
func redactURL(raw string) string {
	base, params, hasParams := strings.Cut(raw, "/;")
	if u, err := url.Parse(base); err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		base = u.String()
	}
	out := base
	if hasParams {
		kvs := strings.Split(params, ";")
		for i, kv := range kvs {
			if strings.HasPrefix(strings.ToLower(kv), "token") {
				kvs[i] = "token=REDACTED"
			}
		}
		out += "/;" + strings.Join(kvs, ";")
	}
	// A "token" anywhere else (a query, a path): cut the URL there.
	masked := strings.ReplaceAll(out, "token=REDACTED", "_____=REDACTED")
	if i := strings.Index(strings.ToLower(masked), "token"); i >= 0 {
		out = out[:i] + "token..."
	}
	return out
}

func redactParam(kv string) string {
	if strings.HasPrefix(kv, "token") {
		return "token..."
	}
	return kv
}

// dial makes the session's gRPC connection (lazy: nothing is sent yet).
func (s *Session) dial() (*grpc.ClientConn, error) {
	var opts []grpc.DialOption
	if s.cfg.useTLS || s.cfg.token != "" {
		tc := s.cfg.tls
		if tc == nil {
			roots, err := x509.SystemCertPool()
			if err != nil {
				return nil, fmt.Errorf("loading the system's root certificates: %w", err)
			}
			host, _, _ := net.SplitHostPort(s.addr)
			tc = &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(tc)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if s.cfg.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(s.cfg.token)))
	}
	opts = append(opts,
		grpc.WithChainStreamInterceptor(s.trackStream),
		grpc.WithChainUnaryInterceptor(s.trackUnary),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20)),
	)
	return grpc.NewClient("passthrough:///"+s.addr, opts...)
}

// bearer is a token sent as "authorization: Bearer ..." over TLS only.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (b bearer) RequireTransportSecurity() bool { return true }

// String keeps the token out of any %v of the credentials.
func (b bearer) String() string { return "bearer(REDACTED)" }

// channelBuilder hands the session's connection to the spark-connect-go session builder.
type channelBuilder struct{ s *Session }

func (b channelBuilder) Build(context.Context) (*grpc.ClientConn, error) { return b.s.conn, nil }
func (b channelBuilder) User() string                                    { return b.s.user }
func (b channelBuilder) Headers() map[string]string                      { return map[string]string{} }
func (b channelBuilder) SessionId() string                               { return "" }
func (b channelBuilder) UserAgent() string {
	ua := b.s.cfg.userAgent
	if ua == "" {
		ua = "gohunt"
	}
	return ua
}

// errClosed is returned by a closed session.
var errClosed = errors.New("the session is closed")
