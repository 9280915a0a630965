package hunt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// esFollow follows an Elasticsearch frame. Each poll opens a point-in-time and pages with
// search_after on [time field as nanoseconds, _shard_doc] (a consistent snapshot, so a page
// boundary loses or repeats nothing), asking only for events whose time is at least the
// watermark: the newest event time seen minus the lag. Events already delivered in that
// window are known by index and id and skipped, so each event is delivered once; ids older
// than the watermark are forgotten, as no later query can return them.
type esFollow struct {
	rel   *esRel
	local []func(*Frame) *Frame // row-by-row operations after the read, on DuckDB
	ts    string
	lag   time.Duration
	batch int
	from  bool

	hi   int64            // newest event time seen, ns since the epoch (valid when have)
	have bool             // an event was seen
	seen map[string]int64 // index \x00 id -> event time (ns), for events at or after the watermark
}

// newESFollow checks that f can be followed: an Elasticsearch frame whose operations after
// the read keep rows one for one (WithColumn, Rename, Drop, Select), with no aggregation,
// size, sort or join.
func newESFollow(f *Frame) (*esFollow, error) {
	if !f.lazy() {
		return nil, errorf("hunt: Follow: only frames on Elasticsearch (es.Index(pattern)) can be followed; for a growing JSON-lines file use hunt.Follow(path)")
	}
	var ops []*node
	n := f.plan
	for n.op != "source" {
		switch n.op {
		case "filter", "project", "drop", "rename", "with":
		default:
			name := opName[n.op]
			if n.op == "local" {
				name = n.args.label
			}
			return nil, errorf("hunt: Follow: %s cannot be followed: it is not a row-by-row operation on the events (apply it to the follow's views, or before reading)", name)
		}
		if len(n.in) != 1 || !n.in[0].lazy() {
			return nil, errorf("hunt: Follow: %s over more than one frame cannot be followed", opName[n.op])
		}
		ops = append(ops, n)
		n = n.in[0].plan
	}
	rel, ok := n.rel.(*esRel)
	if !ok {
		return nil, errorf("hunt: Follow: frames on %s cannot be followed (Elasticsearch frames and JSON-lines files can)", n.rel.engineName())
	}
	if rel.group != nil {
		return nil, errorf("hunt: Follow: a grouped frame cannot be followed; follow the events and add ValueCounts to the follow")
	}
	if rel.limit >= 0 {
		return nil, errorf("hunt: Follow: a frame with Limit cannot be followed; Last sets how many rows are shown")
	}
	src := &esFollow{rel: rel, batch: 1000}
	for i := len(ops) - 1; i >= 0; i-- {
		op := ops[i]
		if op.op == "project" {
			cols := append(append([]any(nil), op.args.cols...), followSeq)
			src.local = append(src.local, func(l *Frame) *Frame { return l.Select(cols...) })
			continue
		}
		src.local = append(src.local, func(l *Frame) *Frame { return op.apply([]*Frame{l}) })
	}
	return src, nil
}

func (s *esFollow) describe() string { return "Elasticsearch " + s.rel.pattern }

func (s *esFollow) close() {}

func (s *esFollow) shape(l *Frame) *Frame {
	g := s.rel
	if g.source != nil {
		g = g.clone()
		g.source = append(g.source, followSeq)
	}
	l = g.project(l)
	for _, fn := range s.local {
		l = fn(l)
	}
	return l
}

// begin checks the time field and, in one point-in-time, reads the newest events to show and
// the ids of the events within the lag of the newest one, which later polls must not return
// as new.
func (s *esFollow) begin(ctx context.Context, w *Follower) ([]json.RawMessage, error) {
	s.ts, s.lag, s.from = w.tsField, w.lag, w.start
	s.seen = map[string]int64{}
	fl, ok := s.rel.schema.Field(s.ts)
	if !ok {
		return nil, errorf("hunt: Follow: %s has no field %q to order events by (On names the time field)", s.rel.pattern, s.ts)
	}
	if fl.Type != "date" && fl.Type != "date_nanos" || s.rel.schema.Conflicted(fl.Name) {
		return nil, errorf("hunt: Follow: field %q of %s is mapped as %s, not as a date: events cannot be ordered by it (On names the time field)", s.ts, s.rel.pattern, fl.Type)
	}
	if s.from {
		return nil, nil
	}
	var newest []json.RawMessage
	err := s.withPIT(ctx, func(pit string) error {
		var r esFollowResp
		body := s.body(pit, nil, w.last, "desc", nil)
		if err := s.search(ctx, body, &r); err != nil {
			return err
		}
		if len(r.Hits.Hits) == 0 {
			return nil
		}
		for _, h := range r.Hits.Hits {
			newest = append(newest, h.Source)
		}
		slices.Reverse(newest)
		t, err := sortTime(r.Hits.Hits[0].Sort)
		if err != nil {
			return err
		}
		s.hi, s.have = t, true
		// Remember every event of the snapshot within the lag: they are not new.
		return s.page(ctx, pit, false, nil, func(key string, t int64, _ json.RawMessage) {
			s.seen[key] = t
		})
	})
	return newest, err
}

// poll returns the events that are new since the last poll. In one point-in-time it pages
// through the ids and times of the events at or after the watermark (no sources: most are
// known), then fetches the sources of the new ones only, by id.
func (s *esFollow) poll(ctx context.Context) ([]json.RawMessage, []string, error) {
	var out []json.RawMessage
	hi, have := s.hi, s.have
	err := s.withPIT(ctx, func(pit string) error {
		var fresh []string
		pos := map[string]int{}
		times := map[string]int64{}
		err := s.page(ctx, pit, false, nil, func(key string, t int64, _ json.RawMessage) {
			if _, dup := s.seen[key]; dup {
				return
			}
			if _, dup := pos[key]; dup {
				return
			}
			pos[key] = len(fresh)
			fresh = append(fresh, key)
			times[key] = t
		})
		if err != nil || len(fresh) == 0 {
			return err
		}
		docs := make([]json.RawMessage, len(fresh))
		for from := 0; from < len(fresh); from += s.batch {
			chunk := fresh[from:min(from+s.batch, len(fresh))]
			ids := make([]string, 0, len(chunk))
			for _, k := range chunk {
				ids = append(ids, k[strings.IndexByte(k, 0)+1:])
			}
			byID := map[string]any{"ids": map[string]any{"values": ids}}
			err := s.page(ctx, pit, true, byID, func(key string, _ int64, src json.RawMessage) {
				if i, ok := pos[key]; ok && docs[i] == nil {
					docs[i] = src
				}
			})
			if err != nil {
				return err
			}
		}
		for i, key := range fresh {
			if docs[i] == nil {
				return errorf("hunt: Follow %s: event %q was listed but could not be fetched from the same point-in-time", s.rel.pattern, strings.ReplaceAll(key, "\x00", "/"))
			}
			t := times[key]
			s.seen[key] = t
			out = append(out, docs[i])
			if !have || t > hi {
				hi, have = t, true
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.hi, s.have = hi, have
	if have {
		mark := s.watermark()
		for k, t := range s.seen {
			if t < mark {
				delete(s.seen, k)
			}
		}
	}
	return out, nil, nil
}

// watermark is the oldest event time a poll asks for (ns): the newest time seen minus the lag
// and 1ms, in whole milliseconds, so that a date (millisecond) field compares with it exactly
// as the ids kept are pruned by it.
func (s *esFollow) watermark() int64 {
	ms := int64(time.Millisecond)
	m := s.hi - int64(s.lag) - ms
	return m - ((m%ms)+ms)%ms
}

// page reads, in the point-in-time pit, every event at or after the watermark (all events
// before the first one is seen) that also matches extra (nil for none), oldest first, and
// hands each to fn with its key and time.
func (s *esFollow) page(ctx context.Context, pit string, withSource bool, extra any, fn func(key string, t int64, src json.RawMessage)) error {
	var after []json.RawMessage
	for {
		var r esFollowResp
		body := s.body(pit, after, s.batch, "asc", extra)
		if !withSource {
			body["_source"] = false
		}
		if err := s.search(ctx, body, &r); err != nil {
			return err
		}
		for _, h := range r.Hits.Hits {
			t, err := sortTime(h.Sort)
			if err != nil {
				return err
			}
			fn(h.Index+"\x00"+h.ID, t, h.Source)
		}
		if len(r.Hits.Hits) < s.batch {
			return nil
		}
		after = r.Hits.Hits[len(r.Hits.Hits)-1].Sort
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// body is the search of one page: the frame's pushed query, the time field present and at or
// after the watermark, sorted by time (as nanoseconds, so date and date_nanos indices sort
// together) and _shard_doc.
func (s *esFollow) body(pit string, after []json.RawMessage, size int, order string, extra any) map[string]any {
	filters := []any{map[string]any{"exists": map[string]any{"field": s.ts}}}
	if extra != nil {
		filters = append(filters, extra)
	}
	if q := s.rel.query(); q != nil {
		filters = append(filters, q)
	}
	if s.have {
		filters = append(filters, map[string]any{"range": map[string]any{s.ts: map[string]any{
			"gte":    time.Unix(0, s.watermark()).UTC().Format(time.RFC3339Nano),
			"format": "strict_date_optional_time_nanos",
		}}})
	}
	body := map[string]any{
		"size":             size,
		"query":            map[string]any{"bool": map[string]any{"filter": filters}},
		"pit":              map[string]any{"id": pit, "keep_alive": "1m"},
		"sort":             []any{map[string]any{s.ts: map[string]any{"order": order, "numeric_type": "date_nanos"}}, map[string]any{"_shard_doc": order}},
		"track_total_hits": false,
	}
	if s.rel.source != nil {
		body["_source"] = map[string]any{"includes": s.rel.source}
	}
	if after != nil {
		body["search_after"] = after
	}
	return body
}

type esFollowResp struct {
	Shards struct {
		Failed   int               `json:"failed"`
		Failures []json.RawMessage `json:"failures"`
	} `json:"_shards"`
	Hits struct {
		Hits []struct {
			Index  string            `json:"_index"`
			ID     string            `json:"_id"`
			Source json.RawMessage   `json:"_source"`
			Sort   []json.RawMessage `json:"sort"`
		} `json:"hits"`
	} `json:"hits"`
}

func (s *esFollow) search(ctx context.Context, body map[string]any, r *esFollowResp) error {
	const path = "/_search?filter_path=_shards.failed,_shards.failures,hits.hits._index,hits.hits._id,hits.hits._source,hits.hits.sort"
	if err := s.rel.c.c.Raw(ctx, "POST", path, body, r); err != nil {
		return s.fail(err)
	}
	if r.Shards.Failed > 0 && !s.rel.conf.partial {
		reason := "no reason given"
		if len(r.Shards.Failures) > 0 {
			reason = string(r.Shards.Failures[0])
		}
		return errorf("hunt: Follow %s: %d shard(s) failed: %s", s.rel.pattern, r.Shards.Failed, reason)
	}
	return nil
}

func (s *esFollow) fail(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &Error{Msg: "hunt: Follow " + s.rel.pattern + ": " + err.Error(), Err: err}
}

// withPIT runs fn with a point-in-time over the frame's indices and closes it afterwards.
func (s *esFollow) withPIT(ctx context.Context, fn func(pit string) error) error {
	var r struct {
		ID string `json:"id"`
	}
	if err := s.rel.c.c.Raw(ctx, "POST", "/"+url.PathEscape(s.rel.pattern)+"/_pit?keep_alive=1m", nil, &r); err != nil {
		return s.fail(err)
	}
	err := fn(r.ID)
	// Closed even when the cell is interrupted: a point-in-time holds segments on the node.
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.rel.c.c.Raw(cctx, "DELETE", "/_pit", map[string]any{"id": r.ID}, nil)
	return err
}

// sortTime reads the first sort value of a hit: its time in nanoseconds.
func sortTime(sort []json.RawMessage) (int64, error) {
	if len(sort) == 0 {
		return 0, errorf("hunt: Follow: a hit without sort values")
	}
	v := strings.Trim(string(sort[0]), `"`)
	t, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("hunt: Follow: sort value %s: %w", v, err)
	}
	return t, nil
}
