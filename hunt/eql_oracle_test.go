//go:build eqloracle

package hunt

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// oracleQueries are EQL queries whose semantics in the `eql` package (PyPI) equal
// Elasticsearch's: no `==` between strings (eql compares those case-insensitively), no head/tail
// on sequences (eql counts sequences in completion order), no indexOf without ~ (eql folds case).
var oracleQueries = []string{
	`any where EventID == 4658`,
	`process where true`,
	`process where EventID == 10 and GrantedAccess : "0x1*"`,
	`process where TargetImage : "*lsass.exe"`,
	`registry where TargetObject : "*\\SAM\\*" | head 5`,
	`registry where EventType in ("SetValue", "CreateKey") | tail 4`,
	`process where EventID > 5 and EventID <= 10 | head 7`,
	`any where not (EventID < 4600) | head 9`,
	`any where EventID in (5156, 5158) and Application like "*svchost*"`,
	`file where stringContains(TargetFilename, "Temp")`,
	`library where endsWith(ImageLoaded, "dll") and not startsWith(ImageLoaded, "C:\\Windows")`,
	`process where length(SourceImage) > 40`,
	`any where EventID == 4103 and ?Payload regex ".*[Ss]ystem.*"`,
	`network where cidrMatch(?DestAddress, "172.18.0.0/16", "10.0.0.0/8")`,
	`network where cidrMatch(?DestinationIp, "172.18.39.0/24")`,
	`registry where between(TargetObject, "HKLM\\", "\\") : "system"`,
	`registry where between(TargetObject, "\\", "\\", true) : "*control*"`,
	`any where substring(Channel, 0, 9) : "microsoft" and EventID == 7`,
	`any where substring(Channel, -11) : "operational" and EventID == 13`,
	`any where indexOf~(?Image, "system32") == 11`, // eql folds case in indexOf without ~, Elasticsearch does not

	`any where indexOf(Channel, "o", 5) == 25 and EventID < 5`,
	`any where concat(Channel, "#", EventID) : "security#4624"`,
	`any where number(?ProcessId) > 3000 and EventID == 10`,
	`any where add(EventID, 10) == 20 or modulo(EventID, 1000) == 156 | head 20`,
	`any where string(EventID) : "46*"`,
	`process where startsWith~(?SourceImage, "c:\\windows\\system32")`,
	`process where endsWith~(?TargetImage, "LSASS.EXE")`,
	`any where stringContains~(?CommandLine, "POWERSHELL")`,
	`sequence [process where true] [registry where true]`,
	`sequence by ProcessGuid [process where EventID == 1] [file where true]`,
	`sequence by Hostname [process where true] [network where true]`,
	`sequence by Hostname with maxspan=1s [process where true] [network where true]`,
	`sequence by Hostname with maxspan=30s [network where true] [registry where true] [library where true]`,
	`sequence by Hostname [network where true] [network where true] until [registry where true]`,
	`sequence [process where EventID == 10] by SourceProcessGUID [registry where true] by ProcessGuid`,
	`sequence by Hostname [authentication where true] [process where true]`,
}

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
				w := want[i]
				if q[:8] == "sequence" {
					sortMatches(got)
					sortMatches(w)
				}
				total += len(w)
				if !reflect.DeepEqual(norm(got), norm(w)) {
					t.Errorf("%s\n gohunt %d matches: %v\n eql    %d matches: %v", q, len(got), trunc(got), len(w), trunc(w))
				}
			}
			if total == 0 {
				t.Fatalf("no query matched anything in %s: the comparison is empty", path)
			}
			t.Logf("%d queries, %d matches compared", len(oracleQueries), total)
		})
	}
}
