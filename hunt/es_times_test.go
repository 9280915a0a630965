//go:build es

package hunt

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestESEventTimes: an Elasticsearch frame's @timestamp (mapped as a date, written by LoadHELK as
// 2020-09-21T04:14:50.000Z) is a TIMESTAMP after the read, as in a frame Read from a file, also
// when no document matches; Between takes string bounds; Spark SQL sees the text.
func TestESEventTimes(t *testing.T) {
	es := testES(t)
	ctx := context.Background()
	if err := es.Engine().DeleteIndex(ctx, "logs-endpoint-winevent-*"); err != nil {
		t.Fatal(err)
	}
	if _, err := es.LoadHELK("elastic/testdata/mixed_layouts.jsonl"); err != nil {
		t.Fatal(err)
	}
	sec := es.Index("logs-endpoint-winevent-security-*")
	l := mustOK(t, sec.Local())
	if got := colType(t, l, "@timestamp"); got != "TIMESTAMP" {
		t.Fatalf("ES @timestamp: %s, want TIMESTAMP", got)
	}
	v, err := l.Where(Col("user_name").Eq("pgustavo")).Column("@timestamp")
	if err != nil {
		t.Fatal(err)
	}
	if ts := v.([]time.Time); len(ts) != 1 || !ts[0].Equal(time.Date(2020, 9, 21, 4, 14, 50, 0, time.UTC)) {
		t.Errorf("pgustavo's logon @timestamp %v, want 2020-09-21 04:14:50 UTC", ts)
	}
	if n := count(t, l.Between("@timestamp", "2020-09-21 04:14:00", "2020-09-21T04:15:00Z")); n != 1 {
		t.Errorf("Between with string bounds: %d rows, want 1", n)
	}
	none := mustOK(t, sec.Where(Col("user_name").Eq("nobody-at-all")).Local())
	if got := colType(t, none, "@timestamp"); got != "TIMESTAMP" {
		t.Errorf("ES @timestamp of an empty read: %s, want TIMESTAMP", got)
	}
	mustOK(t, sec.As("sec_times"))
	s, err := SQL("SELECT `@timestamp` FROM sec_times WHERE user_name = \"pgustavo\"").Column("@timestamp")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.([]string); len(got) != 1 || !strings.HasPrefix(got[0], "2020-09-21T04:14:50.000Z") {
		t.Errorf("Spark SQL @timestamp of an ES frame: %q, want the text 2020-09-21T04:14:50.000Z", got)
	}
}
