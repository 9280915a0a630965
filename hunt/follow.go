package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
)

// Following live events: a Follower polls its source (an Elasticsearch frame, or a growing
// JSON-lines file) every period, fetches only the events it has not delivered yet, and shows
// the last rows, the counts and its views under one display ID, updated in place. It runs in
// the cell until a bound (For, Until, UntilEvents) or the cell's interrupt stops it; an
// interrupt is its normal end: the cell ends ok with a note "stopped after N events".

// Follow defaults.
const (
	// DefaultFollowEvery is how often a follow polls its source when no period is given.
	DefaultFollowEvery = time.Second
	// DefaultFollowLast is how many of the newest rows a follow shows.
	DefaultFollowLast = 20
	// DefaultFollowKeep is how many of the newest events a follow keeps for its views.
	DefaultFollowKeep = 10_000
	// DefaultFollowLag is how far behind the newest event time an Elasticsearch follow looks
	// again for events indexed late (see docs/follow.md).
	DefaultFollowLag = 30 * time.Second
)

// followSeq is the column each followed event carries while it is loaded, so that the rows
// that pass local operations can be told apart; it is dropped before anything is shown.
const followSeq = "__hunt_follow_seq"

// Follower follows live events: made by Frame.Follow (an Elasticsearch frame) or hunt.Follow
// (a JSON-lines file), set up by its chain methods (each returns a new Follower), and run by
// showing it (the last expression of a cell) or by Run. While it runs it shows, updated in
// place, the newest rows (Last), the counts and its views (Timeline, ValueCounts); it stops at
// its bound (For, Until, UntilEvents) or when the cell is interrupted, which ends the cell
// normally with the note "stopped after N events".
type Follower struct {
	src      followSource
	every    time.Duration
	last     int
	keep     int
	lag      time.Duration
	tsField  string
	forD     time.Duration
	until    time.Time
	maxEv    int64
	start    bool
	views    []followView
	where    []any
	err      error
	onBatch  func(docs []json.RawMessage) // tests: every delivered batch, in order
	onUpdate func()                       // tests: after each redraw
}

// followView is a view redrawn over the events kept.
type followView struct {
	label string
	draw  func(*Frame) any
}

// followSource is where a follow's events come from.
type followSource interface {
	// describe names the source ("Elasticsearch logs-*", "file events.jsonl").
	describe() string
	// begin positions the source: from now on only new events are returned. It returns the
	// newest existing events (at most last, oldest first) to show at start, when fromStart is
	// false; with fromStart every existing event is returned by the first poll instead.
	begin(ctx context.Context, w *Follower) ([]json.RawMessage, error)
	// poll returns the events that arrived since the last poll (oldest first, each once) and
	// notes on what happened (a file rotated or truncated).
	poll(ctx context.Context) (docs []json.RawMessage, notes []string, err error)
	// shape gives loaded events the source's columns and applies the local operations.
	shape(l *Frame) *Frame
	// close frees what the source holds (an open file).
	close()
}

// Follow follows the JSON-lines file at path as it grows, as tail -f does: every period (1s
// by default: Every) the complete lines appended since the last poll are new events; a last
// line still being written is held until its newline arrives. A file replaced (rotation: a new
// file under the same name) is read on from its start after the old one's last lines, and a
// file truncated is read again from its start; both are said in the display. Lines that are
// not one JSON object are skipped and counted. Without FromStart the follow starts at the
// file's end and shows its last lines first.
func Follow(path string) *Follower {
	if path == "" {
		return &Follower{err: errorf("hunt.Follow: empty path")}
	}
	return newFollower(&fileFollow{path: path}, DefaultFollowEvery)
}

// Follow returns a Follower of the frame's events, polling every period (DefaultFollowEvery
// when every <= 0). The frame must be an Elasticsearch frame (es.Index(pattern) with Where and
// Select pushed into Elasticsearch, and row-by-row operations such as WithColumn, Rename or
// Drop after them); each poll asks Elasticsearch only for events newer than those seen (by the
// time field, @timestamp unless On says otherwise, and each event's index and id), so an event
// is shown once, and events indexed late are found as long as their time is within the lag
// (Lag, 30s by default) of the newest event seen.
func (f *Frame) Follow(every time.Duration) *Follower {
	if f == nil || f.err != nil {
		return &Follower{err: f.Err()}
	}
	src, err := newESFollow(f)
	if err != nil {
		return &Follower{err: err}
	}
	return newFollower(src, every)
}

func newFollower(src followSource, every time.Duration) *Follower {
	if every <= 0 {
		every = DefaultFollowEvery
	}
	return &Follower{src: src, every: every, last: DefaultFollowLast, keep: DefaultFollowKeep, lag: DefaultFollowLag, tsField: "@timestamp"}
}

func (w *Follower) with(fn func(g *Follower)) *Follower {
	if w == nil {
		return &Follower{err: errorf("hunt: nil Follower")}
	}
	g := *w
	g.views = append([]followView(nil), w.views...)
	g.where = append([]any(nil), w.where...)
	if g.err == nil {
		fn(&g)
	}
	return &g
}

// Every sets how often the source is polled (DefaultFollowEvery when d <= 0).
func (w *Follower) Every(d time.Duration) *Follower {
	return w.with(func(g *Follower) {
		if d <= 0 {
			d = DefaultFollowEvery
		}
		g.every = d
	})
}

// Last sets how many of the newest rows are shown (DefaultFollowLast when n < 1).
func (w *Follower) Last(n int) *Follower {
	return w.with(func(g *Follower) {
		if n < 1 {
			n = DefaultFollowLast
		}
		g.last = n
	})
}

// Keep sets how many of the newest events the views count (DefaultFollowKeep when n < 1); the
// counts of the display always count every event.
func (w *Follower) Keep(n int) *Follower {
	return w.with(func(g *Follower) {
		if n < 1 {
			n = DefaultFollowKeep
		}
		g.keep = n
	})
}

// Lag sets how far behind the newest event time seen an Elasticsearch follow looks again, for
// events that become searchable late (indexed late, or waiting for a refresh) with an older
// time: an event whose time is more than the lag behind the newest one seen when it becomes
// searchable is missed. d <= 0 means DefaultFollowLag. File follows have no lag.
func (w *Follower) Lag(d time.Duration) *Follower {
	return w.with(func(g *Follower) {
		if d <= 0 {
			d = DefaultFollowLag
		}
		g.lag = d
	})
}

// On sets the time field an Elasticsearch follow orders and watermarks events by (a field
// mapped as date or date_nanos; @timestamp by default). Events without it are not followed.
func (w *Follower) On(timeField string) *Follower {
	return w.with(func(g *Follower) { g.tsField = timeField })
}

// FromStart makes the follow deliver every existing event first (all lines of the file, or
// every matching Elasticsearch event), as new events, instead of starting at the end.
func (w *Follower) FromStart() *Follower { return w.with(func(g *Follower) { g.start = true }) }

// For bounds the follow to d from its start (headless playbooks use a bound).
func (w *Follower) For(d time.Duration) *Follower { return w.with(func(g *Follower) { g.forD = d }) }

// Until bounds the follow to the wall-clock time t.
func (w *Follower) Until(t time.Time) *Follower { return w.with(func(g *Follower) { g.until = t }) }

// UntilEvents stops the follow once it has delivered at least n new events.
func (w *Follower) UntilEvents(n int64) *Follower {
	return w.with(func(g *Follower) { g.maxEv = n })
}

// Where keeps only the events for which cond holds (as Frame.Where), evaluated on DuckDB as
// they arrive; on an Elasticsearch frame, filter before Follow so that Elasticsearch filters.
func (w *Follower) Where(cond any) *Follower {
	return w.with(func(g *Follower) { g.where = append(g.where, cond) })
}

// Timeline adds a timeline of the events kept (Frame.Timeline(timeCol, by)), redrawn as events
// arrive.
func (w *Follower) Timeline(timeCol, by string) *Follower {
	return w.with(func(g *Follower) {
		g.views = append(g.views, followView{label: "timeline of " + timeCol, draw: func(f *Frame) any { return f.Timeline(timeCol, by) }})
	})
}

// ValueCounts adds the counts per value of col over the events kept (Frame.ValueCounts),
// redrawn as events arrive.
func (w *Follower) ValueCounts(col string) *Follower {
	return w.with(func(g *Follower) {
		g.views = append(g.views, followView{label: "counts of " + col, draw: func(f *Frame) any { return f.ValueCounts(col) }})
	})
}

// Err returns the error the Follower was made with (a frame that cannot be followed), or nil.
func (w *Follower) Err() error {
	if w == nil {
		return errorf("hunt: nil Follower")
	}
	return w.err
}

// String describes the follow without running it.
func (w *Follower) String() string {
	if w == nil || w.err != nil {
		return "hunt.Follower: " + w.Err().Error()
	}
	return fmt.Sprintf("follow %s every %v (last %d rows)", w.src.describe(), w.every, w.last)
}

// MIMEBundle runs the follow (showing it live under its own display ID) and returns the line
// it ended with: showing a Follower as a cell's last value is running it.
func (w *Follower) MIMEBundle() map[string]any {
	r, err := w.run(true)
	if err != nil {
		msg := "follow failed: " + err.Error()
		return map[string]any{"text/plain": msg, "text/html": `<pre class="hunt-error">` + html.EscapeString(msg) + `</pre>`}
	}
	return map[string]any{"text/plain": r.Note, "text/html": `<p class="hunt-follow-note">` + html.EscapeString(r.Note) + `</p>`}
}

// FollowResult is what a follow did once it stopped.
type FollowResult struct {
	Events  int64  // new events delivered (after local filters)
	Polls   int    // polls of the source
	Stopped string // why it stopped: "interrupted", "for 10s", "until ...", "after N events"
	Note    string // the line the cell ends with
	Rows    *Frame // the newest rows shown (Last), or nil when there were none
}

// String returns the note.
func (r *FollowResult) String() string { return r.Note }

// Run runs the follow in the running cell until its bound or an interrupt and returns what it
// did; the error is a failure of the source (an interrupt is not one).
func (w *Follower) Run() (*FollowResult, error) { return w.run(false) }

func (w *Follower) run(shownAsValue bool) (*FollowResult, error) {
	if err := w.Err(); err != nil {
		return nil, err
	}
	e, err := defaultEngine()
	if err != nil {
		return nil, err
	}
	ctx := cellCtx()
	finish := session.UntilInterrupt()
	st := &followState{w: w, e: e, id: session.NewID(), began: time.Now()}
	r, err := st.loop(ctx)
	w.src.close()
	interrupted := ctx.Err() != nil
	if err != nil && !interrupted {
		finish("", false)
		return nil, err
	}
	note := ""
	if !shownAsValue {
		note = r.Note
	}
	finish(note, interrupted)
	return r, nil
}

// followState is one run of a Follower.
type followState struct {
	w       *Follower
	e       *engine
	id      string
	began   time.Time
	shown   bool
	seq     int64
	events  int64
	initial int
	polls   int
	kept    []followDoc // matched events, newest last, at most keep
	notes   []string
	lastAt  time.Time
	stopped string
}

type followDoc struct {
	seq int64
	doc json.RawMessage
}

func (st *followState) loop(ctx context.Context) (*FollowResult, error) {
	w := st.w
	var deadline time.Time
	if w.forD > 0 {
		deadline = st.began.Add(w.forD)
	}
	if !w.until.IsZero() && (deadline.IsZero() || w.until.Before(deadline)) {
		deadline = w.until
	}
	first, err := w.src.begin(ctx, w)
	if err != nil {
		return st.result(), err
	}
	if len(first) > 0 {
		if _, err := st.add(first, true); err != nil {
			return st.result(), err
		}
	}
	st.redraw()
	for {
		if ctx.Err() != nil {
			st.stopped = "interrupted"
			break
		}
		docs, notes, err := w.src.poll(ctx)
		st.polls++
		st.lastAt = time.Now()
		if ctx.Err() != nil {
			st.stopped = "interrupted"
			break
		}
		if err != nil {
			st.notes = append(st.notes, "error: "+err.Error())
			st.redraw()
			return st.result(), err
		}
		changed := len(notes) > 0
		st.notes = append(st.notes, notes...)
		if len(docs) > 0 {
			n, err := st.add(docs, false)
			if err != nil {
				return st.result(), err
			}
			changed = changed || n > 0
		}
		if changed {
			st.redraw()
		}
		if w.maxEv > 0 && st.events >= w.maxEv {
			st.stopped = fmt.Sprintf("after %d events", st.events)
			break
		}
		wait := w.every
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				st.stopped = "at its bound"
				if w.forD > 0 {
					st.stopped = "after " + w.forD.String()
				}
				break
			}
			wait = min(wait, left)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	st.redraw()
	return st.result(), nil
}

// add loads docs, applies the local operations, and keeps the events that pass. It returns
// how many passed.
func (st *followState) add(docs []json.RawMessage, initial bool) (int, error) {
	batch := make([]followDoc, len(docs))
	for i, d := range docs {
		st.seq++
		batch[i] = followDoc{seq: st.seq, doc: d}
	}
	if st.w.onBatch != nil && !initial {
		st.w.onBatch(docs)
	}
	f, skipped, err := st.load(batch)
	if err != nil {
		return 0, err
	}
	if skipped > 0 {
		st.notes = append(st.notes, fmt.Sprintf("%d event(s) the JSON loader rejects were left out: %s", skipped, f.Note()))
	}
	var seqs []string
	if f != nil {
		seqs, err = f.Strings(followSeq)
		runtime.KeepAlive(f)
		if err != nil {
			return 0, err
		}
	}
	pass := make(map[int64]bool, len(seqs))
	for _, s := range seqs {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("hunt: follow: sequence %q: %w", s, err)
		}
		pass[n] = true
	}
	n := 0
	for _, d := range batch {
		if pass[d.seq] {
			st.kept = append(st.kept, d)
			n++
		}
	}
	if initial {
		st.initial += n
	} else {
		st.events += int64(n)
	}
	if over := len(st.kept) - max(st.w.keep, st.w.last); over > 0 {
		st.kept = append([]followDoc(nil), st.kept[over:]...)
	}
	return n, nil
}

// frame loads events (each with its sequence number) into DuckDB and shapes them.
func (st *followState) frame(docs []followDoc) *Frame {
	l, _, err := st.load(docs)
	if err != nil {
		return errFrame(st.e, err)
	}
	if l == nil {
		return errFrame(st.e, errorf("hunt: follow: no event could be loaded"))
	}
	return l
}

// load loads events (each with its sequence number) into DuckDB and shapes them. Events the
// JSON loader rejects (hostile bytes) are skipped and counted; when all are, the frame is nil.
func (st *followState) load(docs []followDoc) (*Frame, int64, error) {
	ld := newJSONLoader(st.e, readConfig{skipBad: true})
	var b []byte
	for _, d := range docs {
		b = withSeq(b[:0], d.seq, d.doc)
		if err := ld.addLine(b, fmt.Sprintf("%s event %d", st.w.src.describe(), d.seq)); err != nil {
			ld.discard()
			return nil, 0, err
		}
	}
	skipped := ld.skipped
	if ld.rows == 0 {
		ld.discard()
		return nil, skipped, nil
	}
	l, err := ld.frame()
	if err != nil {
		return nil, skipped, err
	}
	// The loaded table lives while a frame reading it is reachable: keep the first one alive
	// until the derived frames (which hold the table too) are built.
	defer runtime.KeepAlive(l)
	l = st.w.src.shape(l)
	for _, c := range st.w.where {
		l = l.Where(c)
	}
	return l, skipped, l.Err()
}

// withSeq writes doc (a JSON object) with the field followSeq = seq added first.
func withSeq(b []byte, seq int64, doc []byte) []byte {
	b = append(b, `{"`+followSeq+`":`...)
	b = strconv.AppendInt(b, seq, 10)
	rest := strings.TrimSpace(string(doc[1:]))
	if rest != "}" {
		b = append(b, ',')
	}
	return append(b, rest...)
}

func (st *followState) result() *FollowResult {
	r := &FollowResult{Events: st.events, Polls: st.polls, Stopped: st.stopped}
	r.Note = fmt.Sprintf("following %s: stopped after %d events", st.w.src.describe(), st.events)
	if st.stopped != "" && st.stopped != "interrupted" {
		r.Note += " (" + st.stopped + ")"
	}
	if rows := st.rows(); rows != nil && rows.Err() == nil {
		r.Rows = rows
	}
	return r
}

// rows is the frame of the newest events kept (at most last), oldest first, without the
// sequence column; nil when there are none.
func (st *followState) rows() *Frame {
	if len(st.kept) == 0 {
		return nil
	}
	docs := st.kept[max(0, len(st.kept)-st.w.last):]
	f := st.frame(docs)
	if f.Err() != nil {
		return f
	}
	defer runtime.KeepAlive(f)
	return f.OrderBy(followSeq).Drop(followSeq)
}

// redraw shows the follow's state under its display ID.
func (st *followState) redraw() {
	v := &followShow{header: st.header(), notes: st.notes, stopped: st.stopped}
	v.rows = st.rows()
	if len(st.w.views) > 0 && len(st.kept) > 0 {
		loaded := st.frame(st.kept)
		all := loaded
		if all.Err() == nil {
			all = all.Drop(followSeq)
		}
		for _, vw := range st.w.views {
			v.views = append(v.views, vw.draw(all))
		}
		runtime.KeepAlive(loaded)
		runtime.KeepAlive(all)
	}
	if !st.shown {
		session.Show(st.id, v)
		st.shown = true
	} else {
		session.Update(st.id, v)
	}
	if st.w.onUpdate != nil {
		st.w.onUpdate()
	}
}

func (st *followState) header() string {
	s := fmt.Sprintf("following %s: %d new events", st.w.src.describe(), st.events)
	if st.initial > 0 {
		s += fmt.Sprintf(" (%d shown from before)", st.initial)
	}
	s += fmt.Sprintf("; %d polls every %v", st.polls, st.w.every)
	if !st.lastAt.IsZero() {
		s += "; last poll " + st.lastAt.UTC().Format("15:04:05") + " UTC"
	}
	if st.stopped != "" {
		s += fmt.Sprintf("; stopped after %d events", st.events)
		if st.stopped != "interrupted" {
			s += " (" + st.stopped + ")"
		}
	}
	return s
}

// followShow is what a follow's display shows: the counts, notes, newest rows and views.
type followShow struct {
	header  string
	notes   []string
	stopped string
	rows    *Frame
	views   []any
}

// String returns the text form.
func (v *followShow) String() string {
	var b strings.Builder
	b.WriteString(v.header)
	for _, n := range v.notes {
		b.WriteString("\n" + n)
	}
	if v.rows != nil {
		b.WriteString("\n" + v.rows.String())
	}
	for _, x := range v.views {
		if s, ok := x.(fmt.Stringer); ok {
			b.WriteString("\n" + s.String())
		}
	}
	return b.String()
}

// HTML returns the HTML form; every string from the data is escaped by the frame and view
// renderers, the header and notes here.
func (v *followShow) HTML() string {
	var b strings.Builder
	b.WriteString(`<div class="hunt-follow"><p class="hunt-follow-head">` + html.EscapeString(v.header) + `</p>`)
	for _, n := range v.notes {
		b.WriteString(`<p class="hunt-follow-note">` + html.EscapeString(n) + `</p>`)
	}
	if v.rows != nil {
		b.WriteString(v.rows.HTML())
	}
	for _, x := range v.views {
		switch h := x.(type) {
		case interface{ HTML() string }:
			b.WriteString(h.HTML())
		case fmt.Stringer:
			b.WriteString(`<pre>` + html.EscapeString(h.String()) + `</pre>`)
		}
	}
	b.WriteString(`</div>`)
	return b.String()
}
