package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/gohunt/gohunt/hunt/elastic"
)

// Index returns a frame over the indices matching pattern (wildcards and comma lists as in
// Elasticsearch). Its columns come from the mappings, merged across the indices (a field mapped
// with different types is reported in Note). Nothing is read until a terminal operation or a
// display: Where, Between, Select, Limit, Count, GroupBy(...).Count/Agg with Count/Min/Max,
// ValueCounts' counting, Timeline and the filters of ProcessTree run inside Elasticsearch when
// they can; the rest runs on DuckDB after the read, with the same result (Plan shows which).
func (c *ESClient) Index(pattern string, opts ...ESOption) *Frame {
	e, err := defaultEngine()
	if err != nil {
		return &Frame{err: err}
	}
	conf := c.conf
	for _, o := range opts {
		o(&conf)
	}
	if c.err != nil {
		return errFrame(e, c.err)
	}
	if conf.err != nil {
		return errFrame(e, conf.err)
	}
	s, err := c.c.Mapping(conf.context(), pattern)
	if err != nil {
		return errFrame(e, &Error{Msg: "hunt: " + err.Error(), Err: err})
	}
	return newLazy(e, &esRel{c: c, pattern: pattern, conf: conf, schema: s, limit: -1, exact: &sync.Map{}})
}

// esRel is a frame's source on Elasticsearch: the index pattern, and the operations pushed
// into Elasticsearch so far (query clauses, _source includes, size, composite aggregation).
type esRel struct {
	c       *ESClient
	pattern string
	conf    esConfig
	schema  *elastic.Schema
	filters []map[string]any // pushed query clauses, ANDed
	source  []string         // pushed _source includes (nil = all)
	limit   int64            // pushed size (-1 = none)
	group   *esGroup         // pushed composite aggregation
	exact   *sync.Map        // keyword field -> bool: no value is longer than its ignore_above
}

type esGroup struct {
	keys    []elastic.GroupKey
	metrics []elastic.Metric
	outs    []esOut // output columns in order
}

type esOut struct {
	name   string
	kind   string // key, count, metric
	intish bool   // metric over an integer field
}

func (f *esRel) clone() *esRel {
	g := *f
	g.filters = append([]map[string]any(nil), f.filters...)
	if f.source != nil {
		g.source = append([]string(nil), f.source...)
	}
	return &g
}

func (f *esRel) engineName() string { return "Elasticsearch" }

// conflicts lists the fields mapped with different types in different indices.
func (f *esRel) conflicts() []string {
	out := make([]string, len(f.schema.Conflicts))
	for i, c := range f.schema.Conflicts {
		out[i] = c.String()
	}
	return out
}

// note says where the data is, and reports mapping conflicts (fields mapped with different
// types; they are read as the JSON holds them and never pushed down).
func (f *esRel) note() string {
	s := "in Elasticsearch " + f.pattern
	if cs := f.conflicts(); len(cs) > 0 {
		s += "; mapping conflicts: " + strings.Join(cs, "; ")
	}
	return s
}

// conflictNote is the note of a read: the mapping conflicts, or "".
func (f *esRel) conflictNote() string {
	cs := f.conflicts()
	if len(cs) == 0 {
		return ""
	}
	return "mapping conflicts: " + strings.Join(cs, "; ")
}

// explain shows the pattern and what is pushed: the query, _source, size, aggregation.
func (f *esRel) explain() string {
	b, _ := json.Marshal(f.query())
	s := f.pattern + " (indices " + strings.Join(f.schema.Indices, ", ") + ") query " + string(b)
	if f.source != nil {
		s += " _source " + strings.Join(f.source, ",")
	}
	if f.limit >= 0 {
		s += fmt.Sprintf(" size %d", f.limit)
	}
	if f.group != nil {
		var keys []string
		for _, k := range f.group.keys {
			keys = append(keys, k.Name)
		}
		s += " composite aggregation by " + strings.Join(keys, ",")
	}
	return s
}

func (f *esRel) query() map[string]any {
	switch len(f.filters) {
	case 0:
		return nil
	case 1:
		return f.filters[0]
	}
	fs := make([]any, len(f.filters))
	for i, q := range f.filters {
		fs[i] = q
	}
	return map[string]any{"bool": map[string]any{"filter": fs}}
}

// columns returns the column names: the mapped fields, the selected ones, or the
// aggregation's outputs.
func (f *esRel) columns() []string {
	if f.group != nil {
		out := make([]string, len(f.group.outs))
		for i, o := range f.group.outs {
			out[i] = o.name
		}
		return out
	}
	if f.source != nil {
		return append([]string(nil), f.source...)
	}
	return f.mappedColumns()
}

// mappedColumns lists the columns a full read has: every mapped leaf field, dotted, except
// that the fields of a nested object make one list column named after it.
func (f *esRel) mappedColumns() []string {
	out := make([]string, 0, len(f.schema.Fields))
	seen := map[string]bool{}
	for _, fl := range f.schema.Fields {
		n := fl.Name
		if fl.Nested {
			n = fl.NestedRoot
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// push absorbs what Elasticsearch computes exactly as DuckDB would: Where with the predicates
// of dsl (on the keyword multi-field of text fields), Select of mapped leaf fields (_source
// filtering), Limit (size), and GroupBy keys with Count, Min and Max of numeric fields (a
// composite aggregation read to the last bucket).
func (f *esRel) push(op *node) (relation, bool) {
	if f.group != nil {
		return nil, false
	}
	switch op.op {
	case "filter":
		if f.limit >= 0 {
			return nil, false
		}
		if e, ok := op.args.cond.(Expr); ok {
			if q, ok := f.dsl(e); ok {
				g := f.clone()
				g.filters = append(g.filters, q)
				return g, true
			}
		}
	case "project":
		names := make([]string, 0, len(op.args.cols))
		for _, c := range op.args.cols {
			var n string
			switch v := c.(type) {
			case string:
				n = v
			case Expr:
				if v.op != "col" {
					return nil, false
				}
				n = v.name
			default:
				return nil, false
			}
			if n == "*" || contains(names, n) {
				return nil, false
			}
			if fl, found := f.schema.Field(n); !found || fl.Nested {
				return nil, false
			}
			if f.source != nil && !contains(f.source, n) {
				return nil, false
			}
			names = append(names, n)
		}
		if len(names) > 0 {
			g := f.clone()
			g.source = names
			return g, true
		}
	case "limit":
		g := f.clone()
		if g.limit < 0 || int64(op.args.n) < g.limit {
			g.limit = int64(max(op.args.n, 0))
		}
		return g, true
	case "aggregate":
		if f.limit >= 0 || f.source != nil {
			return nil, false
		}
		if grp, ok := f.compositePlan(op.args.keys, op.args.aggs); ok {
			g := f.clone()
			g.group = grp
			return g, true
		}
	}
	return nil, false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// count is an Elasticsearch _count of the pushed query (at most the pushed size); for an
// aggregation, the number of buckets read.
func (f *esRel) count(ctx context.Context) (int64, error) {
	if f.group != nil {
		e, err := defaultEngine()
		if err != nil {
			return 0, err
		}
		return f.read(ctx, e, true).Count()
	}
	n, err := f.c.c.Count(ctx, f.pattern, f.query())
	if err != nil {
		return 0, &Error{Msg: "hunt: " + err.Error(), Err: err}
	}
	if f.limit >= 0 && n > f.limit {
		n = f.limit
	}
	return n, nil
}

func (f *esRel) compositePlan(keys []Expr, aggs []Expr) (*esGroup, bool) {
	grp := &esGroup{}
	for _, k := range keys {
		if k.op != "col" {
			return nil, false
		}
		n := k.name
		fl, ok := f.exactField(n)
		if !ok {
			return nil, false
		}
		grp.keys = append(grp.keys, elastic.GroupKey{Name: n, Field: fl.Keyword})
		grp.outs = append(grp.outs, esOut{name: n, kind: "key"})
	}
	if len(grp.keys) == 0 {
		return nil, false
	}
	for _, a := range aggs {
		switch {
		case a.op == "agg" && a.name == "count_star":
			grp.outs = append(grp.outs, esOut{name: a.String(), kind: "count"})
		case a.op == "agg" && (a.name == "min" || a.name == "max") && len(a.args) == 1 && a.args[0].op == "col":
			fl, ok := f.schema.Field(a.args[0].name)
			if !ok || f.schema.Conflicted(fl.Name) || fl.Nested {
				return nil, false
			}
			intish := false
			switch fl.Type {
			case "long", "integer", "short", "byte":
				intish = true
			case "double":
			default:
				return nil, false
			}
			name := a.String()
			grp.metrics = append(grp.metrics, elastic.Metric{Name: name, Op: a.name, Field: fl.Name})
			grp.outs = append(grp.outs, esOut{name: name, kind: "metric", intish: intish})
		default:
			return nil, false
		}
	}
	return grp, true
}
