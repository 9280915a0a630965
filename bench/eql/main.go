// Command eql benchmarks EQL sequences in gohunt (Frame.EQL on DuckDB) against the `eql`
// package's Python engine on the same synthetic Sysmon-like events, checks that both find the
// same number of sequences, and prints the times and the ratio.
//
// Run by `make bench` (bench-eql): go run ./bench/eql -py .venv/bin/python.
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
	"time"

	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
)

var (
	py     = flag.String("py", ".venv/bin/python", "python with the eql package")
	events = flag.Int("events", 1_000_000, "synthetic events")
	work   = flag.String("work", "", "directory for the generated events (default: a temp dir)")
	noPeer = flag.Bool("no-peer", false, "time gohunt alone (no ratio)")
)

const query = `sequence by Hostname, ProcessGuid with maxspan=30s
  [process where EventID == 1 and Image : "*\\powershell.exe"]
  [network where DestinationPort == 443]
  [file where TargetFilename : "*.ps1"]`

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-eql:", err)
		os.Exit(1)
	}
}

// generate writes n events: processes (Sysmon 1), connections (3) and file creations (11) on 50
// hosts and 2,000 process GUIDs per host, one every millisecond.
func generate(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	images := []string{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Windows\System32\cmd.exe`, `C:\Windows\explorer.exe`}
	var seed uint64 = 42
	next := func() uint64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i) * time.Millisecond)
		r := next()
		host := fmt.Sprintf("WKS%02d", r%50)
		guid := fmt.Sprintf("{%04d}", (r>>8)%2000)
		d := map[string]any{"@timestamp": ts.Format("2006-01-02T15:04:05.000Z"), "Channel": "Microsoft-Windows-Sysmon/Operational",
			"Hostname": host, "ProcessGuid": guid, "ticks": ts.UnixNano() / 100}
		switch (r >> 20) % 3 {
		case 0:
			d["EventID"], d["event_type"], d["Image"] = 1, "process", images[(r>>24)%3]
		case 1:
			d["EventID"], d["event_type"], d["DestinationPort"] = 3, "network", []int{443, 80, 445}[(r>>24)%3]
		default:
			d["EventID"], d["event_type"], d["TargetFilename"] = 11, "file", []string{`C:\Temp\a.ps1`, `C:\Temp\b.txt`}[(r>>24)%2]
		}
		b, _ := json.Marshal(d)
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func run() error {
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-eql-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	path := filepath.Join(dir, "events.jsonl")
	if err := generate(path, *events); err != nil {
		return fmt.Errorf("generating events: %w", err)
	}
	defer session.Close()

	t0 := time.Now()
	ev := hunt.Read(path).Cache()
	if ev.Err() != nil {
		return ev.Err()
	}
	load := time.Since(t0)
	t1 := time.Now()
	n, err := ev.EQL(query).Count()
	if err != nil {
		return err
	}
	q := time.Since(t1)

	if *noPeer {
		fmt.Printf("bench-eql: %d events, %d sequences; gohunt alone: load %.2fs, sequence %.2fs\n", *events, n, load.Seconds(), q.Seconds())
		return nil
	}
	cmd := exec.Command(*py, "bench/eql/peer.py", path, query)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("peer.py: %v\n%s", err, stderr.String())
	}
	var peer struct {
		Load, Query float64
		Sequences   int64
	}
	var raw map[string]float64
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		return fmt.Errorf("peer.py output %q: %w", out.String(), err)
	}
	peer.Load, peer.Query, peer.Sequences = raw["load_s"], raw["query_s"], int64(raw["sequences"])
	if peer.Sequences != n {
		return fmt.Errorf("gohunt found %d sequences, the eql engine %d", n, peer.Sequences)
	}
	fmt.Printf("bench-eql: %d events, %d sequences (both engines), %s\n", *events, n, time.Now().UTC().Format("2006-01-02"))
	fmt.Printf("  load:     gohunt %.2fs   eql (json + Event objects) %.2fs\n", load.Seconds(), peer.Load)
	fmt.Printf("  sequence: gohunt %.2fs   eql engine %.2fs   ratio %.1fx\n", q.Seconds(), peer.Query, peer.Query/q.Seconds())
	return nil
}
