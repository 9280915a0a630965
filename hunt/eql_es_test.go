//go:build es

package hunt

import (
	"context"
	"strings"
	"testing"

	"github.com/gohunt/gohunt/hunt/elastic"
)

// TestESEQL loads the two Mordor recordings into a real node and checks that EQL over the index
// (steps' filters pushed into Elasticsearch, matching local) returns the matches EQL returns on
// the same index read whole, and that the filter did run in Elasticsearch.
func TestESEQL(t *testing.T) {
	es := ES(esURL(t), ESQuiet())
	if es.Err() != nil {
		t.Fatal(es.Err())
	}
	ctx := context.Background()
	c := es.Engine()
	if err := c.DeleteIndex(ctx, "gh-eql"); err != nil {
		t.Fatal(err)
	}
	st, err := c.Load(ctx, elastic.LoadOptions{Index: "gh-eql", Refresh: true}, sampleFlat, sampleFlat2)
	if err != nil || st.Failed != 0 || st.Created != 869+738 {
		t.Fatalf("loading the Mordor samples: %v %+v", err, st)
	}
	idx := es.Index("gh-eql")
	whole := idx.Local()
	if whole.Err() != nil {
		t.Fatal(whole.Err())
	}
	queries := []string{
		`process where SourceImage == "C:\\windows\\system32\\lsass.exe" or TargetImage == "C:\\windows\\system32\\lsass.exe"`,
		`registry where EventType in ("SetValue", "CreateKey") and TargetObject : "*\\SAM\\*"`,
		`network where true | head 5`,
		`sequence by ProcessGuid [process where EventID == 1] [file where true]`,
		`sequence by Hostname with maxspan=30s [network where true] [registry where true] [library where true]`,
		`sequence [process where EventID == 10] by SourceProcessGUID [registry where true] by ProcessGuid`,
		`sequence by Hostname [authentication where true] [process where true] until [network where Application == "nothing"]`,
	}
	total := 0
	for _, q := range queries {
		pushed := eqlRows(t, idx.EQL(q), q)
		local := eqlMatches(t, whole, q)
		total += sameMatches(t, q, strings.HasPrefix(q, "sequence"), "pushed", pushed, "local", local)
	}
	if total == 0 {
		t.Fatal("no query matched: the comparison is empty")
	}
	if got := idx.Where(mustPrefilter(t, `sequence by Hostname [process where Image == "a"] [network where true]`)).Plan(); !strings.Contains(got, `"EventID"`) || !strings.Contains(got, `"Hostname`) {
		t.Fatalf("the step filters were not pushed: %s", got)
	}
}
