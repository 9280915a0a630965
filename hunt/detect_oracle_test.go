//go:build sigmaoracle

package hunt

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// sigmaPython is the Python with pySigma and its pipelines and SQLite backend (make test-sigma
// installs them into .venv from scripts/requirements-sigma.txt and sets SIGMA_PY).
func sigmaPython(t *testing.T) string {
	py := os.Getenv("SIGMA_PY")
	if py == "" {
		py = filepath.Join("..", ".venv", "bin", "python")
	}
	if out, err := exec.Command(py, "-c", "import sigma.backends.sqlite, sigma.pipelines.sysmon, sigma.pipelines.windows").CombinedOutput(); err != nil {
		t.Fatalf("pySigma is not installed for %s (make test-sigma installs scripts/requirements-sigma.txt): %v\n%s", py, err, out)
	}
	return py
}

// TestSigmaMatchesPySigma runs every rule of ../shared/sigma/rules/windows over every dataset of
// ../shared/datasets with gohunt and with pySigma (sysmon + windows-logsources pipelines, SQLite
// backend), and checks that the hits are the same events, rule by rule. Rules pySigma refuses
// are listed with its reason and must load in gohunt; the cases where the specification and
// pySigma's output differ are the spec cases below, each with its reason.
func TestSigmaMatchesPySigma(t *testing.T) {
	dir := sharedDatasets(t)
	rulesDir := filepath.Join(filepath.Dir(dir), "sigma", "rules", "windows")
	py := sigmaPython(t)
	tmp := t.TempDir()

	ev := Read(filepath.Join(dir, "*")).WithColumn("__row", SQLExpr("row_number() OVER ()")).Cache()
	if ev.Err() != nil {
		t.Fatal(ev.Err())
	}
	events := filepath.Join(tmp, "events.jsonl")
	if err := ev.WriteJSON(events); err != nil {
		t.Fatal(err)
	}
	oracle := filepath.Join(tmp, "oracle.json")
	cmd := exec.Command(py, filepath.Join("sigma", "testdata", "pysigma_oracle.py"), rulesDir, events, filepath.Join("sigma", "logsources.yaml"), oracle)
	started := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pySigma oracle: %v\n%s", err, out)
	}
	t.Logf("%s(pySigma run with loading: %s)", out, time.Since(started).Round(time.Second))
	var want map[string]struct {
		ID    string  `json:"id"`
		Rows  []int64 `json:"rows"`
		Error string  `json:"error"`
	}
	b, err := os.ReadFile(oracle)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}

	rules := SigmaRules(rulesDir)
	for _, e := range rules.Errors() {
		t.Errorf("gohunt did not load a rule: %v", e)
	}
	started = time.Now()
	hits, err := ev.Detect(rules).Select("rule_id", "__row").Collect()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gohunt: %d rules, %d hits in %s", rules.Len(), len(hits), time.Since(started).Round(time.Second))
	got := map[string][]int64{}
	for _, h := range hits {
		id := h["rule_id"].(string)
		got[id] = append(got[id], h["__row"].(int64))
	}
	compared, refused, withHits := 0, 0, 0
	for _, r := range rules.Rules() {
		rel, _ := filepath.Rel(rulesDir, r.File)
		w, ok := want[rel]
		if !ok {
			t.Errorf("%s: no pySigma result", rel)
			continue
		}
		if w.Error != "" {
			// The SQLite backend has no full-text search: keyword rules are refused. gohunt runs
			// them (TestSigmaLanguage "keywords search any field"); any other refusal is a
			// difference to look at.
			refused++
			if !strings.Contains(w.Error, "Value-only string expressions") {
				t.Errorf("pySigma refuses %s for a reason other than keyword search: %s", rel, w.Error)
			}
			t.Logf("pySigma refuses %s (keyword search; gohunt: %d hits)", rel, len(got[r.ID]))
			continue
		}
		g := got[r.ID]
		sort.Slice(g, func(i, j int) bool { return g[i] < g[j] })
		if reason, ok := sigmaSpecCases[rel]; ok {
			t.Logf("%s: spec case (%s): gohunt %d hits, pySigma %d", rel, reason, len(g), len(w.Rows))
			continue
		}
		compared++
		if len(w.Rows) > 0 {
			withHits++
		}
		if !equalRows(g, w.Rows) {
			t.Errorf("%s (%s): gohunt hits rows %v, pySigma %v", rel, r.Title, firstIDs(g), firstIDs(w.Rows))
		}
	}
	t.Logf("%d rules compared (%d with hits), %d refused by pySigma", compared, withHits, refused)
	if compared < 2000 || withHits == 0 {
		t.Errorf("only %d rules compared, %d with hits: the comparison is too thin", compared, withHits)
	}
}

// sigmaSpecCases lists rules whose gohunt hits differ from pySigma's on purpose, with the reason
// (the specification wins).
var sigmaSpecCases = map[string]string{}

func equalRows(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstIDs(x []int64) string {
	s := make([]string, 0, 8)
	for i, v := range x {
		if i == 8 {
			s = append(s, "...")
			break
		}
		s = append(s, strings.TrimSpace(strings.Repeat(" ", 0))+itoa(v))
	}
	return "[" + strings.Join(s, " ") + "] (" + itoa(int64(len(x))) + ")"
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }
