// Package elastic is gohunt's Elasticsearch engine: connecting (with credentials that never
// leak), bulk loading Mordor datasets (optionally normalized the way HELK does), reading
// mappings into a merged schema, counting and composite aggregations, and deep reads with
// point-in-time + search_after split into parallel slices that stream into DuckDB.
//
// The hunt package wraps it as hunt.ES and the lazy frames of ESClient.Index; this package
// knows nothing about frames, so that it can be tested and benchmarked on its own.
package elastic

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	es8 "github.com/elastic/go-elasticsearch/v8"
)

// Secret holds a credential. Every way of printing it (fmt verbs, JSON, text marshalling)
// shows "[redacted]"; only Reveal returns the value. The value sits behind a pointer, so even
// printing a struct that holds a Secret in an unexported field (where fmt cannot call its
// methods) shows an address, not the value.
type Secret struct{ p *string }

// NewSecret wraps s.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{&s}
}

// Reveal returns the secret's value. Call it only to hand the value to the transport.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.p == nil || *s.p == "" }

// String returns "[redacted]" (or "" for an empty secret).
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return "[redacted]"
}

// GoString returns the same as String, so %#v hides the value too.
func (s Secret) GoString() string { return s.String() }

// Format implements fmt.Formatter so that no verb reveals the value.
func (s Secret) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// MarshalJSON encodes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Config says how to reach a cluster. The zero value plus a URL is a plain HTTP connection.
type Config struct {
	URL         string        // base URL, e.g. http://127.0.0.1:9200; user:password@ in it becomes basic auth
	User        string        // basic auth user
	Password    Secret        // basic auth password
	APIKey      Secret        // base64 "id:key" API key; overrides basic auth
	CACert      []byte        // PEM CA certificate(s) to trust
	Fingerprint string        // SHA-256 hex fingerprint of the server certificate to trust
	Insecure    bool          // skip TLS verification (opt-in only)
	Timeout     time.Duration // per request; 0 means 60s
	Retries     int           // attempts after the first for 429/502/503/504 and connection errors; <0 means none; 0 means 8
	MaxBackoff  time.Duration // cap on the wait between retries; 0 means 5s
}

// FromEnv fills empty fields of c from ES_URL, ES_USER, ES_PASSWORD and ES_API_KEY.
func (c Config) FromEnv() Config {
	if c.URL == "" {
		c.URL = os.Getenv("ES_URL")
	}
	if c.User == "" && c.Password.IsZero() {
		c.User = os.Getenv("ES_USER")
		c.Password = NewSecret(os.Getenv("ES_PASSWORD"))
	}
	if c.APIKey.IsZero() {
		c.APIKey = NewSecret(os.Getenv("ES_API_KEY"))
	}
	return c
}

// Client is a connection to one cluster. It is safe for concurrent use.
type Client struct {
	base     string // URL without credentials
	cfg      Config
	es       *es8.Client   // no transport retries: requests go through Client.do, which retries
	bulk     *es8.Client   // transport retries, for the BulkIndexer
	secrets  []Secret      // values scrubbed from every error message
	identity bool          // ask for uncompressed answers (loopback node)
	pageHint *atomic.Int64 // size of the last search page read (sizes the next page's buffer)
}

// Connect checks cfg and builds a client. It does not contact the server.
func Connect(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("elasticsearch: no URL (pass one or set ES_URL)")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("elasticsearch: bad URL %q: want http(s)://host:port", redactURL(cfg.URL))
	}
	if u.User != nil {
		if cfg.User == "" {
			cfg.User = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && cfg.Password.IsZero() {
			cfg.Password = NewSecret(p)
		}
		u.User = nil
	}
	base := strings.TrimRight(u.String(), "/")
	cfg.URL = base
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 8
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if cfg.Insecure {
		tr.TLSClientConfig.InsecureSkipVerify = true
	}
	if len(cfg.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CACert) {
			return nil, errors.New("elasticsearch: CA certificate: no PEM certificate found")
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	mk := func(retry bool) (*es8.Client, error) {
		c := es8.Config{
			Addresses:              []string{base},
			Username:               cfg.User,
			Password:               cfg.Password.Reveal(),
			APIKey:                 cfg.APIKey.Reveal(),
			CertificateFingerprint: strings.ToLower(strings.ReplaceAll(cfg.Fingerprint, ":", "")),
			Transport:              &timeoutTransport{rt: tr, d: cfg.Timeout},
			DisableRetry:           !retry,
			RetryOnStatus:          []int{429, 502, 503, 504},
			MaxRetries:             cfg.Retries,
			RetryBackoff:           func(a int) time.Duration { return backoff(a, cfg.MaxBackoff) },
		}
		if cfg.Fingerprint != "" {
			// The client installs its own fingerprint-checking TLS dialer on a
			// default transport; it refuses a custom one.
			c.Transport = nil
		}
		return es8.NewClient(c)
	}
	cl := &Client{base: base, cfg: cfg, pageHint: new(atomic.Int64)}
	if h := u.Hostname(); h == "localhost" || net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback() {
		cl.identity = true
	}
	for _, s := range []Secret{cfg.Password, cfg.APIKey} {
		if !s.IsZero() {
			cl.secrets = append(cl.secrets, s)
		}
	}
	if cl.es, err = mk(false); err != nil {
		return nil, cl.scrub(fmt.Errorf("elasticsearch: %w", err))
	}
	if cl.bulk, err = mk(true); err != nil {
		return nil, cl.scrub(fmt.Errorf("elasticsearch: %w", err))
	}
	return cl, nil
}

// timeoutTransport bounds each request by d unless the caller's context is already shorter.
type timeoutTransport struct {
	rt http.RoundTripper
	d  time.Duration
}

// RoundTrip sends r with the timeout applied; the body keeps the deadline until closed.
func (t *timeoutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, ok := r.Context().Deadline(); ok || t.d <= 0 {
		return t.rt.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.d)
	res, err := t.rt.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	res.Body = &cancelBody{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and releases its deadline.
func (b *cancelBody) Close() error { err := b.ReadCloser.Close(); b.cancel(); return err }

// Config returns the configuration in force: the URL without credentials, user and
// password from the URL moved to User and Password, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// URL returns the cluster's base URL, without credentials.
func (c *Client) URL() string { return c.base }

// String describes the client without any credential.
func (c *Client) String() string {
	auth := "no auth"
	switch {
	case !c.cfg.APIKey.IsZero():
		auth = "API key [redacted]"
	case c.cfg.User != "":
		auth = "user " + c.cfg.User + ", password [redacted]"
	}
	return fmt.Sprintf("elasticsearch %s (%s)", c.base, auth)
}

// GoString is String, so %#v shows no credential either.
func (c *Client) GoString() string { return c.String() }

// Format makes every fmt verb print String.
func (c *Client) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// scrub removes credential values from an error's text.
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range c.secrets {
		clean = strings.ReplaceAll(clean, s.Reveal(), "[redacted]")
	}
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

// scrubbed is an error whose text had a credential removed. Unwrap keeps errors.Is working;
// the wrapped error's text is never printed by the callers here.
type scrubbed struct {
	msg string
	err error
}

// Error returns the message without credentials.
func (e *scrubbed) Error() string { return e.msg }

// Unwrap returns the original error.
func (e *scrubbed) Unwrap() error { return e.err }

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			return "[redacted]@" + s[i+1:]
		}
		return s
	}
	if u.User != nil {
		u.User = url.User("[redacted]")
	}
	return u.String()
}

// backoff is exponential with full jitter: attempt 1 waits up to 100ms, doubling to max.
func backoff(attempt int, max time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(attempt-1, 10)
	if d > max || d <= 0 {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

// Error is an error response from Elasticsearch.
type Error struct {
	Status int    // HTTP status
	Type   string // error.type, e.g. search_context_missing_exception
	Reason string // error.reason
	Op     string // what was being done
}

// Error says what was done, the HTTP status, the error type and reason.
func (e *Error) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, e.Reason)
	}
	return fmt.Sprintf("%s: HTTP %d %s: %s", e.Op, e.Status, e.Type, e.Reason)
}

// retryable reports whether err is worth another attempt of the same request.
func retryable(err error) bool {
	var ee *Error
	if errors.As(err, &ee) {
		switch ee.Status {
		case 429, 502, 503, 504:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// do sends one JSON request and decodes the JSON answer into out (when out is not nil),
// retrying 429/502/503/504 and connection errors with backoff. body may be nil. The error
// never contains a credential.
func (c *Client) do(ctx context.Context, op, method, path string, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: encoding request: %w", op, err)
		}
	}
	return c.retry(ctx, op, nil, func() error { return c.once(ctx, op, method, path, payload, out) })
}

// retry runs try until it succeeds, fails with an error that is not worth retrying, or has
// failed Retries+1 times, sleeping a growing backoff between attempts and counting the
// retries in n (when not nil). When ctx ends first, the error wraps ctx.Err(), so that a
// read stopped by the caller or by a failed sibling slice is told apart from the failure
// itself; the last failure is kept in its text. Errors never contain a credential.
func (c *Client) retry(ctx context.Context, op string, n *atomic.Int64, try func() error) error {
	var last error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			if n != nil {
				n.Add(1)
			}
			t := time.NewTimer(backoff(attempt, c.cfg.MaxBackoff))
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s: %w (after: %v)", op, ctx.Err(), c.scrub(last))
			case <-t.C:
			}
		}
		last = try()
		if last != nil && ctx.Err() != nil {
			return fmt.Errorf("%s: %w (after: %v)", op, ctx.Err(), c.scrub(last))
		}
		if last == nil || !retryable(last) {
			return c.scrub(last)
		}
	}
	return c.scrub(fmt.Errorf("%s: giving up after %d attempts: %w", op, c.cfg.Retries+1, last))
}

func (c *Client) once(ctx context.Context, op, method, path string, payload []byte, out any) error {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.identity {
		// On loopback, compressing answers only costs CPU on both sides.
		req.Header.Set("Accept-Encoding", "identity")
	}
	res, err := c.es.Perform(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		return decodeError(op, res.StatusCode, raw)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	if pr, ok := out.(*pageResp); ok {
		page, err := readBody(res.Body, res.ContentLength, c.pageHint)
		if err != nil {
			return fmt.Errorf("%s: reading response: %w", op, err)
		}
		return parsePage(page, pr)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: reading response: %w", op, err)
	}
	return nil
}

// readBody reads a response body into one buffer sized from its Content-Length, or else from
// the size of the previous page (hint), so that pages of megabytes are not grown and copied
// a dozen times.
func readBody(r io.Reader, length int64, hint *atomic.Int64) ([]byte, error) {
	size := length
	if size <= 0 {
		size = hint.Load() + hint.Load()/8
	}
	buf := make([]byte, 0, max(size, 4096)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			hint.Store(int64(len(buf)))
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func decodeError(op string, status int, raw []byte) *Error {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	out := &Error{Status: status, Op: op}
	if json.Unmarshal(raw, &e) == nil && len(e.Error) > 0 {
		var obj struct {
			Type      string `json:"type"`
			Reason    string `json:"reason"`
			RootCause []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"root_cause"`
		}
		if json.Unmarshal(e.Error, &obj) == nil && (obj.Type != "" || obj.Reason != "") {
			out.Type, out.Reason = obj.Type, obj.Reason
			if len(obj.RootCause) > 0 && obj.RootCause[0].Type != obj.Type {
				out.Reason += " (caused by " + obj.RootCause[0].Type + ": " + obj.RootCause[0].Reason + ")"
			}
			return out
		}
		var s string
		if json.Unmarshal(e.Error, &s) == nil {
			out.Reason = s
			return out
		}
	}
	r := strings.TrimSpace(string(raw))
	if len(r) > 300 {
		r = r[:300] + "..."
	}
	out.Reason = r
	return out
}

// Ping checks that the cluster answers and is at least yellow.
func (c *Client) Ping(ctx context.Context) error {
	var h struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, "cluster health", "GET", "/_cluster/health", nil, &h); err != nil {
		return err
	}
	if h.Status == "red" {
		return errors.New("cluster health: status red")
	}
	return nil
}

// Refresh makes recent writes to the indices matching pattern visible to searches.
func (c *Client) Refresh(ctx context.Context, pattern string) error {
	return c.do(ctx, "refresh "+pattern, "POST", "/"+url.PathEscape(pattern)+"/_refresh", nil, nil)
}

// DeleteIndex deletes the indices matching pattern; a pattern matching nothing is fine.
func (c *Client) DeleteIndex(ctx context.Context, pattern string) error {
	err := c.do(ctx, "delete "+pattern, "DELETE", "/"+url.PathEscape(pattern)+"?ignore_unavailable=true&allow_no_indices=true", nil, nil)
	var ee *Error
	if errors.As(err, &ee) && ee.Status == 404 {
		return nil
	}
	return err
}

// CreateIndex creates index with the given body (settings and mappings), which may be nil.
func (c *Client) CreateIndex(ctx context.Context, index string, body any) error {
	return c.do(ctx, "create index "+index, "PUT", "/"+url.PathEscape(index), body, nil)
}

// Raw sends one request through the client's retry loop; tests and benchmarks use it.
func (c *Client) Raw(ctx context.Context, method, path string, body any, out any) error {
	return c.do(ctx, method+" "+path, method, path, body, out)
}
