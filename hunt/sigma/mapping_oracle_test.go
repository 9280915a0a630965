//go:build sigmaoracle

package sigma

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// TestMappingEqualsPySigma checks logsources.yaml against the installed pySigma pipelines'
// own tables: the sysmon pipeline's category → event ids, the windows pipeline's categories
// and its service → channel table.
func TestMappingEqualsPySigma(t *testing.T) {
	py := os.Getenv("SIGMA_PY")
	if py == "" {
		py = filepath.Join("..", "..", ".venv", "bin", "python")
	}
	out, err := exec.Command(py, "-c", `
import json
from sigma.pipelines.common import windows_logsource_mapping as w
from sigma.pipelines.sysmon.sysmon import sysmon_generic_logsource_eventid_mapping as s
from sigma.pipelines.windows.windows import windows_generic_category_channel_mapping as c
cats = {k: {"service": "sysmon", "EventID": v if isinstance(v, list) else [v]} for k, v in s.items()}
cats.update({k: {"service": v["service"], "EventID": [v["EventID"]]} for k, v in c.items()})
print(json.dumps({"categories": cats, "services": {k: v if isinstance(v, list) else [v] for k, v in w.items()}}))
`).Output()
	if err != nil {
		t.Fatalf("pySigma pipelines not importable with %s (make test-sigma installs them): %v", py, err)
	}
	var want struct {
		Categories map[string]CategoryMap
		Services   map[string][]string
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	m := DefaultMapping()
	if !reflect.DeepEqual(m.Categories, want.Categories) {
		t.Errorf("categories differ from pySigma's:\n got %v\nwant %v", m.Categories, want.Categories)
	}
	if !reflect.DeepEqual(m.Services, want.Services) {
		t.Errorf("services differ from pySigma's:\n got %v\nwant %v", m.Services, want.Services)
	}
}
