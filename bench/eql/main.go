// Command eql benchmarks EQL sequences in gohunt (Frame.EQL on DuckDB) against the `eql`
// package's Python engine on the same synthetic Sysmon-like events, checks that both find the
// same number of sequences, and prints the times and the ratio.
//
// The Python engine needs over an hour for 1M events, so it runs on the first -peer-events
// events of the same file (gohunt runs that subset too: same count required, direct ratio),
// and the 1M ratio compares per-event rates: gohunt's over all the events with the engine's over
// the subset. That favours the engine: its time per event grows with the events, as its
// pending-sequence state fills (about 0.36 ms an event at 5k events, 4.9 ms at 100k, 2026-11-30).
// Memory for the full run, as the process's resident memory (RSS) once settled (Go's free heap
// returned, readings stable): the frame's own is what holding the loaded frame adds to the RSS
// before the read; EQL's extra peak is the peak RSS while the sequence runs (the peak is reset
// when it starts) minus the RSS when it starts. The target is that the second be at most
// the first. RSS hides memory DuckDB's allocator kept from the read and reuses, so the bench also
// prints DuckDB's own account of what the sequence holds (duckdb_memory(), sampled in a second
// run). -frame where runs the sequence over a Where of the frame instead (a frame that is not a
// session table as it stands, which EQL numbers and holds whole for the query).
// CPU time is the process's, all threads (DuckDB's included); the Python engine's is its own
// process time (it is single-threaded).
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
	"runtime/debug"
	"time"

	"github.com/gohunt/gohunt/bench/internal/lines"
	"github.com/gohunt/gohunt/bench/internal/proc"
	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
)

var (
	py     = flag.String("py", ".venv/bin/python", "python with the eql package")
	events = flag.Int("events", 1_000_000, "synthetic events")
	work   = flag.String("work", "", "directory for the generated events (default: a temp dir)")
	noPeer = flag.Bool("no-peer", false, "time gohunt alone (no ratio)")
	peerN  = flag.Int("peer-events", 100_000, "events the Python engine runs on (the first ones of the same file; 0: all)")
	frame  = flag.String("frame", "table", "what the sequence runs over: table (the frame Read gives) or where (a Where of it that keeps every event)")
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

	if *frame != "table" && *frame != "where" {
		return fmt.Errorf("-frame %q: want table or where", *frame)
	}
	before, err := tableBytes()
	if err != nil {
		return err
	}
	rss0 := settledRSS()
	resetPeak()
	t0 := time.Now()
	ev := hunt.Read(path)
	if ev.Err() != nil {
		return ev.Err()
	}
	load := time.Since(t0)
	readPeak := proc.StatusKB("VmHWM") * 1024
	held := settledRSS()
	src := ev
	if *frame == "where" {
		src = ev.Where(hunt.Col("EventID").IsNotNull())
	}
	resetPeak()
	start := proc.StatusKB("VmRSS") * 1024
	c1, t1 := proc.CPU(), time.Now()
	n, err := src.EQL(query).Count()
	if err != nil {
		return err
	}
	q, qCPU := time.Since(t1), proc.CPU()-c1
	eqlPeak := proc.StatusKB("VmHWM") * 1024
	// DuckDB's own account, in a second run of the sequence (the sampling costs CPU).
	stop := make(chan struct{})
	duckPeak := make(chan int64)
	go sampleDuckDB(stop, duckPeak)
	n2, err := src.EQL(query).Count()
	close(stop)
	duckMem := <-duckPeak
	if err != nil {
		return err
	}
	if n2 != n {
		return fmt.Errorf("the sequence found %d, then %d", n, n2)
	}
	after, err := tableBytes()
	if err != nil {
		return err
	}
	table := after - before
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("bench-eql: %d events, %d sequences, over the %s frame, %s (2 cores shared with other work unless said)\n", *events, n, *frame, time.Now().UTC().Format("2006-01-02"))
	fmt.Printf("  gohunt:   load %.2fs   sequence %.2fs wall, %.2fs CPU (%.2f us/event)\n", load.Seconds(), q.Seconds(), qCPU.Seconds(), q.Seconds()*1e6/float64(*events))
	fmt.Printf("  memory (RSS, settled: after Go and DuckDB's allocator returned what they freed):\n")
	fmt.Printf("    before the read %s; holding the frame %s: the frame's own %s (the read itself peaked at +%s)\n", mib(rss0), mib(held), mib(held-rss0), mib(readPeak-rss0))
	fmt.Printf("    EQL: %s when the sequence started, peak %s while it ran: extra peak %s = %.2fx the frame's own (target <= 1x: %s)\n",
		mib(start), mib(eqlPeak), mib(eqlPeak-start), float64(eqlPeak-start)/float64(held-rss0), met(eqlPeak-start <= held-rss0))
	fmt.Printf("    DuckDB's own account of what the sequence holds (duckdb_memory() but tables: windows, hash tables, CTEs; sampled every 20 ms in a second run): peak %s\n", mib(duckMem))
	fmt.Printf("    the events' table in DuckDB %s (compressed); the JSON lines %s\n", mib(table), mib(info.Size()))
	if *noPeer {
		return nil
	}

	// The peer's events: all of them, or the first peer-events lines of the same file.
	k, sub, nSub, qSub, qCPUSub := *events, path, n, q, qCPU
	if *peerN > 0 && *peerN < *events {
		k, sub = *peerN, filepath.Join(dir, "events-head.jsonl")
		if got, err := lines.Head(path, sub, k); err != nil {
			return err
		} else if got < k {
			return fmt.Errorf("%s: %d lines, fewer than the peer's %d events", path, got, k)
		}
		evs := hunt.Read(sub)
		if evs.Err() != nil {
			return evs.Err()
		}
		c2, t2 := proc.CPU(), time.Now()
		nSub, err = evs.EQL(query).Count()
		if err != nil {
			return err
		}
		qSub, qCPUSub = time.Since(t2), proc.CPU()-c2
	}
	cmd := exec.Command(*py, "bench/eql/peer.py", sub, query)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("peer.py: %v\n%s", err, stderr.String())
	}
	var raw map[string]float64
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		return fmt.Errorf("peer.py output %q: %w", out.String(), err)
	}
	peerLoad, peerQ, peerCPU, peerN := raw["load_s"], raw["query_s"], raw["query_cpu_s"], int64(raw["sequences"])
	if peerN != nSub {
		return fmt.Errorf("on %d events gohunt found %d sequences, the eql engine %d", k, nSub, peerN)
	}
	fmt.Printf("  same %d events for both: %d sequences found by both engines\n", k, nSub)
	fmt.Printf("    load:     gohunt (part of the above)   eql (json + Event objects) %.2fs\n", peerLoad)
	fmt.Printf("    sequence: gohunt %.2fs wall %.2fs CPU   eql engine %.2fs wall %.2fs CPU   ratio %.1fx wall, %.1fx CPU\n",
		qSub.Seconds(), qCPUSub.Seconds(), peerQ, peerCPU, peerQ/qSub.Seconds(), peerCPU/qCPUSub.Seconds())
	if k < *events {
		perPeer, perPeerCPU := peerQ/float64(k), peerCPU/float64(k)
		perGo, perGoCPU := q.Seconds()/float64(*events), qCPU.Seconds()/float64(*events)
		fmt.Printf("  per event: gohunt at %d events %.2f us wall %.2f us CPU, eql engine at %d events %.1f us wall %.1f us CPU: ratio %.1fx wall, %.1fx CPU (the engine's rate at fewer events: its best case)\n",
			*events, perGo*1e6, perGoCPU*1e6, k, perPeer*1e6, perPeerCPU*1e6, perPeer/perGo, perPeerCPU/perGoCPU)
	}
	return nil
}

// sampleDuckDB reads DuckDB's memory account (duckdb_memory(): hash tables, sorts, windows,
// materialized results; not the base tables) every 20 ms until stop is closed, then sends the
// peak it saw.
func sampleDuckDB(stop <-chan struct{}, peak chan<- int64) {
	var top int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		rows, err := hunt.SQL("SELECT CAST(coalesce(sum(memory_usage_bytes), 0) AS BIGINT) AS b FROM duckdb_memory() WHERE tag NOT IN ('BASE_TABLE', 'IN_MEMORY_TABLE')").Collect()
		if err == nil && len(rows) == 1 {
			if b, ok := rows[0]["b"].(int64); ok {
				top = max(top, b)
			}
		}
		select {
		case <-stop:
			peak <- top
			return
		case <-tick.C:
		}
	}
}

// tableBytes is what the session's DuckDB holds for tables: in-memory tables (in memory or
// spilled) plus the blocks used in the session's database file (where large reads are staged).
func tableBytes() (int64, error) {
	get := func(q string) (int64, error) {
		rows, err := hunt.SQL(q).Collect()
		if err != nil {
			return 0, err
		}
		if len(rows) != 1 {
			return 0, fmt.Errorf("%d rows", len(rows))
		}
		b, ok := rows[0]["b"].(int64)
		if !ok {
			return 0, fmt.Errorf("%v", rows[0]["b"])
		}
		return b, nil
	}
	mem, err := get("SELECT CAST(coalesce(sum(memory_usage_bytes + temporary_storage_bytes), 0) AS BIGINT) AS b FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'")
	if err != nil {
		return 0, fmt.Errorf("duckdb_memory: %w", err)
	}
	disk, err := get("SELECT CAST(coalesce(sum(used_blocks * block_size), 0) AS BIGINT) AS b FROM pragma_database_size()")
	if err != nil {
		return 0, fmt.Errorf("pragma_database_size: %w", err)
	}
	return mem + disk, nil
}

// settledRSS is the resident memory once it has settled: after Go has returned its free heap to
// the system and DuckDB's allocator has returned what it freed (it does so over seconds; until
// then the RSS counts memory a finished query no longer uses). It waits until three readings
// half a second apart agree within 2 MiB, at most 20 s.
func settledRSS() int64 {
	debug.FreeOSMemory()
	var last []int64
	for i := 0; i < 40; i++ {
		last = append(last, proc.StatusKB("VmRSS")*1024)
		if n := len(last); n >= 3 {
			lo, hi := min(last[n-1], last[n-2], last[n-3]), max(last[n-1], last[n-2], last[n-3])
			if hi-lo < 2<<20 {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return last[len(last)-1]
}

// resetPeak resets the process's peak RSS (VmHWM) to its RSS now (Linux's clear_refs), so that
// the next reading of the peak is the peak of what runs in between.
func resetPeak() {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		fmt.Fprintln(os.Stderr, "bench-eql: cannot reset the peak RSS (the peaks shown include earlier work):", err)
	}
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
