//go:build eqloracle

package hunt

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestEQLOracle(t *testing.T) {
	py := os.Getenv("EQL_ORACLE_PY")
	if py == "" {
		py = "../.venv/bin/python"
	}
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("the eql oracle needs Python with the eql package (make test-eql installs it): %v", err)
	}
	qs, _ := json.Marshal(oracleQueries)
	for _, path := range []string{sampleFlat, sampleFlat2} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cmd := exec.Command(py, "eql/testdata/oracle.py", path, "eql/categories.txt")
			cmd.Stdin = bytes.NewReader(qs)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("oracle.py: %v\n%s", err, stderr.String())
			}
			var want [][]match
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatal(err)
			}
			ev := Read(path)
			if ev.Err() != nil {
				t.Fatal(ev.Err())
			}
			total := 0
			for i, q := range oracleQueries {
				got := eqlMatches(t, ev, q)
				total += sameMatches(t, q, q[:8] == "sequence", "gohunt", got, "eql", want[i])
			}
			if total == 0 {
				t.Fatalf("no query matched anything in %s: the comparison is empty", path)
			}
			t.Logf("%d queries, %d matches compared", len(oracleQueries), total)
		})
	}
}
