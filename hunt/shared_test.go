package hunt

import (
	"path/filepath"
	"testing"
)

// TestSharedDatasets reads every dataset of ../shared/datasets (both layouts, including the GPL
// legacy file, which is read from there and never copied) and checks the event counts, Sysmon
// and Security counts and Sysmon EventID 1 counts the datasets README gives.
func TestSharedDatasets(t *testing.T) {
	dir := sharedDatasets(t)
	want := []struct {
		file                    string
		events, sysmon, sec, e1 int64
		legacy                  bool
	}{
		{"empire_invoke_wmi.tar.gz", 5189, 1665, 1222, 4, true},
		{"empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip", 6383, 1874, 3406, 5, false},
		{"empire_wmic_add_user_backdoor.zip", 12278, 5883, 6138, 25, false},
		{"covenant_sharpwmi_create_dcerpc_wmi.zip", 2343, 1716, 622, 5, false},
		{"empire_psremoting_stager.zip", 2744, 1651, 696, 5, false},
		{"covenant_psremoting_command.zip", 4284, 3351, 904, 8, false},
		{"empire_psexec_dcerpc_tcp_svcctl.zip", 4348, 2941, 599, 6, false},
		{"empire_psinject_PEinjection.zip", 5898, 1165, 645, 1, false},
		{"empire_mimikatz_logonpasswords.zip", 6026, 679, 702, 1, false},
		{"empire_dcsync_dcerpc_drsuapi_DsGetNCChanges.zip", 8465, 585, 381, 2, false},
		{"covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges.zip", 869, 676, 193, 0, false},
		{"empire_shell_reg_dump_sam.zip", 738, 464, 72, 1, false},
		{"empire_schtasks_creation_standard_user.zip", 1297, 691, 233, 1, false},
	}
	var total int64
	for _, w := range want {
		f := Read(filepath.Join(dir, w.file))
		if f.Err() != nil {
			t.Errorf("%s: %v", w.file, f.Err())
			continue
		}
		channel, eid := "Channel", "EventID"
		if w.legacy {
			channel, eid = "log_name", "event_id"
		}
		n := count(t, f)
		total += n
		sysmon := count(t, f.Where(Col(channel).Eq("Microsoft-Windows-Sysmon/Operational")))
		sec := count(t, f.Where(Col(channel).Lower().Eq("security")))
		e1 := count(t, f.Where(And(Col(channel).Eq("Microsoft-Windows-Sysmon/Operational"), Col(eid).Eq(1))))
		if n != w.events || sysmon != w.sysmon || sec != w.sec || e1 != w.e1 {
			t.Errorf("%s: events %d sysmon %d security %d eid1 %d; want %d %d %d %d", w.file, n, sysmon, sec, e1, w.events, w.sysmon, w.sec, w.e1)
		}
	}
	if total != 60862 {
		t.Errorf("total events %d, want 60862", total)
	}
	// Every file at once, through a glob: the union schema of both layouts.
	all := Read(filepath.Join(dir, "*"))
	if all.Err() != nil {
		t.Fatal(all.Err())
	}
	if n := count(t, all); n != 60862 {
		t.Errorf("glob over all datasets: %d events, want 60862", n)
	}
	// The case-distinct pairs the field notes list stay distinct columns.
	cols := map[string]bool{}
	for _, c := range all.Columns() {
		cols[c] = true
	}
	for _, c := range []string{"SourceProcessGUID", "SourceProcessGuid", "TargetProcessGUID", "TargetProcessGuid", "LogonId", "port", "event_data.Image"} {
		if !cols[c] {
			t.Errorf("column %s missing from the union", c)
		}
	}
}
