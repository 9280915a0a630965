// Command bench/spark measures gohunt's Spark frames against PySpark's own Spark Connect client
// on the same server, in one run, and prints the ratios:
//
//   - filter + group-by: sp.Read(parquet).Where(EventID = 10).GroupBy(Hostname, Image).Count()
//     collected, vs spark.read.parquet(...).where(...).groupBy(...).count().collect();
//   - first rows: showing a 10M-row Spark frame as the kernel shows a cell's value (its MIME
//     bundle, HTML and text, within a cell: the first rows, no count) vs df.show();
//   - the Threat Hunter Playbook samples of ../shared/analytics/thp_spark_sql.md over their
//     Mordor recordings read by Spark (a temporary view mordorTable), shown as `%%sql -e sp`
//     shows them vs spark.sql(q).show(20, False); each query's rows must be equal.
//
// Both run against one Spark Connect server over the same Parquet events (written by Spark
// before the timings); each timing is the median of BENCH_SPARK_REPS runs after one untimed
// warm-up of each client, the two clients' runs interleaved (alternating which goes first) so
// that the drifting load of a shared machine falls on both. The run fails when the peer returns
// different rows.
//
// Environment: SPARK_URL (required; make bench-spark starts the server), PY (python with
// pyspark[connect], default build/spark/bench-venv/bin/python), BENCH_SPARK_EVENTS (default
// 10000000), BENCH_SPARK_REPS (default 5), HUNT_SHARED (default ../shared; missing: the THP part
// is not measured and says so, or fails under HUNT_REQUIRE_SHARED=1).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/kernel/display"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/spark:", err)
		os.Exit(1)
	}
}

// peerOut is what peer.py prints.
type peerOut struct {
	Seconds []float64 `json:"seconds"`
	Rows    [][]any   `json:"rows"`
}

func envInt(name string, def int) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", name, s)
	}
	return v, nil
}

func run() error {
	url := os.Getenv("SPARK_URL")
	if url == "" {
		return fmt.Errorf("SPARK_URL is not set (make bench-spark starts the Spark Connect server)")
	}
	py := os.Getenv("PY")
	if py == "" {
		py = "build/spark/bench-venv/bin/python"
	}
	n, err := envInt("BENCH_SPARK_EVENTS", 10_000_000)
	if err != nil {
		return err
	}
	reps, err := envInt("BENCH_SPARK_REPS", 5)
	if err != nil {
		return err
	}
	peer := filepath.Join("bench", "spark", "peer.py")
	dir, err := os.MkdirTemp("", "gohunt-bench-spark-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.parquet")
	t0 := time.Now()
	if out, err := exec.Command(py, peer, url, "gen", path, strconv.Itoa(n)).CombinedOutput(); err != nil {
		return fmt.Errorf("writing the events with %s: %v\n%s", py, err, out)
	}
	fmt.Printf("bench/spark: %d synthetic events in Parquet (%.0f MB, written by Spark in %.1f s), %d cores, Spark Connect at %s (both clients on this machine)\n",
		n, dirMB(path), time.Since(t0).Seconds(), runtime.NumCPU(), url)

	sp := hunt.Spark(url)
	if sp.Err() != nil {
		return sp.Err()
	}

	// Filter + group-by.
	groupBy := func() ([][]any, error) {
		rows, err := sp.Read(path).Where(hunt.Col("EventID").Eq(10)).GroupBy("Hostname", "Image").Count().Collect()
		if err != nil {
			return nil, err
		}
		out := make([][]any, len(rows))
		for i, r := range rows {
			out[i] = []any{r["Hostname"], r["Image"], r["count"]}
		}
		return out, nil
	}
	pp, err := startPeer(py, peer, url)
	if err != nil {
		return err
	}
	defer pp.close()
	goSecs, goRows, py1, err := interleave(reps, groupBy, func() (*peerOut, error) { return pp.run("groupby", path) })
	if err != nil {
		return fmt.Errorf("filter + group-by: %w", err)
	}
	if err := sameRows(goRows, py1.Rows, true); err != nil {
		return fmt.Errorf("filter + group-by: the peer returned different rows: %w", err)
	}
	report(fmt.Sprintf("filter + group-by (%d groups)", len(goRows)), goSecs, py1.Seconds)

	// First rows: a display of the whole 10M-row frame, as the kernel shows a cell's value (its
	// MIME bundle: HTML and text, in a cell), vs df.show().
	show := func() ([][]any, error) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		defer session.Begin(ctx, nil)()
		b, err := display.Bundle(sp.Read(path))
		if err != nil {
			return nil, err
		}
		h, _ := b[display.MIMEHTML].(string)
		s, _ := b[display.MIMEText].(string)
		if !containsAll(h, "RecordNumber", "Hostname") || !containsAll(s, "RecordNumber", "Hostname") {
			return nil, fmt.Errorf("the display shows no table:\n%s", s)
		}
		return nil, nil
	}
	goSecs, _, py2, err := interleave(reps, show, func() (*peerOut, error) { return pp.run("show", path) })
	if err != nil {
		return fmt.Errorf("display: %w", err)
	}
	first, err := sp.Read(path).Limit(20).Collect()
	if err != nil {
		return fmt.Errorf("gohunt first rows: %w", err)
	}
	firstRows := make([][]any, len(first))
	for i, r := range first {
		firstRows[i] = []any{r["EventID"], r["Hostname"], r["Image"], r["User"], r["RecordNumber"]}
	}
	if err := sameRows(firstRows, py2.Rows, false); err != nil {
		return fmt.Errorf("first rows: the peer returned different rows: %w", err)
	}
	report(fmt.Sprintf("first rows of the %d-row frame (display vs df.show())", n), goSecs, py2.Seconds)

	// The Threat Hunter Playbook samples, from ../shared (not part of the repository).
	shared := os.Getenv("HUNT_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "shared")
	}
	if _, err := os.Stat(filepath.Join(shared, "analytics", "thp_spark_sql.md")); err != nil {
		if os.Getenv("HUNT_REQUIRE_SHARED") == "1" {
			return fmt.Errorf("THP samples: %s/analytics/thp_spark_sql.md is missing and HUNT_REQUIRE_SHARED=1", shared)
		}
		fmt.Printf("  THP samples: NOT MEASURED: %s/analytics/thp_spark_sql.md not found (set HUNT_SHARED)\n", shared)
		return nil
	}
	return benchTHP(url, py, peer, shared, reps)
}

// interleave runs gohunt's f and the peer's once each untimed, then reps rounds of both, the
// order alternating, so that the load of a shared machine, which drifts over minutes, falls on
// both clients alike. It returns gohunt's timings and last rows and the peer's timings and last
// rows.
func interleave(reps int, f func() ([][]any, error), peer func() (*peerOut, error)) ([]float64, [][]any, *peerOut, error) {
	if _, err := f(); err != nil {
		return nil, nil, nil, fmt.Errorf("gohunt: %w", err)
	}
	if _, err := peer(); err != nil {
		return nil, nil, nil, err
	}
	var goSecs []float64
	var rows [][]any
	all := &peerOut{}
	for i := 0; i < reps; i++ {
		runGo := func() error {
			t := time.Now()
			r, err := f()
			if err != nil {
				return fmt.Errorf("gohunt: %w", err)
			}
			goSecs, rows = append(goSecs, time.Since(t).Seconds()), r
			return nil
		}
		runPy := func() error {
			p, err := peer()
			if err != nil {
				return err
			}
			all.Seconds, all.Rows = append(all.Seconds, p.Seconds...), p.Rows
			return nil
		}
		first, second := runGo, runPy
		if i%2 == 1 {
			first, second = runPy, runGo
		}
		if err := first(); err != nil {
			return nil, nil, nil, err
		}
		if err := second(); err != nil {
			return nil, nil, nil, err
		}
	}
	return goSecs, rows, all, nil
}

// peerProc is peer.py in serve mode: one PySpark session, one run per request line.
type peerProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	err *strings.Builder
}

func startPeer(py, peer, url string) (*peerProc, error) {
	cmd := exec.Command(py, peer, url, "serve", "-", "0")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &peerProc{cmd: cmd, in: in, out: bufio.NewScanner(out), err: &strings.Builder{}}
	p.out.Buffer(make([]byte, 1<<20), 64<<20)
	cmd.Stderr = p.err
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the peer %s: %w", peer, err)
	}
	return p, nil
}

// run asks the peer for one timed run of mode over path.
func (p *peerProc) run(mode, path string) (*peerOut, error) {
	if _, err := fmt.Fprintf(p.in, "%s %s\n", mode, path); err != nil {
		return nil, fmt.Errorf("peer %s: %w\n%s", mode, err, p.err.String())
	}
	if !p.out.Scan() {
		return nil, fmt.Errorf("peer %s: no answer (%v)\n%s", mode, p.out.Err(), p.err.String())
	}
	var o peerOut
	if err := json.Unmarshal(p.out.Bytes(), &o); err != nil {
		return nil, fmt.Errorf("peer %s printed %q: %w", mode, p.out.Bytes(), err)
	}
	if len(o.Seconds) != 1 {
		return nil, fmt.Errorf("peer %s: %d timings, want 1", mode, len(o.Seconds))
	}
	return &o, nil
}

func (p *peerProc) close() {
	p.in.Close()
	p.cmd.Wait()
}

// sameRows compares rows as JSON values (numbers as JSON numbers), sorted first when
// unordered.
func sameRows(got, want [][]any, unordered bool) error {
	canon := func(rows [][]any) ([]string, error) {
		out := make([]string, len(rows))
		for i, r := range rows {
			b, err := json.Marshal(r)
			if err != nil {
				return nil, err
			}
			var v any // through JSON both ways: int64 and float64 compare as numbers
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, err
			}
			b, _ = json.Marshal(v)
			out[i] = string(b)
		}
		if unordered {
			sort.Strings(out)
		}
		return out, nil
	}
	g, err := canon(got)
	if err != nil {
		return err
	}
	w, err := canon(want)
	if err != nil {
		return err
	}
	if len(w) == 0 {
		return fmt.Errorf("the peer returned no rows: nothing to compare")
	}
	if !reflect.DeepEqual(g, w) {
		for i := 0; i < len(g) && i < len(w); i++ {
			if g[i] != w[i] {
				return fmt.Errorf("%d rows vs %d; first difference at row %d: gohunt %s, PySpark %s", len(g), len(w), i+1, g[i], w[i])
			}
		}
		return fmt.Errorf("gohunt returned %d rows, PySpark %d", len(g), len(w))
	}
	return nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(what string, goSecs, pySecs []float64) {
	g, p := median(goSecs), median(pySecs)
	fmt.Printf("  %-60s gohunt %7.3f s   PySpark Connect %7.3f s   ratio %.2fx (gohunt / PySpark; medians of %d)\n", what, g, p, g/p, len(goSecs))
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// dirMB is the size of the files under path, in MB.
func dirMB(path string) float64 {
	var n int64
	_ = filepath.Walk(path, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil // a file gone while walking only makes the figure smaller
	})
	return float64(n) / 1e6
}
