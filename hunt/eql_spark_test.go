//go:build spark

package hunt

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestSparkEQL: EQL on a Spark frame compiles to Spark SQL and runs there (the result is still a
// Spark frame, nothing read before Collect), and gives the rows DuckDB gives on the same events:
// the oracle's event queries and sequences plus the cases of Elasticsearch semantics the oracle
// cannot check (sparkEQLQueries), over the shipped Mordor recordings (all queries on the first,
// the sequences and those cases on the second: each query is a few Spark jobs).
func TestSparkEQL(t *testing.T) {
	sp := Spark(sparkURL(t))
	if sp.Err() != nil {
		t.Fatal(sp.Err())
	}
	tmp := t.TempDir()
	queries := append(append([]string(nil), oracleQueries...), sparkEQLQueries...)
	for i, path := range []string{sampleFlat, sampleFlat2} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			queries := queries
			if i > 0 {
				queries = nil
				for _, q := range append(append([]string(nil), oracleQueries...), sparkEQLQueries...) {
					if strings.HasPrefix(q, "sequence") || contains(sparkEQLQueries, q) {
						queries = append(queries, q)
					}
				}
			}
			local := Read(path)
			remote := sp.Read(unzipJSON(t, path, tmp))
			if local.Err() != nil || remote.Err() != nil {
				t.Fatal(local.Err(), remote.Err())
			}
			total := 0
			for _, q := range queries {
				t0 := time.Now()
				res := remote.EQL(q)
				if res.Err() != nil {
					t.Errorf("%s: %v", q, res.Err())
					continue
				}
				if !res.Pushed() || !strings.Contains(res.Plan(), "EQL ") {
					t.Errorf("%s: not run on Spark:\n%s", q, res.Plan())
					continue
				}
				want := eqlMatches(t, local, q)
				got := eqlRows(t, res, q)
				t.Logf("%5.1fs %s", time.Since(t0).Seconds(), q)
				unordered := strings.HasPrefix(q, "sequence") && !strings.Contains(q, "| head") && !strings.Contains(q, "| tail")
				total += sameMatches(t, q, unordered, "Spark", got, "DuckDB", want)
			}
			if total == 0 {
				t.Fatalf("no query matched anything in %s: the comparison is empty", path)
			}
			t.Logf("%d queries, %d matches compared", len(queries), total)
		})
	}
	remote := sp.Read(unzipJSON(t, sampleFlat2, tmp))
	if err := remote.EQL("process where\n  Imge : \"*cmd.exe\"").Err(); err == nil || !strings.Contains(err.Error(), `line 2, column 3: unknown field "Imge"; did you mean "Image"`) {
		t.Errorf("unknown field on Spark: %v", err)
	}
	// The sequence's columns on Spark are the local ones (in Spark's column order): join_key,
	// then s1_..., s2_...
	seq := remote.EQL(`sequence by Hostname [process where true] [registry where true]`)
	lseq := Read(sampleFlat2).EQL(`sequence by Hostname [process where true] [registry where true]`)
	a, b := seq.Columns(), lseq.Columns()
	if a[0] != "join_key" || !strings.HasPrefix(a[1], "s1_") {
		t.Errorf("sequence columns on Spark: %v", a)
	}
	sort.Strings(a)
	sort.Strings(b)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("sequence columns on Spark:\n%v\nlocal:\n%v", a, b)
	}
}
