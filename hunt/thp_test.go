package hunt

// The Threat Hunter Playbook samples of ../shared/analytics/thp_spark_sql.md, run verbatim through
// hunt.SQL and compared row for row with an independent Go implementation of each query under
// Spark's semantics (NULL logic, case-sensitive LIKE, string-to-number casts, string comparison
// of @timestamp: Read types it as a TIMESTAMP and Spark SQL sees its text, as Spark's JSON reader
// gives it). The datasets come from HUNT_SHARED_DATA (../shared/datasets under make test).

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sharedDatasets returns the shared Mordor datasets: HUNT_SHARED_DATA, else ../shared/datasets
// beside the repository. They are extra data, not part of the repo: where they are missing the
// test says it is skipped and why, except where they are required (HUNT_REQUIRE_SHARED, which
// .ci/run sets, or CI set), where it fails.
func sharedDatasets(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("HUNT_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "datasets")
	}
	if _, err := os.Stat(filepath.Join(dir, "empire_mimikatz_logonpasswords.zip")); err != nil {
		msg := fmt.Sprintf("shared Mordor datasets not found at %s (%v): this test needs ../shared/datasets beside the repository or HUNT_SHARED_DATA=/path/to/datasets", dir, err)
		if os.Getenv("HUNT_REQUIRE_SHARED") != "" || os.Getenv("CI") != "" || os.Getenv("HUNT_SHARED_DATA") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// loadEvents decodes every event of a Mordor zip with encoding/json (numbers as json.Number).
func loadEvents(t testing.TB, path string) []map[string]any {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []map[string]any
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReaderSize(rc, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(strings.TrimSpace(string(line))) > 0 {
				dec := json.NewDecoder(strings.NewReader(string(line)))
				dec.UseNumber()
				var m map[string]any
				if derr := dec.Decode(&m); derr != nil {
					t.Fatal(derr)
				}
				out = append(out, m)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rc.Close()
	}
	return out
}

// Spark semantics helpers. nil means SQL NULL.
func sv(ev map[string]any, k string) *string {
	v, ok := ev[k]
	if !ok || v == nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		return &x
	case json.Number:
		s := x.String()
		return &s
	}
	s := fmt.Sprint(v)
	return &s
}

// numEq: a numeric column (or a string cast to a number, Spark style) equals n; nil when NULL.
func numEq(ev map[string]any, k string, n int64) *bool {
	v, ok := ev[k]
	if !ok || v == nil {
		return nil
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
		if i := strings.IndexByte(s, '.'); i >= 0 {
			s = s[:i]
		}
	default:
		return nil
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	b := i == n
	return &b
}

func is(b *bool) bool { return b != nil && *b }

func bp(b bool) *bool { return &b }

func and(bs ...*bool) *bool {
	null := false
	for _, b := range bs {
		if b == nil {
			null = true
		} else if !*b {
			return bp(false)
		}
	}
	if null {
		return nil
	}
	return bp(true)
}

func or(bs ...*bool) *bool {
	null := false
	for _, b := range bs {
		if b == nil {
			null = true
		} else if *b {
			return bp(true)
		}
	}
	if null {
		return nil
	}
	return bp(false)
}

func not(b *bool) *bool {
	if b == nil {
		return nil
	}
	return bp(!*b)
}

func strEq(s *string, v string) *bool {
	if s == nil {
		return nil
	}
	return bp(*s == v)
}

func lower(s *string) *string {
	if s == nil {
		return nil
	}
	l := strings.ToLower(*s)
	return &l
}

// endsWith is LIKE "%suffix" (no wildcards in suffix).
func endsWith(s *string, suffix string) *bool {
	if s == nil {
		return nil
	}
	return bp(strings.HasSuffix(*s, suffix))
}

func containsLike(s *string, sub string) *bool {
	if s == nil {
		return nil
	}
	return bp(strings.Contains(*s, sub))
}

func between(s *string, lo, hi string) *bool {
	if s == nil {
		return nil
	}
	return bp(*s >= lo && *s <= hi)
}

func row(ev map[string]any, keys ...string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		if s := sv(ev, k); s != nil {
			parts[i] = *s
		} else {
			parts[i] = "NULL"
		}
	}
	return strings.Join(parts, "\x1f")
}

func frameRows(t *testing.T, f *Frame) []string {
	t.Helper()
	it, err := f.Rows()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for it.Next() {
		vals := it.Values()
		parts := make([]string, len(vals))
		for i, v := range vals {
			if s, ok := formatValue(v); ok {
				parts[i] = s
			} else {
				parts[i] = "NULL"
			}
		}
		out = append(out, strings.Join(parts, "\x1f"))
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameRows(t *testing.T, name string, got, want []string, wantCount int) {
	t.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if len(want) != wantCount {
		t.Errorf("%s: the reference implementation found %d rows, the pinned count is %d", name, len(want), wantCount)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: hunt.SQL returned %d rows, Spark semantics give %d\n got: %q\nwant: %q", name, len(got), len(want), got, want)
	}
}

type thpQuery struct {
	name, dataset, sql string
	count              int
	ref                func(evs []map[string]any) []string
}

func sec4688WmiPrvSE(ev map[string]any, tl string) bool {
	return is(and(strEq(lower(sv(ev, "Channel")), "security"), numEq(ev, "EventID", 4688),
		endsWith(lower(sv(ev, "ParentProcessName")), "wmiprvse.exe"), not(strEq(sv(ev, tl), "0x3e7"))))
}

func sec4624Type3(ev map[string]any) bool {
	return is(and(strEq(lower(sv(ev, "Channel")), "security"), numEq(ev, "EventID", 4624),
		numEq(ev, "LogonType", 3), not(endsWith(sv(ev, "TargetUserName"), "$"))))
}

const imageLoadDlls = "samlib.dll vaultcli.dll hid.dll winscard.dll cryptdll.dll"

func imageLoadHits(evs []map[string]any, lo, hi string) map[string]int {
	type key struct{ g, img string }
	sets := map[key]map[string]bool{}
	var order []key
	for _, ev := range evs {
		match := []*bool{}
		for _, d := range strings.Fields(imageLoadDlls) {
			match = append(match, endsWith(sv(ev, "ImageLoaded"), d))
		}
		if !is(and(strEq(sv(ev, "Channel"), "Microsoft-Windows-Sysmon/Operational"), numEq(ev, "EventID", 7),
			or(match...), between(sv(ev, "@timestamp"), lo, hi))) {
			continue
		}
		k := key{row(ev, "ProcessGuid"), row(ev, "Image")}
		if sets[k] == nil {
			sets[k] = map[string]bool{}
			order = append(order, k)
		}
		sets[k][*sv(ev, "ImageLoaded")] = true
	}
	if len(order) > 10 {
		panic("more than 10 groups: LIMIT 10 after ORDER BY hits would need tie handling in the reference")
	}
	out := map[string]int{}
	for _, k := range order {
		out[k.g+"\x1f"+k.img] = len(sets[k])
	}
	return out
}

func lsassAccess(ev map[string]any) bool {
	return is(and(strEq(sv(ev, "Channel"), "Microsoft-Windows-Sysmon/Operational"), numEq(ev, "EventID", 10),
		endsWith(sv(ev, "TargetImage"), "lsass.exe"), containsLike(sv(ev, "CallTrace"), "UNKNOWN")))
}

func thpQueries(t *testing.T) []thpQuery {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(sharedDatasets(t)), "analytics", "thp_spark_sql.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Split the document into (heading, dataset, sql) in order.
	var qs []thpQuery
	var dataset, heading string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "## ") {
			heading = strings.Fields(l[3:])[0]
			dataset = l[strings.Index(l, "dataset: ")+len("dataset: "):]
		}
		if l == "```sql" {
			var q []string
			for i++; lines[i] != "```"; i++ {
				q = append(q, lines[i])
			}
			qs = append(qs, thpQuery{name: fmt.Sprintf("%s#%d", heading, len(qs)+1), dataset: strings.TrimSpace(dataset), sql: strings.Join(q, "\n")})
		}
	}
	if len(qs) != 9 {
		t.Fatalf("expected 9 THP samples in thp_spark_sql.md, found %d", len(qs))
	}
	// Reference implementations, in document order, with the pinned row counts.
	refs := []struct {
		count int
		ref   func(evs []map[string]any) []string
	}{
		{1, func(evs []map[string]any) (out []string) {
			for _, ev := range evs {
				if sec4688WmiPrvSE(ev, "TargetLogonId") {
					out = append(out, row(ev, "@timestamp", "Hostname", "SubjectUserName", "TargetUserName", "NewProcessName", "CommandLine"))
				}
			}
			return
		}},
		{1, func(evs []map[string]any) (out []string) {
			for _, ev := range evs {
				if is(and(strEq(sv(ev, "Channel"), "Microsoft-Windows-Sysmon/Operational"), numEq(ev, "EventID", 1),
					endsWith(lower(sv(ev, "ParentImage")), "wmiprvse.exe"), not(strEq(sv(ev, "LogonId"), "0x3e7")))) {
					out = append(out, row(ev, "@timestamp", "Hostname", "User", "Image", "CommandLine"))
				}
			}
			return
		}},
		{1, func(evs []map[string]any) (out []string) {
			for _, o := range evs {
				if !sec4688WmiPrvSE(o, "TargetLogonId") {
					continue
				}
				for _, a := range evs {
					if sec4624Type3(a) && is(strEq(sv(o, "TargetLogonId"), row(a, "TargetLogonId"))) && sv(a, "TargetLogonId") != nil {
						out = append(out, row(o, "@timestamp", "Hostname", "SubjectUserName", "TargetUserName", "NewProcessName", "CommandLine")+"\x1f"+row(a, "IpAddress"))
					}
				}
			}
			return
		}},
		{1, func(evs []map[string]any) (out []string) {
			for _, o := range evs {
				if !is(and(strEq(lower(sv(o, "Channel")), "security"), numEq(o, "EventID", 4697))) {
					continue
				}
				for _, a := range evs {
					if sec4624Type3(a) && sv(a, "TargetLogonId") != nil && is(strEq(sv(o, "SubjectLogonId"), *sv(a, "TargetLogonId"))) {
						out = append(out, row(o, "@timestamp", "Hostname", "SubjectUserName", "SubjectUserName", "ServiceName")+"\x1f"+row(a, "IpAddress"))
					}
				}
			}
			return
		}},
		{2, func(evs []map[string]any) (out []string) {
			for _, ev := range evs {
				if is(and(strEq(lower(sv(ev, "Channel")), "security"), or(numEq(ev, "EventID", 4663), numEq(ev, "EventID", 4656)),
					endsWith(sv(ev, "ObjectName"), "lsass.exe"), not(endsWith(sv(ev, "SubjectUserName"), "$")))) {
					out = append(out, row(ev, "@timestamp", "Hostname", "SubjectUserName", "ProcessName", "ObjectName", "AccessMask", "EventID"))
				}
			}
			return
		}},
		{1, func(evs []map[string]any) (out []string) {
			for _, ev := range evs {
				if lsassAccess(ev) {
					out = append(out, row(ev, "@timestamp", "Hostname", "SourceImage", "TargetImage", "GrantedAccess", "SourceProcessGUID"))
				}
			}
			return
		}},
		{0, imageLoadRef(thp2019Lo, thp2019Hi)},
		{1, func(evs []map[string]any) (out []string) {
			m := imageLoadHits(evs, "2020-06 00:00:00.000", "2020-10-20 00:00:00.000")
			for _, a := range evs {
				if !lsassAccess(a) || sv(a, "SourceProcessGUID") == nil {
					continue
				}
				for k, hits := range m {
					parts := strings.Split(k, "\x1f")
					if parts[0] == *sv(a, "SourceProcessGUID") && hits >= 3 {
						out = append(out, row(a, "@timestamp", "Hostname")+"\x1f"+parts[1]+"\x1f"+row(a, "SourceProcessGUID"))
					}
				}
			}
			return
		}},
		{0, lsassParentRef(thp2019Lo, thp2019Hi, 1)},
	}
	for i := range qs {
		qs[i].count, qs[i].ref = refs[i].count, refs[i].ref
	}
	return qs
}

// TestTHPSamples runs every THP sample verbatim and checks it returns exactly the rows Spark
// semantics give, computed independently from the raw events.
func TestTHPSamples(t *testing.T) {
	dir := sharedDatasets(t)
	events := map[string][]map[string]any{}
	frames := map[string]*Frame{}
	for _, q := range thpQueries(t) {
		path := filepath.Join(dir, q.dataset)
		if events[q.dataset] == nil {
			events[q.dataset] = loadEvents(t, path)
			f := Read(path)
			frames[q.dataset] = f
			if f.Err() != nil {
				t.Fatal(f.Err())
			}
			// The samples run over typed event times (Spark SQL sees their text): the test
			// covers the translation of TIMESTAMP columns back to Spark's strings.
			if typ := colType(t, f, "@timestamp"); typ != "TIMESTAMP" {
				t.Fatalf("%s: @timestamp read as %s, want TIMESTAMP", q.dataset, typ)
			}
			n, err := f.Count()
			if err != nil || n != int64(len(events[q.dataset])) {
				t.Fatalf("%s: Read gives %d events (%v), the file has %d", q.dataset, n, err, len(events[q.dataset]))
			}
		}
		if err := Register("mordorTable", frames[q.dataset]); err != nil {
			t.Fatal(err)
		}
		res := SQL(q.sql)
		if res.Err() != nil {
			t.Errorf("%s: %v", q.name, res.Err())
			continue
		}
		sameRows(t, q.name, frameRows(t, res), q.ref(events[q.dataset]), q.count)
		if q.count > 0 {
			continue
		}
		// Samples 7 and 9 find nothing in their 2019 window on 2020 data (in Spark too), so
		// their check would pass whatever the query did: run them again over the window that
		// holds the events, against the reference over that window, and require rows.
		shifted := strings.ReplaceAll(strings.ReplaceAll(q.sql, thp2019Lo, thp2020Lo), thp2019Hi, thp2020Hi)
		if shifted == q.sql {
			t.Fatalf("%s: returns no rows and has no 2019 window to move", q.name)
		}
		var ref func([]map[string]any) []string
		var want int
		switch {
		case strings.HasSuffix(strings.TrimSpace(q.sql), "AND p.EventID = 1"):
			// The dataset holds no process creation of the process that read lsass (it
			// started before the recording): take its image loads (EventID 7) instead.
			shifted = strings.TrimSuffix(strings.TrimSpace(shifted), "1") + "7"
			ref, want = lsassParentRef(thp2020Lo, thp2020Hi, 7), 22
		default:
			ref, want = imageLoadRef(thp2020Lo, thp2020Hi), 1
		}
		res = SQL(shifted)
		if res.Err() != nil {
			t.Errorf("%s over 2020: %v", q.name, res.Err())
			continue
		}
		sameRows(t, q.name+" over 2020", frameRows(t, res), ref(events[q.dataset]), want)
	}
}

// The time window of THP samples 7 and 9 (2019), in which the 2020 dataset has no event, and
// the window of sample 8 (2020), which holds the dataset's events.
const (
	thp2019Lo, thp2019Hi = "2019-03-00 00:00:00.000", "2019-06-20 00:00:00.000"
	thp2020Lo, thp2020Hi = "2020-06 00:00:00.000", "2020-10-20 00:00:00.000"
)

// imageLoadRef is the reference of THP sample 7 over the window lo..hi.
func imageLoadRef(lo, hi string) func(evs []map[string]any) []string {
	return func(evs []map[string]any) (out []string) {
		for k, hits := range imageLoadHits(evs, lo, hi) {
			out = append(out, k+"\x1f"+strconv.Itoa(hits))
		}
		return
	}
}

// lsassParentRef is the reference of THP sample 9 over the window lo..hi, with the events of
// EventID eid (1 in the sample) of the processes found.
func lsassParentRef(lo, hi string, eid int64) func(evs []map[string]any) []string {
	return func(evs []map[string]any) (out []string) {
		m := imageLoadHits(evs, lo, hi)
		var guids []string
		for _, a := range evs {
			if !lsassAccess(a) || sv(a, "SourceProcessGUID") == nil {
				continue
			}
			for k, hits := range m {
				if strings.Split(k, "\x1f")[0] == *sv(a, "SourceProcessGUID") && hits >= 3 {
					guids = append(guids, *sv(a, "SourceProcessGUID"))
				}
			}
		}
		for _, p := range evs {
			for _, g := range guids {
				if is(and(strEq(sv(p, "ProcessGuid"), g), strEq(sv(p, "Channel"), "Microsoft-Windows-Sysmon/Operational"), numEq(p, "EventID", eid))) {
					out = append(out, row(p, "@timestamp", "Hostname", "Image", "User"))
				}
			}
		}
		return
	}
}
