package hunt

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// eventTimeLayouts are the Go layouts of the text forms of read_times.go's eventTimeFormat,
// written independently of it: a typed value printed with its layout must give back the text.
var eventTimeLayouts = map[string]string{
	"@timestamp":        "2006-01-02T15:04:05.000Z",
	"UtcTime":           "2006-01-02 15:04:05.000",
	"CreationUtcTime":   "2006-01-02 15:04:05.000",
	"EventTime":         "2006-01-02 15:04:05",
	"EventReceivedTime": "2006-01-02 15:04:05",
}

// rawStrings is the text of field name in every event of a Mordor zip that has it, sorted.
func rawStrings(t *testing.T, evs []map[string]any, name string) []string {
	t.Helper()
	var out []string
	for _, ev := range evs {
		if s, ok := ev[name].(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// TestReadEventTimesTyped: the event-time fields of both shipped Mordor recordings are TIMESTAMP
// columns whose every value is the instant the event's text says (UTC wall clock, to the
// millisecond), for every event.
func TestReadEventTimesTyped(t *testing.T) {
	for _, path := range []string{sampleFlat, sampleFlat2} {
		raw := loadEvents(t, path)
		f := mustOK(t, Read(path))
		for name, layout := range eventTimeLayouts {
			if got := colType(t, f, name); got != "TIMESTAMP" {
				t.Errorf("%s: %s is %s, want TIMESTAMP", path, name, got)
				continue
			}
			v, err := f.Where(Col(name).IsNotNull()).Column(name)
			if err != nil {
				t.Fatal(err)
			}
			times, ok := v.([]time.Time)
			if !ok {
				t.Fatalf("%s: Column(%s) is %T, want []time.Time", path, name, v)
			}
			got := make([]string, len(times))
			for i, tm := range times {
				if tm.Location() != time.UTC {
					t.Fatalf("%s: %s value %v is not in UTC", path, name, tm)
				}
				got[i] = tm.Format(layout)
			}
			sort.Strings(got)
			want := rawStrings(t, raw, name)
			if len(want) == 0 {
				t.Fatalf("%s: no event has %s", path, name)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: %s: %d typed values differ from the %d texts of the events", path, name, len(got), len(want))
			}
		}
	}
}

// TestReadEventTimesOnlyWhenExact: a field is typed only when every value is in its name's one
// text form; any other value (another precision, no fraction, a zone, an impossible date, a
// number) keeps the whole column as it was, and names not known as event times stay text.
func TestReadEventTimesOnlyWhenExact(t *testing.T) {
	p := writeFile(t, "ev.jsonl", strings.Join([]string{
		`{"@timestamp":"2020-09-21T04:14:53.715Z","UtcTime":"2020-09-21 04:14:53.715","EventTime":"2020-09-21 00:14:53","TimeCreated":"2020-09-21T04:14:53.715123Z","CreationUtcTime":"2020-09-21 04:14:53.715","Seen":"2020-09-21 04:14:53.715","EventReceivedTime":1600661693}`,
		`{"@timestamp":"2020-09-21T04:14:54Z","UtcTime":null,"EventTime":"2020-09-21 00:14:53+02:00","TimeCreated":"2020-09-21T04:14:53.7151234Z","CreationUtcTime":"2020-02-30 04:14:53.715","Seen":"x"}`,
		`{"UtcTime":"2020-09-21 04:14:55.000","EventTime":"2020-09-21 00:14:55"}`,
	}, "\n"))
	f := mustOK(t, Read(p))
	for name, typ := range map[string]string{"@timestamp": "VARCHAR", "UtcTime": "TIMESTAMP", "EventTime": "VARCHAR", "TimeCreated": "VARCHAR",
		"CreationUtcTime": "VARCHAR", "Seen": "VARCHAR", "EventReceivedTime": "BIGINT"} {
		if got := colType(t, f, name); got != typ {
			t.Errorf("%s: %s, want %s", name, got, typ)
		}
	}
	// Texts kept exactly as written.
	v, err := f.Where(Col("@timestamp").IsNotNull()).OrderBy("@timestamp").Column("@timestamp")
	if err != nil {
		t.Fatal(err)
	}
	if s := v.([]string); len(s) != 2 || s[0] != "2020-09-21T04:14:53.715Z" || s[1] != "2020-09-21T04:14:54Z" {
		t.Errorf("@timestamp texts: %q", s)
	}
	// A malformed line skipped by SkipBadLines leaves no trace: its odd @timestamp does not
	// keep the column as text.
	b := writeFile(t, "bad.jsonl", `{"@timestamp":"2020-09-21T04:14:53.715Z"}`+"\n"+`{"@timestamp":"yesterday", "x": }`+"\n"+`{"@timestamp":"2020-02-29T23:59:59.999Z"}`)
	if got := colType(t, mustOK(t, Read(b, SkipBadLines())), "@timestamp"); got != "TIMESTAMP" {
		t.Errorf("@timestamp after a skipped malformed line: %s, want TIMESTAMP", got)
	}
	// Microsecond TimeCreated (evtx exporters) is typed when every value has that form.
	q := writeFile(t, "evtx.jsonl", `{"TimeCreated":"2020-09-21T04:14:53.715123Z"}`+"\n"+`{"TimeCreated":"2020-09-21T04:14:54.000001Z"}`)
	g := mustOK(t, Read(q))
	if got := colType(t, g, "TimeCreated"); got != "TIMESTAMP" {
		t.Fatalf("TimeCreated: %s, want TIMESTAMP", got)
	}
	tc, err := g.OrderBy("TimeCreated").Column("TimeCreated")
	if err != nil {
		t.Fatal(err)
	}
	if ts := tc.([]time.Time); ts[1] != time.Date(2020, 9, 21, 4, 14, 54, 1000, time.UTC) {
		t.Errorf("TimeCreated values %v", ts)
	}
}

// TestReadEventTimesLegacyLayout: winlogbeat 6's nested event_data.UtcTime is typed too.
func TestReadEventTimesLegacyLayout(t *testing.T) {
	f := mustOK(t, Read(sampleLegacy))
	for _, name := range []string{"@timestamp", "event_data.UtcTime"} {
		if got := colType(t, f, name); got != "TIMESTAMP" {
			t.Errorf("%s: %s, want TIMESTAMP", name, got)
		}
	}
	first := mustOK(t, f.OrderBy("@timestamp").Limit(1).Select("@timestamp"))
	v, err := first.Column("@timestamp")
	if err != nil {
		t.Fatal(err)
	}
	if ts := v.([]time.Time); len(ts) != 1 || !ts[0].Equal(time.Date(2019, 3, 19, 19, 16, 0, 0, time.UTC)) {
		t.Errorf("first @timestamp %v, want 2019-03-19 19:16:00 UTC", ts)
	}
}

// TestEventTimesBetweenAndOrder: Between on a typed event time takes strings in the usual forms
// (ISO with T and Z, with a space, a date alone: UTC; with a zone offset: converted to UTC) and
// time.Time values, and counts
// what a reference over the events' own text counts; OrderBy sorts by time.
func TestEventTimesBetweenAndOrder(t *testing.T) {
	raw := loadEvents(t, sampleFlat2)
	f := mustOK(t, Read(sampleFlat2))
	var all []time.Time
	for _, s := range rawStrings(t, raw, "@timestamp") {
		tm, err := time.Parse("2006-01-02T15:04:05.000Z", s)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, tm)
	}
	lo, hi := all[99], all[199] // sorted: an inner window of the recording
	want := 0
	for _, tm := range all {
		if !tm.Before(lo) && !tm.After(hi) {
			want++
		}
	}
	if want < 100 {
		t.Fatalf("reference window holds %d events", want)
	}
	for _, bounds := range [][2]any{
		{lo.Format("2006-01-02T15:04:05.000Z"), hi.Format("2006-01-02T15:04:05.000Z")},
		{lo.Format("2006-01-02 15:04:05.000"), hi.Format("2006-01-02 15:04:05.000")},
		{lo, hi},
		{lo.In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05.000-07:00"), hi.In(time.FixedZone("", -5*3600)).Format("2006-01-02 15:04:05.000-0700")},
	} {
		if n := count(t, f.Between("@timestamp", bounds[0], bounds[1])); n != int64(want) {
			t.Errorf("Between(@timestamp, %v, %v): %d events, want %d", bounds[0], bounds[1], n, want)
		}
	}
	day := lo.Format("2006-01-02")
	next := lo.AddDate(0, 0, 1).Format("2006-01-02")
	if n := count(t, f.Between("@timestamp", day, next)); n != int64(len(all)) {
		t.Errorf("Between(@timestamp, %s, %s): %d events, want all %d", day, next, n, len(all))
	}
	if n := count(t, f.Where(Col("@timestamp").Gt(hi))); n != int64(len(all)-200-countEqual(all[200:], hi)) {
		t.Errorf("@timestamp > %v: %d events", hi, n)
	}
	v, err := f.OrderBy(Col("@timestamp").Desc()).Limit(1).Column("@timestamp")
	if err != nil {
		t.Fatal(err)
	}
	if ts := v.([]time.Time); !ts[0].Equal(all[len(all)-1]) {
		t.Errorf("latest @timestamp %v, want %v", ts[0], all[len(all)-1])
	}
}

func countEqual(ts []time.Time, v time.Time) int {
	n := 0
	for _, t := range ts {
		if t.Equal(v) {
			n++
		}
	}
	return n
}

// TestSparkSQLSeesEventTimeText: in Spark SQL the typed event times are the text Spark's JSON
// reader gives (strings, in the recording's own form), so LIKE, substring and string bounds that
// are no valid time ("2019-03-00 ...", a THP playbook's) behave as in Spark; DuckSQL and frame
// operations see TIMESTAMP.
func TestSparkSQLSeesEventTimeText(t *testing.T) {
	raw := loadEvents(t, sampleFlat2)
	f := mustOK(t, Read(sampleFlat2))
	mustOK(t, f.As("timed"))
	res := mustOK(t, SQL("SELECT `@timestamp`, UtcTime, EventTime, substring(`@timestamp`, 1, 10) AS day FROM timed "+
		"WHERE `@timestamp` LIKE \"2020-09-22T%\" AND `@timestamp` BETWEEN \"2019-03-00 00:00:00.000\" AND \"2020-10-20 00:00:00.000\""))
	for _, c := range []string{"@timestamp", "UtcTime", "EventTime", "day"} {
		if got := colType(t, res, c); got != "VARCHAR" {
			t.Errorf("SQL %s: %s, want VARCHAR (Spark's string)", c, got)
		}
	}
	got := frameRows(t, res)
	var want []string
	for _, ev := range raw {
		ts := sv(ev, "@timestamp")
		if is(and(containsLike(ts, "2020-09-22T"), between(ts, "2019-03-00 00:00:00.000", "2020-10-20 00:00:00.000"))) {
			want = append(want, row(ev, "@timestamp", "UtcTime", "EventTime")+"\x1f"+(*ts)[:10])
		}
	}
	sameRows(t, "event-time text in Spark SQL", got, want, len(raw))
	// A bound that is no time: Spark compares strings; so does SQL (no conversion error).
	if n := count(t, SQL("SELECT * FROM timed WHERE `@timestamp` > \"2020-09-22T08:28:99\"")); n == 0 {
		t.Error("string comparison with an impossible time matched nothing")
	}
	typ := mustOK(t, DuckSQL(`SELECT typeof("@timestamp") AS t FROM timed LIMIT 1`))
	if v, err := typ.Column("t"); err != nil || v.([]string)[0] != "TIMESTAMP" {
		t.Errorf("DuckSQL sees @timestamp as %v (%v), want TIMESTAMP", v, err)
	}
}

// TestEventTimeDisplay: a Mordor frame shows its times as 2020-09-22 08:28:23.382 (UTC, with a
// space, milliseconds), in cells that do not wrap, in HTML and in text.
func TestEventTimeDisplay(t *testing.T) {
	f := mustOK(t, Read(sampleFlat2)).Where(Col("UtcTime").IsNotNull()).Select("@timestamp", "UtcTime", "EventTime", "Hostname").OrderBy("@timestamp").Limit(3)
	h := f.HTML()
	cell := regexp.MustCompile(`<td class="t"[^>]*>([^<]*)</td>`)
	m := cell.FindAllStringSubmatch(h, -1)
	if len(m) != 9 {
		t.Fatalf("%d time cells in the HTML, want 9:\n%s", len(m), h)
	}
	ms := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$`)
	sec := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
	for i, c := range m {
		re := ms
		if i%3 == 2 { // EventTime has whole seconds
			re = sec
		}
		if !re.MatchString(c[1]) {
			t.Errorf("time cell %q", c[1])
		}
	}
	if m[0][1] != "2020-09-22 08:28:23.382" {
		t.Errorf("first @timestamp shown as %q, want 2020-09-22 08:28:23.382", m[0][1])
	}
	if !strings.Contains(h, ".hunt-frame td.t{white-space:nowrap") {
		t.Error("time cells may wrap: no nowrap rule")
	}
	if txt := f.String(); !strings.Contains(txt, "2020-09-22 08:28:23.382") {
		t.Errorf("text form lacks the time:\n%s", txt)
	}
}

func TestFormatTime(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2020, 9, 21, 4, 14, 53, 715e6, time.UTC), "2020-09-21 04:14:53.715"},
		{time.Date(2020, 9, 21, 4, 14, 53, 700e6, time.UTC), "2020-09-21 04:14:53.700"},
		{time.Date(2020, 9, 21, 4, 14, 53, 0, time.UTC), "2020-09-21 04:14:53"},
		{time.Date(2020, 9, 21, 4, 14, 53, 715123000, time.UTC), "2020-09-21 04:14:53.715123"},
		{time.Date(2020, 9, 21, 4, 14, 53, 1, time.UTC), "2020-09-21 04:14:53.000000001"},
	} {
		if got, _ := formatValue(c.t); got != c.want {
			t.Errorf("formatValue(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

// TestSparkExprSeesEventTimeText: Spark SQL expressions over a frame (Where strings, SQLExpr) see
// the event times' text too, as hunt.SQL does: the HELK walkthrough's
// replace(UtcTime, " ", "T") || "Z" and a LIKE on @timestamp work and give the events' text.
func TestSparkExprSeesEventTimeText(t *testing.T) {
	raw := loadEvents(t, sampleFlat2)
	f := mustOK(t, Read(sampleFlat2))
	like := 0
	for _, ev := range raw {
		if is(containsLike(sv(ev, "@timestamp"), "2020-09-22T08:28:2")) {
			like++
		}
	}
	if n := count(t, f.Where("`@timestamp` LIKE \"%2020-09-22T08:28:2%\"")); n != int64(like) || like == 0 {
		t.Errorf("Where LIKE on @timestamp: %d rows, want %d", n, like)
	}
	g := mustOK(t, f.Where(Col("UtcTime").IsNotNull()).Select(SQLExpr(`replace(UtcTime, " ", "T") || "Z"`).As("iso"), Col("UtcTime")))
	rows, err := g.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no Sysmon rows")
	}
	for _, r := range rows {
		want := r["UtcTime"].(time.Time).Format("2006-01-02T15:04:05.000Z")
		if r["iso"] != want {
			t.Fatalf("replace(UtcTime, ...) = %v, want %s", r["iso"], want)
		}
	}
	// a qualified reference and a comparison with a number keep working through the wrap
	if n := count(t, f.Where("EventID = 1 AND `@timestamp` > \"2020-09-22T08:28:30\"")); n == 0 {
		t.Error("string comparison on @timestamp in a Where string matched nothing")
	}
}
