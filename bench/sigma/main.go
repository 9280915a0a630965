// Command sigma benchmarks Sigma detection: every rule of a rule folder (SigmaHQ's Windows rules
// in ../shared/sigma) run by gohunt's Frame.Detect, against pySigma converting the same rules
// (Sysmon + Windows log source pipelines, SQLite backend) and SQLite executing them, over the
// same events: a Mordor recording, then a large set made from it. Both must find the same hits
// rule by rule; the times, the ratio and gohunt's memory (peak RSS against the size of the
// frame's own table) are printed.
//
// Run by `make bench` (bench-sigma): go run ./bench/sigma -py .venv/bin/python.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gohunt/gohunt/bench/internal/lines"
	"github.com/gohunt/gohunt/bench/internal/proc"
	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
)

var (
	py       = flag.String("py", ".venv/bin/python", "python with pySigma, its pipelines and the SQLite backend")
	rulesDir = flag.String("rules", "../shared/sigma/rules/windows", "Sigma rule folder")
	data     = flag.String("data", "../shared/datasets/*.zip", "Mordor recording(s): a path or glob")
	events   = flag.Int("events", 250_000, "events of the large run (0: skip it)")
	work     = flag.String("work", "", "directory for the event files (default: a temp dir)")
	noPeer   = flag.Bool("no-peer", false, "time gohunt alone (no ratio)")
	child    = flag.String("child", "", "internal: run gohunt's side over this JSON-lines file and print JSON")
	pyRows   = flag.Int("peer-events", 0, "events pySigma runs in the large run (0: the same as -events)")
	onlyBig  = flag.Bool("large-only", false, "skip the run over the recordings")
	parquet  = flag.Bool("large-parquet", false, "large run: the events in a Parquet file that Detect reads lazily (hunt.Read of the file, no table)")
	ruleList = flag.String("rule-files", "", "internal: the child reads the rule files listed in this file (one a line) instead of -rules")
)

func main() {
	flag.Parse()
	var err error
	if *child != "" {
		err = runChild(*child)
	} else {
		err = run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-sigma:", err)
		os.Exit(1)
	}
}

// result is one side's run: times in seconds and the hits per rule id.
type result struct {
	Events    int64            `json:"events"`
	Rules     int              `json:"rules"`
	LoadS     float64          `json:"load_s"`
	ConvertS  float64          `json:"convert_s"`
	ExecS     float64          `json:"exec_s"`
	ConvCPU   float64          `json:"convert_cpu_s"`
	ExecCPU   float64          `json:"exec_cpu_s"`
	Hits      map[string]int64 `json:"hits"`
	Refused   []string         `json:"refused"`
	FrameKB   int64            `json:"frame_kb"`
	PeakKB    int64            `json:"peak_kb"`
	BaseKB    int64            `json:"base_kb"`
	TotalHits int64            `json:"total_hits"`
}

func run() error {
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-sigma-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	defer session.Close()
	small := filepath.Join(dir, "mordor.jsonl")
	n, err := export(small, *data, 1)
	if err != nil {
		return fmt.Errorf("exporting %s: %w", *data, err)
	}
	fmt.Printf("bench-sigma %s: rules %s\n", time.Now().UTC().Format("2006-01-02"), *rulesDir)
	if !*onlyBig {
		if err := compare(fmt.Sprintf("Mordor recordings %s (%d events)", *data, n), small, small); err != nil {
			return err
		}
	}
	if *events <= 0 {
		return nil
	}
	copies := (*events + int(n) - 1) / int(n)
	if *parquet {
		// The copies written as Parquet straight from the recordings' frame (no JSON lines, no
		// table of the large set); pySigma reads the first copy, the recordings themselves.
		big := filepath.Join(dir, "large.parquet")
		if err := exportParquet(big, small, copies, n); err != nil {
			return err
		}
		return compare(fmt.Sprintf("%d events (%d copies of the recordings, host names suffixed per copy) in a Parquet file read lazily", int64(copies)*n, copies), big, small)
	}
	big := filepath.Join(dir, "large.jsonl")
	if _, err := export(big, *data, copies); err != nil {
		return err
	}
	peerFile := big
	if *pyRows > 0 && *pyRows < *events {
		peerFile = filepath.Join(dir, "large-peer.jsonl")
		if _, err := lines.Head(big, peerFile, *pyRows); err != nil {
			return err
		}
	}
	return compare(fmt.Sprintf("%d events (%d copies of the recordings, host names suffixed per copy)", int64(copies)*n, copies), big, peerFile)
}

// export writes the recordings as JSON lines with a __row id and without null fields; with
// copies > 1 it writes them
// that many times, copy k with its host names suffixed -k, so that the large set holds real
// events (their fields, values and mix of event types) spread over as many hosts as a real
// estate would have. It returns the number of events of one copy.
func export(path, glob string, copies int) (int64, error) {
	ev := hunt.Read(glob).WithColumn("__row", hunt.SQLExpr("row_number() OVER ()"))
	if ev.Err() != nil {
		return 0, ev.Err()
	}
	n, err := ev.Count()
	if err != nil {
		return 0, err
	}
	one := path + ".one"
	if err := ev.WriteJSON(one); err != nil {
		return 0, err
	}
	defer os.Remove(one)
	in, err := os.ReadFile(one)
	if err != nil {
		return 0, err
	}
	out, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	row := int64(0)
	lines := bytes.Split(bytes.TrimSpace(in), []byte("\n"))
	for k := 0; k < copies; k++ {
		for _, line := range lines {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(line, &m); err != nil {
				return 0, err
			}
			for k, v := range m {
				if string(v) == "null" { // absent fields are left out, as in the recordings
					delete(m, k)
				}
			}
			row++
			m["__row"] = json.RawMessage(fmt.Sprint(row))
			if h, ok := m["Hostname"]; ok && k > 0 {
				var s string
				if json.Unmarshal(h, &s) == nil {
					m["Hostname"], _ = json.Marshal(fmt.Sprintf("%s-%d", s, k))
				}
			}
			b, err := json.Marshal(m)
			if err != nil {
				return 0, err
			}
			w.Write(b)
			w.WriteByte('\n')
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return n, out.Close()
}

// exportParquet writes copies of the events of the JSON-lines file small (n events, as export
// wrote them) to a Parquet file: copy k with its host names suffixed -k and __row continued, the
// same events export would write for the large run.
func exportParquet(path, small string, copies int, n int64) error {
	ev := hunt.Read(small).Cache().As("bench_recordings")
	if ev.Err() != nil {
		return ev.Err()
	}
	q := fmt.Sprintf(`SELECT * REPLACE (CASE WHEN __c.k = 0 THEN Hostname ELSE Hostname || '-' || __c.k END AS Hostname, __row + __c.k * %d AS __row)
		FROM bench_recordings, range(%d) AS __c(k) ORDER BY __c.k, __row`, n, copies)
	return hunt.DuckSQL(q).WriteParquet(path)
}

// compare runs gohunt (in a child process, for a clean peak RSS) over file and pySigma over
// peerFile, checks the hits and prints the figures.
func compare(title, file, peerFile string) error {
	fmt.Printf("\n== %s\n", title)
	g, err := gohuntSide(file, "")
	if err != nil {
		return err
	}
	fmt.Printf("gohunt:  %d rules, %d events, %d hits: load %.2fs; rules read %.2fs (CPU %.2fs), Detect %.2fs (CPU %.2fs)\n",
		g.Rules, g.Events, g.TotalHits, g.LoadS, g.ConvertS, g.ConvCPU, g.ExecS, g.ExecCPU)
	fmt.Printf("         memory: peak RSS %.0f MB (after loading %.0f MB); the events' table %.0f MB\n", float64(g.PeakKB)/1024, float64(g.BaseKB)/1024, float64(g.FrameKB)/1024)
	if *noPeer {
		return nil
	}
	var p result
	cmd := exec.Command(*py, "bench/sigma/peer.py", *rulesDir, peerFile, "hunt/sigma/logsources.yaml")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("peer.py: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		return fmt.Errorf("peer.py output %q: %w", out.String(), err)
	}
	refused := map[string]bool{}
	for _, id := range p.Refused {
		refused[id] = true
	}
	fmt.Printf("pySigma: %d rules converted (%d refused: keyword search), %d events: load %.2fs; convert %.2fs (CPU %.2fs), SQLite execute %.2fs (CPU %.2fs)\n",
		p.Rules, len(p.Refused), p.Events, p.LoadS, p.ConvertS, p.ConvCPU, p.ExecS, p.ExecCPU)
	gTime, pTime := g.ConvertS+g.ExecS, p.ConvertS+p.ExecS
	gCPU, pCPU := g.ConvCPU+g.ExecCPU, p.ConvCPU+p.ExecCPU
	if peerFile != file {
		// pySigma ran on fewer events: its conversion is the same, its execution is scaled to
		// gohunt's events (SQLite's per-rule queries read the indexed events of each rule's
		// log source: linear in the events).
		k := float64(g.Events) / float64(p.Events)
		pTime, pCPU = p.ConvertS+p.ExecS*k, p.ConvCPU+p.ExecCPU*k
		fmt.Printf("pySigma ran on the first %d events; its execution time scaled by %.1f to %d events\n", p.Events, k, g.Events)
		fmt.Printf("ratio (convert + execute): wall pySigma %.2fs (scaled) / gohunt %.2fs = %.1fx; CPU %.2fs / %.2fs = %.1fx\n", pTime, gTime, pTime/gTime, pCPU, gCPU, pCPU/gCPU)
		return sameRules(file, refused, nil, pTime, pCPU)
	}
	var diff []string
	for id, n := range p.Hits {
		if g.Hits[id] != n {
			diff = append(diff, fmt.Sprintf("%s: gohunt %d, pySigma %d", id, g.Hits[id], n))
		}
	}
	for id, n := range g.Hits {
		if _, ok := p.Hits[id]; !ok && !refused[id] {
			diff = append(diff, fmt.Sprintf("%s: gohunt %d, pySigma none", id, n))
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		return fmt.Errorf("hits differ for %d rules:\n%s", len(diff), strings.Join(diff, "\n"))
	}
	fmt.Printf("same hits rule by rule (%d rules with hits)\n", len(p.Hits))
	fmt.Printf("ratio (convert + execute): wall pySigma %.2fs / gohunt %.2fs = %.1fx; CPU %.2fs / %.2fs = %.1fx\n", pTime, gTime, pTime/gTime, pCPU, gCPU, pCPU/gCPU)
	return sameRules(file, refused, p.Hits, pTime, pCPU)
}

// sameRules runs gohunt again over file with only the rules pySigma converted (without the
// keyword rules its backend refuses, which gohunt's first run includes), checks its hits against
// peerHits when given (the same events), and prints the like-for-like ratio against pySigma's
// time and CPU.
func sameRules(file string, refused map[string]bool, peerHits map[string]int64, pTime, pCPU float64) error {
	if len(refused) == 0 {
		return nil
	}
	list, want, err := ruleFilesWithout(refused)
	if err != nil {
		return err
	}
	defer os.Remove(list)
	same, err := gohuntSide(file, list)
	if err != nil {
		return err
	}
	if same.Rules != want {
		return fmt.Errorf("the rules pySigma converted: gohunt loaded %d, want %d", same.Rules, want)
	}
	for id, n := range peerHits {
		if same.Hits[id] != n {
			return fmt.Errorf("the %d rules pySigma converted: hits of %s: gohunt %d, pySigma %d", same.Rules, id, same.Hits[id], n)
		}
	}
	gTime, gCPU := same.ConvertS+same.ExecS, same.ConvCPU+same.ExecCPU
	fmt.Printf("gohunt over the same %d rules pySigma converted: %d hits: rules read %.2fs (CPU %.2fs), Detect %.2fs (CPU %.2fs)\n",
		same.Rules, same.TotalHits, same.ConvertS, same.ConvCPU, same.ExecS, same.ExecCPU)
	fmt.Printf("ratio, same rules (convert + execute): wall pySigma %.2fs / gohunt %.2fs = %.1fx; CPU %.2fs / %.2fs = %.1fx\n", pTime, gTime, pTime/gTime, pCPU, gCPU, pCPU/gCPU)
	return nil
}

// gohuntSide runs gohunt's side in a child process (for a clean peak RSS) over file, with the
// rules of -rules, or of the files listed in ruleFiles when it is not "".
func gohuntSide(file, ruleFiles string) (result, error) {
	var g result
	args := []string{"-child", file, "-rules", *rulesDir}
	if ruleFiles != "" {
		args = append(args, "-rule-files", ruleFiles)
	}
	cmd := exec.Command(must(os.Executable()), args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return g, fmt.Errorf("gohunt side: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(out.Bytes(), &g); err != nil {
		return g, fmt.Errorf("gohunt side output %q: %w", out.String(), err)
	}
	return g, nil
}

// ruleFilesWithout writes the files of the rules of -rules whose ids are not in skip, one a
// line, to a temporary file, and returns its path and the number of rules those files hold. A
// file holding a rule to skip is left out whole; the caller checks the count.
func ruleFilesWithout(skip map[string]bool) (string, int, error) {
	var b strings.Builder
	rules := hunt.SigmaRules(*rulesDir).Rules()
	drop := map[string]bool{}
	for _, r := range rules {
		if skip[r.ID] {
			drop[r.File] = true
		}
	}
	seen := map[string]bool{}
	n := 0
	for _, r := range rules {
		if drop[r.File] {
			continue
		}
		n++
		if !seen[r.File] {
			seen[r.File] = true
			b.WriteString(r.File + "\n")
		}
	}
	f, err := os.CreateTemp("", "bench-sigma-rules-")
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		return "", 0, err
	}
	return f.Name(), n, nil
}

// runChild is gohunt's side: read the events into a table, read the rules, run Detect and count
// the hits per rule.
func runChild(file string) error {
	defer session.Close()
	var r result
	base := proc.StatusKB("VmRSS")
	t0 := time.Now()
	ev := hunt.Read(file)
	if !strings.HasSuffix(file, ".parquet") {
		ev = ev.Cache() // a table; a Parquet file is read lazily, by each query
	}
	if ev.Err() != nil {
		return ev.Err()
	}
	n, err := ev.Count()
	if err != nil {
		return err
	}
	r.Events = n
	r.LoadS = time.Since(t0).Seconds()
	r.BaseKB = proc.StatusKB("VmRSS")
	r.FrameKB = r.BaseKB - base
	t1, c1 := time.Now(), proc.CPU().Seconds()
	paths := []string{*rulesDir}
	if *ruleList != "" {
		b, err := os.ReadFile(*ruleList)
		if err != nil {
			return err
		}
		paths = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	rules := hunt.SigmaRules(paths...)
	if len(rules.Errors()) > 0 {
		return fmt.Errorf("rules not loaded: %v", rules.Errors()[0])
	}
	r.Rules = rules.Len()
	r.ConvertS, r.ConvCPU = time.Since(t1).Seconds(), proc.CPU().Seconds()-c1
	t2, c2 := time.Now(), proc.CPU().Seconds()
	rows, err := ev.Detect(rules).GroupBy("rule_id").Agg(hunt.Count().As("n")).Collect()
	if err != nil {
		return err
	}
	r.ExecS, r.ExecCPU = time.Since(t2).Seconds(), proc.CPU().Seconds()-c2
	r.Hits = map[string]int64{}
	for _, row := range rows {
		n := row["n"].(int64)
		r.Hits[row["rule_id"].(string)] = n
		r.TotalHits += n
	}
	r.PeakKB = proc.StatusKB("VmHWM")
	return json.NewEncoder(os.Stdout).Encode(r)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
