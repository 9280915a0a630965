package hunt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"sync"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic"
	"github.com/gohunt/gohunt/hunt/session"
)

// read runs the relation (the pushed-down query, aggregation, size and _source filtering)
// into the session's DuckDB database; the result is a local frame. A long read shows its
// progress unless quiet, stops promptly when ctx is cancelled and closes its point-in-time;
// rows read are checked against Elasticsearch's total.
func (f *esRel) read(ctx context.Context, e *engine, quiet bool) *Frame {
	if f.group != nil {
		return f.readGroups(ctx, e)
	}
	return f.readDocs(ctx, e, quiet)
}

func (f *esRel) fail(e *engine, err error) *Frame {
	var he *Error
	if errors.As(err, &he) {
		return errFrame(e, err)
	}
	return errFrame(e, &Error{Msg: "hunt: " + f.pattern + ": " + err.Error(), Err: err})
}

// readDocs runs the scan into a JSON loader (the conversion Read uses for JSON lines: dotted
// columns for objects, list columns for arrays, the same types).
func (f *esRel) readDocs(ctx context.Context, e *engine, quiet bool) *Frame {
	if f.conf.ctx != nil {
		ctx = f.conf.ctx
	}
	var pr *esProgress
	if !quiet && !f.conf.quiet && f.limit < 0 {
		pr = newESProgress(f.pattern)
	}
	var st elastic.ScanStats
	var ld *streamLoader
	var err error
	for attempt := 0; ; attempt++ {
		ld = newStreamLoader(e)
		if f.limit == 0 {
			break
		}
		if f.limit > 0 && f.limit <= 10000 {
			// A small read (a preview, a Limit) is one plain search, no point-in-time.
			var docs []json.RawMessage
			docs, err = f.c.c.Search(ctx, f.pattern, f.query(), f.source, int(f.limit))
			for i, d := range docs {
				if err = ld.addLine(d, fmt.Sprintf("%s document %d", f.pattern, i+1)); err != nil {
					break
				}
			}
			st.Read, st.Total = int64(len(docs)), int64(len(docs))
			break
		}
		var mu sync.Mutex
		var n int64
		opts := elastic.ScanOptions{
			Query: f.query(), Source: f.source, Slices: f.conf.slices, Batch: f.conf.batch,
			KeepAlive: f.conf.keepAlive, AllowPartial: f.conf.partial,
		}
		if f.limit > 0 {
			opts.Limit = f.limit
		}
		if pr != nil {
			opts.Progress = pr.update
		}
		st, err = f.c.c.Scan(ctx, f.pattern, opts, func(docs []json.RawMessage) error {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range docs {
				n++
				if err := ld.addLine(d, fmt.Sprintf("%s document %d", f.pattern, n)); err != nil {
					return err
				}
			}
			return nil
		})
		var lost *elastic.PITLostError
		if errors.As(err, &lost) && attempt < 3 {
			// The node lost the point-in-time (a restart): start over, dropping what was read.
			ld.discard()
			continue
		}
		break
	}
	if pr != nil {
		pr.done(st, err)
	}
	if err != nil {
		ld.discard()
		return f.fail(e, err)
	}
	var l *Frame
	if ld.rows() == 0 {
		ld.discard()
		l = f.emptyFrame(e)
	} else {
		l, err = listify(e, ld)
		if err != nil {
			return f.fail(e, err)
		}
	}
	l = typeEventTimes(f.project(l), f.isDate) // the event times Read types (read_times.go)
	if st.Partial {
		l.note = joinNote(l.note, fmt.Sprintf("PARTIAL RESULT: %d shard failure(s): %s", len(st.ShardFailures), strings.Join(st.ShardFailures, "; ")))
	}
	if n := f.conflictNote(); n != "" {
		l.note = joinNote(l.note, n)
	}
	return l
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// duckTypeOf is the DuckDB type a mapped field reads as when no document holds it.
func duckTypeOf(esType string) string {
	switch esType {
	case "long", "integer", "short", "byte":
		return "BIGINT"
	case "double", "float", "half_float", "scaled_float":
		return "DOUBLE"
	case "boolean":
		return "BOOLEAN"
	}
	return "VARCHAR"
}

// nullType is the DuckDB type of a column no document held.
func (f *esRel) nullType(name string) string {
	fl, ok := f.schema.Field(name)
	if !ok {
		return "VARCHAR[]" // a nested object: a list of JSON texts when present
	}
	if f.isDate(name) && eventTimeFormat(name) != "" {
		return "TIMESTAMP" // as a read that holds it (typeEventTimes)
	}
	return duckTypeOf(fl.Type)
}

// isDate reports whether name is mapped as an Elasticsearch date.
func (f *esRel) isDate(name string) bool {
	fl, ok := f.schema.Field(name)
	return ok && (fl.Type == "date" || fl.Type == "date_nanos")
}

// emptyFrame is a frame with no rows and the mapped (or selected) columns.
func (f *esRel) emptyFrame(e *engine) *Frame {
	names := f.source
	if names == nil {
		names = f.mappedColumns()
	}
	alloc := newIdentAllocator()
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, "CAST(NULL AS "+f.nullType(n)+") AS "+quoteIdent(alloc.ident(n)))
	}
	if len(parts) == 0 {
		parts = []string{"NULL AS empty"}
	}
	return newFrame(e, "SELECT "+strings.Join(parts, ", ")+" WHERE false")
}

// project gives the read's result the schema of the mapping: the selected columns in their
// order, or every column read followed by the mapped fields that no document held (as NULL),
// so that a filtered read has the same columns as the full one.
func (f *esRel) project(l *Frame) *Frame {
	if l.err != nil {
		return l
	}
	alloc := newIdentAllocator()
	var parts []string
	names := f.source
	if names == nil {
		have := map[string]bool{}
		for _, c := range l.cols {
			have[c.name] = true
			parts = append(parts, quoteIdent(c.ident)+" AS "+quoteIdent(alloc.ident(c.name)))
		}
		for _, n := range f.mappedColumns() {
			if !have[n] {
				parts = append(parts, "CAST(NULL AS "+f.nullType(n)+") AS "+quoteIdent(alloc.ident(n)))
			}
		}
		if len(parts) == len(l.cols) {
			return l
		}
	}
	for _, n := range names {
		id := alloc.ident(n)
		if c, err := l.resolve(n); err == nil {
			parts = append(parts, quoteIdent(c.ident)+" AS "+quoteIdent(id))
			continue
		}
		parts = append(parts, "CAST(NULL AS "+f.nullType(n)+") AS "+quoteIdent(id))
	}
	g := l.derive("SELECT " + strings.Join(parts, ", ") + " FROM " + l.from())
	g.note = l.note
	return g
}

// readGroups runs the composite aggregation and builds the grouped frame.
func (f *esRel) readGroups(ctx context.Context, e *engine) *Frame {
	if f.conf.ctx != nil {
		ctx = f.conf.ctx
	}
	buckets, err := f.c.c.Composite(ctx, f.pattern, f.query(), f.group.keys, f.group.metrics, 1000)
	if err != nil {
		return f.fail(e, err)
	}
	if len(buckets) == 0 {
		alloc := newIdentAllocator()
		var parts []string
		for _, o := range f.group.outs {
			t := "BIGINT"
			if o.kind == "key" {
				fl, _ := f.schema.Field(o.name)
				t = duckTypeOf(fl.Type)
			} else if o.kind == "metric" && !o.intish {
				t = "DOUBLE"
			}
			parts = append(parts, "CAST(NULL AS "+t+") AS "+quoteIdent(alloc.ident(o.name)))
		}
		return newFrame(e, "SELECT "+strings.Join(parts, ", ")+" WHERE false")
	}
	ld := newJSONLoader(e, readConfig{keepStructs: true})
	var b strings.Builder
	for i, bk := range buckets {
		b.Reset()
		b.WriteByte('{')
		for j, o := range f.group.outs {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(o.name)
			b.Write(k)
			b.WriteByte(':')
			var v any
			switch o.kind {
			case "key":
				v = bk.Key[o.name]
			case "count":
				v = bk.Count
			case "metric":
				if p := bk.Metrics[o.name]; p != nil {
					if o.intish {
						if *p >= 1<<53 || *p <= -(1<<53) {
							// A double cannot hold this long exactly: aggregate locally.
							ld.discard()
							g := f.clone()
							g.group = nil
							return f.localGroups(g.readDocs(ctx, e, false))
						}
						v = int64(*p)
					} else {
						v = *p
					}
				}
			}
			val, err := json.Marshal(v)
			if err != nil {
				ld.discard()
				return f.fail(e, err)
			}
			b.Write(val)
		}
		b.WriteByte('}')
		if err := ld.addLine([]byte(b.String()), fmt.Sprintf("bucket %d", i+1)); err != nil {
			ld.discard()
			return f.fail(e, err)
		}
	}
	l, err := ld.frame()
	if err != nil {
		return f.fail(e, err)
	}
	return l
}

// localGroups computes the frame's aggregation in DuckDB on l.
func (f *esRel) localGroups(l *Frame) *Frame {
	if l.err != nil {
		return l
	}
	var keys []any
	var aggs []Expr
	for _, o := range f.group.outs {
		switch o.kind {
		case "key":
			keys = append(keys, o.name)
		case "count":
			aggs = append(aggs, Count())
		case "metric":
			for _, m := range f.group.metrics {
				if m.Name == o.name {
					if m.Op == "min" {
						aggs = append(aggs, Min(m.Field))
					} else {
						aggs = append(aggs, Max(m.Field))
					}
				}
			}
		}
	}
	return l.GroupBy(keys...).Agg(aggs...)
}

// esProgress shows a read's progress in the notebook, updated in place.
type esProgress struct {
	id      string
	pattern string
	start   time.Time
	mu      sync.Mutex
	last    time.Time
	shown   bool
}

func newESProgress(pattern string) *esProgress {
	return &esProgress{id: session.NewID(), pattern: pattern, start: time.Now()}
}

// progressText is what the progress display shows.
type progressText struct{ s string }

// String returns the progress line.
func (p progressText) String() string { return p.s }

// HTML returns the progress line, escaped.
func (p progressText) HTML() string {
	return `<div class="hunt-progress">` + html.EscapeString(p.s) + `</div>`
}

func (p *esProgress) update(read, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 250*time.Millisecond {
		return
	}
	p.last = now
	rate := float64(read) / max(now.Sub(p.start).Seconds(), 1e-9)
	msg := progressText{fmt.Sprintf("reading %s: %d / %d rows (%.0f rows/s)", p.pattern, read, total, rate)}
	if !p.shown {
		session.Show(p.id, msg)
		p.shown = true
		return
	}
	session.Update(p.id, msg)
}

func (p *esProgress) done(st elastic.ScanStats, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.shown {
		return
	}
	d := time.Since(p.start)
	msg := fmt.Sprintf("read %s: %d / %d rows in %.1fs (%.0f rows/s, %d slices)", p.pattern, st.Read, st.Total, d.Seconds(), float64(st.Read)/max(d.Seconds(), 1e-9), st.Slices)
	if err != nil {
		msg = fmt.Sprintf("read %s stopped at %d / %d rows: %v", p.pattern, st.Read, st.Total, err)
	}
	session.Update(p.id, progressText{msg})
}
