package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// GroupKey is one key of a composite aggregation: the output name and the field to group by.
type GroupKey struct {
	Name  string
	Field string
}

// Metric is one per-group metric: Op is "min" or "max" over Field.
type Metric struct {
	Name  string
	Op    string
	Field string
}

// Bucket is one group: its key values (nil for a missing value), its document count and
// its metric values (nil when no document of the group has the field).
type Bucket struct {
	Key     map[string]any
	Count   int64
	Metrics map[string]*float64
}

// Composite runs a composite aggregation over the indices matching pattern, paging with
// after_key until every bucket is read (a terms aggregation would drop buckets). Documents
// that lack a key field fall in a bucket whose key is nil, as SQL's GROUP BY NULL. Key
// values keep their JSON numbers exact (json.Number).
func (c *Client) Composite(ctx context.Context, pattern string, query map[string]any, keys []GroupKey, metrics []Metric, pageSize int) ([]Bucket, error) {
	if pageSize <= 0 {
		pageSize = 1000
	}
	sources := make([]any, len(keys))
	for i, k := range keys {
		sources[i] = map[string]any{fmt.Sprintf("k%d", i): map[string]any{
			"terms": map[string]any{"field": k.Field, "missing_bucket": true},
		}}
	}
	aggs := map[string]any{}
	for i, m := range metrics {
		aggs[fmt.Sprintf("m%d", i)] = map[string]any{m.Op: map[string]any{"field": m.Field}}
	}
	var out []Bucket
	var after any
	for {
		comp := map[string]any{"size": pageSize, "sources": sources}
		if after != nil {
			comp["after"] = after
		}
		g := map[string]any{"composite": comp}
		if len(aggs) > 0 {
			g["aggs"] = aggs
		}
		body := map[string]any{"size": 0, "track_total_hits": false, "aggs": map[string]any{"g": g}}
		if query != nil {
			body["query"] = query
		}
		var raw json.RawMessage
		if err := c.do(ctx, "aggregate "+pattern, "POST", "/"+url.PathEscape(pattern)+"/_search", body, &raw); err != nil {
			return nil, err
		}
		var r struct {
			Shards struct {
				Failed   int               `json:"failed"`
				Failures []json.RawMessage `json:"failures"`
			} `json:"_shards"`
			Aggregations struct {
				G struct {
					AfterKey map[string]any `json:"after_key"`
					Buckets  []struct {
						Key      map[string]any `json:"key"`
						DocCount int64          `json:"doc_count"`
						Rest     map[string]json.RawMessage
					} `json:"buckets"`
				} `json:"g"`
			} `json:"aggregations"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&r); err != nil {
			return nil, fmt.Errorf("aggregate %s: %w", pattern, err)
		}
		if r.Shards.Failed > 0 {
			return nil, fmt.Errorf("aggregate %s: %d shards failed: %s", pattern, r.Shards.Failed, firstFailure(r.Shards.Failures))
		}
		// Metrics need a second decode of each bucket.
		var r2 struct {
			Aggregations struct {
				G struct {
					Buckets []map[string]json.RawMessage `json:"buckets"`
				} `json:"g"`
			} `json:"aggregations"`
		}
		if len(metrics) > 0 {
			if err := json.Unmarshal(raw, &r2); err != nil {
				return nil, fmt.Errorf("aggregate %s: %w", pattern, err)
			}
		}
		for bi, b := range r.Aggregations.G.Buckets {
			bk := Bucket{Key: map[string]any{}, Count: b.DocCount}
			for i, k := range keys {
				bk.Key[k.Name] = b.Key[fmt.Sprintf("k%d", i)]
			}
			if len(metrics) > 0 {
				bk.Metrics = map[string]*float64{}
				for i, m := range metrics {
					var v struct {
						Value *float64 `json:"value"`
					}
					if rawm, ok := r2.Aggregations.G.Buckets[bi][fmt.Sprintf("m%d", i)]; ok {
						if err := json.Unmarshal(rawm, &v); err != nil {
							return nil, fmt.Errorf("aggregate %s: metric %s: %w", pattern, m.Name, err)
						}
					}
					bk.Metrics[m.Name] = v.Value
				}
			}
			out = append(out, bk)
		}
		if len(r.Aggregations.G.Buckets) == 0 || r.Aggregations.G.AfterKey == nil {
			return out, nil
		}
		after = r.Aggregations.G.AfterKey
	}
}
