package hunt

import (
	"context"
	"strings"
	"sync"
	"testing"
)

var benchEventsOnce sync.Once

// benchEvents returns a frame of n synthetic events (a 1M-row table made once): a TIMESTAMP
// spread over two days with bursts, an EventID from 20 values of skewed frequency and a host.
func benchEvents(b *testing.B) *Frame {
	b.Helper()
	e, err := defaultEngine()
	if err != nil {
		b.Fatal(err)
	}
	benchEventsOnce.Do(func() {
		err = e.exec(context.Background(), `CREATE OR REPLACE TABLE view_bench_events AS
			SELECT TIMESTAMP '2020-09-21 00:00:00' + to_microseconds(CAST((hash(i) % 172800000000) AS BIGINT)) AS ts,
			       CAST(floor(pow(hash(i * 7) % 1000 / 1000.0, 3) * 20) AS INTEGER) + 1 AS EventID,
			       'WORKSTATION' || (i % 7) AS Hostname
			FROM range(1000000) r(i)`)
	})
	if err != nil {
		b.Fatal(err)
	}
	return newFrame(e, "SELECT * FROM view_bench_events")
}

// BenchmarkTimeline1M measures Frame.Timeline over one million events: the aggregation in
// DuckDB plus drawing the SVG and HTML. The target is under a second per picture.
func BenchmarkTimeline1M(b *testing.B) {
	f := benchEvents(b)
	if n, err := f.Count(); err != nil || n != 1_000_000 {
		b.Fatalf("bench frame: %d rows, %v", n, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tl := f.Timeline("ts", "EventID")
		if err := tl.Err(); err != nil {
			b.Fatal(err)
		}
		h := tl.HTML()
		if tl.Total() != 1_000_000 || !strings.Contains(h, "data:image/svg+xml;base64,") {
			b.Fatalf("timeline of %d events", tl.Total())
		}
	}
}

// BenchmarkTimeline1MDraw measures drawing alone (15 lanes × 120 buckets, the largest picture a
// timeline makes), from counts already aggregated.
func BenchmarkTimeline1MDraw(b *testing.B) {
	tl := benchEvents(b).Timeline("ts", "EventID")
	if err := tl.Err(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tl.HTML()
	}
}
