package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ScanOptions configures a deep read.
type ScanOptions struct {
	Query     map[string]any // the query clause; nil matches all
	Source    []string       // _source includes; nil means the whole document
	Limit     int64          // stop after this many hits (0 = all); a limited read uses one slice
	Slices    int            // parallel slices; 0 = from the core count and the hit count
	Batch     int            // hits per page; 0 = 5000
	KeepAlive time.Duration  // point-in-time keep-alive between pages; 0 = 2m
	// AllowPartial accepts shard failures; the stats then say Partial and name them.
	// Without it a shard failure is an error.
	AllowPartial bool
	// Progress, when set, is called after every page with the rows read so far and the total.
	Progress func(read, total int64)
}

// ScanStats reports what a deep read saw.
type ScanStats struct {
	Total         int64    // hits.total of the query (exact)
	Read          int64    // hits delivered
	Slices        int      // slices read in parallel
	Pages         int64    // search requests that returned hits
	Retries       int64    // requests retried after 429/5xx/connection errors
	Partial       bool     // some shards failed and AllowPartial was set
	ShardFailures []string // reasons of shard failures
}

// PITLostError says that the point-in-time vanished before its keep-alive ran out, as when
// the node restarted: the read must start over with a new one.
type PITLostError struct{ Err error }

// Error says the point-in-time was lost and why.
func (e *PITLostError) Error() string {
	return "point-in-time lost (node restarted?): " + e.Err.Error()
}

// Unwrap returns the server's error.
func (e *PITLostError) Unwrap() error { return e.Err }

// PITExpiredError says that more time than the keep-alive passed between two pages.
type PITExpiredError struct {
	KeepAlive time.Duration
	Idle      time.Duration
}

// Error names the keep-alive setting to raise.
func (e *PITExpiredError) Error() string {
	return fmt.Sprintf("point-in-time expired: %s passed between two pages, more than its keep-alive of %s; raise the keep-alive (hunt.ESKeepAlive, ScanOptions.KeepAlive) or read with a smaller batch",
		e.Idle.Round(time.Millisecond), e.KeepAlive)
}

type pageResp struct {
	PitID    string `json:"pit_id"`
	TimedOut bool   `json:"timed_out"`
	Shards   struct {
		Total      int               `json:"total"`
		Successful int               `json:"successful"`
		Failed     int               `json:"failed"`
		Failures   []json.RawMessage `json:"failures"`
	} `json:"_shards"`
	Hits struct {
		Total *struct {
			Value    int64  `json:"value"`
			Relation string `json:"relation"`
		} `json:"total"`
		Hits []hit `json:"hits"`
	} `json:"hits"`
}

type hit struct {
	Source json.RawMessage `json:"_source"`
	Sort   json.RawMessage `json:"sort"` // the sort values array, as sent
}

// Scan reads every hit of the query over the indices matching pattern with a point-in-time
// and search_after, split into slices read in parallel, and hands each page's _source
// documents to sink (which may be called from several goroutines at once; the slice of raw
// documents is only valid during the call). A retried page resumes from the slice's last
// sort values, so nothing is duplicated or skipped. At the end the rows read are checked
// against hits.total. The point-in-time is closed on every path, cancellation included.
func (c *Client) Scan(ctx context.Context, pattern string, o ScanOptions, sink func(docs []json.RawMessage) error) (ScanStats, error) {
	if o.Batch <= 0 {
		o.Batch = 5000
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 2 * time.Minute
	}
	ka := fmt.Sprintf("%dms", o.KeepAlive.Milliseconds())
	var st ScanStats
	query := o.Query
	if query == nil {
		query = map[string]any{"match_all": map[string]any{}}
	}
	total, failed, err := c.count(ctx, pattern, query)
	if err != nil {
		return st, err
	}
	if len(failed) > 0 && !o.AllowPartial {
		return st, fmt.Errorf("count %s: %d shards failed (pass hunt.ESAllowPartial() to accept partial results): %s", pattern, len(failed), firstFailure(failed))
	}
	st.Total = total
	if o.Limit > 0 && o.Limit < total {
		st.Total = o.Limit
	}
	if total == 0 {
		return st, nil
	}
	n := o.Slices
	if n <= 0 {
		n = min(runtime.NumCPU(), 8)
		if total <= int64(o.Batch) {
			n = 1
		}
	}
	if o.Limit > 0 {
		n = 1
	}
	n = max(n, 1)
	st.Slices = n
	var pit struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, "open point-in-time on "+pattern, "POST", "/"+url.PathEscape(pattern)+"/_pit?keep_alive="+ka, nil, &pit); err != nil {
		return st, err
	}
	var (
		latest   atomic.Pointer[string] // newest PIT id seen
		read     atomic.Int64
		pages    atomic.Int64
		retries  atomic.Int64
		mu       sync.Mutex
		failures []string
		totals   = make([]int64, n)
	)
	latest.Store(&pit.ID)
	defer func() {
		// Close with a context that survives the caller's cancellation.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = c.do(cctx, "close point-in-time", "DELETE", "/_pit", map[string]any{"id": *latest.Load()}, nil)
	}()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(slice int) {
			defer wg.Done()
			// The sink runs in its own goroutine so that the next page is already on its
			// way while this one is consumed.
			pagesCh := make(chan []json.RawMessage, 2)
			sinkDone := make(chan error, 1)
			go func() {
				var serr error
				for docs := range pagesCh {
					if serr != nil {
						continue
					}
					if serr = sink(docs); serr != nil {
						cancel()
						continue
					}
					pages.Add(1)
					rd := read.Add(int64(len(docs)))
					if o.Progress != nil {
						o.Progress(rd, st.Total)
					}
				}
				sinkDone <- serr
			}()
			errs[slice] = c.readSlice(sctx, slice, n, query, ka, &o, &latest, &retries, &mu, &failures, &totals[slice], pagesCh)
			close(pagesCh)
			if serr := <-sinkDone; serr != nil {
				errs[slice] = serr // the sink's own error explains the cancellation
			}
			if errs[slice] != nil {
				cancel()
			}
		}(i)
	}
	wg.Wait()
	st.Read, st.Pages, st.Retries = read.Load(), pages.Load(), retries.Load()
	st.ShardFailures = failures
	st.Partial = len(failures) > 0
	for _, e := range errs {
		if e != nil && !errors.Is(e, context.Canceled) {
			return st, e
		}
	}
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("read of %s stopped after %d of %d rows: %w", pattern, st.Read, st.Total, err)
	}
	for _, e := range errs {
		if e != nil {
			return st, e
		}
	}
	if o.Limit == 0 {
		var sum int64
		for _, t := range totals {
			sum += t
		}
		if sum != st.Read && !st.Partial {
			return st, fmt.Errorf("read of %s: %d rows read but the slices reported %d hits: rows were lost or duplicated", pattern, st.Read, sum)
		}
		if st.Read != total && !st.Partial {
			return st, fmt.Errorf("read of %s: %d rows read but the count before the read was %d (was the index written to during the read?)", pattern, st.Read, total)
		}
	} else if st.Read != st.Total && !st.Partial {
		return st, fmt.Errorf("read of %s: %d rows read, want %d", pattern, st.Read, st.Total)
	}
	return st, nil
}

// readSlice fetches the pages of one slice and sends their documents to out.
func (c *Client) readSlice(ctx context.Context, slice, n int, query map[string]any, ka string, o *ScanOptions,
	latest *atomic.Pointer[string], retries *atomic.Int64, mu *sync.Mutex, failures *[]string, total *int64, out chan<- []json.RawMessage) error {
	var after json.RawMessage
	var got int64
	first := true
	lastCall := time.Now()
	for {
		body := map[string]any{
			"size":             o.Batch,
			"pit":              map[string]any{"id": *latest.Load(), "keep_alive": ka},
			"sort":             []any{"_shard_doc"},
			"query":            query,
			"track_total_hits": first,
		}
		if o.Limit > 0 {
			body["size"] = min(int64(o.Batch), o.Limit-got)
		}
		if o.Source != nil {
			body["_source"] = map[string]any{"includes": o.Source}
		}
		if n > 1 {
			body["slice"] = map[string]any{"id": slice, "max": n}
		}
		if after != nil {
			body["search_after"] = after
		}
		var r pageResp
		if err := c.page(ctx, body, &r, retries); err != nil {
			var ee *Error
			if errors.As(err, &ee) && ee.Status == 404 && (ee.Type == "search_context_missing_exception" || ee.Type == "search_phase_execution_exception") {
				if idle := time.Since(lastCall); idle > o.KeepAlive {
					return &PITExpiredError{KeepAlive: o.KeepAlive, Idle: idle}
				}
				return &PITLostError{Err: err}
			}
			return err
		}
		lastCall = time.Now()
		if r.PitID != "" {
			id := r.PitID
			latest.Store(&id)
		}
		if r.TimedOut {
			return errors.New("search timed out on the server; results would be partial")
		}
		if r.Shards.Failed > 0 {
			mu.Lock()
			for _, f := range r.Shards.Failures {
				*failures = append(*failures, string(f))
			}
			mu.Unlock()
			if !o.AllowPartial {
				return fmt.Errorf("%d of %d shards failed (pass hunt.ESAllowPartial() to accept partial results): %s", r.Shards.Failed, r.Shards.Total, firstFailure(r.Shards.Failures))
			}
		}
		if first && r.Hits.Total != nil {
			*total = r.Hits.Total.Value
		}
		first = false
		hits := r.Hits.Hits
		if len(hits) == 0 {
			return nil
		}
		docs := make([]json.RawMessage, len(hits))
		for j := range hits {
			docs[j] = hits[j].Source
		}
		select {
		case out <- docs:
		case <-ctx.Done():
			return ctx.Err()
		}
		got += int64(len(hits))
		after = hits[len(hits)-1].Sort
		if len(after) == 0 {
			return errors.New("search: a point-in-time page came without sort values; cannot continue after it")
		}
		if (o.Limit > 0 && got >= o.Limit) || len(hits) < o.Batch {
			return nil
		}
	}
}

func firstFailure(fs []json.RawMessage) string {
	if len(fs) == 0 {
		return "no reason given"
	}
	s := string(fs[0])
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// page runs one search request with the retry loop, counting the retries.
func (c *Client) page(ctx context.Context, body map[string]any, out *pageResp, retries *atomic.Int64) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.retry(ctx, "search", retries, func() error {
		*out = pageResp{}
		return c.once(ctx, "search", "POST", "/_search?filter_path=pit_id,timed_out,_shards,hits.total,hits.hits._source,hits.hits.sort", payload, out)
	})
}

// Count returns the number of documents matching query (nil = all) in pattern. A shard
// failure is an error.
func (c *Client) Count(ctx context.Context, pattern string, query map[string]any) (int64, error) {
	n, failed, err := c.count(ctx, pattern, query)
	if err == nil && len(failed) > 0 {
		err = fmt.Errorf("count %s: %d shards failed: %s", pattern, len(failed), firstFailure(failed))
	}
	return n, err
}

func (c *Client) count(ctx context.Context, pattern string, query map[string]any) (int64, []json.RawMessage, error) {
	var r struct {
		Count  int64 `json:"count"`
		Shards struct {
			Failed   int               `json:"failed"`
			Failures []json.RawMessage `json:"failures"`
		} `json:"_shards"`
	}
	var body any
	if query != nil {
		body = map[string]any{"query": query}
	}
	if err := c.do(ctx, "count "+pattern, "POST", "/"+url.PathEscape(pattern)+"/_count", body, &r); err != nil {
		return 0, nil, err
	}
	if r.Shards.Failed > 0 && len(r.Shards.Failures) == 0 {
		r.Shards.Failures = []json.RawMessage{json.RawMessage(`"no reason given"`)}
	}
	return r.Count, r.Shards.Failures, nil
}

// Search runs one plain search (no point-in-time) returning at most size hits' _source.
func (c *Client) Search(ctx context.Context, pattern string, query map[string]any, source []string, size int) ([]json.RawMessage, error) {
	body := map[string]any{"size": size, "track_total_hits": false}
	if query != nil {
		body["query"] = query
	}
	if source != nil {
		body["_source"] = map[string]any{"includes": source}
	}
	var r pageResp
	if err := c.do(ctx, "search "+pattern, "POST", "/"+url.PathEscape(pattern)+"/_search", body, &r); err != nil {
		return nil, err
	}
	if r.Shards.Failed > 0 {
		return nil, fmt.Errorf("search %s: %d shards failed: %s", pattern, r.Shards.Failed, firstFailure(r.Shards.Failures))
	}
	out := make([]json.RawMessage, len(r.Hits.Hits))
	for i, h := range r.Hits.Hits {
		out[i] = h.Source
	}
	return out, nil
}
