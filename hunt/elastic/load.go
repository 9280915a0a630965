package elastic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/gohunt/gohunt/hunt/internal/archive"
)

// LoadOptions says where and how Load writes events.
type LoadOptions struct {
	Index      string // target index; required unless HELK is set
	HELK       bool   // normalize fields as HELK does and write to HELK's daily index names
	Workers    int    // bulk workers; 0 means 2
	FlushBytes int    // bulk request size; 0 means 5 MB
	// Refresh makes the loaded events searchable before Load returns.
	Refresh bool
	// Progress, when set, is called about once a second and at the end.
	Progress func(LoadStats)
}

// LoadStats counts what Load did. Read = Created + Updated + Failed + Invalid once Load
// has returned.
type LoadStats struct {
	Read     int64            // events read from the input
	Created  int64            // documents newly indexed
	Updated  int64            // documents that existed already (same event loaded before), left as they were
	Failed   int64            // documents Elasticsearch rejected
	Invalid  int64            // input lines that are not JSON objects (never sent)
	Reasons  map[string]int64 // failure and invalid counts by reason type
	Samples  []string         // the first failures, each naming file:line and the reason
	Indices  map[string]int64 // documents sent per index
	Duration time.Duration
}

// String summarizes the stats in one line, with the failure reasons.
func (s LoadStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d events read: %d created, %d already present, %d failed, %d invalid",
		s.Read, s.Created, s.Updated, s.Failed, s.Invalid)
	if len(s.Indices) > 0 {
		fmt.Fprintf(&b, "; %d indices", len(s.Indices))
	}
	if s.Duration > 0 {
		fmt.Fprintf(&b, " in %.1fs", s.Duration.Seconds())
	}
	if len(s.Reasons) > 0 {
		keys := make([]string, 0, len(s.Reasons))
		for k := range s.Reasons {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("; reasons:")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, s.Reasons[k])
		}
	}
	return b.String()
}

const maxSamples = 10

// loader is the state of one Load call.
type loader struct {
	opts    LoadOptions
	bi      esutil.BulkIndexer
	read    atomic.Int64
	created atomic.Int64
	updated atomic.Int64
	failed  atomic.Int64
	invalid atomic.Int64
	mu      sync.Mutex
	reasons map[string]int64
	samples []string
	indices map[string]int64
}

func (l *loader) fail(kind, where, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reasons[kind]++
	if len(l.samples) < maxSamples {
		l.samples = append(l.samples, where+": "+reason)
	}
}

func (l *loader) stats(start time.Time) LoadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LoadStats{
		Read: l.read.Load(), Created: l.created.Load(), Updated: l.updated.Load(),
		Failed: l.failed.Load(), Invalid: l.invalid.Load(),
		Reasons: map[string]int64{}, Indices: map[string]int64{},
		Samples: append([]string(nil), l.samples...), Duration: time.Since(start),
	}
	for k, v := range l.reasons {
		s.Reasons[k] = v
	}
	for k, v := range l.indices {
		s.Indices[k] = v
	}
	return s
}

// Load bulk-indexes the JSON-lines events of the given files (.json, .jsonl, .ndjson, their
// .gz, and Mordor's .zip and .tar.gz archives) with the BulkIndexer. Each document's id is
// DocumentID of the event's bytes and is sent as a create, so loading the same events again
// creates nothing new and leaves the documents already there untouched (counted as Updated).
// Per-document failures are counted by reason and sampled in the stats; the error is
// non-nil when any document failed or the input could not be read.
func (c *Client) Load(ctx context.Context, opts LoadOptions, files ...string) (LoadStats, error) {
	if len(files) == 0 {
		return LoadStats{}, errors.New("load: no input files")
	}
	return c.LoadFunc(ctx, opts, func(emit func(name string, line int, raw []byte) error) error {
		for _, f := range files {
			if err := ReadEvents(f, func(line int, raw []byte) error { return emit(f, line, raw) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// LoadFunc is Load for events produced by a function instead of files: produce calls emit
// once per event with a name and line for error messages. The raw bytes may be reused by
// produce after emit returns.
func (c *Client) LoadFunc(ctx context.Context, opts LoadOptions, produce func(emit func(name string, line int, raw []byte) error) error) (LoadStats, error) {
	start := time.Now()
	if !opts.HELK && opts.Index == "" {
		return LoadStats{}, errors.New("load: no index name (use --index NAME, or --helk for HELK's index names)")
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.FlushBytes <= 0 {
		opts.FlushBytes = 5 << 20
	}
	l := &loader{opts: opts, reasons: map[string]int64{}, indices: map[string]int64{}}
	var biErr error
	var biErrMu sync.Mutex
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:        c.bulk,
		NumWorkers:    opts.Workers,
		FlushBytes:    opts.FlushBytes,
		FlushInterval: 5 * time.Second,
		// Only what the callbacks read: decoding each item's full answer (_index, _id,
		// _version, _shards, _seq_no ...) was a third of the client's CPU in a 200k-event load.
		FilterPath: []string{"errors", "items.*.status", "items.*.result", "items.*.error"},
		OnError: func(_ context.Context, err error) {
			biErrMu.Lock()
			if biErr == nil {
				biErr = c.scrub(err)
			}
			biErrMu.Unlock()
		},
	})
	if err != nil {
		return LoadStats{}, c.scrub(fmt.Errorf("load: %w", err))
	}
	l.bi = bi
	stop := make(chan struct{})
	var progressDone sync.WaitGroup
	if opts.Progress != nil {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					opts.Progress(l.stats(start))
				}
			}
		}()
	}
	perr := produce(func(name string, line int, raw []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.read.Add(1)
		return l.add(ctx, name, line, raw)
	})
	cerr := bi.Close(context.WithoutCancel(ctx))
	close(stop)
	progressDone.Wait()
	if opts.Refresh && cerr == nil {
		pattern := opts.Index
		if opts.HELK {
			pattern = HELKIndexPrefix + "*"
			if opts.Index != "" {
				pattern = opts.Index + "*"
			}
		}
		if err := c.Refresh(ctx, pattern); err != nil && perr == nil {
			perr = err
		}
	}
	st := l.stats(start)
	if opts.Progress != nil {
		opts.Progress(st)
	}
	switch {
	case perr != nil:
		return st, fmt.Errorf("load: %w (%s)", perr, st)
	case cerr != nil:
		return st, c.scrub(fmt.Errorf("load: flushing: %w (%s)", cerr, st))
	case biErr != nil:
		return st, fmt.Errorf("load: %w (%s)", biErr, st)
	case st.Failed > 0 || st.Invalid > 0:
		return st, fmt.Errorf("load: %d of %d events not indexed (%s); first: %s", st.Failed+st.Invalid, st.Read, st, strings.Join(st.Samples, "; "))
	}
	return st, nil
}

// alreadyPresent is the error type of a create whose id exists: the event was loaded before.
const alreadyPresent = "version_conflict_engine_exception"

func (l *loader) add(ctx context.Context, name string, line int, raw []byte) error {
	where := func() string { return fmt.Sprintf("%s:%d", name, line) } // for failures only
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		l.invalid.Add(1)
		l.fail("invalid_json", where(), "not a JSON object")
		return nil
	}
	id := DocumentID(raw)
	index := l.opts.Index
	body := raw
	if l.opts.HELK {
		ev, err := decodeEvent(raw)
		if err != nil {
			l.invalid.Add(1)
			l.fail("invalid_json", where(), err.Error())
			return nil
		}
		name, err := NormalizeHELK(ev)
		if err != nil {
			l.invalid.Add(1)
			l.fail("not_normalizable", where(), err.Error())
			return nil
		}
		if l.opts.Index != "" {
			name = l.opts.Index + strings.TrimPrefix(name, HELKIndexPrefix)
		}
		index = name
		if body, err = json.Marshal(ev); err != nil {
			l.invalid.Add(1)
			l.fail("not_encodable", where(), err.Error())
			return nil
		}
	} else {
		body = append([]byte(nil), raw...)
	}
	l.mu.Lock()
	l.indices[index]++
	l.mu.Unlock()
	// A create, not an index: an event loaded before is answered with a conflict and its
	// document stays as it is, where an index would write it again as a new version.
	return l.bi.Add(ctx, esutil.BulkIndexerItem{
		Action:     "create",
		Index:      index,
		DocumentID: id,
		Body:       bytes.NewReader(body),
		OnSuccess: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem) {
			l.created.Add(1)
		},
		OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
			if err == nil && res.Status == 409 && res.Error.Type == alreadyPresent {
				l.updated.Add(1)
				return
			}
			l.failed.Add(1)
			kind, reason := res.Error.Type, res.Error.Reason
			if err != nil {
				kind, reason = "request_failed", err.Error()
			}
			if kind == "" {
				kind = fmt.Sprintf("http_%d", res.Status)
			}
			l.fail(kind, where(), kind+": "+reason)
		},
	})
}

func decodeEvent(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var ev map[string]any
	if err := d.Decode(&ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// ReadEvents calls fn for each line of a JSON-lines file, plain, gzipped, or the single JSON
// member of a .zip or .tar.gz archive (as Mordor publishes them). Line numbers start at 1;
// empty lines are skipped. An error from fn stops the reading.
func ReadEvents(path string, fn func(line int, raw []byte) error) error {
	return archive.Each(path, func(member string, r io.Reader) error {
		name := path
		if member != "" {
			name = path + "!" + member
		}
		return scanLines(name, r, fn)
	})
}

func scanLines(name string, r io.Reader, fn func(line int, raw []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := fn(n, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s line %d: %w", name, n+1, err)
	}
	return nil
}
