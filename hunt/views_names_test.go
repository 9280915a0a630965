package hunt

import (
	"strings"
	"testing"
)

// TestTimelineNamesEvents: lanes of an EventID timeline are named from the table of event
// names, by the channel their events come from; the legend gives "10 ProcessAccess (n)".
func TestTimelineNamesEvents(t *testing.T) {
	f := mustOK(t, FromRows([]map[string]any{
		{"t": "2020-09-21T04:14:53.715Z", "EventID": 10, "Channel": "Microsoft-Windows-Sysmon/Operational"},
		{"t": "2020-09-21T04:14:54.715Z", "EventID": 10, "Channel": "Microsoft-Windows-Sysmon/Operational"},
		{"t": "2020-09-21T04:14:55.715Z", "EventID": 4688, "Channel": "Security"},
		{"t": "2020-09-21T04:14:56.715Z", "EventID": 7, "Channel": "System"},
		{"t": "2020-09-21T04:14:57.715Z", "EventID": 4104, "Channel": "Microsoft-Windows-PowerShell/Operational"},
	}))
	tl := f.Timeline("t", "EventID")
	if err := tl.Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range tl.Lanes {
		got = append(got, l.Name+"="+l.Label)
	}
	if want := "10=10 ProcessAccess,7=,4104=4104 ScriptBlockLogging,4688=4688 ProcessCreate"; strings.Join(got, ",") != want {
		t.Errorf("lanes %s, want %s", strings.Join(got, ","), want)
	}
	if svg := tl.SVG(); !strings.Contains(svg, ">10 ProcessAccess (2)<") || !strings.Contains(svg, ">7 (1)<") {
		t.Errorf("legend lacks named entries")
	}
	// Other columns keep their values.
	if l := f.Timeline("t", "Channel").Lanes[0]; l.Label != "" {
		t.Errorf("a Channel lane got label %q", l.Label)
	}
	// The shipped sample: Sysmon 10 is ProcessAccess.
	s := Read(viewSample).Timeline("@timestamp", "EventID")
	named := 0
	for _, l := range s.Lanes {
		if l.Name == "10" && l.Label != "10 ProcessAccess" {
			t.Errorf("sample lane 10 labelled %q", l.Label)
		}
		if l.Label != "" {
			named++
		}
	}
	if named < 3 {
		t.Errorf("only %d lanes of the sample named: %+v", named, s.String())
	}
}

// TestRareValuesLeavesNullOut: NULL is not a rare value unless asked for, and the note (and
// the bar caption) says it was left out.
func TestRareValuesLeavesNullOut(t *testing.T) {
	f := mustOK(t, FromRows([]map[string]any{{"Image": "a.exe"}, {"Image": "a.exe"}, {"Image": "b.exe"}, {"Image": nil}, {"Other": 1}}))
	r := mustOK(t, f.RareValues("Image"))
	rows, err := r.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0]["Image"] != "b.exe" || rows[1]["Image"] != "a.exe" {
		t.Errorf("RareValues rows %v", rows)
	}
	if !strings.Contains(r.Note(), `NULL values of "Image" left out`) || !strings.Contains(r.Bar().String(), "left out") {
		t.Errorf("note %q; bar %s", r.Note(), r.Bar().String())
	}
	w := mustOK(t, f.RareValues("Image", WithNull()))
	rows, err = w.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0]["Image"] != "b.exe" || rows[1]["Image"] != nil || rows[1]["count"] != int64(2) {
		t.Errorf("RareValues with NULL rows %v", rows)
	}
	if w.Note() != "" {
		t.Errorf("note with WithNull: %q", w.Note())
	}
	if e := f.RareValues("Imag").Err(); e == nil || !strings.Contains(e.Error(), `"Image"`) {
		t.Errorf("unknown column error: %v", e)
	}
}
