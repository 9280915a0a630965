package hunt

import (
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	viewSample       = "../testdata/mordor/empire_shell_reg_dump_sam.zip"
	viewSampleLegacy = "../testdata/mordor/synthetic_legacy_winlogbeat6.tar.gz"
)

// wellFormed fails the test unless s parses as XML.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}

func mustCount(t *testing.T, f *Frame) int64 {
	t.Helper()
	n, err := f.Count()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFrameTimelineSample(t *testing.T) {
	f := Read(viewSample)
	total := mustCount(t, f)
	tl := f.Timeline("@timestamp", "EventID")
	if err := tl.Err(); err != nil {
		t.Fatal(err)
	}
	if tl.Total() != total || tl.Untimed != 0 {
		t.Errorf("timeline holds %d events (%d untimed), frame has %d", tl.Total(), tl.Untimed, total)
	}
	if len(tl.Lanes) > TimelineLanes+1 || tl.Buckets > 120 || tl.Buckets < 2 {
		t.Errorf("%d lanes, %d buckets of %v", len(tl.Lanes), tl.Buckets, tl.Step)
	}
	// Lane totals equal the value counts, most frequent first.
	rows, err := f.ValueCounts("EventID").Limit(TimelineLanes).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if i >= len(tl.Lanes) || tl.Lanes[i].Name != fmt.Sprint(r["EventID"]) || tl.Lanes[i].Total() != r["count"].(int64) {
			t.Errorf("lane %d = %+v, want EventID %v with %v events", i, tl.Lanes[i].Name, r["EventID"], r["count"])
		}
	}
	if !tl.First.Before(tl.Last) || tl.Start.After(tl.First) || tl.Start.Add(time.Duration(tl.Buckets)*tl.Step).Before(tl.Last) {
		t.Errorf("buckets from %v (%d × %v) do not cover %v..%v", tl.Start, tl.Buckets, tl.Step, tl.First, tl.Last)
	}
	wellFormed(t, tl.SVG())
	if s := tl.String(); !strings.Contains(s, "Timeline of "+groupInt(total)+" events by EventID") {
		t.Errorf("text: %s", s)
	}

	// A string time column that only some events have: the others are counted as untimed.
	withUtc := mustCount(t, f.Where(Col("UtcTime").IsNotNull()))
	tl = f.Timeline("UtcTime", "")
	if err := tl.Err(); err != nil {
		t.Fatal(err)
	}
	if tl.Total() != withUtc || tl.Untimed != total-withUtc || len(tl.Lanes) != 1 {
		t.Errorf("UtcTime timeline: %d events in %d lanes, %d untimed; want %d and %d", tl.Total(), len(tl.Lanes), tl.Untimed, withUtc, total-withUtc)
	}
	if !strings.Contains(tl.String(), "events without a readable time left out") {
		t.Error("untimed events not said")
	}

	if err := f.Timeline("@timestmp", "EventID").Err(); err == nil || !strings.Contains(err.Error(), `"@timestamp"`) {
		t.Errorf("unknown column: %v", err)
	}
	if err := f.Timeline("@timestamp", "EventId").Err(); err == nil || !strings.Contains(err.Error(), `"EventID"`) {
		t.Errorf("unknown by column: %v", err)
	}
}

func groupInt(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func TestFrameTimelineManyLanesAndTypes(t *testing.T) {
	// 40 values of by: 14 lanes of their own plus "other"; times as TIMESTAMP, TIMESTAMPTZ,
	// epoch seconds, epoch milliseconds and strings all land in the same buckets.
	q := `SELECT TIMESTAMP '2020-09-21 04:00:00' + to_seconds(i * 37) AS ts,
	             timezone('UTC', TIMESTAMP '2020-09-21 04:00:00' + to_seconds(i * 37)) AS tstz,
	             epoch(TIMESTAMP '2020-09-21 04:00:00') + i * 37 AS secs,
	             (epoch(TIMESTAMP '2020-09-21 04:00:00') + i * 37) * 1000 AS millis,
	             strftime(TIMESTAMP '2020-09-21 04:00:00' + to_seconds(i * 37), '%Y-%m-%dT%H:%M:%S.000Z') AS iso,
	             'v' || (i % 40) AS k
	      FROM range(4000) r(i)`
	f := DuckSQL(q)
	ref := f.Timeline("ts", "k")
	if err := ref.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ref.Lanes) != TimelineLanes+1 || !ref.Lanes[TimelineLanes].Other || ref.Total() != 4000 {
		t.Fatalf("%d lanes (last other=%v), %d events", len(ref.Lanes), ref.Lanes[len(ref.Lanes)-1].Other, ref.Total())
	}
	if ref.Step != 30*time.Minute || ref.Span() != 3999*37*time.Second {
		t.Errorf("step %v span %v", ref.Step, ref.Span())
	}
	for _, col := range []string{"tstz", "secs", "millis", "iso"} {
		tl := f.Timeline(col, "k")
		if err := tl.Err(); err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		if !tl.Start.Equal(ref.Start) || tl.Step != ref.Step || tl.Total() != 4000 {
			t.Errorf("%s: start %v step %v total %d; want %v %v 4000", col, tl.Start, tl.Step, tl.Total(), ref.Start, ref.Step)
			continue
		}
		for i := range tl.Lanes {
			for k := range tl.Lanes[i].Counts {
				if tl.Lanes[i].Counts[k] != ref.Lanes[i].Counts[k] {
					t.Fatalf("%s: lane %d bucket %d = %d, want %d", col, i, k, tl.Lanes[i].Counts[k], ref.Lanes[i].Counts[k])
				}
			}
		}
	}
}

func TestFrameTimelineBadTimes(t *testing.T) {
	f := DuckSQL(`SELECT * FROM (VALUES (TIMESTAMP '0001-01-01 00:00:00'), (TIMESTAMP '2020-09-21 04:00:00'), (TIMESTAMP '9999-01-01 00:00:00')) v(ts)`)
	err := f.Timeline("ts", "").Err()
	if err == nil || !strings.Contains(err.Error(), "filter out the bad ones") {
		t.Errorf("times over 9998 years: %v", err)
	}
	ok := f.Where(Col("ts").Between("2000-01-01", "2100-01-01")).Timeline("ts", "")
	if ok.Err() != nil || ok.Total() != 1 {
		t.Errorf("after filtering: %v, %d events", ok.Err(), ok.Total())
	}
}

func TestFrameBarsSample(t *testing.T) {
	f := Read(viewSample)
	total := mustCount(t, f)
	b := f.ValueCounts("EventID").Bar()
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	if b.Order != "most frequent first" || b.Total != float64(total) || b.Label != "EventID" || b.Value != "count" {
		t.Errorf("value counts bar: order %q total %v label %q value %q", b.Order, b.Total, b.Label, b.Value)
	}
	wellFormed(t, b.SVG())
	r := f.RareValues("Image").Bar()
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if r.Order != "least frequent first" || len(r.Bars) == 0 || r.Bars[0].Count > r.Bars[len(r.Bars)-1].Count {
		t.Errorf("rare values bar: order %q, bars %+v", r.Order, r.Bars)
	}
	if !strings.Contains(r.String(), "least frequent first") {
		t.Errorf("rare text: %s", r.String())
	}
	// Histogram of a numeric column: the bins hold every non-NULL value.
	h := f.Histogram("ThreadID")
	if err := h.Err(); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, bar := range h.Bars {
		sum += bar.Count
	}
	nonNull := mustCount(t, f.Where(Col("ThreadID").IsNotNull()))
	if sum != float64(nonNull) || len(h.Bars) < 5 || len(h.Bars) > 25 {
		t.Errorf("histogram: %d bins holding %v, want about 20 holding %d", len(h.Bars), sum, nonNull)
	}
	wellFormed(t, h.SVG())
	// Of a string column: its value counts.
	if hs := f.Histogram("Channel"); hs.Err() != nil || hs.Order != "most frequent first" {
		t.Errorf("histogram of strings: %v %q", hs.Err(), hs.Order)
	}
	if err := f.Select("Channel").Bar().Err(); err == nil || !strings.Contains(err.Error(), "numeric column") {
		t.Errorf("Bar without counts: %v", err)
	}
	if err := f.Histogram("Chanel").Err(); err == nil || !strings.Contains(err.Error(), `"Channel"`) {
		t.Errorf("Histogram of unknown column: %v", err)
	}
}

func TestFrameProcessTreeSample(t *testing.T) {
	// The sample holds one reg.exe creation seen by Sysmon (no ProcessId) and by Security 4688
	// (NewProcessId 0x1fe8, creator 0x1754 = 5972): one node under an unseen powershell.
	tr := Read(viewSample).ProcessTree()
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	ps := tr.Processes()
	if len(ps) != 2 || tr.Merged != 1 || tr.Unparented != 1 {
		t.Fatalf("want reg.exe under an unseen powershell, got:\n%s", tr)
	}
	var reg *Process
	for _, p := range ps {
		if p.Name() == "reg.exe" {
			reg = p
		}
	}
	if reg == nil || reg.PID != 0x1fe8 || reg.ParentPID != 5972 || reg.GUID == "" || !strings.Contains(reg.CommandLine, `save HKLM\sam sam`) ||
		reg.Parent == nil || reg.Parent.Seen || reg.Parent.Name() != "powershell.exe" || reg.Parent.PID != 5972 || reg.Host != "WORKSTATION5.theshire.local" {
		t.Errorf("reg.exe node %+v", reg)
	}
	if want := time.Date(2020, 9, 22, 8, 28, 40, 319e6, time.UTC); !reg.Time.Equal(want) {
		t.Errorf("reg.exe time %v, want Sysmon's UtcTime %v", reg.Time, want)
	}
}

func TestFrameProcessTreeLegacyLayout(t *testing.T) {
	tr := Read(viewSampleLegacy).ProcessTree().Highlight("powershell started by wmiprvse", Spawned("powershell.exe", "wmiprvse.exe"))
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	hl := tr.Highlighted()
	if len(hl) != 6 {
		t.Fatalf("%d powershell-from-wmiprvse matches, want 6:\n%s", len(hl), tr)
	}
	hosts := map[string]int{}
	for _, p := range hl {
		hosts[p.Host]++
		if p.Parent == nil || p.Parent.Seen || p.User == "" || !strings.HasPrefix(p.CommandLine, "powershell -nop") {
			t.Errorf("match %+v", p)
		}
	}
	if hosts["DC01.synthetic.test"] != 2 {
		t.Errorf("matches per host %v", hosts)
	}
}

func TestFrameProcessTreeHostileRows(t *testing.T) {
	rows := []map[string]any{
		{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WS1", "UtcTime": "2020-09-21 04:14:53.000",
			"ProcessGuid": "{A}", "ParentProcessGuid": "{Z}", "ProcessId": "10", "ParentProcessId": "2",
			"Image": `C:\x\<img src=x onerror=alert(1)>.exe`, "CommandLine": `<script>alert(1)</script></details>`, "ParentImage": `C:\p\</summary><b>.exe`, "User": `<i>u</i>`},
		{"EventID": 4688, "Channel": "security", "Hostname": "WS1", "@timestamp": "2020-09-21T04:14:55.000Z",
			"NewProcessId": "0x14", "ProcessId": "0xa", "NewProcessName": `C:\w\cmd.exe`, "CommandLine": `cmd /c "</details><script>x</script>"`,
			"SubjectUserName": "bob", "SubjectDomainName": "CORP"},
		{"EventID": 1, "Channel": "System", "Hostname": "WS1", "Image": "not-a-process.exe"},
	}
	tr := FromRows(rows).ProcessTree()
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	h := tr.HTML()
	for _, bad := range []string{"<script", "<img", "</summary><b>", "<i>u"} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML holds raw %q", bad)
		}
	}
	if strings.Contains(h, "not-a-process") {
		t.Error("EventID 1 from the System channel taken as a process creation")
	}
	s := tr.String()
	if !strings.Contains(s, "cmd.exe pid 20") || !strings.Contains(s, `CORP\bob`) || !strings.Contains(s, "  - cmd.exe") {
		t.Errorf("cmd.exe (4688, creator 0xa = pid 10) not under the Sysmon process:\n%s", s)
	}
	if err := Read(viewSample).Select("Channel").ProcessTree().Err(); err == nil || !strings.Contains(err.Error(), "EventID") {
		t.Errorf("no EventID column: %v", err)
	}
}

func TestFrameViewsSharedDatasets(t *testing.T) {
	dir := sharedDatasets(t)
	// Flat layout: Empire's WMI lateral movement. On WORKSTATION6, WmiPrvSE (pid 2740) starts the
	// stager powershell (pid 9804), which runs whoami; Sysmon lacks ProcessId here, so the
	// Security 4688 events are merged into the Sysmon nodes by image, parent PID and command line.
	f := Read(filepath.Join(dir, "empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip"))
	tr := f.ProcessTree().Highlight("powershell started by wmiprvse", Spawned("powershell.exe", "wmiprvse.exe"))
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	hl := tr.Highlighted()
	if len(hl) != 1 {
		t.Fatalf("%d matches, want 1:\n%s", len(hl), tr)
	}
	ps := hl[0]
	if ps.PID != 9804 || ps.Parent.PID != 2740 || !ps.Parent.Seen || ps.Host != "WORKSTATION6.theshire.local" || len(ps.Sources) != 2 {
		t.Errorf("match %+v, parent %+v", ps.ProcessEvent, ps.Parent.ProcessEvent)
	}
	var kids []string
	for _, c := range ps.Children {
		kids = append(kids, c.Name())
	}
	if strings.Join(kids, ",") != "conhost.exe,whoami.exe" {
		t.Errorf("powershell's children %v", kids)
	}
	tl := f.Timeline("@timestamp", "Hostname")
	if err := tl.Err(); err != nil || tl.Total() != mustCount(t, f) {
		t.Errorf("timeline: %v, %d events", err, tl.Total())
	}

	// Legacy layout (winlogbeat 6, GPL-3.0: read from the shared directory, never copied):
	// Invoke-WmiMethod starts powershell through WmiPrvSE on the domain controller HFDC01.
	g := Read(filepath.Join(dir, "empire_invoke_wmi.tar.gz"))
	tr = g.ProcessTree().Highlight("powershell started by wmiprvse", Spawned("powershell.exe", "wmiprvse.exe"))
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	onDC := 0
	for _, p := range tr.Highlighted() {
		if strings.HasPrefix(strings.ToUpper(p.Host), "HFDC01") {
			onDC++
			if !strings.Contains(strings.ToLower(p.CommandLine), "-enc") {
				t.Errorf("powershell on the DC without its encoded command: %q", p.CommandLine)
			}
		}
	}
	if onDC == 0 {
		t.Errorf("no powershell started by WmiPrvSE on HFDC01:\n%.3000s", tr)
	}
	if strings.Contains(tr.HTML(), "<script") {
		t.Error("raw script in HTML")
	}
}
