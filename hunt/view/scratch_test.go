package view

import (
	"math/rand"
	"os"
	"testing"
	"time"
)

func TestScratchTimeline(t *testing.T) {
	first := time.Date(2020, 9, 21, 4, 14, 53, 831e6, time.UTC)
	last := first.Add(6*time.Minute + 7*time.Second)
	step := BucketFor(first, last, DefaultBuckets)
	start := BucketStart(first, step)
	nb := int(last.Sub(start)/step) + 1
	r := rand.New(rand.NewSource(1))
	names := []string{"10", "13", "12", "4688", "1", "5156", "4624 <script>alert(1)</script>"}
	tl := &Timeline{TimeColumn: "UtcTime", By: "EventID", Start: start, Step: step, Buckets: nb, First: first, Last: last}
	for i, n := range names {
		l := Lane{Name: n, Counts: make([]int64, nb)}
		for k := range l.Counts {
			if r.Intn(i+2) == 0 {
				l.Counts[k] = int64(r.Intn(1000 / (i + 1)))
			}
		}
		tl.Lanes = append(tl.Lanes, l)
	}
	tl.Lanes = append(tl.Lanes, Lane{Name: "", Other: true, Counts: make([]int64, nb)})
	tl.Lanes[len(tl.Lanes)-1].Counts[3] = 1
	os.WriteFile("/tmp/v5/tl.html", []byte("<html><body>"+tl.HTML()+"<pre>"+tl.String()+"</pre></body></html>"), 0o644)
}
