// Command gen renders every gohunt view of the shipped Mordor sample (and, given -shared, of the
// shared datasets) into a notebook whose outputs hold the views as the kernel would display
// them (text/html, image/svg+xml for charts, text/plain), so that the browser test can look at
// them in JupyterLab and in nbconvert's HTML export.
//
//	go run ./tests/views/gen -o views.ipynb [-shared ../shared/datasets]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohunt/gohunt/hunt"
)

type view interface {
	HTML() string
	String() string
	Err() error
}

type cell struct {
	source string
	v      view
}

func main() {
	out := flag.String("o", "views.ipynb", "notebook to write")
	root := flag.String("root", ".", "repository root (for testdata/)")
	shared := flag.String("shared", "", "shared datasets directory (adds views of real recordings)")
	flag.Parse()
	if err := run(*out, *root, *shared); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, root, shared string) error {
	sample := filepath.Join(root, "testdata", "mordor", "empire_shell_reg_dump_sam.zip")
	legacy := filepath.Join(root, "testdata", "mordor", "synthetic_legacy_winlogbeat6.tar.gz")
	events := hunt.Read(sample)
	cells := []cell{
		{`events.Timeline("@timestamp", "EventID")`, events.Timeline("@timestamp", "EventID")},
		{`events.ValueCounts("Image").Bar()`, events.ValueCounts("Image").Bar()},
		{`events.RareValues("Image").Bar()`, events.RareValues("Image").Bar()},
		{`events.Histogram("ThreadID")`, events.Histogram("ThreadID")},
		{`hunt.Read(legacy).ProcessTree().Highlight(...)`, hunt.Read(legacy).ProcessTree().Highlight("powershell started by wmiprvse", hunt.Spawned("powershell.exe", "wmiprvse.exe"))},
		{`hostile.ProcessTree()`, hostileTree()},
	}
	if shared != "" {
		wmi := hunt.Read(filepath.Join(shared, "empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip"))
		cells = append(cells,
			cell{`wmi.Timeline("@timestamp", "Hostname")`, wmi.Timeline("@timestamp", "Hostname")},
			cell{`wmi.ProcessTree().Highlight(...)`, wmi.ProcessTree().Highlight("powershell started by wmiprvse", hunt.Spawned("powershell.exe", "wmiprvse.exe"))},
		)
	}
	var nbCells []map[string]any
	for i, c := range cells {
		if err := c.v.Err(); err != nil {
			return fmt.Errorf("%s: %w", c.source, err)
		}
		data := map[string]any{"text/html": c.v.HTML(), "text/plain": c.v.String()}
		if s, ok := c.v.(interface{ SVG() string }); ok {
			data["image/svg+xml"] = s.SVG()
		}
		nbCells = append(nbCells, map[string]any{
			"id": fmt.Sprintf("view-%d", i), "cell_type": "code", "execution_count": i + 1,
			"metadata": map[string]any{}, "source": c.source,
			"outputs": []any{map[string]any{"output_type": "execute_result", "execution_count": i + 1, "metadata": map[string]any{}, "data": data}},
		})
	}
	nb := map[string]any{
		"nbformat": 4, "nbformat_minor": 5,
		"metadata": map[string]any{
			"kernelspec":    map[string]any{"name": "gohunt", "display_name": "Go (hunt)", "language": "go"},
			"language_info": map[string]any{"name": "go"},
		},
		"cells": nbCells,
	}
	b, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// hostileTree is a process tree whose strings try to break out of the HTML.
func hostileTree() view {
	rows := []map[string]any{
		{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WS1<script>alert('host')</script>", "UtcTime": "2020-09-21 04:14:53.000",
			"ProcessGuid": "{A}", "ParentProcessGuid": "{Z}", "ProcessId": "10", "ParentProcessId": "2",
			"Image": `C:\x\<img src=x onerror=alert(1)>.exe`, "CommandLine": `<script>alert(1)</script></details></summary> "quoted" & 'single'`,
			"ParentImage": `C:\Windows\System32\wbem\WmiPrvSE.exe`, "User": `<i>user</i>`},
		{"EventID": 4688, "Channel": "security", "Hostname": "WS1<script>alert('host')</script>", "@timestamp": "2020-09-21T04:14:55.000Z",
			"NewProcessId": "0x14", "ProcessId": "0xa", "NewProcessName": `C:\Windows\System32\cmd.exe`,
			"CommandLine":     `cmd /c "</details><img src=x onerror=alert(2)>` + strings.Repeat(" padding", 80) + `"`,
			"SubjectUserName": "bob", "SubjectDomainName": "CORP"},
	}
	return hunt.FromRows(rows).ProcessTree().Highlight("cmd.exe", hunt.Spawned("cmd.exe", ""))
}
