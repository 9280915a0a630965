package elastic

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HELKIndexPrefix starts every index name HELK writes Windows events to.
const HELKIndexPrefix = "logs-endpoint-winevent-"

// HELKIndexName returns HELK's index for an event of the given channel at time t:
// logs-endpoint-winevent-<name>-YYYY.MM.dd, with name sysmon, security, system,
// application, powershell or wmiactivity, and for any other channel the lower-cased
// provider part of the channel name (Microsoft-Windows-TaskScheduler/Operational gives
// taskscheduler).
func HELKIndexName(channel string, t time.Time) string {
	return HELKIndexPrefix + helkLogName(channel) + "-" + t.UTC().Format("2006.01.02")
}

func helkLogName(channel string) string {
	c := strings.ToLower(channel)
	switch {
	case strings.Contains(c, "sysmon"):
		return "sysmon"
	case c == "security":
		return "security"
	case c == "system":
		return "system"
	case c == "application":
		return "application"
	case strings.Contains(c, "powershell"):
		return "powershell"
	case strings.Contains(c, "wmi-activity"):
		return "wmiactivity"
	}
	c = strings.TrimPrefix(c, "microsoft-windows-")
	if i := strings.IndexByte(c, '/'); i >= 0 {
		c = c[:i]
	}
	var b strings.Builder
	for _, r := range c {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "other"
	}
	return b.String()
}

// sysmonActions maps a Sysmon event id to HELK's action.
var sysmonActions = map[int64]string{
	1: "processcreate", 2: "filecreatetime", 3: "networkconnect", 4: "sysmonservicestatechange",
	5: "processterminate", 6: "driverload", 7: "moduleload", 8: "createremotethread",
	9: "rawaccessread", 10: "processaccess", 11: "filecreate", 12: "registryevent",
	13: "registryevent", 14: "registryevent", 15: "filecreatestreamhash", 16: "sysmonconfigstatechange",
	17: "pipeevent", 18: "pipeevent", 19: "wmievent", 20: "wmievent", 21: "wmievent", 22: "dnsquery",
	23: "filedelete", 24: "clipboardchange", 25: "processtampering", 26: "filedeletedetected",
}

// sysmonRenames lists, per Sysmon event id (0 = every id), the fields HELK renames.
var sysmonRenames = map[int64][][2]string{
	0: {{"Image", "process_path"}, {"ProcessGuid", "process_guid"}, {"ProcessId", "process_id"}, {"User", "user_account"}},
	1: {{"CommandLine", "process_command_line"}, {"ParentCommandLine", "process_parent_command_line"},
		{"CurrentDirectory", "process_current_directory"}, {"IntegrityLevel", "process_integrity_level"},
		{"LogonId", "user_logon_id"}, {"LogonGuid", "user_logon_guid"}, {"TerminalSessionId", "user_session_id"},
		{"ParentImage", "process_parent_path"}, {"ParentProcessGuid", "process_parent_guid"},
		{"ParentProcessId", "process_parent_id"}, {"Description", "file_description"},
		{"Company", "file_company"}, {"Product", "file_product"}, {"FileVersion", "file_version"}},
	3: {{"SourceIp", "src_ip_addr"}, {"DestinationIp", "dst_ip_addr"}, {"SourcePort", "src_port"},
		{"DestinationPort", "dst_port"}, {"DestinationHostname", "dst_host_name"},
		{"SourceHostname", "src_host_name"}, {"Protocol", "network_protocol"}, {"Initiated", "network_initiated"}},
	8: {{"SourceImage", "process_path"}, {"SourceProcessGuid", "process_guid"}, {"SourceProcessGUID", "process_guid"},
		{"SourceProcessId", "process_id"}, {"TargetImage", "target_process_path"},
		{"TargetProcessGuid", "target_process_guid"}, {"TargetProcessGUID", "target_process_guid"},
		{"TargetProcessId", "target_process_id"}},
	10: {{"SourceImage", "process_path"}, {"SourceProcessGUID", "process_guid"}, {"SourceProcessGuid", "process_guid"},
		{"SourceProcessId", "process_id"}, {"TargetImage", "target_process_path"},
		{"TargetProcessGUID", "target_process_guid"}, {"TargetProcessGuid", "target_process_guid"},
		{"TargetProcessId", "target_process_id"}, {"GrantedAccess", "process_granted_access"},
		{"CallTrace", "process_call_trace"}, {"SourceThreadId", "thread_id"}},
	11: {{"TargetFilename", "file_name"}, {"CreationUtcTime", "file_creation_time"}},
	12: registryRenames, 13: registryRenames, 14: registryRenames,
}

var registryRenames = [][2]string{{"EventType", "event_type"}, {"TargetObject", "registry_key_path"},
	{"Details", "registry_key_value"}, {"NewName", "registry_key_new_name"}}

// helkLower lists the HELK fields whose values HELK lower-cases.
var helkLower = []string{"process_path", "process_command_line", "process_parent_path", "file_name",
	"user_account", "target_process_path"}

// helkGUIDs lists the HELK fields whose braces HELK strips.
var helkGUIDs = []string{"process_guid", "process_parent_guid", "user_logon_guid", "target_process_guid"}

// NormalizeHELK rewrites one Mordor event (flat or winlogbeat-6 layout, decoded with
// json.Decoder.UseNumber) in place into HELK's field names, and returns the HELK index it
// belongs to. It follows HELK's Logstash pipeline (Winlogbeat 7 branch): host_name (lower
// case), event_id, log_name, source_name, record_number; event_data.* flattened; Sysmon's
// UtcTime as @timestamp; hex logon ids as decimal numbers; Sysmon paths, command lines and
// users lower-cased; GUID braces stripped; process_name, process_parent_name and
// target_process_name from their paths; per-event renames and HELK's action names. Fields
// HELK does not rename keep their names.
func NormalizeHELK(ev map[string]any) (string, error) {
	if ed, ok := ev["event_data"].(map[string]any); ok {
		// Winlogbeat 6 puts the logging service's process and thread ids at the top level
		// (Winlogbeat 7: winlog.process); they must not shadow the event's own.
		rename(ev, "process_id", "winlog_process_id")
		rename(ev, "thread_id", "winlog_thread_id")
		delete(ev, "event_data")
		for k, v := range ed {
			if _, clash := ev[k]; !clash {
				ev[k] = v
			} else {
				ev["event_data_"+k] = v
			}
		}
	}
	common := [][2]string{
		{"EventID", "event_id"}, {"Channel", "log_name"}, {"SourceName", "source_name"},
		{"RecordNumber", "record_number"}, {"computer_name", "host_name"}, {"Hostname", "host_name"},
	}
	for _, r := range common {
		rename(ev, r[0], r[1])
	}
	// Winlogbeat 7 names, in case a newer recording is loaded.
	if w, ok := ev["winlog"].(map[string]any); ok {
		for _, r := range [][2]string{{"computer_name", "host_name"}, {"event_id", "event_id"},
			{"channel", "log_name"}, {"provider_name", "source_name"}, {"record_id", "record_number"}} {
			if v, ok := w[r[0]]; ok {
				if _, have := ev[r[1]]; !have {
					ev[r[1]] = v
				}
			}
		}
	}
	channel, _ := ev["log_name"].(string)
	if channel == "" {
		return "", errors.New("no channel (Channel, log_name or winlog.channel)")
	}
	eid, err := toInt(ev["event_id"])
	if err != nil {
		return "", fmt.Errorf("event_id: %w", err)
	}
	ev["event_id"] = eid
	if rn, ok := ev["record_number"]; ok {
		if n, err := toInt(rn); err == nil {
			ev["record_number"] = n
		}
	}
	if h, ok := ev["host_name"].(string); ok {
		ev["host_name"] = strings.ToLower(h)
	}
	name := helkLogName(channel)
	switch name {
	case "sysmon":
		normalizeSysmon(ev, eid)
	case "security":
		normalizeSecurity(ev, eid)
	}
	for _, k := range []string{"LogonId", "TargetLogonId", "SubjectLogonId"} {
		if s, ok := ev[k].(string); ok {
			if n, ok := hexToInt(s); ok {
				ev[k] = n
			}
		}
	}
	ts, err := eventTime(ev)
	if err != nil {
		return "", err
	}
	return HELKIndexName(channel, ts), nil
}

func normalizeSysmon(ev map[string]any, eid int64) {
	if a, ok := sysmonActions[eid]; ok {
		ev["action"] = a
	}
	if ut, ok := ev["UtcTime"].(string); ok {
		if t, err := parseLocalUTC(ut); err == nil {
			ev["@timestamp"] = t.Format("2006-01-02T15:04:05.000Z")
			delete(ev, "UtcTime")
		}
	}
	for _, r := range sysmonRenames[eid] {
		rename(ev, r[0], r[1])
	}
	for _, r := range sysmonRenames[0] {
		rename(ev, r[0], r[1])
	}
	for _, k := range helkLower {
		if s, ok := ev[k].(string); ok {
			ev[k] = strings.ToLower(s)
		}
	}
	for _, k := range helkGUIDs {
		if s, ok := ev[k].(string); ok {
			ev[k] = strings.Trim(s, "{}")
		}
	}
	if s, ok := ev["user_logon_id"].(string); ok {
		if n, ok := hexToInt(s); ok {
			ev["user_logon_id"] = n
		}
	}
	if ua, ok := ev["user_account"].(string); ok {
		if i := strings.IndexByte(ua, '\\'); i >= 0 {
			ev["user_domain"], ev["user_name"] = ua[:i], ua[i+1:]
		} else {
			ev["user_name"] = ua
		}
	}
	for path, name := range map[string]string{"process_path": "process_name",
		"process_parent_path": "process_parent_name", "target_process_path": "target_process_name"} {
		if p, ok := ev[path].(string); ok && p != "" {
			ev[name] = p[strings.LastIndexAny(p, `\/`)+1:]
		}
	}
	dropDash(ev, "src_ip_addr", "dst_ip_addr", "src_host_name", "dst_host_name")
}

func normalizeSecurity(ev map[string]any, eid int64) {
	switch eid {
	case 4624:
		if s, ok := ev["TargetLogonId"].(string); ok {
			if n, ok := hexToInt(s); ok {
				ev["user_logon_id"] = n
			}
		}
		rename(ev, "TargetUserName", "user_name")
		rename(ev, "LogonType", "logon_type")
		rename(ev, "IpAddress", "src_ip_addr")
		if s, ok := ev["logon_type"].(string); ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				ev["logon_type"] = n
			}
		}
		dropDash(ev, "src_ip_addr")
	case 4688:
		if s, ok := ev["SubjectLogonId"].(string); ok {
			if n, ok := hexToInt(s); ok {
				ev["user_logon_id"] = n
			}
		}
	}
}

// dropDash removes fields whose value is "-" or empty: HELK leaves them out.
func dropDash(ev map[string]any, keys ...string) {
	for _, k := range keys {
		if s, ok := ev[k].(string); ok && (s == "-" || s == "") {
			delete(ev, k)
		}
	}
}

func rename(ev map[string]any, from, to string) {
	v, ok := ev[from]
	if !ok || from == to {
		return
	}
	delete(ev, from)
	if _, have := ev[to]; !have {
		ev[to] = v
	}
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Int64()
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	case float64:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case nil:
		return 0, errors.New("missing")
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

// hexToInt parses "0x32c5cb5" (or plain decimal) as HELK's logon id conversion does.
func hexToInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		n, err := strconv.ParseUint(s[2:], 16, 64)
		return int64(n), err == nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func parseLocalUTC(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.000", "2006-01-02 15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

func eventTime(ev map[string]any) (time.Time, error) {
	s, ok := ev["@timestamp"].(string)
	if !ok {
		return time.Time{}, errors.New("no @timestamp")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("@timestamp: %w", err)
	}
	return t, nil
}
