//go:build es

// Integration tests against a real Elasticsearch node: make test-es starts one with
// scripts/es.sh and sets ES_URL. Without ES_URL these tests fail; they never skip.

package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic/esfault"
	"github.com/gohunt/gohunt/hunt/session"
)

func esURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ES_URL")
	if u == "" {
		t.Fatal("ES_URL is not set: these tests need the real Elasticsearch that `make test-es` starts with scripts/es.sh")
	}
	return u
}

const testPattern = "gh-test-*"

// seedIndices creates two indices behind gh-test-* with text+keyword, keyword with a small
// ignore_above, numbers, dates, booleans, arrays, objects, a nested field and a field mapped
// with conflicting types, and indexes n documents.
func seedIndices(t testing.TB, es *ESClient, n int) {
	t.Helper()
	ctx := context.Background()
	c := es.Engine()
	if err := c.DeleteIndex(ctx, testPattern); err != nil {
		t.Fatal(err)
	}
	props := func(conf string) map[string]any {
		return map[string]any{
			"msg":   map[string]any{"type": "text", "fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": 40}}},
			"host":  map[string]any{"type": "text", "fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": 256}}},
			"kw":    map[string]any{"type": "keyword"},
			"n":     map[string]any{"type": "long"},
			"big":   map[string]any{"type": "long"},
			"d":     map[string]any{"type": "double"},
			"ts":    map[string]any{"type": "date"},
			"flag":  map[string]any{"type": "boolean"},
			"tags":  map[string]any{"type": "keyword"},
			"obj":   map[string]any{"properties": map[string]any{"x": map[string]any{"type": "long"}, "y": map[string]any{"type": "keyword"}}},
			"nest":  map[string]any{"type": "nested", "properties": map[string]any{"k": map[string]any{"type": "keyword"}}},
			"conf":  map[string]any{"type": conf},
			"empty": map[string]any{"type": "keyword"},
			"opt":   map[string]any{"type": "keyword"},
			"optn":  map[string]any{"type": "long"},
		}
	}
	for i, conf := range []string{"keyword", "long"} {
		body := map[string]any{
			"settings": map[string]any{"number_of_shards": 2 + i, "number_of_replicas": 0},
			"mappings": map[string]any{"properties": props(conf)},
		}
		if err := c.CreateIndex(ctx, fmt.Sprintf("gh-test-%d", i+1), body); err != nil {
			t.Fatal(err)
		}
	}
	hosts := []string{"WKS1.corp", "wks2.corp", "DC01.corp", "srv-a", "Srv-A"}
	base := time.Date(2020, 9, 21, 4, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		doc := map[string]any{
			"host": hosts[i%len(hosts)],
			"kw":   fmt.Sprintf("k%02d", i%17),
			"n":    i % 23,
			"ts":   base.Add(time.Duration(i) * time.Minute).Format("2006-01-02T15:04:05.000Z"),
			"flag": i%3 == 0,
			"obj":  map[string]any{"x": i % 7, "y": fmt.Sprintf("y%d", i%4)},
		}
		if i%5 != 0 {
			doc["msg"] = fmt.Sprintf("process %d started powershell.exe", i%11)
		}
		if i%97 == 0 {
			doc["msg"] = strings.Repeat("very long message ", 5) // beyond ignore_above 40
		}
		if i%4 != 0 {
			doc["d"] = float64(i%13) / 4
		}
		if i%6 == 0 {
			doc["tags"] = []string{"a", fmt.Sprintf("t%d", i%3)}
		} else if i%6 == 1 {
			doc["tags"] = "single"
		}
		if i%10 == 0 {
			doc["nest"] = []map[string]any{{"k": "p"}, {"k": "q"}}
		}
		// opt and optn: absent from a third of the documents and null in another third, so
		// that <> and NOT are tested where SQL's NULL rules differ from a bare must_not.
		switch i % 3 {
		case 1:
			doc["opt"], doc["optn"] = nil, nil
		case 2:
			doc["opt"], doc["optn"] = fmt.Sprintf("o%d", i%4), i%5
		}
		if i%2 == 0 {
			doc["conf"] = "7"
		} else {
			doc["conf"] = 7
		}
		if i == 3 {
			doc["big"] = int64(-9223372036854775808)
		} else if i%9 == 0 {
			doc["big"] = int64(i) * 1000
		}
		idx := "gh-test-1"
		if i%2 == 1 {
			idx = "gh-test-2"
		}
		raw, _ := json.Marshal(doc)
		if err := c.Raw(ctx, "PUT", fmt.Sprintf("/%s/_doc/%d", idx, i), json.RawMessage(raw), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Refresh(ctx, testPattern); err != nil {
		t.Fatal(err)
	}
}

// canon turns a frame's rows into sorted canonical strings (a multiset), columns by name.
func canon(t testing.TB, rows []map[string]any) []string {
	t.Helper()
	return canonRows(rows, func(v any) string { b, _ := json.Marshal(v); return string(b) })
}

func collect(t testing.TB, what string, f *Frame) []map[string]any {
	t.Helper()
	if f.Err() != nil {
		t.Fatalf("%s: %v", what, f.Err())
	}
	rows, err := f.Collect()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return rows
}

var seeded bool

func testES(t *testing.T) *ESClient {
	es := ES(esURL(t), ESQuiet())
	if es.Err() != nil {
		t.Fatal(es.Err())
	}
	if !seeded {
		seedIndices(t, es, 600)
		seeded = true
	}
	return es
}

// TestESPushdownEquivalence checks every push-down against the same operation run locally
// on the full read, and that the pushable ones were pushed.
func TestESPushdownEquivalence(t *testing.T) {
	es := testES(t)
	idx := es.Index(testPattern)
	if idx.Err() != nil {
		t.Fatal(idx.Err())
	}
	local := idx.Local()
	all := collect(t, "full read", local)
	if len(all) != 600 {
		t.Fatalf("full read: %d rows, want 600", len(all))
	}
	t0 := time.Date(2020, 9, 21, 5, 0, 0, 0, time.UTC)
	t1 := time.Date(2020, 9, 21, 7, 30, 0, 0, time.UTC)
	type tc struct {
		name   string
		pushed bool
		es     func(*Frame) *Frame
		loc    func(*Frame) *Frame
	}
	where := func(name string, pushed bool, e Expr) tc {
		return tc{name, pushed, func(f *Frame) *Frame { return f.Where(e) }, func(f *Frame) *Frame { return f.Where(e) }}
	}
	cases := []tc{
		where("term keyword", true, Col("kw").Eq("k03")),
		where("term text via .keyword", true, Col("host").Eq("wks2.corp")),
		where("term is case-sensitive", true, Col("host").Eq("srv-a")),
		where("ne", true, Col("kw").Ne("k03")),
		where("term long", true, Col("n").Eq(5)),
		where("range long", true, Col("n").Gt(10).And(Col("n").Le(20))),
		where("range double", true, Col("d").Ge(1.5)),
		where("terms", true, Col("kw").In("k01", "k02", "k16")),
		where("terms long", true, Col("n").In(1, 2, 3)),
		where("bool term", true, Col("flag").Eq(true)),
		where("or", true, Or(Col("kw").Eq("k01"), Col("n").Eq(4))),
		where("not", true, Not(Col("n").Eq(4))),
		where("ne where the field is missing or null", true, Col("opt").Ne("o1")),
		where("ne long where the field is missing or null", true, Col("optn").Ne(2)),
		where("not where the field is missing or null", true, Not(Col("optn").Eq(4))),
		where("not of a range where the field is missing or null", true, Not(Col("optn").Gt(2))),
		where("not like where the field is missing or null", true, Not(Col("opt").Like("%1"))),
		where("missing or null", true, Col("opt").IsNull()),
		where("exists", true, Col("d").IsNotNull()),
		where("missing", true, Col("d").IsNull()),
		where("object field", true, Col("obj.x").Eq(3)),
		where("like", true, Col("host").Like("%.corp")),
		where("like underscore", true, Col("kw").Like("k0_")),
		where("starts_with", true, Col("host").StartsWith("wks")),
		where("contains", true, Col("kw").Contains("1")),
		where("rlike", true, Col("host").RLike("wks[0-9][.]corp")),
		where("conflicting mapping runs locally", false, Col("conf").Eq("7")),
		where("between time", true, Col("ts").Between(t0, t1)),
		where("long value beyond ignore_above runs locally", false, Col("msg").Eq("process 3 started powershell.exe")),
		where("like on field with ignored values runs locally", false, Col("msg").Like("%powershell%")),
		where("long chain ending in a SQL string runs locally", false, Col("kw").Eq("k03").And(Col("n").Eq(3)).Or(Col("kw").Eq("zz")).And(Col("n").Ge(0)).And(Col("n").Ne(99)).And(Col("n").Lt(100)).And(Col("n").IsNotNull()).And(Col("kw").IsNotNull()).And(Col("n").In(3, 4)).And(Col("kw").In("k03")).And(Col("flag").Eq(false).Or(Col("flag").Eq(true))).And(Col("n").Gt(-1)).And(Col("kw").Ne("")).And(Col("n").Le(1000)).And(Col("obj.y").IsNotNull()).And(SQLExpr("1 = 1"))),
		where("spark sql string runs locally", false, SQLExpr("n > 3 AND kw = 'k04'")),
		where("lower() runs locally", false, Col("host").Lower().Eq("srv-a")),
		{"select", true, func(f *Frame) *Frame { return f.Select("kw", "n", "obj.x", "empty") },
			func(f *Frame) *Frame { return f.Select("kw", "n", "obj.x", "empty") }},
		{"where then select", true, func(f *Frame) *Frame { return f.Where(Col("n").Lt(3)).Select("host", "tags") },
			func(f *Frame) *Frame { return f.Where(Col("n").Lt(3)).Select("host", "tags") }},
		{"groupby count", true, func(f *Frame) *Frame { return f.GroupBy("kw").Count() },
			func(f *Frame) *Frame { return f.GroupBy("kw").Count() }},
		{"groupby two keys with nulls", true, func(f *Frame) *Frame { return f.GroupBy("host", "d").Count() },
			func(f *Frame) *Frame { return f.GroupBy("host", "d").Count() }},
		{"groupby min max", true, func(f *Frame) *Frame { return f.GroupBy("obj.y").Agg(Count(), Min("n"), Max("d")) },
			func(f *Frame) *Frame { return f.GroupBy("obj.y").Agg(Count(), Min("n"), Max("d")) }},
		{"groupby max beyond 2^53 falls back", true, func(f *Frame) *Frame { return f.GroupBy("flag").Agg(Min("big"), Max("big")) },
			func(f *Frame) *Frame { return f.GroupBy("flag").Agg(Min("big"), Max("big")) }},
		{"where groupby", true, func(f *Frame) *Frame { return f.Where(Col("flag").Eq(true)).GroupBy("kw").Count() },
			func(f *Frame) *Frame { return f.Where(Col("flag").Eq(true)).GroupBy("kw").Count() }},
		{"valuecounts", false, func(f *Frame) *Frame { return f.ValueCounts("host") },
			func(f *Frame) *Frame { return f.ValueCounts("host") }},
		{"groupby on field with ignored values runs locally", false, func(f *Frame) *Frame { return f.GroupBy("msg").Count() },
			func(f *Frame) *Frame { return f.GroupBy("msg").Count() }},
		{"sum runs locally", false, func(f *Frame) *Frame { return f.GroupBy("kw").Agg(Sum("n")) },
			func(f *Frame) *Frame { return f.GroupBy("kw").Agg(Sum("n")) }},
		{"orderby limit runs locally", false, func(f *Frame) *Frame { return f.OrderBy(Col("n").Desc(), Col("ts")).Limit(7) },
			func(f *Frame) *Frame { return f.OrderBy(Col("n").Desc(), Col("ts")).Limit(7) }},
		{"where after local op", false, func(f *Frame) *Frame { return f.Distinct().Where(Col("n").Eq(2)) },
			func(f *Frame) *Frame { return f.Distinct().Where(Col("n").Eq(2)) }},
		{"join runs locally", false, func(f *Frame) *Frame {
			return f.Select("kw", "n").Join(local.Where(Col("n").Eq(1)).Select("kw", "host"), "kw", "inner")
		}, func(f *Frame) *Frame {
			return f.Select("kw", "n").Join(local.Where(Col("n").Eq(1)).Select("kw", "host"), "kw", "inner")
		}},
		{"arrays become lists", true, func(f *Frame) *Frame { return f.Where(Col("n").Eq(6)).Select("tags", "kw") },
			func(f *Frame) *Frame { return f.Where(Col("n").Eq(6)).Select("tags", "kw") }},
		{"nested objects are one list column", false, func(f *Frame) *Frame { return f.Where(Col("n").Eq(10)).Select("nest", "kw") },
			func(f *Frame) *Frame { return f.Where(Col("n").Eq(10)).Select("nest", "kw") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ef := c.es(idx)
			if ef.Err() != nil {
				t.Fatal(ef.Err())
			}
			if ef.Pushed() != c.pushed {
				t.Errorf("pushed = %v, want %v (query %s)", ef.Pushed(), c.pushed, ef.Plan())
			}
			got := canon(t, collect(t, "pushed", ef.Local()))
			want := canon(t, collect(t, "local", c.loc(local)))
			if len(want) == 0 && c.name != "missing" {
				t.Fatalf("local result is empty: the case tests nothing")
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("push-down result differs from local result\nquery: %s\ngot %d rows:\n%s\nwant %d rows:\n%s", ef.Plan(), len(got), head(got), len(want), head(want))
			}
			// Count, pushed as _count where possible, equals the local count.
			n, err := ef.Count()
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(want)) {
				t.Fatalf("Count() = %d, want %d", n, len(want))
			}
		})
	}
}

// TestESShowSampleCache: the operations an Elasticsearch frame runs on DuckDB after the read print and return what
// the same operations print and return on the local frame.
func TestESShowSampleCache(t *testing.T) {
	es := testES(t)
	idx := es.Index(testPattern)
	local := idx.Local()
	capture := func(show func()) string {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		old := os.Stdout
		os.Stdout = w
		show()
		os.Stdout = old
		w.Close()
		out, _ := io.ReadAll(r)
		return string(out)
	}
	// Rows that are all alike, so that the order Elasticsearch returns them in does not matter.
	got := capture(func() { idx.Where(Col("n").Eq(5)).Select("n", "flag").Show(2) })
	want := capture(func() { local.Where(Col("n").Eq(5)).Select("n", "flag").Show(2) })
	if got != want || !strings.Contains(got, "only showing top 2 rows") {
		t.Errorf("Show(2):\n%s\nwant:\n%s", got, want)
	}
	if out := capture(func() { idx.Where(Col("nope").Eq(1)).Show() }); !strings.Contains(out, "hunt error:") || !strings.Contains(out, "nope") {
		t.Errorf("Show of a frame with an error printed %q", out)
	}

	all := canon(t, collect(t, "full read", local))
	if got := canon(t, collect(t, "Sample(1)", idx.Sample(1).Local())); strings.Join(got, "\n") != strings.Join(all, "\n") {
		t.Errorf("Sample(1) returned %d rows, want all %d", len(got), len(all))
	}
	if n, err := idx.Sample(0).Count(); err != nil || n != 0 {
		t.Errorf("Sample(0).Count() = %d, %v", n, err)
	}
	// Bernoulli 30% of 600 rows: mean 180, standard deviation about 11.
	part := canon(t, collect(t, "Sample(0.3, 7)", idx.Sample(0.3, 7).Local()))
	if len(part) < 100 || len(part) > 260 {
		t.Errorf("Sample(0.3) kept %d of 600 rows", len(part))
	}
	seen := map[string]int{}
	for _, r := range all {
		seen[r]++
	}
	for _, r := range part {
		if seen[r]--; seen[r] < 0 {
			t.Fatalf("Sample returned a row that is not in the index: %s", r)
		}
	}

	c := idx.Where(Col("n").Lt(3)).Cache()
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	want2 := canon(t, collect(t, "local", local.Where(Col("n").Lt(3))))
	if got := canon(t, collect(t, "Cache", c)); strings.Join(got, "\n") != strings.Join(want2, "\n") || len(want2) == 0 {
		t.Errorf("Cache() returned %d rows, want %d", len(got), len(want2))
	}
}

func head(ss []string) string {
	if len(ss) > 8 {
		ss = append(ss[:8:8], "...")
	}
	return strings.Join(ss, "\n")
}

func TestESLimitAndCount(t *testing.T) {
	es := testES(t)
	f := es.Index(testPattern).Where(Col("flag").Eq(true))
	n, err := f.Count()
	if err != nil {
		t.Fatal(err)
	}
	if n != 200 {
		t.Fatalf("count flag=true: %d, want 200", n)
	}
	for _, lim := range []int{0, 1, 17, 199, 200, 500} {
		g := f.Limit(lim)
		rows := collect(t, "limit", g.Local())
		if want := min(lim, 200); len(rows) != want {
			t.Fatalf("Limit(%d): %d rows, want %d", lim, len(rows), want)
		}
		if c, _ := g.Count(); c != int64(min(lim, 200)) {
			t.Fatalf("Limit(%d).Count() = %d", lim, c)
		}
	}
}

func TestESSchemaAndConflicts(t *testing.T) {
	es := testES(t)
	f := es.Index(testPattern)
	cols := strings.Join(f.Columns(), ",")
	for _, want := range []string{"msg", "host", "obj.x", "obj.y", "nest", "ts", "tags", "conf", "empty"} {
		if !strings.Contains(","+cols+",", ","+want+",") {
			t.Errorf("Columns() lacks %q: %s", want, cols)
		}
	}
	if got := f.Plan(); !strings.Contains(got, "indices gh-test-1, gh-test-2)") {
		t.Errorf("Plan() = %q, want the 2 test indices", got)
	}
	cs := f.Note()
	if !strings.Contains(cs, `"conf"`) || !strings.Contains(cs, "keyword in gh-test-1") || !strings.Contains(cs, "long in gh-test-2") {
		t.Fatalf("Note() = %q, want conf reported as keyword vs long", cs)
	}
	l := f.Local()
	if !strings.Contains(l.Note(), "mapping conflicts") {
		t.Errorf("frame note does not report the conflict: %q", l.Note())
	}
	// The conflicting field is still read, not dropped.
	vals, err := l.Strings("conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 600 || vals[0] != "7" {
		t.Fatalf("conf column: %d values, first %q", len(vals), vals[:1])
	}
	// Arrays in any document become list columns; single values are wrapped.
	sch, err := l.Schema()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, c := range sch {
		types[c.Name] = c.Type
	}
	if types["tags"] != "VARCHAR[]" {
		t.Errorf("tags is %s, want VARCHAR[] (schema %v)", types["tags"], sch)
	}
	if types["obj.x"] != "BIGINT" || types["n"] != "BIGINT" {
		t.Errorf("obj.x %s, n %s: want BIGINT", types["obj.x"], types["n"])
	}
	// Shown before any read: 20 rows read (a size), the total from _count.
	if h := es.Index(testPattern).HTML(); !strings.Contains(h, "of 600 rows") || !strings.Contains(h, "in Elasticsearch gh-test-*") {
		t.Errorf("HTML lacks the total: %s", h[max(len(h)-300, 0):])
	}
}

func TestESBadPatternAndErrors(t *testing.T) {
	es := testES(t)
	f := es.Index("no-such-index-*")
	if f.Err() == nil || !strings.Contains(f.Err().Error(), "no-such-index") {
		t.Fatalf("Index of a missing pattern: err %v", f.Err())
	}
	// Errors pass along the chain.
	if g := f.Where(Col("x").Eq(1)).Select("x"); g.Err() == nil {
		t.Fatal("chained frame lost the error")
	}
	// An unknown column after the read is the local frame's error, naming the column.
	g := es.Index(testPattern).Where(Col("nope").Eq(1)).Local()
	if g.Err() == nil || !strings.Contains(g.Err().Error(), `"nope"`) {
		t.Fatalf("unknown column: %v", g.Err())
	}
}

func TestESSlicesAndBatches(t *testing.T) {
	es := testES(t)
	for _, s := range []int{1, 2, 3, 5} {
		f := es.Index(testPattern, ESSlices(s), ESBatch(37))
		rows := collect(t, "sliced read", f.Local())
		if len(rows) != 600 {
			t.Fatalf("%d slices: %d rows, want 600", s, len(rows))
		}
		seen := map[string]bool{}
		for _, r := range rows {
			k := fmt.Sprint(r["ts"])
			if seen[k] {
				t.Fatalf("%d slices: duplicate row ts=%s", s, k)
			}
			seen[k] = true
		}
	}
}

func TestESInterruptClosesPIT(t *testing.T) {
	es := testES(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	// Batches of 1 make the read take long enough to be interrupted; the read ending with the
	// cancellation (not with all rows) is the outcome checked, with no bound on the time.
	l := es.Index(testPattern, ESBatch(1), ESSlices(1), ESContext(ctx)).Local()
	if l.Err() == nil || !strings.Contains(l.Err().Error(), "context canceled") {
		t.Fatalf("interrupted read: err %v", l.Err())
	}
	var st struct {
		Nodes map[string]struct {
			Indices struct {
				Search struct {
					OpenContexts int `json:"open_contexts"`
				} `json:"search"`
			} `json:"indices"`
		} `json:"nodes"`
	}
	if err := es.Engine().Raw(context.Background(), "GET", "/_nodes/stats/indices/search", nil, &st); err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Nodes {
		if n.Indices.Search.OpenContexts != 0 {
			t.Fatalf("%d search contexts still open after the interrupt: the PIT was not closed", n.Indices.Search.OpenContexts)
		}
	}
}

func TestESCredentialsNeverShown(t *testing.T) {
	const pw = "s3cr3t-Pa55word-xyz"
	const key = "QVBJS0VZLXNlY3JldC12YWx1ZQ=="
	es := ES("http://elastic:"+pw+"@127.0.0.1:1", ESRetries(-1), ESTimeout(2*time.Second), ESQuiet())
	es2 := ES("http://127.0.0.1:1", ESAPIKey(key), ESRetries(-1), ESQuiet())
	es3 := ES("http://127.0.0.1:1", ESBasicAuth("elastic", pw), ESRetries(-1), ESQuiet())
	f := es.Index("x")
	var outputs []string
	for _, c := range []*ESClient{es, es2, es3} {
		outputs = append(outputs, fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c), c.String(), fmt.Sprintf("%v", c.Engine()), fmt.Sprintf("%#v", *c.Engine()))
		g := c.Index("logs-*")
		outputs = append(outputs, fmt.Sprint(g.Err()), g.HTML(), g.String())
		_, err := c.Load("x", "/nonexistent.json")
		outputs = append(outputs, fmt.Sprint(err))
		b, _ := json.Marshal(c.conf.cfg)
		outputs = append(outputs, string(b))
	}
	outputs = append(outputs, fmt.Sprint(f.Err()))
	for _, o := range outputs {
		if strings.Contains(o, pw) || strings.Contains(o, key) {
			t.Fatalf("a credential leaked: %s", o)
		}
	}
	if !strings.Contains(es.String(), "[redacted]") || !strings.Contains(es3.String(), "user elastic") {
		t.Fatalf("String() = %q / %q", es.String(), es3.String())
	}
	// Defaults from the environment.
	t.Setenv("ES_URL", "http://127.0.0.1:2")
	t.Setenv("ES_USER", "envuser")
	t.Setenv("ES_PASSWORD", pw)
	e4 := ES("")
	if s := fmt.Sprintf("%v %#v", e4, e4); strings.Contains(s, pw) || !strings.Contains(s, "127.0.0.1:2") || !strings.Contains(s, "envuser") {
		t.Fatalf("env client prints %q", s)
	}
}

// TestESNodeRestartMidRead restarts the node while a read is under way: requests fail while
// it is down and are retried; the point-in-time is gone afterwards, so the read starts over;
// the result has every document exactly once.
func TestESNodeRestartMidRead(t *testing.T) {
	script := os.Getenv("ES_SCRIPT")
	if script == "" {
		t.Fatal("ES_SCRIPT is not set: make test-es passes scripts/es.sh so that the test can restart the node")
	}
	es := testES(t)
	p := esfault.New(esURL(t))
	defer p.Close()
	p.Delay = 40 * time.Millisecond
	viaProxy := ES(p.URL, ESQuiet(), ESRetries(60))
	f := viaProxy.Index(testPattern, ESBatch(10), ESSlices(2))
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	restarted := make(chan error, 1)
	go func() {
		for p.Searches() < 6 {
			time.Sleep(10 * time.Millisecond)
		}
		out, err := exec.Command("bash", script, "restart").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%v: %s", err, out)
		}
		restarted <- err
	}()
	rows := collect(t, "read across a restart", f.Local())
	select {
	case err := <-restarted:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("the read finished before the node restarted: the test did not test a restart mid-read")
	}
	if len(rows) != 600 {
		t.Fatalf("%d rows, want 600", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		k := fmt.Sprint(r["ts"])
		if seen[k] {
			t.Fatalf("duplicate row ts=%s", k)
		}
		seen[k] = true
	}
	_ = es
}

// TestESHELKSeed runs the HELK walkthrough on Mordor-layout events loaded with LoadHELK:
// filter processcreate, select, and the Part 4 security 4624 x sysmon 1 join in Spark SQL.
func TestESHELKSeed(t *testing.T) {
	es := testES(t)
	ctx := context.Background()
	if err := es.Engine().DeleteIndex(ctx, "logs-endpoint-winevent-*"); err != nil {
		t.Fatal(err)
	}
	st, err := es.LoadHELK("elastic/testdata/mixed_layouts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if st.Created != 5 {
		t.Fatalf("LoadHELK: %v", st)
	}
	sysmon := es.Index("logs-endpoint-winevent-sysmon-*")
	pc := sysmon.Where(Col("action").Eq("processcreate")).
		Select("@timestamp", "host_name", "process_parent_name", "process_name", "user_logon_id", "process_guid")
	if !pc.Pushed() {
		t.Fatalf("the seed's filter and select were not pushed down: %s", pc.Plan())
	}
	rows := collect(t, "processcreate", pc.Local())
	if len(rows) != 2 {
		t.Fatalf("processcreate rows: %v", rows)
	}
	security := es.Index("logs-endpoint-winevent-security-*")
	if err := security.As("security_events").Err(); err != nil {
		t.Fatal(err)
	}
	if err := sysmon.As("sysmon_events").Err(); err != nil {
		t.Fatal(err)
	}
	j := SQL("SELECT s.`@timestamp`, s.host_name, s.src_ip_addr, s.logon_type, s.user_logon_id, s.user_name, " +
		"p.process_parent_name, p.process_name, p.process_guid " +
		"FROM (SELECT * FROM security_events WHERE event_id = 4624 AND logon_type = 3 AND src_ip_addr is not null) s " +
		"INNER JOIN (SELECT * FROM sysmon_events WHERE event_id = 1) p ON s.user_logon_id = p.user_logon_id")
	got := collect(t, "seed join", j)
	if len(got) != 1 || got[0]["process_parent_name"] != "wmiprvse.exe" || got[0]["process_name"] != "powershell.exe" ||
		got[0]["user_name"] != "pgustavo" || got[0]["src_ip_addr"] != "172.18.39.106" {
		t.Fatalf("seed join: %v", got)
	}
}

type captureSink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *captureSink) add(id string, update bool, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, fmt.Sprintf("id=%s update=%v %v", id, update, v))
}

// Show and Update make captureSink the session.Display the kernel supplies.
func (s *captureSink) Show(id string, v any)   { s.add(id, false, v) }
func (s *captureSink) Update(id string, v any) { s.add(id, true, v) }

// TestESProgressDisplay checks that a full read shows its progress under one display id and
// updates it in place (update_display_data) with the final count.
func TestESProgressDisplay(t *testing.T) {
	es := testES(t)
	sink := &captureSink{}
	defer session.Begin(context.Background(), sink)()
	l := ES(esURL(t)).Index(testPattern, ESBatch(50), ESSlices(2)).Local()
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.msgs) < 2 {
		t.Fatalf("progress messages: %q", sink.msgs)
	}
	first, last := sink.msgs[0], sink.msgs[len(sink.msgs)-1]
	id := strings.Fields(first)[0]
	if !strings.Contains(first, "update=false") || !strings.Contains(first, "reading gh-test-*") ||
		!strings.HasPrefix(last, id+" update=true") || !strings.Contains(last, "600 / 600 rows") {
		t.Fatalf("progress messages: %q", sink.msgs)
	}
	_ = es
}
