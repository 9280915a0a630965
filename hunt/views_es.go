package hunt

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic"
	"github.com/gohunt/gohunt/hunt/view"
)

// lazyTimeline is Timeline for a frame on another engine. When the whole plan runs in
// Elasticsearch, timeCol is a date field and by a field with exact values (keyword, number,
// boolean), the counting runs there: min/max and a date_histogram per lane (a terms
// aggregation of the TimelineLanes most frequent values, the rest counted as "other"), so
// nothing but the counts leaves the cluster. Otherwise the frame is read (only the two columns
// when possible) and counted in DuckDB. The caption says which happened.
func (f *Frame) lazyTimeline(timeCol, by string) *Timeline {
	es, ok := f.plan.rel.(*esRel)
	if f.plan.op != "source" || !ok {
		t := f.Local().Timeline(timeCol, by)
		t.Source = "DuckDB after reading from " + f.plan.engine()
		return t
	}
	tf, okT := es.field(timeCol)
	okT = okT && (tf.Type == "date" || tf.Type == "date_nanos")
	var bf elastic.Field
	okB := true
	if by != "" {
		bf, okB = es.exactField(by)
	}
	if es.group != nil || es.limit >= 0 || !okT || !okB {
		cols := []any{timeCol}
		if by != "" && by != timeCol {
			cols = append(cols, by)
		}
		t := f.Select(cols...).Local().Timeline(timeCol, by)
		t.Source = "DuckDB after reading from Elasticsearch"
		return t
	}
	t := &view.Timeline{TimeColumn: timeCol, By: by, Source: "Elasticsearch date_histogram"}
	if err := es.esTimeline(t, tf, bf); err != nil {
		t.Error = fmt.Errorf("hunt: timeline of %q in %s: %w", timeCol, es.pattern, err)
	}
	return t
}

type esSearchResult struct {
	Shards struct {
		Failed int `json:"failed"`
	} `json:"_shards"`
	Hits struct {
		Total struct {
			Value int64 `json:"value"`
		} `json:"total"`
	} `json:"hits"`
	Aggregations map[string]json.RawMessage `json:"aggregations"`
}

type esHistogram struct {
	Buckets []struct {
		Key      float64 `json:"key"`
		DocCount int64   `json:"doc_count"`
	} `json:"buckets"`
}

func (f *esRel) esSearch(body map[string]any, extra ...map[string]any) (*esSearchResult, error) {
	var clauses []any
	if q := f.query(); q != nil {
		clauses = append(clauses, q)
	}
	for _, e := range extra {
		clauses = append(clauses, e)
	}
	switch len(clauses) {
	case 0:
	case 1:
		body["query"] = clauses[0]
	default:
		body["query"] = map[string]any{"bool": map[string]any{"filter": clauses}}
	}
	var r esSearchResult
	if err := f.c.c.Raw(f.conf.context(), "POST", "/"+url.PathEscape(f.pattern)+"/_search", body, &r); err != nil {
		return nil, err
	}
	if r.Shards.Failed > 0 {
		return nil, fmt.Errorf("%d shards failed", r.Shards.Failed)
	}
	return &r, nil
}

// esTimeline fills t from two searches: the time range and count, then the histograms.
func (f *esRel) esTimeline(t *view.Timeline, tf, bf elastic.Field) error {
	r, err := f.esSearch(map[string]any{
		"size": 0, "track_total_hits": true,
		"aggs": map[string]any{
			"lo":      map[string]any{"min": map[string]any{"field": tf.Name}},
			"hi":      map[string]any{"max": map[string]any{"field": tf.Name}},
			"untimed": map[string]any{"missing": map[string]any{"field": tf.Name}},
		},
	})
	if err != nil {
		return err
	}
	var lo, hi struct {
		Value *float64 `json:"value"`
	}
	var untimed struct {
		DocCount int64 `json:"doc_count"`
	}
	if err := json.Unmarshal(r.Aggregations["lo"], &lo); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Aggregations["hi"], &hi); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Aggregations["untimed"], &untimed); err != nil {
		return err
	}
	t.Untimed = untimed.DocCount
	if lo.Value == nil || hi.Value == nil {
		return nil
	}
	ms := func(v float64) time.Time { return time.UnixMilli(int64(math.Round(v))).UTC() }
	t.First, t.Last = ms(*lo.Value), ms(*hi.Value)
	if err := spanCheck(t.First, t.Last); err != nil {
		return err
	}
	t.Step = view.BucketFor(t.First, t.Last, view.DefaultBuckets)
	t.Start = view.BucketStart(t.First, t.Step)
	t.Buckets = int(t.Last.Sub(t.Start)/t.Step) + 1
	stepMS := t.Step.Milliseconds()
	offset := ((t.Start.UnixMilli() % stepMS) + stepMS) % stepMS
	hist := map[string]any{"date_histogram": map[string]any{
		"field": tf.Name, "fixed_interval": fmt.Sprintf("%dms", stepMS), "offset": fmt.Sprintf("+%dms", offset), "min_doc_count": 1,
	}}
	aggs := map[string]any{"all": hist}
	if bf.Name != "" {
		aggs["lanes"] = map[string]any{
			"terms": map[string]any{"field": bf.Keyword, "size": TimelineLanes, "shard_size": 500, "order": []any{map[string]any{"_count": "desc"}, map[string]any{"_key": "asc"}}},
			"aggs":  map[string]any{"h": hist},
		}
		aggs["nulls"] = map[string]any{"missing": map[string]any{"field": bf.Keyword}, "aggs": map[string]any{"h": hist}}
	}
	// Only events with a time count, in the lanes' ranking as in the histograms.
	r, err = f.esSearch(map[string]any{"size": 0, "track_total_hits": false, "aggs": aggs}, exists(tf.Name))
	if err != nil {
		return err
	}
	fill := func(counts []int64, h esHistogram) error {
		for _, b := range h.Buckets {
			k := (int64(b.Key) - t.Start.UnixMilli()) / stepMS
			if k < 0 || k >= int64(len(counts)) {
				return fmt.Errorf("date_histogram bucket %v outside the time range", ms(b.Key))
			}
			counts[k] += b.DocCount
		}
		return nil
	}
	var all esHistogram
	if err := json.Unmarshal(r.Aggregations["all"], &all); err != nil {
		return err
	}
	other := view.Lane{Other: true, Counts: make([]int64, t.Buckets)}
	if err := fill(other.Counts, all); err != nil {
		return err
	}
	if bf.Name == "" {
		t.Lanes = []view.Lane{{Name: "events", Counts: other.Counts}}
		return nil
	}
	var lanes struct {
		Buckets []struct {
			Key         any    `json:"key"`
			KeyAsString string `json:"key_as_string"`
			DocCount    int64  `json:"doc_count"`
			H           esHistogram
		} `json:"buckets"`
	}
	if err := json.Unmarshal(r.Aggregations["lanes"], &lanes); err != nil {
		return err
	}
	var nulls struct {
		DocCount int64 `json:"doc_count"`
		H        esHistogram
	}
	if err := json.Unmarshal(r.Aggregations["nulls"], &nulls); err != nil {
		return err
	}
	add := func(name string, h esHistogram) error {
		l := view.Lane{Name: name, Counts: make([]int64, t.Buckets)}
		if err := fill(l.Counts, h); err != nil {
			return err
		}
		for k, n := range l.Counts {
			other.Counts[k] -= n
		}
		t.Lanes = append(t.Lanes, l)
		return nil
	}
	// Rank the NULL lane among the values as DuckDB does (count, then value, NULL last), keep
	// TimelineLanes lanes; the rest is "other".
	type cand struct {
		name string
		n    int64
		h    esHistogram
	}
	var cands []cand
	nullDone := nulls.DocCount == 0
	for _, b := range lanes.Buckets {
		if !nullDone && nulls.DocCount > b.DocCount {
			cands = append(cands, cand{"(null)", nulls.DocCount, nulls.H})
			nullDone = true
		}
		name := b.KeyAsString
		if name == "" {
			name = fmt.Sprint(b.Key)
		}
		cands = append(cands, cand{name, b.DocCount, b.H})
	}
	if !nullDone {
		cands = append(cands, cand{"(null)", nulls.DocCount, nulls.H})
	}
	if len(cands) > TimelineLanes {
		cands = cands[:TimelineLanes]
	}
	for _, c := range cands {
		if err := add(c.name, c.h); err != nil {
			return err
		}
	}
	if other.Total() > 0 {
		t.Lanes = append(t.Lanes, other)
	}
	return nil
}

// lazyHistogram is Histogram for a frame on another engine, reading only col when the whole
// plan runs there.
func (f *Frame) lazyHistogram(col string) *Bars {
	g := f
	if f.Pushed() {
		g = f.Select(col)
	}
	return g.Local().Histogram(col)
}

// lazyProcessTree is ProcessTree for a frame on another engine, reading only the process
// creation events (EventID 1 and 4688) when the whole plan runs there and the frame has an
// EventID field the engine can filter on.
func (f *Frame) lazyProcessTree() *ProcessTree {
	g := f
	if es, ok := f.plan.rel.(*esRel); ok && f.Pushed() {
		for _, id := range []string{"EventID", "event_id"} {
			if _, ok := es.field(id); ok {
				g = f.Where(Col(id).In(1, 4688))
				break
			}
		}
	}
	return g.Local().ProcessTree()
}
