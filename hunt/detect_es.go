package hunt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic"
	"github.com/gohunt/gohunt/hunt/sigma"
)

// esDetectBatch bounds the rules of one Elasticsearch search: their named queries are the
// should clauses of one bool query, whose size the node's heap must hold (one filter OR-ing
// every rule of SigmaHQ exhausted a 512 MB heap).
var esDetectBatch = 50

// esDetectRuleBytes and esDetectBatchBytes bound the query DSL (as JSON) of one rule run in
// Elasticsearch and of one batch: a rule listing thousands of case-insensitive wildcards
// (hashes, driver names) makes the node build an automaton per value, and one such rule of
// 534 KB exhausted a 512 MB heap; it runs on DuckDB instead.
const (
	esDetectRuleBytes  = 64 << 10
	esDetectBatchBytes = 192 << 10
)

// esDetectPage is the number of hits per page of a batch's search.
const esDetectPage = 1000

// esDetectRel is Detect over an Elasticsearch index frame: the rules Elasticsearch evaluates
// exactly as DuckDB does run there (see sigmaQuery), in batches of esDetectBatch rules, each
// batch one search whose should clauses are the rules' queries named by their index in the
// set, ANDed with the frame's pushed-down filters, paged with a point-in-time and
// search_after; each hit's matched_queries says which rules matched it. The other rules run
// on DuckDB over a pushed-down read of just their log sources' events.
type esDetectRel struct {
	src    *esRel
	rules  *SigmaRuleSet
	pushed []int          // indices of the rules run in Elasticsearch, in set order
	query  map[int]any    // their queries
	size   map[int]int    // the size of their queries as JSON
	local  []int          // indices of the rules run on DuckDB
	why    map[int]string // why each local rule is local
	lsq    map[string]any // logsourceQuery of the local rules
	eng    *engine        // the session's engine

	mu   sync.Mutex
	last *Frame // the last successful read, which count reuses
}

// lazyDetect is Detect on a frame on another engine. On an Elasticsearch index frame (only
// pushed operations so far, no aggregation or size) it is an esDetectRel; otherwise the frame
// is read and Detect runs on DuckDB.
func (f *Frame) lazyDetect(rules *SigmaRuleSet) *Frame {
	again := func(l *Frame) *Frame { return l.Detect(rules) }
	rel, ok := f.plan.rel.(*esRel)
	if f.plan.op != "source" || !ok || rel.group != nil || rel.limit >= 0 {
		return f.afterRead("Detect", again)
	}
	d := &esDetectRel{eng: f.eng, src: rel, rules: rules, query: map[int]any{}, size: map[int]int{}, why: map[int]string{}}
	for i, r := range rules.set.Rules {
		if r.Correlation != nil {
			continue // correlation rules: DetectCorrelations
		}
		ls := rules.mapping.LogsourceCondition(r.Logsource)
		q, err := rel.sigmaQuery(rules.mapping, sigma.And{Args: []sigma.Node{ls, r.Detection}})
		if err == nil {
			if b, _ := json.Marshal(q); len(b) > esDetectRuleBytes {
				err = fmt.Errorf("its query DSL is %d KB, more than the %d KB a node's heap is asked to hold for one rule", len(b)>>10, esDetectRuleBytes>>10)
			} else {
				d.size[i] = len(b)
			}
		}
		if err == nil {
			d.pushed = append(d.pushed, i)
			d.query[i] = q
			continue
		}
		d.local = append(d.local, i)
		d.why[i] = err.Error()
	}
	d.lsq = d.logsourceQuery(d.local)
	return &Frame{eng: f.eng, plan: &node{op: "source", rel: d}, note: d.note()}
}

// logsourceQuery is the OR of the rules' log-source queries, the read of the events local
// rules run on; nil (read every event) when some log source has no exact query.
func (d *esDetectRel) logsourceQuery(rules []int) map[string]any {
	var or []any
	for _, i := range rules {
		q, err := d.src.sigmaQuery(d.rules.mapping, d.rules.mapping.LogsourceCondition(d.rules.set.Rules[i].Logsource))
		if err != nil {
			return nil
		}
		or = append(or, q)
	}
	if len(or) == 0 {
		return nil
	}
	return map[string]any{"bool": map[string]any{"should": or, "minimum_should_match": 1}}
}

func (d *esDetectRel) engineName() string { return "Elasticsearch" }

// push keeps every later operation on DuckDB, after the hits are read.
func (d *esDetectRel) push(*node) (relation, bool) { return nil, false }

// columns are Detect's: the rule's metadata, then the events' columns.
func (d *esDetectRel) columns() []string {
	return append([]string{"rule_id", "rule_title", "level", "status", "author", "tags"}, d.src.columns()...)
}

// count reads the hits and counts them: a rule's hits are its matching events, but an event
// matching several rules is one hit per rule, which no single _count gives.
// A display counts after reading its first rows: the read is kept for that.
func (d *esDetectRel) count(ctx context.Context) (int64, error) {
	d.mu.Lock()
	l := d.last
	d.mu.Unlock()
	if l == nil {
		l = d.read(ctx, d.eng, true)
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.Count()
}

// summary says how many rules run where.
func (d *esDetectRel) summary() string { return d.summaryOf(len(d.pushed), d.local, d.why) }

// summaryOf says that pushed rules ran in Elasticsearch and local ones on DuckDB, naming the
// first local ones with the reason.
func (d *esDetectRel) summaryOf(pushed int, local []int, why map[int]string) string {
	s := fmt.Sprintf("Detect: %d rules ran in Elasticsearch (query DSL, batches of up to %d)", pushed, esDetectBatch)
	if len(local) > 0 {
		var titles []string
		for _, i := range local {
			if len(titles) == 5 {
				titles = append(titles, fmt.Sprintf("and %d more", len(local)-5))
				break
			}
			titles = append(titles, fmt.Sprintf("%q (%s)", d.rules.set.Rules[i].Title, why[i]))
		}
		s += fmt.Sprintf(", %d on DuckDB after a read of their log sources' events: %s", len(local), strings.Join(titles, "; "))
	}
	return s
}

// rejectedQuery reports whether err is the node refusing a search's query (HTTP 400).
func rejectedQuery(err error) bool {
	var ee *elastic.Error
	return errors.As(err, &ee) && ee.Status == 400
}

func (d *esDetectRel) note() string { return d.src.note() + "; " + d.summary() }

func (d *esDetectRel) explain() string {
	s := d.src.explain() + "; " + d.summary()
	if len(d.local) > 0 {
		b, _ := json.Marshal(d.lsq)
		s += "; local rules' events read with query " + string(b)
	}
	return s
}

// batches splits the pushed rules, in order, into batches of at most esDetectBatch rules and
// esDetectBatchBytes of query.
func (d *esDetectRel) batches() [][]int {
	var out [][]int
	var cur []int
	bytes := 0
	for _, i := range d.pushed {
		if len(cur) > 0 && (len(cur) == esDetectBatch || bytes+d.size[i] > esDetectBatchBytes) {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
		cur = append(cur, i)
		bytes += d.size[i]
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// esDetectHit is one hit of a batch's search.
type esDetectHit struct {
	Source  json.RawMessage `json:"_source"`
	Matched []string        `json:"matched_queries"`
	Sort    json.RawMessage `json:"sort"`
}

// read runs the batches, loads every hit's event with the indices of the rules it matched
// (a list column), joins them to the rules' metadata, and appends the hits of the local rules.
func (d *esDetectRel) read(ctx context.Context, e *engine, quiet bool) *Frame {
	l := d.readHits(ctx, e, quiet)
	if l.err == nil {
		d.mu.Lock()
		d.last = l
		d.mu.Unlock()
	}
	return l
}

// readHits is read's body.
func (d *esDetectRel) readHits(ctx context.Context, e *engine, quiet bool) *Frame {
	if d.src.conf.ctx != nil {
		ctx = d.src.conf.ctx
	}
	if _, clash := d.src.schema.Field(esRuleCol); clash {
		return d.src.fail(e, fmt.Errorf("Detect: the index has a field named %s, which Detect uses for its own column", esRuleCol))
	}
	ld := newStreamLoader(e)
	n := 0
	local, lsq, why := d.local, d.lsq, d.why
	var rejected []int
	sink := func(h esDetectHit) error {
		doc := bytes.TrimSpace(h.Source)
		if len(h.Matched) == 0 || len(doc) < 2 || doc[0] != '{' {
			return fmt.Errorf("a hit without matched rules or _source object")
		}
		var b bytes.Buffer
		b.WriteString(`{"` + esRuleCol + `":[`)
		for k, m := range h.Matched {
			if _, err := strconv.Atoi(m); err != nil {
				return fmt.Errorf("unknown matched query %q", m)
			}
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m)
		}
		b.WriteString("]")
		if rest := bytes.TrimSpace(doc[1:]); len(rest) > 0 && rest[0] != '}' {
			b.WriteByte(',')
		}
		b.Write(doc[1:])
		n++
		return ld.addLine(b.Bytes(), fmt.Sprintf("%s Detect hit %d", d.src.pattern, n))
	}
	for _, batch := range d.batches() {
		before := n
		err := d.runBatch(ctx, batch, sink)
		if rejectedQuery(err) && n == before {
			// A query the node refuses to parse (a regular expression Lucene reads otherwise)
			// fails the batch before any hit: run its rules one by one, the refused ones on
			// DuckDB.
			err = nil
			for _, i := range batch {
				if err = d.runBatch(ctx, []int{i}, sink); rejectedQuery(err) {
					if len(rejected) == 0 {
						local, why = append([]int(nil), d.local...), maps.Clone(d.why)
					}
					rejected = append(rejected, i)
					local = append(local, i)
					why[i] = "Elasticsearch refused its query: " + err.Error()
					err = nil
				} else if err != nil {
					break
				}
			}
		}
		if err != nil {
			ld.discard()
			return d.src.fail(e, fmt.Errorf("Detect in Elasticsearch: %w", err))
		}
	}
	if len(rejected) > 0 {
		slices.Sort(local)
		lsq = d.logsourceQuery(local)
	}
	summary := d.summaryOf(len(d.pushed)-len(rejected), local, why)
	hits := d.emptyHits(e)
	if ld.rows() == 0 {
		ld.discard()
	} else {
		l, err := listify(e, ld)
		if err != nil {
			return d.src.fail(e, err)
		}
		l = typeEventTimes(d.src.project(l), d.src.isDate)
		hits = d.hitsOf(e, l)
	}
	if hits.err != nil || len(local) == 0 {
		return hits.withNote(summary)
	}
	g := d.src.clone()
	if lsq != nil {
		g.filters = append(g.filters, lsq)
	}
	ev := g.read(ctx, e, quiet)
	if ev.err != nil {
		return ev
	}
	sub := &SigmaRuleSet{set: &sigma.Set{}, mapping: d.rules.mapping}
	for _, i := range local {
		sub.set.Rules = append(sub.set.Rules, d.rules.set.Rules[i])
	}
	lh := ev.Detect(sub)
	if lh.err != nil {
		return lh
	}
	all := newFrame(e, "SELECT * FROM (SELECT * FROM "+hits.from()+") UNION ALL BY NAME SELECT * FROM "+lh.from())
	return all.withNote(summary)
}

// esRuleCol is the column of the rule indices a hit's event matched, while hits are loaded.
const esRuleCol = "__gohunt_sigma_rules"

// hitsOf joins the loaded events (with esRuleCol) to the rules' metadata: one row per rule and
// event, rule by rule in the set's order, Detect's columns.
func (d *esDetectRel) hitsOf(e *engine, l *Frame) *Frame {
	meta, err := d.metaTable(e)
	if err != nil {
		return errFrame(e, err)
	}
	alloc := newIdentAllocator()
	var sel []string
	for _, m := range []string{"rule_id", "rule_title", "level", "status", "author"} {
		alloc.reserve(m)
		sel = append(sel, "__m."+m)
	}
	alloc.reserve("tags")
	sel = append(sel, "CASE WHEN __m.tags_joined = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(__m.tags_joined, chr(31)) END AS tags")
	var rc string
	for _, c := range l.cols {
		if c.name == esRuleCol {
			rc = c.ident
			continue
		}
		sel = append(sel, "__h."+quoteIdent(c.ident)+" AS "+quoteIdent(alloc.ident(c.name)))
	}
	if rc == "" {
		return errFrame(e, errorf("hunt: Detect: the hits read from Elasticsearch lost their rule column"))
	}
	q := "SELECT " + strings.Join(sel, ", ") + "\nFROM (SELECT __t.*, unnest(__t." + quoteIdent(rc) + ") AS __sigma_rule FROM " + l.from() +
		") AS __h JOIN " + quoteIdent(meta) + " AS __m ON __m.idx = __h.__sigma_rule\nORDER BY __h.__sigma_rule"
	return newFrame(e, q).context("Detect")
}

// emptyHits is a frame of no hits with Detect's columns over the mapped fields.
func (d *esDetectRel) emptyHits(e *engine) *Frame {
	ev := d.src.emptyFrame(e)
	if ev.err != nil {
		return ev
	}
	return ev.Detect(&SigmaRuleSet{set: &sigma.Set{}, mapping: d.rules.mapping})
}

// metaTable stores the pushed rules' metadata (bound values) in a table of the engine.
func (d *esDetectRel) metaTable(e *engine) (string, error) {
	var idx []int32
	var ids, titles, levels, statuses, authors, tags []string
	for _, i := range d.pushed {
		r := d.rules.set.Rules[i]
		idx = append(idx, int32(i))
		ids, titles, levels, statuses, authors = append(ids, r.ID), append(titles, r.Title), append(levels, r.Level), append(statuses, r.Status), append(authors, r.Author)
		tags = append(tags, strings.Join(r.Tags, "\x1f"))
	}
	name := e.tableName("sigma_rules")
	if err := e.exec(cellCtx(), "CREATE TABLE "+quoteIdent(name)+" AS SELECT unnest(CAST(? AS INTEGER[])) AS idx, unnest(CAST(? AS VARCHAR[])) AS rule_id, "+
		"unnest(CAST(? AS VARCHAR[])) AS rule_title, unnest(CAST(? AS VARCHAR[])) AS level, unnest(CAST(? AS VARCHAR[])) AS status, "+
		"unnest(CAST(? AS VARCHAR[])) AS author, unnest(CAST(? AS VARCHAR[])) AS tags_joined", idx, ids, titles, levels, statuses, authors, tags); err != nil {
		return "", fmt.Errorf("hunt: Detect: storing rule metadata: %w", err)
	}
	return name, nil
}

// runBatch runs one batch's search to its last hit: a point-in-time over the index, pages
// sorted by _shard_doc and resumed with search_after, each hit handed to sink. A shard failure
// is an error unless the frame allows partial results. The point-in-time is closed on every
// path.
func (d *esDetectRel) runBatch(ctx context.Context, batch []int, sink func(esDetectHit) error) error {
	c := d.src.c.c
	ka := d.src.conf.keepAlive
	if ka <= 0 {
		ka = 2 * time.Minute
	}
	kas := fmt.Sprintf("%dms", ka.Milliseconds())
	var pit struct {
		ID string `json:"id"`
	}
	if err := c.Raw(ctx, "POST", "/"+url.PathEscape(d.src.pattern)+"/_pit?keep_alive="+kas, nil, &pit); err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = c.Raw(cctx, "DELETE", "/_pit", map[string]any{"id": pit.ID}, nil)
	}()
	var should []any
	for _, i := range batch {
		should = append(should, map[string]any{"bool": map[string]any{"filter": []any{d.query[i]}, "_name": strconv.Itoa(i)}})
	}
	filter := []any{map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}}
	if q := d.src.query(); q != nil {
		filter = append(filter, q)
	}
	body := map[string]any{
		"size":             esDetectPage,
		"query":            map[string]any{"bool": map[string]any{"filter": filter}},
		"pit":              map[string]any{"id": pit.ID, "keep_alive": kas},
		"sort":             []any{map[string]any{"_shard_doc": "asc"}},
		"track_total_hits": false,
	}
	if d.src.source != nil {
		body["_source"] = d.src.source
	}
	for {
		var resp struct {
			PitID  string `json:"pit_id"`
			Shards struct {
				Failed   int               `json:"failed"`
				Failures []json.RawMessage `json:"failures"`
			} `json:"_shards"`
			Hits struct {
				Hits []esDetectHit `json:"hits"`
			} `json:"hits"`
		}
		if err := c.Raw(ctx, "POST", "/_search", body, &resp); err != nil {
			return err
		}
		if resp.Shards.Failed > 0 && !d.src.conf.partial {
			return fmt.Errorf("%d shards failed: %s", resp.Shards.Failed, firstShardFailure(resp.Shards.Failures))
		}
		if resp.PitID != "" {
			pit.ID = resp.PitID
			body["pit"] = map[string]any{"id": pit.ID, "keep_alive": kas}
		}
		for _, h := range resp.Hits.Hits {
			if err := sink(h); err != nil {
				return err
			}
		}
		if len(resp.Hits.Hits) < esDetectPage {
			return nil
		}
		body["search_after"] = resp.Hits.Hits[len(resp.Hits.Hits)-1].Sort
	}
}

// firstShardFailure is the first failure's text, shortened.
func firstShardFailure(fs []json.RawMessage) string {
	if len(fs) == 0 {
		return "no reason given"
	}
	s := string(fs[0])
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// sigmaQuery compiles a condition to a query Elasticsearch evaluates exactly as Detect does on
// DuckDB, or says why it cannot: every column the mapping may read for a field must be exact in
// Elasticsearch (a keyword index holding every value, or an integer field); a field read from
// several columns cannot be negated (Elasticsearch's must_not of an or is not DuckDB's not of
// the first non-null column); integer fields take only equality with integers, and ranges only
// integer fields.
func (f *esRel) sigmaQuery(m *sigma.Mapping, n sigma.Node) (map[string]any, error) {
	kinds := map[string]string{} // Elasticsearch field -> "keyword" or "int"
	var bad error
	multi := false
	target := &sigma.ESTarget{Fields: func(field string) []string {
		var out []string
		seen := map[string]bool{}
		for _, name := range m.Columns(field) {
			for _, col := range f.mappedColumns() {
				if seen[col] || !(col == name || strings.EqualFold(col, name)) {
					continue
				}
				seen[col] = true
				fl, ok := f.exactField(col)
				switch {
				case !ok:
					bad = fmt.Errorf("field %s (column %s) has no exact index in Elasticsearch", field, col)
				case fl.Type == "keyword" || fl.Type == "constant_keyword" || fl.Type == "text" || fl.Type == "match_only_text":
					kinds[fl.Keyword] = "keyword"
					out = append(out, fl.Keyword)
				case fl.Type == "long" || fl.Type == "integer" || fl.Type == "short" || fl.Type == "byte":
					kinds[fl.Name] = "int"
					out = append(out, fl.Name)
				default:
					bad = fmt.Errorf("field %s (column %s) is of type %s", field, col, fl.Type)
				}
			}
		}
		if len(out) > 1 {
			multi = true
		}
		return out
	}}
	q, err := sigma.ES(n, target)
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	if multi && hasNot(n) {
		return nil, fmt.Errorf("a negated field read from several columns")
	}
	if err := fixNumeric(q, kinds); err != nil {
		return nil, err
	}
	return q, nil
}

// hasNot reports whether the condition negates anything (Not, or Null's absence test).
func hasNot(n sigma.Node) bool {
	switch x := n.(type) {
	case sigma.Not, sigma.Null:
		return true
	case sigma.Exists:
		return !x.Want
	case sigma.And:
		for _, a := range x.Args {
			if hasNot(a) {
				return true
			}
		}
	case sigma.Or:
		for _, a := range x.Args {
			if hasNot(a) {
				return true
			}
		}
	}
	return false
}

// fixNumeric rewrites the leaf queries on integer fields in place: a case-insensitive term of
// an integer's text becomes a plain term of the integer, a term of any other text match_none
// (no integer's text equals it); wildcards and regular expressions on integer fields, and
// ranges on keyword fields (which compare as strings), are errors.
func fixNumeric(q map[string]any, kinds map[string]string) error {
	for k, v := range q {
		switch k {
		case "bool":
			b := v.(map[string]any)
			for _, key := range []string{"filter", "should", "must_not"} {
				list, _ := b[key].([]any)
				for _, x := range list {
					if err := fixNumeric(x.(map[string]any), kinds); err != nil {
						return err
					}
				}
			}
		case "term":
			for field, body := range v.(map[string]any) {
				if kinds[field] != "int" {
					continue
				}
				s := fmt.Sprint(body.(map[string]any)["value"])
				delete(q, "term")
				if _, err := strconv.ParseInt(s, 10, 64); err == nil && sigmaCanonicalInt(s) {
					q["term"] = map[string]any{field: map[string]any{"value": s}}
				} else {
					q["match_none"] = map[string]any{}
				}
			}
		case "wildcard", "regexp":
			for field := range v.(map[string]any) {
				if kinds[field] == "int" {
					return fmt.Errorf("a pattern on integer field %s", field)
				}
			}
		case "range":
			for field := range v.(map[string]any) {
				if kinds[field] != "int" {
					return fmt.Errorf("a numeric comparison on text field %s", field)
				}
			}
		}
	}
	return nil
}

// sigmaCanonicalInt reports whether s is the text DuckDB writes for an integer.
func sigmaCanonicalInt(s string) bool {
	d := strings.TrimPrefix(s, "-")
	return d != "" && (d == "0" && s == "0" || d[0] != '0') && strings.Trim(d, "0123456789") == ""
}
