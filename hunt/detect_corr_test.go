package hunt

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corrEvents: failed logons (4625) and a success (4624) for two users over a few minutes.
var corrEvents = []map[string]any{
	{"n": 1, "@timestamp": "2020-09-21T10:00:00.000Z", "EventID": 4625, "TargetUserName": "alice", "IpAddress": "10.0.0.1"},
	{"n": 2, "@timestamp": "2020-09-21T10:00:30.000Z", "EventID": 4625, "TargetUserName": "alice", "IpAddress": "10.0.0.2"},
	{"n": 3, "@timestamp": "2020-09-21T10:01:00.000Z", "EventID": 4625, "TargetUserName": "alice", "IpAddress": "10.0.0.2"},
	{"n": 4, "@timestamp": "2020-09-21T10:01:30.000Z", "EventID": 4624, "TargetUserName": "alice", "IpAddress": "10.0.0.3"},
	{"n": 5, "@timestamp": "2020-09-21T10:00:10.000Z", "EventID": 4624, "TargetUserName": "bob", "IpAddress": "10.0.0.9"},
	{"n": 6, "@timestamp": "2020-09-21T10:09:00.000Z", "EventID": 4625, "TargetUserName": "bob", "IpAddress": "10.0.0.9"},
	{"n": 7, "@timestamp": "2020-09-21T10:20:00.000Z", "EventID": 4625, "TargetUserName": "bob", "IpAddress": "10.0.0.9"},
}

const corrBase = `title: failed logon
name: failed_logon
author: Base Author
logsource: {product: test}
detection:
  sel: {EventID: 4625}
  condition: sel
---
title: successful logon
name: ok_logon
logsource: {product: test}
detection:
  sel: {EventID: 4624}
  condition: sel
`

func runCorrelation(t *testing.T, corr string) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(p, []byte(corrBase+"---\ntitle: corr\nid: c1\nauthor: Corr Author\n"+corr), 0o644); err != nil {
		t.Fatal(err)
	}
	rs := SigmaRules(p)
	if len(rs.Errors()) > 0 {
		t.Fatal(rs.Errors())
	}
	rows, err := FromRows(corrEvents).DetectCorrelations(rs).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r["author"] != "Corr Author" || r["rule_id"] != "c1" {
			t.Errorf("row %v lacks the correlation rule's id or author", r)
		}
		out = append(out, fmt.Sprintf("%v %v %v %v", r["TargetUserName"], r["windows"], r["count"], r["first_time"]))
	}
	sort.Strings(out)
	return out
}

func TestSigmaCorrelations(t *testing.T) {
	cases := []struct {
		name, corr string
		want       string
	}{
		{"event_count", "correlation:\n  type: event_count\n  rules: [failed_logon]\n  group-by: [TargetUserName]\n  timespan: 5m\n  condition: {gte: 3}\n",
			"alice 1 3 2020-09-21 10:00:00 +0000 UTC"},
		{"event_count two windows", "correlation:\n  type: event_count\n  rules: [failed_logon]\n  group-by: [TargetUserName]\n  timespan: 1m\n  condition: {gte: 2}\n",
			"alice 2 3 2020-09-21 10:00:00 +0000 UTC"},
		{"value_count", "correlation:\n  type: value_count\n  rules: [failed_logon]\n  group-by: [TargetUserName]\n  timespan: 1h\n  condition: {field: IpAddress, gte: 2}\n",
			"alice 1 2 2020-09-21 10:00:00 +0000 UTC"},
		{"temporal", "correlation:\n  type: temporal\n  rules: [failed_logon, ok_logon]\n  group-by: [TargetUserName]\n  timespan: 1m\n",
			"alice 2 2 2020-09-21 10:00:30 +0000 UTC"},
		{"temporal_ordered", "correlation:\n  type: temporal_ordered\n  rules: [failed_logon, ok_logon]\n  group-by: [TargetUserName]\n  timespan: 2m\n",
			"alice 3 2 2020-09-21 10:00:00 +0000 UTC"},
		{"temporal_ordered reversed", "correlation:\n  type: temporal_ordered\n  rules: [ok_logon, failed_logon]\n  group-by: [TargetUserName]\n  timespan: 10m\n",
			"bob 1 2 2020-09-21 10:00:10 +0000 UTC"},
		{"no match", "correlation:\n  type: event_count\n  rules: [failed_logon]\n  group-by: [TargetUserName]\n  timespan: 5m\n  condition: {gt: 3}\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(runCorrelation(t, c.corr), "|"); got != c.want {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
}
