package hunt

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// synthEdges is a small graph with a cycle, two components, a self-loop, a diamond (two
// shortest paths) and a hostile label.
const synthEdges = `SELECT * FROM (VALUES
 ('a','b', TIMESTAMP '2020-01-01 00:00:01'), ('a','b', TIMESTAMP '2020-01-01 00:00:05'),
 ('b','c', NULL), ('c','a', NULL), ('c','d', NULL), ('a','e', NULL), ('e','d', NULL),
 ('d','d', NULL), ('x','y', NULL), ('<script>alert(1)</script>','x', NULL),
 ('z', NULL, NULL), ('', 'q', NULL)) t(s, d, ts)`

func collectStrings(t *testing.T, f *Frame) []string {
	t.Helper()
	rows, err := f.Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		var parts []string
		for _, c := range f.Columns() {
			parts = append(parts, fmt.Sprint(r[c]))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func TestGraphSynthetic(t *testing.T) {
	g := DuckSQL(synthEdges).Graph("s", "d", GraphTime("ts"))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	e := g.Edges().Select("src", "dst", "count", "src_out_degree", "dst_in_degree")
	want := []string{
		"<script>alert(1)</script> x 1 1 1",
		"a b 2 2 1", "a e 1 2 1", "b c 1 1 1", "c a 1 2 1", "c d 1 2 3", "d d 1 1 3", "e d 1 1 3", "x y 1 1 1",
	}
	if got := collectStrings(t, e); !reflect.DeepEqual(got, want) {
		t.Errorf("Edges:\n got %q\nwant %q", got, want)
	}
	first, err := g.Edges().Where(Col("src").Eq("a").And(Col("dst").Eq("b"))).Select("first", "last").Collect()
	if err != nil || len(first) != 1 || fmt.Sprint(first[0]["first"]) != "2020-01-01 00:00:01 +0000 UTC" || fmt.Sprint(first[0]["last"]) != "2020-01-01 00:00:05 +0000 UTC" {
		t.Errorf("first/last of a->b: %v %v", first, err)
	}
	v := collectStrings(t, g.Vertices())
	wantV := []string{"<script>alert(1)</script> 0 1 1 1", "a 1 2 3 4", "b 1 1 2 3", "c 1 2 3 3", "d 3 1 4 3", "e 1 1 2 2", "x 1 1 2 2", "y 1 0 1 1"}
	if !reflect.DeepEqual(v, wantV) {
		t.Errorf("Vertices:\n got %q\nwant %q", v, wantV)
	}
	cc := collectStrings(t, g.Components())
	wantC := []string{"<script>alert(1)</script> <script>alert(1)</script> 3", "x <script>alert(1)</script> 3", "y <script>alert(1)</script> 3",
		"a a 5", "b a 5", "c a 5", "d a 5", "e a 5"}
	if !reflect.DeepEqual(cc, wantC) {
		t.Errorf("Components:\n got %q\nwant %q", cc, wantC)
	}
	p := collectStrings(t, g.Paths("b", "d", 5))
	if want := []string{"[b c d] 2"}; !reflect.DeepEqual(p, want) {
		t.Errorf("Paths b->d: got %q want %q", p, want)
	}
	p = collectStrings(t, g.Paths("c", "d", 5))
	if want := []string{"[c d] 1"}; !reflect.DeepEqual(p, want) {
		t.Errorf("Paths c->d: got %q want %q", p, want)
	}
	p = collectStrings(t, g.Paths("a", "d", 5))
	if want := []string{"[a b c d] 3", "[a e d] 2"}; !reflect.DeepEqual(p, []string{"[a e d] 2"}) {
		t.Errorf("Paths a->d: got %q want the shortest of %q", p, want)
	}
	if p = collectStrings(t, g.Paths("d", "a", 5)); len(p) != 0 {
		t.Errorf("Paths d->a directed: got %q, want none", p)
	}
	p = collectStrings(t, g.Undirected().Paths("d", "b", 5))
	if want := []string{"[d c b] 2"}; !reflect.DeepEqual(p, want) {
		t.Errorf("undirected Paths d->b: got %q want %q", p, want)
	}
	p = collectStrings(t, g.Undirected().Paths("b", "e", 5))
	if want := []string{"[b a e] 2"}; !reflect.DeepEqual(p, want) {
		t.Errorf("undirected Paths b->e: got %q want %q", p, want)
	}
	if p = collectStrings(t, g.Paths("a", "d", 1)); len(p) != 0 {
		t.Errorf("Paths a->d within 1 hop: got %q, want none", p)
	}
	if p = collectStrings(t, g.Paths("a", "a", 3)); !reflect.DeepEqual(p, []string{"[a] 0"}) {
		t.Errorf("Paths a->a: got %q", p)
	}
	n := collectStrings(t, g.Neighbors("a", 2))
	if want := []string{"b 1", "e 1", "c 2", "d 2"}; !reflect.DeepEqual(n, want) {
		t.Errorf("Neighbors a 2: got %q want %q", n, want)
	}
	n = collectStrings(t, g.Undirected().Neighbors("y", 5))
	if want := []string{"x 1", "<script>alert(1)</script> 2"}; !reflect.DeepEqual(n, want) {
		t.Errorf("undirected Neighbors y: got %q want %q", n, want)
	}
	if s := g.String(); s != "directed graph: 8 vertices, 9 edges" {
		t.Errorf("String: %q", s)
	}
}

func TestGraphErrors(t *testing.T) {
	g := DuckSQL(synthEdges).Graph("s", "dd")
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), `"dd"`) {
		t.Errorf("unknown dst column: %v", err)
	}
	if err := g.Components().Err(); err == nil {
		t.Error("Components of a failed graph has no error")
	}
	ok := DuckSQL(synthEdges).Graph("s", "d")
	if err := ok.Paths("a", "b", -1).Err(); err == nil || !strings.Contains(err.Error(), "maxHops is -1") {
		t.Errorf("negative maxHops: %v", err)
	}
	for _, v := range []string{"x'); DROP TABLE t; --", "a\x00b", `\'`} {
		if n, err := ok.Neighbors(v, 3).Count(); err != nil || n != 0 {
			t.Errorf("Neighbors(%q): %d rows, %v; want 0 rows", v, n, err)
		}
		if n, err := ok.Paths(v, "a", 3).Count(); err != nil || n != 0 {
			t.Errorf("Paths(%q, a): %d rows, %v; want 0 rows", v, n, err)
		}
	}
	if err := DuckSQL(synthEdges).Graph("s", "d", GraphTime("nope")).Err(); err == nil || !strings.Contains(err.Error(), "Graph time") {
		t.Errorf("bad time column: %v", err)
	}
	if err := LogonGraph(DuckSQL("SELECT 1 AS x")).Err(); err == nil || !strings.Contains(err.Error(), "LogonGraph") || !strings.Contains(err.Error(), "EventID") {
		t.Errorf("LogonGraph without EventID: %v", err)
	}
}

func TestGraphAgg(t *testing.T) {
	g := DuckSQL(synthEdges).Graph(Col("s").Upper(), "d", GraphAgg(CountDistinct("ts").As("times")))
	rows := collectStrings(t, g.Edges().Where(Col("src").Eq("A")).Select("src", "dst", "times"))
	if want := []string{"A b 2", "A e 0"}; !reflect.DeepEqual(rows, want) {
		t.Errorf("GraphAgg: got %q want %q", rows, want)
	}
}

func TestGraphBuildersMordor(t *testing.T) {
	ev := Read(sampleFlat)
	lg := LogonGraph(ev)
	if err := lg.Err(); err != nil {
		t.Fatal(err)
	}
	// The logon edges against the same counts made by plain GroupBy over the events.
	logons := ev.Where(Col("EventID").In(4624, 4625).And(Col("Channel").Eq("Security")))
	want := collectStrings(t, logons.WithColumn("src", SQLExpr("TargetDomainName || '\\\\' || TargetUserName")).
		GroupBy("src", Col("Hostname").As("dst")).Count().OrderBy("src", "dst"))
	got := collectStrings(t, lg.Edges().Where(Col("kind").Eq("account")).Select("src", "dst", "count"))
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("LogonGraph account edges:\n got %q\nwant %q", got, want)
	}
	want = collectStrings(t, logons.Where(Not(Col("IpAddress").In("-", "::1", "127.0.0.1"))).
		GroupBy(Col("IpAddress").As("src"), Col("Hostname").As("dst")).Count().OrderBy("src", "dst"))
	got = collectStrings(t, lg.Edges().Where(Col("kind").Eq("ip")).Select("src", "dst", "count"))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LogonGraph ip edges:\n got %q\nwant %q", got, want)
	}
	want = collectStrings(t, ev.Where(Col("EventID").Eq(3).And(Col("Channel").Contains("Sysmon"))).
		GroupBy(Col("DestinationIp").As("ip"), Col("DestinationPort").As("port")).Count().OrderBy("ip", "port"))
	got = collectStrings(t, NetworkGraph(ev).Edges().GroupBy(SQLExpr(`regexp_extract(dst, '^\\[?([^\\]]*?)\\]?:([^:]*)$', 1)`).As("ip"), SQLExpr(`regexp_extract(dst, ':([^:]*)$', 1)`).As("port")).
		Agg(Sum("count").As("count")).OrderBy("ip", "port"))
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("NetworkGraph destinations:\n got %q\nwant %q", got, want)
	}
	pg := collectStrings(t, ProcessGraph(Read(sampleFlat2)).Edges().Select("src", "dst", "count"))
	if len(pg) == 0 {
		t.Errorf("ProcessGraph of %s: no edges", sampleFlat2)
	}
	legacy := ProcessGraph(Read("../testdata/mordor/synthetic_legacy_winlogbeat6.tar.gz"))
	if n, err := legacy.Edges().Count(); err != nil || n == 0 {
		t.Errorf("ProcessGraph of the winlogbeat layout: %d edges, %v", n, err)
	}
}

func TestGraphDrawPaths(t *testing.T) {
	g := DuckSQL(synthEdges).Graph("s", "d")
	v := g.DrawPaths("a", "d", 4)
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	s := v.String()
	for _, want := range []string{"8 vertices, 9 edges", "in red: shortest paths from a to d", "a -> e (1) *", "e -> d (1) *", "a -> b (2)\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("DrawPaths text lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(g.HTML(), "<script>") {
		t.Error("the graph's HTML holds a raw <script>")
	}
	if s := g.DrawPaths("d", "a", 4).String(); !strings.Contains(s, "no path of at most 4 edges from d to a") {
		t.Errorf("DrawPaths without a path: %s", s)
	}
	if err := DuckSQL(synthEdges).Graph("s", "nope").Draw().Err(); err == nil {
		t.Error("Draw of a failed graph has no error")
	}
}

func TestGraphMotif(t *testing.T) {
	g := DuckSQL(synthEdges).Graph("s", "d")
	got := collectStrings(t, g.Motif("(a)-[e1]->(b); (b)-[e2]->(c)").Where(Col("a").Eq("a")).Select("a", "b", "c", "e1_count", "e2_count"))
	want := []string{"a b c 2 1", "a e d 1 1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("two hops from a: got %q want %q", got, want)
	}
	timed := DuckSQL(synthEdges).Graph("s", "d", GraphTime("ts")).Motif("(a)-[e1]->(b); (b)-[e2]->(c)").Where(Col("e2_last").Gt(Col("e1_first")))
	if n, err := timed.Count(); err != nil || n != 0 {
		t.Errorf("time-ordered two hops (only a->b has times): %d rows, %v", n, err)
	}
	// a triangle: the cycle a -> b -> c -> a, found once per rotation
	got = collectStrings(t, g.Motif("(x)-[]->(y); (y)-[]->(z); (z)-[]->(x)").Where(Col("x").Ne(Col("y"))))
	if want := []string{"a b c", "b c a", "c a b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("triangles: got %q want %q", got, want)
	}
	for _, bad := range []struct{ pattern, msg string }{
		{"(a)->(b)", `term 1 "(a)->(b)" is not of the form`},
		{"(a)-[e]->(b); (b)-[e]->(c)", `edge "e" is named twice`},
		{"(a)-[a]->(b)", `"a" names both an edge and a vertex`},
		{"()-[]->()", "names no vertex or edge"},
		{"(a)-[e]->(b); x'); DROP TABLE t; --", `term 2`},
	} {
		if err := g.Motif(bad.pattern).Err(); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("Motif(%q): %v, want an error with %q", bad.pattern, err, bad.msg)
		}
	}
}

// logonGraphByRows is LogonGraph written the plain way, as a reference: one row per edge end
// pair (account and address edges of 4624/4625, account edges of 4648), then Frame.Graph with
// string_agg(DISTINCT ...) for the logon types. LogonGraph groups the events first; both must
// give the same edges with the same columns.
func logonGraphByRows(ev *Frame) *Graph {
	f, c, _ := builderFrame(ev, "reference")
	logon, _ := c.events("security", "4624", "4625")
	explicit, _ := c.events("security", "4648")
	acct := func(dom, user string) string {
		d, u := c.str(dom), c.str(user)
		return "CASE WHEN " + u + " IS NULL THEN NULL WHEN " + d + " IS NULL OR " + d + " = '-' THEN " + u + " ELSE " + d + " || '\\' || " + u + " END"
	}
	host, tm, eid := c.host(), c.time(), c.eventID()
	ip, lt, srv := c.str("IpAddress"), c.str("LogonType"), c.str("TargetServerName")
	q := "SELECT 'account' AS kind, " + acct("TargetDomainName", "TargetUserName") + " AS src, " + host + " AS dst, " + lt + " AS logon_type, " + eid + " AS event_id, " + tm + " AS \"time\" FROM " + f.from() + " WHERE " + logon +
		" UNION ALL SELECT 'ip', " + ip + ", " + host + ", " + lt + ", " + eid + ", " + tm + " FROM " + f.from() + " WHERE " + logon + " AND coalesce(" + ip + ", '-') NOT IN ('-', '::1', '127.0.0.1')" +
		" UNION ALL SELECT 'account', " + acct("TargetDomainName", "TargetUserName") + ", CASE WHEN " + srv + " IS NULL OR lower(" + srv + ") = 'localhost' THEN " + host + " ELSE " + srv + " END, 'explicit', " + eid + ", " + tm + " FROM " + f.from() + " WHERE " + explicit
	return f.derive(q).Graph(Col("src"), Col("dst"), GraphTime("time"), GraphOption{rawAggs: []string{
		"any_value(kind) AS kind",
		"string_agg(DISTINCT logon_type, ',' ORDER BY logon_type) AS logon_types",
		"count(*) FILTER (WHERE event_id = 4625) AS failures",
	}})
}

// synthLogons has every case LogonGraph distinguishes: failures, repeated logons with several
// types, "-" domains and addresses, loopback, 4648 to a server, to localhost and to nobody,
// empty names, another channel.
const synthLogons = `SELECT * FROM (VALUES
 ('Security', 4624, 'CORP', 'alice', 'WKS1', '10.0.0.5', '3', NULL, '2024-01-01T00:00:01Z'),
 ('Security', 4624, 'CORP', 'alice', 'WKS1', '10.0.0.5', '10', NULL, '2024-01-01T00:00:02Z'),
 ('Security', 4625, 'CORP', 'alice', 'WKS1', '10.0.0.5', '3', NULL, '2024-01-01T00:00:03Z'),
 ('Security', 4625, '-', 'admin', 'SRV1', '203.0.113.9', '3', NULL, '2024-01-01T00:00:04Z'),
 ('Security', 4624, 'CORP', 'bob', 'WKS2', '-', '2', NULL, '2024-01-01T00:00:05Z'),
 ('Security', 4624, 'CORP', 'bob', 'WKS2', '127.0.0.1', NULL, NULL, '2024-01-01T00:00:06Z'),
 ('Security', 4624, NULL, 'carol', 'WKS2', '::1', '11', NULL, NULL),
 ('Security', 4624, 'CORP', '', 'WKS3', '10.0.0.7', '3', NULL, '2024-01-01T00:00:07Z'),
 ('Security', 4648, 'CORP', 'alice', 'WKS1', '-', NULL, 'SRV1', '2024-01-01T00:00:08Z'),
 ('Security', 4648, 'CORP', 'alice', 'WKS1', '-', NULL, 'localhost', '2024-01-01T00:00:09Z'),
 ('Security', 4648, 'CORP', 'bob', 'WKS2', '-', NULL, NULL, '2024-01-01T00:00:10Z'),
 ('Security', 4648, 'CORP', 'bob', NULL, '-', NULL, NULL, '2024-01-01T00:00:11Z'),
 ('Application', 4624, 'CORP', 'eve', 'WKS9', '10.0.0.9', '3', NULL, '2024-01-01T00:00:12Z'),
 ('Security', 4688, 'CORP', 'alice', 'WKS1', '-', NULL, NULL, '2024-01-01T00:00:13Z')
) t("Channel", "EventID", "TargetDomainName", "TargetUserName", "Hostname", "IpAddress", "LogonType", "TargetServerName", "@timestamp")`

func TestGraphLogonGraphReference(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   *Frame
	}{
		{"synthetic", DuckSQL(synthLogons)},
		{"no channel, no target server", DuckSQL(synthLogons).Drop("Channel", "TargetServerName")},
		{"event ids as text, logon types as numbers", DuckSQL("SELECT * REPLACE (CAST(\"EventID\" AS VARCHAR) AS \"EventID\", TRY_CAST(\"LogonType\" AS BIGINT) AS \"LogonType\") FROM (" + synthLogons + ")")},
		{sampleFlat, Read(sampleFlat)},
		{sampleFlat2, Read(sampleFlat2)},
		{"winlogbeat layout", Read("../testdata/mordor/synthetic_legacy_winlogbeat6.tar.gz")},
	} {
		lg := LogonGraph(c.ev)
		if !lg.numbered {
			t.Errorf("%s: LogonGraph did not use the hashed plan", c.name)
		}
		got := collectStrings(t, lg.Edges())
		want := collectStrings(t, logonGraphByRows(c.ev).Edges())
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: LogonGraph edges differ from the plain formulation:\n got %q\nwant %q", c.name, got, want)
		}
		if grouped := collectStrings(t, logonGraph(c.ev, true).Edges()); !reflect.DeepEqual(grouped, want) {
			t.Errorf("%s: LogonGraph's grouped plan differs from the plain formulation:\n got %q\nwant %q", c.name, grouped, want)
		}
		for _, g := range []*Graph{lg, lg.Cache()} {
			gotC := collectStrings(t, g.Components())
			wantC := collectStrings(t, logonGraphByRows(c.ev).Components())
			if !reflect.DeepEqual(gotC, wantC) {
				t.Errorf("%s: LogonGraph components differ from the plain formulation's:\n got %q\nwant %q", c.name, gotC, wantC)
			}
		}
		if c.name == "synthetic" && len(got) != 8 {
			t.Errorf("synthetic: %d edges, want 8: %q", len(got), got)
		}
	}
}

// TestGraphLogonGraphManyTypes has more logon types than an edge's 64-bit set of types holds:
// LogonGraph must take the grouped plan and still give the plain formulation's edges.
func TestGraphLogonGraphManyTypes(t *testing.T) {
	ev := DuckSQL(`SELECT 'Security' AS "Channel", 4624 AS "EventID", 'CORP' AS "TargetDomainName", 'u' || (i % 3) AS "TargetUserName",
  'WKS' || (i % 5) AS "Hostname", '10.0.0.' || (i % 7) AS "IpAddress", 'type' || i AS "LogonType", NULL AS "TargetServerName",
  TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS "@timestamp" FROM range(70) AS r(i)`)
	lg := LogonGraph(ev)
	if lg.numbered {
		t.Fatal("70 logon types: LogonGraph used the hashed plan, whose type sets hold 64")
	}
	got := collectStrings(t, lg.Edges())
	want := collectStrings(t, logonGraphByRows(ev).Edges())
	if !reflect.DeepEqual(got, want) || len(got) != 50 {
		t.Errorf("LogonGraph edges differ from the plain formulation (or are not 50):\n got %q\nwant %q", got, want)
	}
}

// TestGraphTablesAreDropped: LogonGraph's dictionary table and Graph.Cache's edge table (both in
// the in-memory catalog) are read while a frame of the graph is reachable and dropped after.
func TestGraphTablesAreDropped(t *testing.T) {
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	settle := func() int64 { return settleTables(t, e) }
	before := settle()
	g := LogonGraph(Read(sampleFlat)).Cache()
	runtime.GC()
	if n, err := g.Components().Count(); err != nil || n == 0 {
		t.Fatalf("components of the cached graph: %d, %v", n, err)
	}
	if n := duckTables(t, e); n <= before {
		t.Fatalf("%d tables with a cached graph, %d before", n, before)
	}
	runtime.KeepAlive(g)
	g = nil
	_ = g
	if n := settle(); n != before {
		t.Fatalf("after the graph went: %d tables, want %d", n, before)
	}
}
