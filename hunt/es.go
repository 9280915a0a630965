package hunt

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic"
)

// ESOption configures hunt.ES (the connection and the defaults of its reads) or one
// ESClient.Index read.
type ESOption func(*esConfig)

type esConfig struct {
	cfg       elastic.Config
	slices    int
	batch     int
	keepAlive time.Duration
	partial   bool
	quiet     bool
	ctx       context.Context
	err       error
}

// ESBasicAuth authenticates with a user and password (HTTP basic auth). The password never
// appears in output, errors or %v of the client.
func ESBasicAuth(user, password string) ESOption {
	return func(c *esConfig) { c.cfg.User, c.cfg.Password = user, elastic.NewSecret(password) }
}

// ESAPIKey authenticates with an API key (the base64 "id:key" form); it overrides basic auth.
func ESAPIKey(key string) ESOption {
	return func(c *esConfig) { c.cfg.APIKey = elastic.NewSecret(key) }
}

// ESCACert trusts the CA certificate pem: PEM text, or the path of a PEM file.
func ESCACert(pem string) ESOption {
	return func(c *esConfig) {
		if strings.Contains(pem, "-----BEGIN") {
			c.cfg.CACert = []byte(pem)
			return
		}
		b, err := os.ReadFile(pem)
		if err != nil {
			c.err = fmt.Errorf("hunt.ESCACert: %w", err)
			return
		}
		c.cfg.CACert = b
	}
}

// ESFingerprint trusts the server certificate whose SHA-256 fingerprint (hex, colons allowed)
// is sha256, as Elasticsearch prints it on first start.
func ESFingerprint(sha256 string) ESOption {
	return func(c *esConfig) { c.cfg.Fingerprint = sha256 }
}

// ESInsecure skips TLS certificate verification. Use it only on a lab cluster you trust.
func ESInsecure() ESOption { return func(c *esConfig) { c.cfg.Insecure = true } }

// ESTimeout bounds each request to the cluster (60s by default).
func ESTimeout(d time.Duration) ESOption { return func(c *esConfig) { c.cfg.Timeout = d } }

// ESRetries sets how many times a request is retried after 429/502/503/504 answers or a
// broken connection, with exponential backoff (10 by default; 0 or less disables retries).
func ESRetries(n int) ESOption {
	return func(c *esConfig) {
		if n <= 0 {
			n = -1
		}
		c.cfg.Retries = n
	}
}

// ESSlices sets how many slices a full read runs in parallel (default: the core count, 1 for
// small results).
func ESSlices(n int) ESOption { return func(c *esConfig) { c.slices = n } }

// ESBatch sets how many documents one page of a full read holds (5000 by default).
func ESBatch(n int) ESOption { return func(c *esConfig) { c.batch = n } }

// ESKeepAlive sets how long the point-in-time of a full read lives between two pages (2m by
// default). Raise it when a read fails with "point-in-time expired".
func ESKeepAlive(d time.Duration) ESOption { return func(c *esConfig) { c.keepAlive = d } }

// ESAllowPartial accepts results when some shards fail; the frame's Note then says the result
// is partial and why. Without it a shard failure fails the read.
func ESAllowPartial() ESOption { return func(c *esConfig) { c.partial = true } }

// ESQuiet turns off the live progress display of long reads.
func ESQuiet() ESOption { return func(c *esConfig) { c.quiet = true } }

// ESContext makes reads stop when ctx is done (the kernel's interrupt of the running cell
// stops them too).
func ESContext(ctx context.Context) ESOption { return func(c *esConfig) { c.ctx = ctx } }

func (c *esConfig) context() context.Context {
	if c.ctx != nil {
		return c.ctx
	}
	return cellCtx()
}

// ESClient is a connection to an Elasticsearch cluster, made by ES. Printing it never shows a
// credential.
type ESClient struct {
	c    *elastic.Client
	conf esConfig
	err  error
}

// ES connects to the Elasticsearch cluster at url (ES_URL when url is ""), with credentials
// from options or from ES_USER/ES_PASSWORD or ES_API_KEY. Nothing is sent until the first
// read; a bad option makes the client carry an error (Err), passed on to its frames.
//
//	es := hunt.ES("http://127.0.0.1:9200")
//	sysmon := es.Index("logs-endpoint-winevent-sysmon-*")
//	sysmon.Where(hunt.Col("action").Eq("processcreate")).Select("process_name", "process_command_line")
func ES(url string, opts ...ESOption) *ESClient {
	conf := esConfig{}
	conf.cfg.URL = url
	for _, o := range opts {
		o(&conf)
	}
	conf.cfg = conf.cfg.FromEnv()
	if conf.cfg.Retries == 0 {
		conf.cfg.Retries = 10
	}
	cl := &ESClient{conf: conf, err: conf.err}
	if cl.err == nil {
		c, err := elastic.Connect(conf.cfg)
		if err != nil {
			cl.err = &Error{Msg: "hunt.ES: " + err.Error(), Err: err}
			cl.conf.cfg = elastic.Config{}
		} else {
			cl.c = c
			cl.conf.cfg = c.Config()
		}
	}
	return cl
}

// Err returns the error of a client that could not be set up, or nil.
func (c *ESClient) Err() error { return c.err }

// String describes the client (URL and kind of auth, never a credential).
func (c *ESClient) String() string {
	if c.c == nil {
		if c.err != nil {
			return "hunt.ES: " + c.err.Error()
		}
		return "hunt.ES (not connected)"
	}
	return c.c.String()
}

// GoString is String, so %#v shows no credential either.
func (c *ESClient) GoString() string { return c.String() }

// Format makes every fmt verb print String.
func (c *ESClient) Format(f fmt.State, _ rune) { f.Write([]byte(c.String())) }

// Engine returns the low-level client (mappings, counts, scans, bulk loading).
func (c *ESClient) Engine() *elastic.Client { return c.c }

// ESLoadStats counts what a load did: read, created, already present, failed (by reason).
type ESLoadStats = elastic.LoadStats

// Load bulk-indexes Mordor datasets (JSON lines, .zip, .tar.gz) into index. Ids are hashes of
// the events, so loading twice adds nothing; failures are counted per reason and the error
// says how many documents were not indexed.
func (c *ESClient) Load(index string, files ...string) (ESLoadStats, error) {
	if c.err != nil {
		return ESLoadStats{}, c.err
	}
	return c.c.Load(c.conf.context(), elastic.LoadOptions{Index: index, Refresh: true}, files...)
}

// LoadHELK is Load with HELK's field normalization, writing to HELK's index names
// (logs-endpoint-winevent-sysmon-YYYY.MM.dd, -security-, ...), so HELK notebook code runs
// unchanged on Mordor data.
func (c *ESClient) LoadHELK(files ...string) (ESLoadStats, error) {
	if c.err != nil {
		return ESLoadStats{}, c.err
	}
	return c.c.Load(c.conf.context(), elastic.LoadOptions{HELK: true, Refresh: true}, files...)
}
