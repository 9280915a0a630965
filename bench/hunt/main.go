// Command hunt benchmarks the hunt library side by side with pandas and PySpark (local mode)
// and prints the ratios:
//
//   - the Threat Hunter Playbook samples end to end (load the Mordor zip + run every query);
//   - filter + group-by over 10M synthetic Sysmon-like events;
//   - memory of a 1M-event frame held in memory.
//
// Run by `make bench` (bench-hunt): go run ./bench/hunt -py .venv/bin/python -shared ../shared.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gohunt/gohunt/bench/internal/proc"
	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
)

var (
	py       = flag.String("py", ".venv/bin/python", "python with pandas, pyarrow and pyspark")
	shared   = flag.String("shared", "../shared", "the shared directory (datasets/, analytics/)")
	events   = flag.Int("events", 10_000_000, "synthetic events for filter+group-by")
	memRows  = flag.Int("mem-events", 1_000_000, "synthetic events for the memory comparison")
	work     = flag.String("work", "", "directory for generated data (default: a temp dir)")
	memChild = flag.String("mem-child", "", "internal: measure the memory of loading this parquet file")
	skipSpk  = flag.Bool("no-spark", false, "leave PySpark out")
	verbose  = flag.Bool("v", false, "print the gohunt time split of each THP round")
	parts    = flag.String("parts", "thp,fg,mem", "which benchmarks to run (comma-separated: thp, fg, mem)")
	cpuProf  = flag.String("cpuprofile", "", "write a CPU profile of the gohunt side to this file")
)

func main() {
	flag.Parse()
	if *memChild != "" {
		memoryChild(*memChild)
		session.Close()
		return
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/hunt:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
	}
	err := run()
	if *cpuProf != "" {
		pprof.StopCPUProfile()
	}
	session.Close() // deletes the session database and staged files
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/hunt:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := *work
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "gohunt-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	peers := filepath.Join("bench", "hunt", "peers.py") // make runs from the repo root
	if _, err := os.Stat(peers); err != nil {
		peers = filepath.Join(filepath.Dir(must(os.Executable())), "peers.py")
	}
	md := filepath.Join(*shared, "analytics", "thp_spark_sql.md")
	data := filepath.Join(*shared, "datasets")
	if _, err := os.Stat(md); err != nil {
		return fmt.Errorf("the THP benchmark needs %s: %w", md, err)
	}

	want := func(p string) bool { return strings.Contains(","+*parts+",", ","+p+",") }
	if want("thp") {
		if err := benchTHP(md, data, peers); err != nil {
			return err
		}
	}
	if want("fg") {
		if err := benchFG(dir, peers); err != nil {
			return err
		}
	}
	if want("mem") {
		return benchMem(dir, peers)
	}
	return nil
}

func benchTHP(md, data, peers string) error {
	fmt.Println("== THP samples end to end (load Mordor zip + every query), 9 queries over 3 datasets; best of 3 (PySpark: 1 run)")
	// Warm-up, as the peers import their libraries before timing: open the database and load
	// DuckDB's JSON reader once.
	if _, err := hunt.FromRows([]map[string]any{{"warm": 1}}).Count(); err != nil {
		return err
	}
	gTHP, gCPU, gCounts := 0.0, 0.0, []int(nil)
	for i := 0; i < 3; i++ { // best of 3, as for pandas (wall and CPU each)
		t, cpu, c, err := huntTHP(md, data)
		if err != nil {
			return err
		}
		if i == 0 || t < gTHP {
			gTHP, gCounts = t, c
		}
		if i == 0 || cpu < gCPU {
			gCPU = cpu
		}
	}
	fmt.Printf("gohunt  %8.3f s wall  %8.3f s CPU   rows per query %v\n", gTHP, gCPU, gCounts)
	var pd struct {
		Time    float64
		CPU     float64
		Counts  []int
		Version string
	}
	if err := peer(&pd, *py, peers, "thp-pandas", md, data); err != nil {
		return err
	}
	fmt.Printf("pandas  %8.3f s wall  %8.3f s CPU   rows per query %v   ratio %.1fx wall, %.1fx CPU   (%s)\n", pd.Time, pd.CPU, pd.Counts, pd.Time/gTHP, pd.CPU/gCPU, pd.Version)
	fmt.Printf("load average %s\n", loadAvg())
	if err := sameRows("THP samples", "pandas", gCounts, pd.Counts); err != nil {
		return err
	}
	if !*skipSpk {
		var sp struct {
			Startup, Time float64
			Counts        []int
			Version       string
		}
		if err := peer(&sp, *py, peers, "thp-spark", md, data); err != nil {
			return err
		}
		fmt.Printf("pyspark %8.3f s   rows per query %v   ratio %.1fx (session start %.1f s not counted)   (%s)\n", sp.Time, sp.Counts, sp.Time/gTHP, sp.Startup, sp.Version)
		if err := sameRows("THP samples", "PySpark", gCounts, sp.Counts); err != nil {
			return err
		}
		fmt.Println("rows per query equal to pandas' and PySpark's")
	}

	return nil
}

func benchFG(dir, peers string) error {
	fmt.Printf("\n== filter + group-by over %d synthetic Sysmon-like events (Parquet); best of 3 (PySpark: 1 run)\n", *events)
	big := filepath.Join(dir, "sysmon.parquet")
	if err := synth(big, *events); err != nil {
		return err
	}
	gE2E, gQuery, groups := 0.0, 0.0, []int(nil)
	for i := 0; i < 3; i++ {
		e, q, g, err := huntFG(big)
		if err != nil {
			return err
		}
		if i == 0 || e < gE2E {
			gE2E, groups = e, g
		}
		if i == 0 || q < gQuery {
			gQuery = q
		}
	}
	fmt.Printf("gohunt  %8.3f s end to end (%d groups, %d events); in memory %.3f s\n", gE2E, groups[0], groups[1], gQuery)
	var pf struct {
		Load, Query, Time float64
		Groups, Events    int
	}
	if err := peer(&pf, *py, peers, "fg-pandas", big); err != nil {
		return err
	}
	fmt.Printf("pandas  %8.3f s end to end (load %.3f + query %.3f)   ratio %.1fx end to end, %.1fx in memory\n", pf.Time, pf.Load, pf.Query, pf.Time/gE2E, pf.Query/gQuery)
	if err := sameRows("filter + group-by (groups, events)", "pandas", groups, []int{pf.Groups, pf.Events}); err != nil {
		return err
	}
	if !*skipSpk {
		var sf struct {
			Time           float64
			Groups, Events int
		}
		if err := peer(&sf, *py, peers, "fg-spark", big); err != nil {
			return err
		}
		fmt.Printf("pyspark %8.3f s end to end   ratio %.1fx\n", sf.Time, sf.Time/gE2E)
		if err := sameRows("filter + group-by (groups, events)", "PySpark", groups, []int{sf.Groups, sf.Events}); err != nil {
			return err
		}
	}

	return nil
}

func benchMem(dir, peers string) error {
	fmt.Printf("\n== memory of a %d-event frame held in memory\n", *memRows)
	small := filepath.Join(dir, "sysmon1m.parquet")
	if err := synth(small, *memRows); err != nil {
		return err
	}
	var gm struct{ RSSDeltaKB, HWMKB int64 }
	out, err := exec.Command(must(os.Executable()), "-mem-child", small).Output()
	if err != nil {
		return fmt.Errorf("memory child: %w", err)
	}
	if err := json.Unmarshal(out, &gm); err != nil {
		return fmt.Errorf("memory child output %q: %w", out, err)
	}
	var pm struct {
		RSSDeltaKB int64 `json:"rss_delta_kb"`
		DeepBytes  int64 `json:"deep_bytes"`
	}
	if err := peer(&pm, *py, peers, "mem-pandas", small); err != nil {
		return err
	}
	fmt.Printf("gohunt  %8.1f MB (RSS growth, DuckDB table)\npandas  %8.1f MB (RSS growth; memory_usage(deep) %.1f MB)   gohunt/pandas %.2fx\n",
		float64(gm.RSSDeltaKB)/1024, float64(pm.RSSDeltaKB)/1024, float64(pm.DeepBytes)/(1<<20), float64(gm.RSSDeltaKB)/float64(pm.RSSDeltaKB))
	return nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func peer(dst any, py, script string, args ...string) error {
	cmd := exec.Command(py, append([]string{script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", script, args[0], err, tail(stderr.String(), 2000))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), dst); err != nil {
		return fmt.Errorf("%s %s: output %q: %w", script, args[0], out, err)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// huntTHP loads each dataset and runs its samples, as the peers do. It returns the wall time
// and the CPU time of the process (every thread: DuckDB's and the Go scan's).
func huntTHP(md, data string) (float64, float64, []int, error) {
	qs, err := thpQueries(md)
	if err != nil {
		return 0, 0, nil, err
	}
	t0, cpu0 := time.Now(), proc.CPU()
	var counts []int
	loaded := ""
	var load time.Duration
	for _, q := range qs {
		if q.dataset != loaded {
			tl := time.Now()
			if f := hunt.Read(filepath.Join(data, q.dataset)).As("mordorTable"); f.Err() != nil {
				return 0, 0, nil, f.Err()
			}
			load += time.Since(tl)
			loaded = q.dataset
		}
		rows, err := hunt.SQL(q.sql).Collect()
		if err != nil {
			return 0, 0, nil, err
		}
		counts = append(counts, len(rows))
	}
	wall, cpu := time.Since(t0).Seconds(), (proc.CPU() - cpu0).Seconds()
	if *verbose {
		fmt.Printf("  (gohunt: loading %.3f s, queries %.3f s wall; %.3f s CPU)\n", load.Seconds(), wall-load.Seconds(), cpu)
	}
	return wall, cpu, counts, nil
}

// loadAvg returns the system's 1, 5 and 15-minute load averages as /proc/loadavg says them
// (the benchmarks share the machine; the figures mean little without it).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

type thpQuery struct{ dataset, sql string }

func thpQueries(md string) ([]thpQuery, error) {
	b, err := os.ReadFile(md)
	if err != nil {
		return nil, err
	}
	var qs []thpQuery
	var dataset string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "## ") {
			dataset = strings.TrimSpace(lines[i][strings.Index(lines[i], "dataset: ")+len("dataset: "):])
		}
		if lines[i] == "```sql" {
			var q []string
			for i++; lines[i] != "```"; i++ {
				q = append(q, lines[i])
			}
			qs = append(qs, thpQuery{dataset, strings.Join(q, "\n")})
		}
	}
	return qs, nil
}

// synth writes n synthetic Sysmon-like events to a Parquet file (deterministic).
func synth(path string, n int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	q := `SELECT
  (CASE hash(i) % 10 WHEN 0 THEN 1 WHEN 1 THEN 1 WHEN 2 THEN 3 WHEN 3 THEN 7 WHEN 4 THEN 7 WHEN 5 THEN 11 ELSE 10 END)::BIGINT AS EventID,
  'Microsoft-Windows-Sysmon/Operational' AS Channel,
  'WORKSTATION' || (hash(i + 1) % 60) || '.theshire.local' AS Hostname,
  (['C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe', 'C:\Windows\System32\cmd.exe', 'C:\Windows\System32\svchost.exe',
    'C:\Windows\explorer.exe', 'C:\Program Files\Mozilla Firefox\firefox.exe', 'C:\Windows\System32\wbem\WmiPrvSE.exe',
    'C:\Windows\SysWOW64\WindowsPowerShell\v1.0\POWERSHELL.EXE'])[1 + (hash(i + 2) % 7)::BIGINT] AS Image,
  'THESHIRE\user' || (hash(i + 3) % 300) AS User,
  '{' || lpad(printf('%x', hash(i + 4) % 2000000), 8, '0') || '-28bd-5f68-af08-000000000800}' AS ProcessGuid,
  strftime(TIMESTAMP '2020-09-21 00:00:00' + INTERVAL (i // 100) SECOND, '%Y-%m-%d %H:%M:%S.000') AS UtcTime,
  'C:\Windows\System32\cmd.exe /c echo ' || (hash(i + 5) % 100000) AS CommandLine
FROM range(` + strconv.Itoa(n) + `) t(i)`
	return hunt.DuckSQL(q).WriteParquet(path)
}

// huntFG runs the filter + group-by from the Parquet file, then on a cached in-memory frame.
func huntFG(path string) (e2e, inMem float64, groups []int, err error) {
	query := func(f *hunt.Frame) ([]int, error) {
		rows, err := f.Where(hunt.Col("EventID").In(1, 10).And(hunt.Col("Image").Lower().EndsWith("powershell.exe"))).
			GroupBy("Hostname", "User").Agg(hunt.Count().As("n"), hunt.CountDistinct("ProcessGuid").As("procs")).Collect()
		if err != nil {
			return nil, err
		}
		events := 0
		for _, r := range rows {
			n, ok := r["n"].(int64)
			if !ok {
				return nil, fmt.Errorf("group count n is %T, not int64", r["n"])
			}
			events += int(n)
		}
		return []int{len(rows), events}, nil
	}
	t0 := time.Now()
	groups, err = query(hunt.Read(path))
	if err != nil {
		return
	}
	e2e = time.Since(t0).Seconds()
	c := hunt.Read(path).Cache()
	t1 := time.Now()
	if _, err = query(c); err != nil {
		return
	}
	inMem = time.Since(t1).Seconds()
	return
}

// sameRows fails a comparison whose peer returned other rows than gohunt: a ratio between
// runs that did different work means nothing, so the benchmark stops with an error.
func sameRows(what, peer string, gohunt, other []int) error {
	if fmt.Sprint(gohunt) != fmt.Sprint(other) {
		return fmt.Errorf("%s: %s returned %v, gohunt %v: the rows differ, so the timings compare different work", what, peer, other, gohunt)
	}
	return nil
}

// memoryChild loads the Parquet file into an in-memory frame and prints the RSS growth.
func memoryChild(path string) {
	hunt.DuckSQL("SELECT 1").Count() // open the database first: its own fixed cost is not the frame's
	before := proc.StatusKB("VmRSS")
	f := hunt.Read(path).Cache()
	if n, err := f.Count(); err != nil || n == 0 {
		fmt.Fprintln(os.Stderr, "memory child:", n, err)
		session.Close()
		os.Exit(1)
	}
	after := proc.StatusKB("VmRSS")
	fmt.Printf(`{"RSSDeltaKB": %d, "HWMKB": %d}`+"\n", after-before, proc.StatusKB("VmHWM"))
}
