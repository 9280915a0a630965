package elastic

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func readTestEvents(t *testing.T) []map[string]any {
	t.Helper()
	var evs []map[string]any
	err := ReadEvents("testdata/mixed_layouts.jsonl", func(line int, raw []byte) error {
		ev, err := decodeEvent(raw)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestNormalizeHELKBothLayouts(t *testing.T) {
	evs := readTestEvents(t)
	want := []struct {
		index  string
		fields map[string]any
		absent []string
	}{
		{"logs-endpoint-winevent-sysmon-2020.09.21", map[string]any{
			"action": "processcreate", "event_id": int64(1), "host_name": "workstation6.theshire.local",
			"log_name": "Microsoft-Windows-Sysmon/Operational", "process_name": "powershell.exe",
			"process_parent_name": "wmiprvse.exe", "process_guid": "d273d0f0-28bd-5f68-af08-000000000800",
			"process_parent_guid": "d273d0f0-28bd-5f68-ae08-000000000800", "user_logon_id": int64(0x32c5cb5),
			"user_name": "pgustavo", "user_domain": "theshire", "user_account": `theshire\pgustavo`,
			"@timestamp": "2020-09-21T04:14:53.831Z", "process_path": `c:\windows\system32\windowspowershell\v1.0\powershell.exe`,
			"process_integrity_level": "High", "user_session_id": "0", "record_number": int64(3215160),
			"file_company": "Microsoft Corporation",
		}, []string{"Image", "UtcTime", "EventID", "Channel", "Hostname", "LogonId"}},
		{"logs-endpoint-winevent-security-2020.09.21", map[string]any{
			"event_id": int64(4624), "user_logon_id": int64(0x32c5cb5), "logon_type": int64(3),
			"src_ip_addr": "172.18.39.106", "user_name": "pgustavo", "host_name": "workstation6.theshire.local",
			"ProcessId": "0x2594",
		}, nil},
		{"logs-endpoint-winevent-security-2020.09.21", map[string]any{"logon_type": int64(5), "user_logon_id": int64(999)}, []string{"src_ip_addr"}},
		{"logs-endpoint-winevent-sysmon-2019.03.19", map[string]any{
			"action": "processcreate", "event_id": int64(1), "host_name": "hfdc01.shire.com",
			"process_name": "powershell.exe", "process_parent_name": "wmiprvse.exe",
			"process_guid": "905CC552-43AC-5C91-0000-0010B44BB703", "user_logon_id": int64(0x3b74b08),
			"user_name": "mmidge", "record_number": int64(2958609), "process_id": "904",
		}, []string{"event_data", "computer_name"}},
		{"logs-endpoint-winevent-sysmon-2020.09.21", map[string]any{
			"action": "processaccess", "process_path": `c:\windows\system32\lsass.exe`, "process_name": "lsass.exe",
			"target_process_name": "svchost.exe", "target_process_guid": "d273d0f0-0000-0000-0000-000000000002",
			"process_granted_access": "0x1010", "thread_id": "77",
		}, []string{"SourceImage", "TargetImage"}},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		idx, err := NormalizeHELK(ev)
		if err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
		if idx != want[i].index {
			t.Errorf("event %d: index %s, want %s", i+1, idx, want[i].index)
		}
		for k, v := range want[i].fields {
			got := ev[k]
			if n, ok := got.(json.Number); ok {
				got, _ = n.Int64()
			}
			if fmt.Sprint(got) != fmt.Sprint(v) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", v) {
				t.Errorf("event %d: %s = %v (%T), want %v (%T)", i+1, k, got, got, v, v)
			}
		}
		for _, k := range want[i].absent {
			if _, ok := ev[k]; ok {
				t.Errorf("event %d: %s should have been renamed or dropped", i+1, k)
			}
		}
		// Keywords beyond 2^53 survive exactly.
		if kw, ok := ev["Keywords"]; ok {
			b, _ := json.Marshal(kw)
			if string(b) != "-9223372036854775808" {
				t.Errorf("Keywords re-encoded as %s", b)
			}
		}
	}
}

func TestHELKIndexNames(t *testing.T) {
	for ch, want := range map[string]string{
		"Microsoft-Windows-Sysmon/Operational":        "sysmon",
		"security":                                    "security",
		"Windows PowerShell":                          "powershell",
		"Microsoft-Windows-PowerShell/Operational":    "powershell",
		"Microsoft-Windows-WMI-Activity/Operational":  "wmiactivity",
		"Microsoft-Windows-TaskScheduler/Operational": "taskscheduler",
		"System": "system",
	} {
		if got := helkLogName(ch); got != want {
			t.Errorf("%s: %s, want %s", ch, got, want)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const pw = "hunter2-very-secret"
	cfg := Config{URL: "https://u:" + pw + "@127.0.0.1:9200", APIKey: NewSecret(pw + "k")}
	c, err := Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c.Config())
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%#v %+v", *c, *c),
		fmt.Sprintf("%v %#v", c.Config(), c.Config()), string(b), fmt.Sprint(NewSecret(pw)), fmt.Sprintf("%#v %q %x", NewSecret(pw), NewSecret(pw), NewSecret(pw))} {
		if strings.Contains(s, pw) {
			t.Fatalf("secret printed: %s", s)
		}
	}
	if _, err := Connect(Config{URL: "ftp://u:" + pw + "@x"}); err == nil || strings.Contains(err.Error(), pw) {
		t.Fatalf("bad URL error: %v", err)
	}
	if err := c.scrub(fmt.Errorf("server said %s", pw)); strings.Contains(err.Error(), pw) {
		t.Fatalf("scrub left the secret: %v", err)
	}
}

func FuzzNormalizeHELK(f *testing.F) {
	f.Add([]byte(`{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","@timestamp":"2020-09-21T04:14:55.050Z","UtcTime":"2020-09-21 04:14:53.831","LogonId":"0xzz","User":"x"}`))
	f.Add([]byte(`{"event_id":"4624","log_name":"security","@timestamp":"bad","event_data":{"TargetLogonId":"0x1"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := decodeEvent(raw)
		if err != nil {
			return
		}
		NormalizeHELK(ev) // must not panic
		if _, err := json.Marshal(ev); err != nil {
			t.Fatalf("normalized event does not encode: %v", err)
		}
	})
}
