package hunt

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// sigmaEvents are hand-written events for the language tests; n identifies each.
var sigmaEvents = []map[string]any{
	{"n": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": `C:\Windows\System32\cmd.exe`, "CommandLine": "cmd.exe /c whoami /all", "ParentImage": `C:\Windows\explorer.exe`, "User": "CORP\\alice", "Empty": "", "DestinationIp": "10.1.2.3", "Size": "120"},
	{"n": 2, "Channel": "microsoft-windows-sysmon/operational", "EventID": 1, "Image": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "CommandLine": "powershell -enc " + base64.StdEncoding.EncodeToString(utf16le("IEX (New-Object Net.WebClient)")), "ParentImage": `C:\Windows\System32\cmd.exe`, "User": "CORP\\bob", "DestinationIp": "192.168.7.9", "Size": "5"},
	{"n": 3, "Channel": "Security", "EventID": 4688, "NewProcessName": `C:\Tools\a*b.exe`, "CommandLine": "line1\nline2 secret", "User": "CORP\\alice", "Empty": "x", "DestinationIp": "fe80::1", "Size": "abc"},
	{"n": 4, "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 3, "Image": `C:\Windows\System32\cmd.exe`, "CommandLine": "cmd.exe \u2013c dir", "ParentImage": "CMD.EXE", "DestinationIp": "10.200.0.1", "Size": "1000"},
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return b
}

// detectRule runs one rule (YAML text, logsource and metadata added when absent) over
// sigmaEvents and returns the n of the matching events, sorted.
func detectRule(t *testing.T, rule string) []int64 {
	t.Helper()
	rs := loadRuleText(t, rule)
	if errs := rs.Errors(); len(errs) > 0 {
		t.Fatalf("rule did not load: %v", errs)
	}
	hits, err := FromRows(sigmaEvents).Detect(rs).Select("n").Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, h := range hits {
		out = append(out, h["n"].(int64))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func loadRuleText(t *testing.T, rule string) *SigmaRuleSet {
	t.Helper()
	if !strings.Contains(rule, "title:") {
		rule = "title: test rule\nid: 11111111-1111-1111-1111-111111111111\nauthor: Test Author\n" + rule
	}
	if !strings.Contains(rule, "logsource:") {
		rule += "\nlogsource:\n  product: test\n"
	}
	p := filepath.Join(t.TempDir(), "rule.yml")
	if err := os.WriteFile(p, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	return SigmaRules(p)
}

func TestSigmaLanguage(t *testing.T) {
	cases := []struct {
		name, det string
		want      []int64
	}{
		{"map is AND", "sel:\n  Image|endswith: '\\cmd.exe'\n  CommandLine|contains: whoami\ncondition: sel", []int64{1}},
		{"list of maps is OR", "sel:\n  - CommandLine|contains: whoami\n  - EventID: 4688\ncondition: sel", []int64{1, 3}},
		{"value list is OR", "sel:\n  EventID: [3, 4688]\ncondition: sel", []int64{3, 4}},
		{"wildcard star", "sel:\n  Image: 'C:\\Windows\\\\*\\cmd.exe'\ncondition: sel", []int64{1, 4}},
		{"backslash before star escapes it", "sel:\n  Image: 'C:\\Windows\\*\\cmd.exe'\ncondition: sel", nil},
		{"wildcard question mark", "sel:\n  User: 'CORP\\\\?ob'\ncondition: sel", []int64{2}},
		{"escaped star is literal", "sel:\n  NewProcessName: 'C:\\Tools\\a\\*b.exe'\ncondition: sel", []int64{3}},
		{"escaped star does not match other text", "sel:\n  NewProcessName: 'C:\\Tools\\a\\*\\*'\ncondition: sel", nil},
		{"case-insensitive by default", "sel:\n  ParentImage: 'cmd.exe'\ncondition: sel", []int64{4}},
		{"cased", "sel:\n  ParentImage|cased: 'cmd.exe'\ncondition: sel", nil},
		{"cased matches exact case", "sel:\n  ParentImage|endswith|cased: 'cmd.exe'\ncondition: sel", []int64{2}},
		{"null matches a missing field", "sel:\n  Empty: null\ncondition: sel", []int64{2, 4}},
		{"empty matches only the empty string", "sel:\n  Empty: ''\ncondition: sel", []int64{1}},
		{"keywords search any field", "keywords:\n  - '*secret*'\n  - 'CMD.EXE'\ncondition: keywords", []int64{3, 4}},
		{"contains all", "sel:\n  CommandLine|contains|all: [cmd, whoami]\ncondition: sel", []int64{1}},
		{"startswith", "sel:\n  CommandLine|startswith: POWERSHELL\ncondition: sel", []int64{2}},
		{"re is case-sensitive", "sel:\n  CommandLine|re: 'Who[a-z]+'\ncondition: sel", nil},
		{"re i", "sel:\n  CommandLine|re|i: 'WHO[a-z]+'\ncondition: sel", []int64{1}},
		{"re m", "sel:\n  CommandLine|re|m: '^line2'\ncondition: sel", []int64{3}},
		{"re without m", "sel:\n  CommandLine|re: '^line2'\ncondition: sel", nil},
		{"re s", "sel:\n  CommandLine|re|s: 'line1.line2'\ncondition: sel", []int64{3}},
		{"base64", "sel:\n  Encoded|base64: abc\ncondition: sel", nil},
		{"utf16le base64offset contains", "sel:\n  CommandLine|utf16le|base64offset|contains: 'New-Object'\ncondition: sel", []int64{2}},
		{"wide base64offset contains", "sel:\n  CommandLine|wide|base64offset|contains: 'Net.WebClient'\ncondition: sel", []int64{2}},
		{"utf16be base64offset", "sel:\n  CommandLine|utf16be|base64offset|contains: 'IEX'\ncondition: sel", nil},
		{"windash", "sel:\n  CommandLine|windash|contains: ' -c '\ncondition: sel", []int64{1, 4}},
		{"cidr v4", "sel:\n  DestinationIp|cidr: 10.0.0.0/8\ncondition: sel", []int64{1, 4}},
		{"cidr v4 /12", "sel:\n  DestinationIp|cidr: 192.168.0.0/21\ncondition: sel", []int64{2}},
		{"cidr v6", "sel:\n  DestinationIp|cidr: 'fe80::/10'\ncondition: sel", []int64{3}},
		{"exists", "sel:\n  NewProcessName|exists: true\ncondition: sel", []int64{3}},
		{"exists false", "sel:\n  ParentImage|exists: false\ncondition: sel", []int64{3}},
		{"exists on a field no event has", "sel:\n  Nothing|exists: false\ncondition: sel", []int64{1, 2, 3, 4}},
		{"fieldref", "sel:\n  Image|fieldref: ParentImage\ncondition: sel", nil},
		{"fieldref endswith", "sel:\n  Image|fieldref|endswith: ParentImage\ncondition: sel", []int64{4}},
		{"lt", "sel:\n  Size|lt: 100\ncondition: sel", []int64{2}},
		{"lte gte", "sel1:\n  Size|gte: 120\nsel2:\n  Size|lte: 1000\ncondition: sel1 and sel2", []int64{1, 4}},
		{"gt ignores non-numbers", "sel:\n  Size|gt: 0\ncondition: sel", []int64{1, 2, 4}},
		{"not", "sel:\n  EventID: 1\ncondition: not sel", []int64{3, 4}},
		{"not over a missing field is true", "sel:\n  NewProcessName|contains: Tools\ncondition: not sel", []int64{1, 2, 4}},
		{"and binds tighter than or", "a:\n  EventID: 3\nb:\n  EventID: 4688\nc:\n  User|contains: alice\ncondition: a or b and c", []int64{3, 4}},
		{"parentheses", "a:\n  EventID: 3\nb:\n  EventID: 4688\nc:\n  User|contains: alice\ncondition: (a or b) and c", []int64{3}},
		{"1 of pattern", "sel_a:\n  EventID: 3\nsel_b:\n  EventID: 4688\nother:\n  EventID: 1\ncondition: 1 of sel_*", []int64{3, 4}},
		{"all of pattern", "sel_a:\n  EventID: 1\nsel_b:\n  User|contains: bob\ncondition: all of sel_*", []int64{2}},
		{"1 of them", "a:\n  EventID: 3\nb:\n  EventID: 4688\ncondition: 1 of them", []int64{3, 4}},
		{"all of them", "a:\n  EventID: 1\nb:\n  User|endswith: alice\ncondition: all of them", []int64{1}},
		{"not 1 of", "sel:\n  EventID: [1, 3]\nf_a:\n  User|contains: bob\nf_b:\n  CommandLine|contains: dir\ncondition: sel and not 1 of f_*", []int64{1}},
		{"condition list is OR", "a:\n  EventID: 3\nb:\n  EventID: 4688\ncondition:\n  - a\n  - b", []int64{3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := detectRule(t, "detection:\n"+indent(c.det))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("hits %v, want %v", got, c.want)
			}
		})
	}
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	return strings.Join(lines, "\n")
}

// TestSigmaLogsource checks pySigma's log source conditions: process_creation is Sysmon event 1
// on the Sysmon channel (compared case-insensitively), service security is the Security channel.
func TestSigmaLogsource(t *testing.T) {
	got := detectRule(t, "logsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n    CommandLine|contains: ' '\n  condition: sel")
	if !reflect.DeepEqual(got, []int64{1, 2}) {
		t.Errorf("process_creation: %v, want [1 2]", got)
	}
	got = detectRule(t, "logsource:\n  product: windows\n  service: security\ndetection:\n  sel:\n    CommandLine|contains: ' '\n  condition: sel")
	if !reflect.DeepEqual(got, []int64{3}) {
		t.Errorf("security: %v, want [3]", got)
	}
	got = detectRule(t, "logsource:\n  product: windows\n  category: network_connection\ndetection:\n  sel:\n    Image|endswith: cmd.exe\n  condition: sel")
	if !reflect.DeepEqual(got, []int64{4}) {
		t.Errorf("network_connection: %v, want [4]", got)
	}
}

// TestSigmaHitColumns checks the hit frame's leading columns and that each hit names the
// rule's author (DRL 1.1) and tags.
func TestSigmaHitColumns(t *testing.T) {
	rs := loadRuleText(t, "title: T\nid: abc\nstatus: test\nlevel: high\nauthor: Jane Doe\ntags: [attack.t1059, attack.execution]\ndetection:\n  sel:\n    EventID: 4688\n  condition: sel")
	hits := FromRows(sigmaEvents).Detect(rs)
	if hits.Err() != nil {
		t.Fatal(hits.Err())
	}
	cols := hits.Columns()
	want := []string{"rule_id", "rule_title", "level", "status", "author", "tags"}
	if !reflect.DeepEqual(cols[:6], want) {
		t.Fatalf("columns %v, want %v first", cols, want)
	}
	rows, err := hits.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["author"] != "Jane Doe" || rows[0]["rule_title"] != "T" || rows[0]["level"] != "high" || rows[0]["n"] != int64(3) {
		t.Fatalf("hits %v", rows)
	}
	if fmt.Sprint(rows[0]["tags"]) != "[attack.t1059 attack.execution]" {
		t.Errorf("tags %v", rows[0]["tags"])
	}
	sum, err := hits.DetectSummary().Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(sum) != 1 || sum[0]["hits"] != int64(1) || sum[0]["author"] != "Jane Doe" {
		t.Errorf("summary %v", sum)
	}
}

// TestSigmaValuesAreQuoted checks that rule values reach the SQL text only as quoted
// constants: quotes, NUL and backslashes in them match themselves and change nothing else,
// and rule metadata (title, author) stays out of the SQL text (it is bound).
func TestSigmaValuesAreQuoted(t *testing.T) {
	evil := `x'); DROP TABLE t; --`
	rs := loadRuleText(t, "title: \"T'; DROP\"\nauthor: \"a'b\"\ndetection:\n  sel:\n    CommandLine|contains: \""+evil+"\"\n    Image|re: \"evil'regex\"\n"+
		"  nul:\n    CommandLine|endswith: \"a\\0b\"\n  back:\n    CommandLine: 'C:\\x\\%_'\n  condition: sel or nul or back")
	ev := FromRows([]map[string]any{
		{"CommandLine": "run " + evil + " now", "Image": "an evil'regex here"},
		{"CommandLine": "z a\x00b", "Image": "x"},
		{"CommandLine": `c:\X\%_`, "Image": "x"},
		{"CommandLine": `c:\X\ab`, "Image": "x"},
		{"CommandLine": "x'); DROP TABLE t", "Image": "evil'regex"},
	})
	hits := ev.Detect(rs)
	if hits.Err() != nil {
		t.Fatal(hits.Err())
	}
	for _, s := range []string{"T'';", "a''b"} {
		if strings.Contains(hits.SQLText(), s) {
			t.Errorf("SQL text holds rule metadata %q:\n%s", s, hits.SQLText())
		}
	}
	rows, err := hits.Select("CommandLine").Collect()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r["CommandLine"]))
	}
	want := []string{"run " + evil + " now", "z a\x00b", `c:\X\%_`}
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("hits %q, want %q", got, want)
	}
	if n, err := ev.Count(); err != nil || n != 5 {
		t.Errorf("the events after Detect: %d, %v", n, err)
	}
}

// TestSigmaErrors checks that bad rules are listed with file, line and reason and that the
// good rules of the same folder load.
func TestSigmaErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.yml":    "title: good\nlogsource: {product: test}\ndetection:\n  sel:\n    EventID: 1\n  condition: sel\n",
		"badyaml.yml": "title: bad\ndetection:\n  sel: [unclosed\n",
		"badmod.yml":  "title: badmod\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|sideways: x\n  condition: sel\n",
		"badcond.yml": "title: badcond\nlogsource: {product: test}\ndetection:\n  selection:\n    EventID: 1\n  condition: selektion\n",
		"badre.yml":   "title: badre\nlogsource: {product: test}\ndetection:\n  sel:\n    Image|re: '(?<!x)y'\n  condition: sel\n",
		"garbage.yml": "\x00\xff\xfe{{{: :",
		"v1agg.yml":   "title: agg\nlogsource: {product: test}\ndetection:\n  sel:\n    EventID: 1\n  condition: sel | count() > 5\n",
		"nocond.yml":  "title: nocond\nlogsource: {product: test}\ndetection:\n  sel:\n    EventID: 1\n",
		"b64wild.yml": "title: b64wild\nlogsource: {product: test}\ndetection:\n  sel:\n    CommandLine|base64: 'a*'\n  condition: sel\n",
		"corrref.yml": "title: corr\ncorrelation:\n  type: event_count\n  rules: [nosuchrule]\n  timespan: 5m\n  condition: {gte: 2}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs := SigmaRules(dir)
	if rs.Len() != 1 || rs.Rules()[0].Title != "good" {
		t.Errorf("loaded %d rules, want only good", rs.Len())
	}
	want := map[string]string{
		"badyaml.yml": ":2: YAML", "badmod.yml": `:5: rule "badmod": unknown modifier "sideways"`,
		"badcond.yml": `:6: rule "badcond": condition "selektion": column 1: "selektion" is not a search identifier of the detection (did you mean "selection"?)`,
		"badre.yml":   `:5: rule "badre": field "Image": regular expression`, "garbage.yml": "YAML",
		"v1agg.yml": "aggregations", "nocond.yml": "no condition", "b64wild.yml": "wildcards",
		"corrref.yml": `rule "nosuchrule" is not among the loaded rules`,
	}
	got := map[string]string{}
	for _, e := range rs.Errors() {
		got[filepath.Base(e.File)] = e.Error()
	}
	for f, w := range want {
		if !strings.Contains(got[f], w) {
			t.Errorf("%s: error %q, want it to contain %q", f, got[f], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors %v", got)
	}
}

// TestSigmaHELKNames runs a process_creation rule over events with HELK's field names (gohunt
// load --helk): log_name, event_id, process_path, process_command_line (lower-cased by HELK).
func TestSigmaHELKNames(t *testing.T) {
	helk := []map[string]any{
		{"n": 1, "log_name": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "process_path": `c:\windows\system32\cmd.exe`, "process_command_line": "cmd.exe /c whoami"},
		{"n": 2, "log_name": "Microsoft-Windows-Sysmon/Operational", "event_id": 3, "process_path": `c:\windows\system32\cmd.exe`, "process_command_line": "cmd.exe /c whoami"},
		{"n": 3, "log_name": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "process_path": `c:\windows\system32\notepad.exe`, "process_command_line": "notepad"},
	}
	rs := loadRuleText(t, "logsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n    Image|endswith: '\\CMD.exe'\n    CommandLine|contains: WhoAmI\n  condition: sel")
	hits, err := FromRows(helk).Detect(rs).Select("n").Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0]["n"] != int64(1) {
		t.Errorf("hits %v, want event 1 only", hits)
	}
}

// TestSigmaWinlogbeat6Names runs a rule over the older Mordor layout: log_name, event_id and the
// event's own fields under event_data.
func TestSigmaWinlogbeat6Names(t *testing.T) {
	legacy := []map[string]any{
		{"n": 1, "log_name": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "event_data": map[string]any{"Image": `C:\Windows\System32\cmd.exe`, "ParentImage": `C:\Windows\System32\wbem\WmiPrvSE.exe`}},
		{"n": 2, "log_name": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "event_data": map[string]any{"Image": `C:\Windows\System32\cmd.exe`, "ParentImage": `C:\Windows\explorer.exe`}},
	}
	rs := loadRuleText(t, "logsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n    ParentImage|endswith: '\\WmiPrvSE.exe'\n  condition: sel")
	hits, err := FromRows(legacy).Detect(rs).Select("n").Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0]["n"] != int64(1) {
		t.Errorf("hits %v, want event 1 only", hits)
	}
}

// TestSigmaPlainForms checks the forms Detect compiles matches to against the plain meaning:
// value lists of one field (IN and RE2 alternations, with regular-expression metacharacters in
// the values), integer columns (a non-canonical number never equals an integer's text),
// keyword search over the joined text (a match never spans two values), and rules over absent
// fields (folded to false).
func TestSigmaPlainForms(t *testing.T) {
	for _, c := range []struct {
		name, det string
		want      []int64
	}{
		{"value list of mixed shapes", "sel:\n    Image|endswith: ['\\\\nope.exe', '\\\\CMD.exe', 'x', 'y', 'z']\n  condition: sel", []int64{1, 4}},
		{"startswith list", "sel:\n    CommandLine|startswith: ['cmd.exe /', 'powershell -', 'q', 'r']\n  condition: sel", []int64{1, 2}},
		{"contains list with an inner wildcard", "sel:\n    NewProcessName|contains: ['a*b', '(x)', '[y]', '.+']\n  condition: sel", []int64{3}},
		{"contains list with metacharacters", "sel:\n    NewProcessName|contains: ['(x)', '[y]', '.+', 'a\\*b', '\\tools\\a']\n  condition: sel", []int64{3}},
		{"contains list, none matching", "sel:\n    NewProcessName|contains: ['(x)', '[y]', '.+', 'a.b']\n  condition: sel", nil},
		{"contains list with escaped star", "sel:\n    NewProcessName|contains: ['a\\*b', '(x)', '[y]', '.+']\n  condition: sel", []int64{3}},
		{"equality list", "sel:\n    ParentImage: ['cmd.exe', 'a', 'b', 'c']\n  condition: sel", []int64{4}},
		{"integer equality", "sel:\n    EventID: 4688\n  condition: sel", []int64{3}},
		{"integer list", "sel:\n    EventID: [3, 4688, 7, 8]\n  condition: sel", []int64{3, 4}},
		{"non-canonical integer", "sel:\n    EventID: ['04688', '+3', '1.0', ' 1']\n  condition: sel", nil},
		{"integer startswith", "sel:\n    EventID|startswith: '46'\n  condition: sel", []int64{3}},
		{"keyword equality", "kw:\n  - 'corp\\\\bob'\n  condition: kw", []int64{2}},
		{"keyword contains", "kw:\n  - '*WHOAMI*'\n  condition: kw", []int64{1}},
		{"keyword across two values", "kw:\n  - '*whoami /all*cmd.exe*'\n  condition: kw", nil},
		{"keyword suffix", "kw:\n  - '*secret'\n  condition: kw", []int64{3}},
		{"absent field", "sel:\n    NoSuchField: x\n  condition: sel", nil},
		{"not absent field", "sel:\n    NoSuchField: x\n  condition: not sel", []int64{1, 2, 3, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := detectRule(t, "detection:\n  "+c.det); !reflect.DeepEqual(got, c.want) {
				t.Errorf("hits %v, want %v", got, c.want)
			}
		})
	}
}

// TestSigmaKeywordSeparatorInValue checks keyword search over events whose values hold the
// separator of the joined keyword text (U+001F): such an event takes the value-by-value path, and
// a value never matches as if the separator split it into two values; events without one take
// the joined text as is, in the same scan.
func TestSigmaKeywordSeparatorInValue(t *testing.T) {
	events := []map[string]any{
		{"n": 1, "A": "x\x1fcorp\\bob", "B": "tail"},
		{"n": 2, "A": "corp\\bob", "B": "tail"},
		{"n": 3, "A": "head\x1f", "B": "TAIL\x1f\x1fx"},
		{"n": 4, "A": nil, "B": "\x1f"},
	}
	for _, c := range []struct {
		name, det string
		want      []int64
	}{
		{"equality", "kw:\n  - 'corp\\\\bob'\n  condition: kw", []int64{2}},
		{"startswith", "kw:\n  - 'corp*'\n  condition: kw", []int64{2}},
		{"endswith", "kw:\n  - '*tail'\n  condition: kw", []int64{1, 2}},
		{"contains", "kw:\n  - '*TAIL*'\n  condition: kw", []int64{1, 2, 3}},
		{"cased equality", "sel:\n    '|cased': 'tail'\n  condition: sel", []int64{1, 2}},
		{"cased contains", "sel:\n    '|cased|contains': 'TAIL'\n  condition: sel", []int64{3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := loadRuleText(t, "detection:\n  "+c.det)
			if errs := rs.Errors(); len(errs) > 0 {
				t.Fatalf("rule did not load: %v", errs)
			}
			if got := hitNumbers(t, FromRows(events), rs); !reflect.DeepEqual(got, c.want) {
				t.Errorf("hits %v, want %v", got, c.want)
			}
		})
	}
}

// TestSigmaPrefilter runs rules the prefilter leaves out (no event can meet them) next to rules
// it keeps, with every field's values tested and, with a zero budget, none read: the hits are
// the same rule by rule, and equal to the rules' meaning.
func TestSigmaPrefilter(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rules.yml")
	rules := []string{
		"title: r1\nid: r1\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n    CommandLine|contains: 'WHOAMI'\n  condition: sel",
		"title: r2\nid: r2\ndetection:\n  sel:\n    Image|endswith: ['\\nope.exe', '\\none.exe']\n  condition: sel",
		"title: r3\nid: r3\ndetection:\n  sel:\n    CommandLine|contains: 'secret'\n  filter:\n    User: 'corp\\bob'\n  condition: sel and not filter",
		"title: r4\nid: r4\ndetection:\n  sel:\n    CommandLine|contains: 'absent text'\n  condition: sel",
		"title: r5\nid: r5\ndetection:\n  a:\n    ParentImage: 'cmd.exe'\n  b:\n    NewProcessName|contains: 'a*b'\n  condition: a or b",
		"title: r6\nid: r6\ndetection:\n  sel:\n    CommandLine|cased|contains: 'Whoami'\n  condition: sel",
		"title: r7\nid: r7\ndetection:\n  sel:\n    EventID: 4688\n    CommandLine|startswith: 'LINE1'\n  condition: sel",
		"title: r8\nid: r8\ndetection:\n  kw:\n    - 'absent value'\n  condition: kw",
		"title: r9\nid: r9\ndetection:\n  kw:\n    - 'absent value'\n    - 'CORP\\bob'\n  condition: kw",
	}
	if err := os.WriteFile(p, []byte(strings.Join(rules, "\nlogsource:\n  product: test\n---\n")+"\nlogsource:\n  product: test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string][]int64{"r1": {1}, "r3": {3}, "r5": {3, 4}, "r7": {3}, "r9": {2}}
	for _, budget := range []float64{sigmaPrefilterBudget, 0} {
		old := sigmaPrefilterBudget
		sigmaPrefilterBudget = budget
		rs := SigmaRules(p)
		if errs := rs.Errors(); len(errs) > 0 || rs.Len() != len(rules) {
			t.Fatalf("rules did not load: %v", errs)
		}
		got := hitNumbersByRule(t, FromRows(sigmaEvents), rs)
		sigmaPrefilterBudget = old
		if !reflect.DeepEqual(got, want) {
			t.Errorf("budget %g: hits %v, want %v", budget, got, want)
		}
	}
}

// hitNumbers runs the rules over f and returns the n column of the hits, sorted.
func hitNumbers(t *testing.T, f *Frame, rs *SigmaRuleSet) []int64 {
	t.Helper()
	hits, err := f.Detect(rs).Select("n").Collect()
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, h := range hits {
		got = append(got, h["n"].(int64))
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	return got
}

// hitNumbersByRule runs the rules over f and returns the n column of each rule's hits, sorted.
func hitNumbersByRule(t *testing.T, f *Frame, rs *SigmaRuleSet) map[string][]int64 {
	t.Helper()
	hits, err := f.Detect(rs).Select("rule_id", "n").Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, h := range hits {
		got[h["rule_id"].(string)] = append(got[h["rule_id"].(string)], h["n"].(int64))
	}
	for _, v := range got {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	}
	return got
}
