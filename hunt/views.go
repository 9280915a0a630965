package hunt

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gohunt/gohunt/hunt/view"
)

// Timeline is a picture of events over time; see Frame.Timeline and package hunt/view.
type Timeline = view.Timeline

// Bars is a horizontal bar chart of counts; see Frame.Bar and Frame.Histogram.
type Bars = view.Bars

// ProcessTree is a collapsible tree of process creations; see Frame.ProcessTree.
type ProcessTree = view.ProcessTree

// Process is one node of a ProcessTree.
type Process = view.Process

// Spawned matches processes whose image file name is image started by a parent whose image
// file name is parent ("" matches any), case-insensitively, for ProcessTree.Highlight:
//
//	f.ProcessTree().Highlight("powershell started by WMI", hunt.Spawned("powershell.exe", "wmiprvse.exe"))
func Spawned(image, parent string) func(p *Process) bool { return view.Spawned(image, parent) }

// TimelineLanes is how many values of the grouping column a Timeline shows in lanes of their
// own (the most frequent); the rest share an "other values" lane.
const TimelineLanes = 14

// BarRows is how many rows Bar and Histogram draw.
const BarRows = 40

// viewCtx is the context views run their queries under: the running cell's, so that an
// interrupt stops them.
func viewCtx() context.Context {
	var c esConfig
	return c.context()
}

// timeExpr renders col as a DuckDB TIMESTAMP in UTC: timestamps as they are, TIMESTAMPTZ
// converted to UTC, strings parsed (ISO 8601 with or without T, zone and fraction; NULL when
// unreadable), numbers read as Unix seconds, or milliseconds when larger than 1e11.
func timeExpr(c column) string {
	id := quoteIdent(c.ident)
	t := strings.ToUpper(c.typ)
	switch {
	case strings.HasPrefix(t, "TIMESTAMP WITH TIME ZONE"), t == "TIMESTAMPTZ":
		return "timezone('UTC', " + id + ")"
	case strings.HasPrefix(t, "TIMESTAMP"), t == "DATE":
		return "CAST(" + id + " AS TIMESTAMP)"
	case isIntegerType(t) || isFloatType(t) || strings.HasPrefix(t, "DECIMAL"):
		return "(CASE WHEN abs(" + id + ") > 1e11 THEN make_timestamp(CAST(" + id + " * 1000 AS BIGINT)) ELSE make_timestamp(CAST(" + id + " * 1000000 AS BIGINT)) END)"
	}
	return "TRY_CAST(CAST(" + id + " AS VARCHAR) AS TIMESTAMP)"
}

// Timeline counts the frame's events over time, per value of by (one lane per value, the
// TimelineLanes most frequent values, the rest in an "other values" lane; "" for one lane),
// in buckets whose width suits the span (1ms to 365 days, about 120 buckets), and returns the
// picture. timeCol may be a timestamp, an ISO 8601 string (Sysmon's UtcTime, @timestamp) or
// Unix seconds/milliseconds; events whose time is missing or unreadable are counted and left
// out, and the caption says how many. The counting runs in DuckDB, so a frame of millions of
// events draws as fast as a small one. Errors (unknown column) are in the result's Err.
func (f *Frame) Timeline(timeCol, by string) *Timeline {
	t := &view.Timeline{TimeColumn: timeCol, By: by, Source: "DuckDB"}
	if err := f.Err(); err != nil {
		t.Error = err
		return t
	}
	if f.lazy() {
		return f.lazyTimeline(timeCol, by)
	}
	tc, err := f.resolve(timeCol)
	if err != nil {
		t.Error = err
		return t
	}
	lane, raw := "'events'", "0"
	if by != "" {
		bc, err := f.resolve(by)
		if err != nil {
			t.Error = err
			return t
		}
		raw = quoteIdent(bc.ident)
		lane = "CAST(" + raw + " AS VARCHAR)"
	}
	base := "SELECT " + timeExpr(tc) + " AS ts, " + lane + " AS lane, " + raw + " AS raw FROM " + f.from()
	if err := f.fillTimeline(viewCtx(), t, base); err != nil {
		t.Error = fmt.Errorf("hunt: timeline of %q: %w", timeCol, err)
		return t
	}
	if by != "" {
		bc, _ := f.resolve(by)
		if err := f.nameEventLanes(viewCtx(), t, bc); err != nil {
			t.Error = fmt.Errorf("hunt: timeline of %q: naming the events: %w", timeCol, err)
		}
	}
	return t
}

// fillTimeline runs the timeline queries over base (columns ts TIMESTAMP, lane VARCHAR, and
// raw, the grouping value before the cast, which orders lanes of equal counts).
func (f *Frame) fillTimeline(ctx context.Context, t *view.Timeline, base string) error {
	defer runtime.KeepAlive(f) // see tableRef
	db := f.eng.db
	var first, last sql.NullTime
	var timed, all int64
	q := "SELECT min(ts), max(ts), count(ts), count(*) FROM (" + base + ")"
	if err := db.QueryRowContext(ctx, q).Scan(&first, &last, &timed, &all); err != nil {
		return duckErr(err)
	}
	t.Untimed = all - timed
	if timed == 0 {
		return nil
	}
	t.First, t.Last = first.Time.UTC(), last.Time.UTC()
	if err := spanCheck(t.First, t.Last); err != nil {
		return err
	}
	t.Step = view.BucketFor(t.First, t.Last, view.DefaultBuckets)
	t.Start = view.BucketStart(t.First, t.Step)
	t.Buckets = int(t.Last.Sub(t.Start)/t.Step) + 1

	// The most frequent lanes, then every bucket count keyed by lane rank (0 = other).
	rows, err := db.QueryContext(ctx, "SELECT lane, count(*) AS n FROM ("+base+") WHERE ts IS NOT NULL GROUP BY raw, lane ORDER BY n DESC, raw ASC NULLS LAST LIMIT "+fmt.Sprint(TimelineLanes+1))
	if err != nil {
		return duckErr(err)
	}
	var names []sql.NullString
	var kept int64
	for rows.Next() {
		var name sql.NullString
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
		kept += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return duckErr(err)
	}
	if len(names) > TimelineLanes {
		// More values than lanes: the last one goes to "other" with all the rest.
		names = names[:TimelineLanes]
	}
	// The lane values are event data: they are bound as parameters, never written into the SQL.
	values := make([]string, len(names))
	args := make([]any, len(names))
	for i, n := range names {
		values[i] = fmt.Sprintf("(%d, CAST(? AS VARCHAR))", i+1)
		if n.Valid {
			args[i] = n.String
		}
	}
	stepUS := t.Step.Microseconds()
	startUS := t.Start.UnixMicro()
	q = fmt.Sprintf(`SELECT coalesce(k.r, 0) AS r, CAST(floor((epoch_us(b.ts) - %d) / %d) AS BIGINT) AS bucket, count(*) AS n
FROM (%s) AS b LEFT JOIN (VALUES %s) AS k(r, lane) ON b.lane IS NOT DISTINCT FROM k.lane
WHERE b.ts IS NOT NULL GROUP BY ALL`, startUS, stepUS, base, strings.Join(values, ", "))
	rows, err = db.QueryContext(ctx, q, args...)
	if err != nil {
		return duckErr(err)
	}
	defer rows.Close()
	t.Lanes = make([]view.Lane, len(names)+1)
	for i, n := range names {
		t.Lanes[i] = view.Lane{Name: n.String, Counts: make([]int64, t.Buckets)}
		if !n.Valid {
			t.Lanes[i].Name = "(null)"
		}
	}
	t.Lanes[len(names)] = view.Lane{Other: true, Counts: make([]int64, t.Buckets)}
	for rows.Next() {
		var r, b, n int64
		if err := rows.Scan(&r, &b, &n); err != nil {
			return err
		}
		if b < 0 || b >= int64(t.Buckets) {
			return fmt.Errorf("bucket %d outside 0..%d", b, t.Buckets-1)
		}
		li := len(names)
		if r > 0 {
			li = int(r - 1)
		}
		t.Lanes[li].Counts[b] += n
	}
	if err := rows.Err(); err != nil {
		return duckErr(err)
	}
	if t.Lanes[len(names)].Total() == 0 {
		t.Lanes = t.Lanes[:len(names)]
	}
	return nil
}

// spanCheck refuses times spread over more than 250 years (beyond what a time.Duration holds,
// and surely bad times in the data).
func spanCheck(first, last time.Time) error {
	if last.Year()-first.Year() > 250 {
		return fmt.Errorf("the times run from %s to %s: filter out the bad ones first (Where/Between)",
			first.Format(time.RFC3339), last.Format(time.RFC3339))
	}
	return nil
}

// Bar draws the frame's rows as horizontal bars, top to bottom in the frame's order: the last
// numeric column gives the length, the other columns the label. It suits ValueCounts and
// RareValues (f.ValueCounts("Image").Bar()), GroupBy(...).Count() and SQL results. It draws the
// first BarRows rows and its caption says how many rows and how much of the total they hold.
func (f *Frame) Bar() *Bars {
	defer runtime.KeepAlive(f) // see tableRef
	b := &view.Bars{}
	if err := f.Err(); err != nil {
		b.Error = err
		return b
	}
	if f.lazy() {
		return f.Local().Bar()
	}
	vi := -1
	for i := len(f.cols) - 1; i >= 0; i-- {
		t := strings.ToUpper(f.cols[i].typ)
		if isIntegerType(t) || isFloatType(t) || strings.HasPrefix(t, "DECIMAL") || t == "HUGEINT" {
			vi = i
			break
		}
	}
	if vi < 0 {
		b.Error = errorf("hunt: Bar needs a numeric column for the bar lengths; the frame has %s (count first, e.g. ValueCounts(col))", strings.Join(quoteAll(f.Columns()), ", "))
		return b
	}
	var labels []string
	for i, c := range f.cols {
		if i != vi {
			labels = append(labels, "CAST("+quoteIdent(c.ident)+" AS VARCHAR)")
		}
	}
	var names []string
	for i, c := range f.cols {
		if i != vi {
			names = append(names, c.name)
		}
	}
	val := quoteIdent(f.cols[vi].ident)
	b.Label, b.Value = strings.Join(names, ", "), f.cols[vi].name
	b.Title = b.Value + " by " + b.Label
	if len(labels) == 0 {
		labels = []string{"CAST(row_number() OVER () AS VARCHAR)"}
		b.Label = "row"
		b.Title = b.Value + " per row"
	}
	label := labels[0]
	if len(labels) > 1 {
		label = "concat_ws(' | ', " + strings.Join(labels, ", ") + ")"
	}
	isNull := "(" + strings.Join(labelsNull(labels), " AND ") + ")"
	ctx := viewCtx()
	db := f.eng.db
	var rows int64
	var total sql.NullFloat64
	if err := db.QueryRowContext(ctx, "SELECT count(*), sum(CAST("+val+" AS DOUBLE)) FROM "+f.from()).Scan(&rows, &total); err != nil {
		b.Error = duckErr(err)
		return b
	}
	b.Rows, b.Total = rows, total.Float64
	rs, err := db.QueryContext(ctx, "SELECT "+label+", "+isNull+", CAST("+val+" AS DOUBLE) FROM "+f.from()+" LIMIT "+fmt.Sprint(BarRows))
	if err != nil {
		b.Error = duckErr(err)
		return b
	}
	defer rs.Close()
	for rs.Next() {
		var l sql.NullString
		var null bool
		var v sql.NullFloat64
		if err := rs.Scan(&l, &null, &v); err != nil {
			b.Error = err
			return b
		}
		b.Bars = append(b.Bars, view.Bar{Label: l.String, Null: null, Count: v.Float64})
	}
	if err := rs.Err(); err != nil {
		b.Error = duckErr(err)
	}
	b.Order = barOrder(b.Bars)
	b.Note = f.note
	if b.Order == "least frequent first" && f.isValueCounts() {
		b.Title = "rare values of " + b.Label + ": " + b.Value + ", least first"
	}
	return b
}

// isValueCounts reports whether f has the shape of ValueCounts and RareValues: a value column
// and a "count" column.
func (f *Frame) isValueCounts() bool { return len(f.cols) == 2 && f.cols[1].name == "count" }

// barOrder says how the bars are ordered when their counts are monotonic.
func barOrder(bars []view.Bar) string {
	if len(bars) < 2 {
		return ""
	}
	up, down := true, true
	for i := 1; i < len(bars); i++ {
		up = up && bars[i].Count >= bars[i-1].Count
		down = down && bars[i].Count <= bars[i-1].Count
	}
	switch {
	case up && down:
		return ""
	case up:
		return "least frequent first"
	case down:
		return "most frequent first"
	}
	return ""
}

func labelsNull(labels []string) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = l + " IS NULL"
	}
	return out
}

// RareValues counts the rows per value of col, least frequent first (ties by value): the
// stack counting hunters do to find the odd one out. Columns col and "count", as ValueCounts;
// f.RareValues("Image").Bar() draws it. Rows whose value is NULL are left out (the frame's note
// says so), since a missing field is rarely the odd one out; RareValues(col, hunt.WithNull())
// counts them too.
func (f *Frame) RareValues(col string, opts ...ValueOption) *Frame {
	if f.err != nil {
		return f
	}
	var o ValueOption
	for _, x := range opts {
		o.null = o.null || x.null
	}
	g := f.GroupBy(col).Agg(Count())
	if g.err != nil || o.null {
		return g.OrderBy(Col("count").Asc(), Col(col))
	}
	g = g.Where(Col(col).IsNotNull()).OrderBy(Col("count").Asc(), Col(col))
	if g.err == nil {
		h := *g
		h.note = strings.TrimPrefix(g.note+"; NULL values of "+strconv.Quote(col)+" left out (RareValues(col, hunt.WithNull()) counts them)", "; ")
		g = &h
	}
	return g
}

// ValueOption changes what RareValues counts.
type ValueOption struct{ null bool }

// WithNull makes RareValues count the rows whose value is NULL too.
func WithNull() ValueOption { return ValueOption{null: true} }

// Histogram draws how the values of col are distributed, as horizontal bars with counts. A
// numeric column is cut into about 20 bins of a round width (NULLs counted in the caption); any
// other column is drawn as its value counts, most frequent first (the first BarRows values).
// For times use Timeline.
func (f *Frame) Histogram(col string) *Bars {
	defer runtime.KeepAlive(f) // see tableRef
	b := &view.Bars{}
	if err := f.Err(); err != nil {
		b.Error = err
		return b
	}
	if f.lazy() {
		return f.lazyHistogram(col)
	}
	c, err := f.resolve(col)
	if err != nil {
		b.Error = err
		return b
	}
	t := strings.ToUpper(c.typ)
	switch {
	case strings.HasPrefix(t, "TIMESTAMP") || t == "DATE":
		b.Error = errorf("hunt: %q holds times: use Timeline(%q, \"\") to see them over time", col, col)
		return b
	case !(isIntegerType(t) || isFloatType(t) || strings.HasPrefix(t, "DECIMAL") || t == "HUGEINT"):
		vc := f.ValueCounts(col).Bar()
		vc.Title = "Histogram of " + col + " (value counts)"
		return vc
	}
	ctx := viewCtx()
	db := f.eng.db
	x := "CAST(" + quoteIdent(c.ident) + " AS DOUBLE)"
	var lo, hi sql.NullFloat64
	var n, all int64
	if err := db.QueryRowContext(ctx, "SELECT min("+x+"), max("+x+"), count("+x+"), count(*) FROM "+f.from()).Scan(&lo, &hi, &n, &all); err != nil {
		b.Error = duckErr(err)
		return b
	}
	b.Title, b.Label, b.Value = "Histogram of "+col, col, "rows"
	b.Total = float64(n)
	if all > n {
		b.Note = fmt.Sprintf("%d NULL values not drawn", all-n)
	}
	if n == 0 {
		return b
	}
	integer := isIntegerType(t) || t == "HUGEINT"
	width, start := binWidth(lo.Float64, hi.Float64, 20, integer)
	bins := int(math.Floor((hi.Float64-start)/width)) + 1
	b.Rows = int64(bins)
	// start and width come from the data: bound as parameters.
	q := fmt.Sprintf("SELECT CAST(floor((%s - CAST($1 AS DOUBLE)) / CAST($2 AS DOUBLE)) AS BIGINT) AS k, count(*) FROM %s WHERE %s IS NOT NULL GROUP BY k", x, f.from(), x)
	rows, err := db.QueryContext(ctx, q, start, width)
	if err != nil {
		b.Error = duckErr(err)
		return b
	}
	defer rows.Close()
	counts := make([]float64, bins)
	for rows.Next() {
		var k, cnt int64
		if err := rows.Scan(&k, &cnt); err != nil {
			b.Error = err
			return b
		}
		if k >= 0 && k < int64(bins) {
			counts[k] += float64(cnt)
		}
	}
	if err := rows.Err(); err != nil {
		b.Error = duckErr(err)
		return b
	}
	for k, cnt := range counts {
		from := start + float64(k)*width
		label := fmt.Sprintf("[%s, %s)", fmtNum(from), fmtNum(from+width))
		if integer && width == 1 {
			label = fmtNum(from)
		}
		b.Bars = append(b.Bars, view.Bar{Label: label, Count: cnt})
	}
	if len(b.Bars) > BarRows {
		b.Bars = b.Bars[:BarRows]
	}
	b.Order = fmt.Sprintf("bins of width %s from %s", fmtNum(width), fmtNum(start))
	return b
}

// binWidth picks a round bin width (1, 2 or 5 times a power of ten; at least 1 for integers)
// giving at most about target bins over lo..hi, and the first bin's start.
func binWidth(lo, hi float64, target int, integer bool) (width, start float64) {
	span := hi - lo
	if span <= 0 {
		span = 1
	}
	raw := span / float64(target)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	width = mag * 10
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			width = m * mag
			break
		}
	}
	if integer && width < 1 {
		width = 1
	}
	return width, math.Floor(lo/width) * width
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}
