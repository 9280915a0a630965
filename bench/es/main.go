// Command bench/es measures gohunt's Elasticsearch ingest and full read on synthetic
// Sysmon-like events against its peers, in one run, and prints the ratios:
//
//   - ingest: gohunt's BulkIndexer load vs elasticsearch-py helpers.parallel_bulk (with
//     Elasticsearch's ids and with gohunt's), with the CPU seconds of the node and each client;
//   - full read into a table: hunt.ES(...).Index(...).Local() (PIT, parallel slices, into
//     DuckDB) vs elasticsearch-py helpers.scan, vs eland to_pandas, and vs a raw HTTP loop
//     that only fetches the same point-in-time pages (the limit of the cluster and network).
//
// Environment: ES_URL (required; make bench-es starts a node), PY (python with the peers,
// default .venv/bin/python), BENCH_ES_DOCS (default 1000000), BENCH_ES_REUSE=1 (keep indices
// that already hold the events: reads only), BENCH_ES_INGEST_ONLY=1 (the ingest comparison
// only), BENCH_ES_WARMUP (events loaded, untimed, before the timed ingests; default 20000), BENCH_ES_READ_ONLY=1 (the full-read comparison
// only: no eland, which needs its own index), BENCH_ES_PLACEMENT (a line saying where the node
// and the reader run, printed in the header).
//
// make bench-es runs it twice: with the node and the reader sharing every core, then with the
// node pinned to CPU 0 and the reader to the others (taskset), as a cluster on its own
// hardware serves a hunter's notebook. On a 2-core machine the first run measures how much CPU
// the reader takes from the node; the second how close the reader comes to what the node can
// serve.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohunt/gohunt/bench/internal/proc"
	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/elastic"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/es:", err)
		os.Exit(1)
	}
}

type result struct {
	name    string
	seconds float64
	rows    int64
}

func run() error {
	url := os.Getenv("ES_URL")
	if url == "" {
		return fmt.Errorf("ES_URL is not set (make bench-es starts Elasticsearch)")
	}
	py := os.Getenv("PY")
	if py == "" {
		py = ".venv/bin/python"
	}
	n := 1_000_000
	if s := os.Getenv("BENCH_ES_DOCS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("BENCH_ES_DOCS: %w", err)
		}
		n = v
	}
	ctx := context.Background()
	c, err := elastic.Connect(elastic.Config{URL: url})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gohunt-bench-es-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "events.jsonl")
	size, err := generate(data, n)
	if err != nil {
		return err
	}
	fmt.Printf("bench/es: %d synthetic Sysmon-like events (%.0f MB of JSON), %d cores, Elasticsearch at %s\n", n, float64(size)/1e6, runtime.NumCPU(), url)
	if pl := os.Getenv("BENCH_ES_PLACEMENT"); pl != "" {
		fmt.Println("placement:", pl)
	}
	const goIdx, pyIdx = "bench-sysmon-go", "bench-sysmon-py"
	// BENCH_ES_REUSE=1 keeps indices already holding the n events and measures reads only.
	reuse := false
	if os.Getenv("BENCH_ES_REUSE") == "1" {
		if have, err := c.Count(ctx, goIdx, nil); err == nil && have == int64(n) {
			reuse = true
			fmt.Println("reusing", goIdx, "(ingest not measured)")
		}
	}
	if !reuse {
		for _, idx := range []string{goIdx, pyIdx} {
			if err := c.DeleteIndex(ctx, idx); err != nil {
				return err
			}
			body := map[string]any{"settings": map[string]any{"number_of_shards": 2, "number_of_replicas": 0, "refresh_interval": "30s"}}
			if err := c.CreateIndex(ctx, idx, body); err != nil {
				return err
			}
		}

		if err := ingest(ctx, c, py, url, data, n, goIdx, pyIdx); err != nil {
			return err
		}
	}
	if os.Getenv("BENCH_ES_INGEST_ONLY") == "1" {
		return nil
	}

	// Full read. The node shares the 2 cores with the reader and its JVM (512 MB heap) state
	// varies from read to read, so gohunt and the identity loop (the limit) run in turn,
	// three times each, and the best time of each counts, as in bench/hunt.
	raw, err := rawLoop(ctx, c, url, goIdx, runtime.NumCPU(), 5000, false)
	if err != nil {
		return err
	}
	es := hunt.ES(url, hunt.ESQuiet())
	var rawID, goRead result
	for round := 0; round < 3; round++ {
		r, err := rawLoop(ctx, c, url, goIdx, runtime.NumCPU(), 5000, true)
		if err != nil {
			return err
		}
		if round == 0 || r.seconds < rawID.seconds {
			rawID = r
		}
		// Warmed up as the Python peers import their libraries before timing: open DuckDB,
		// load its JSON reader.
		if _, err := hunt.FromRows([]map[string]any{{"warm": 1}}).Count(); err != nil {
			return err
		}
		g, err := huntRead(es, goIdx)
		if err != nil {
			return err
		}
		fmt.Printf("  round %d: identity loop %.2fs, gohunt %.2fs\n", round+1, r.seconds, g.seconds)
		if round == 0 || g.seconds < goRead.seconds {
			goRead = g
		}
	}
	scan, err := peer(py, url, "scan", goIdx)
	if err != nil {
		return err
	}
	scan.name = "elasticsearch-py helpers.scan"
	report("full read", goRead, []result{scan, raw, rawID}, n)
	if os.Getenv("BENCH_ES_READ_ONLY") == "1" {
		fmt.Printf("\ntarget: >= 0.8x raw HTTP: %.2fx of the gzip loop (%s), %.2fx of the identity loop (%s)\n",
			raw.seconds/goRead.seconds, verdict(raw.seconds/goRead.seconds >= 0.8),
			rawID.seconds/goRead.seconds, verdict(rawID.seconds/goRead.seconds >= 0.8))
		return nil
	}

	// eland reads about a thousand rows a second here, so it is compared on the first
	// BENCH_ES_ELAND_DOCS events (default 100000) in an index of their own, read by both.
	m := min(n, 100_000)
	if s := os.Getenv("BENCH_ES_ELAND_DOCS"); s != "" {
		if m, err = strconv.Atoi(s); err != nil {
			return fmt.Errorf("BENCH_ES_ELAND_DOCS: %w", err)
		}
		m = min(m, n)
	}
	const elIdx = "bench-sysmon-eland"
	if err := c.DeleteIndex(ctx, elIdx); err != nil {
		return err
	}
	if err := c.CreateIndex(ctx, elIdx, map[string]any{"settings": map[string]any{"number_of_shards": 2, "number_of_replicas": 0}}); err != nil {
		return err
	}
	if _, err := c.LoadFunc(ctx, elastic.LoadOptions{Index: elIdx, Refresh: true}, func(emit func(string, int, []byte) error) error {
		k := 0
		return elastic.ReadEvents(data, func(line int, raw []byte) error {
			if k++; k > m {
				return nil
			}
			return emit(data, line, raw)
		})
	}); err != nil {
		return err
	}
	goSmall, err := huntRead(es, elIdx)
	if err != nil {
		return err
	}
	el, err := peer(py, url, "eland", elIdx)
	if err != nil {
		return err
	}
	el.name = "eland to_pandas"
	report("full read (eland comparison)", goSmall, []result{el}, m)
	fmt.Printf("\ntargets: >= 3x eland: %.2fx (%s); >= 0.8x raw HTTP: %.2fx of the gzip loop (%s), %.2fx of the identity loop (%s)\n",
		el.seconds/goSmall.seconds, verdict(el.seconds/goSmall.seconds >= 3),
		raw.seconds/goRead.seconds, verdict(raw.seconds/goRead.seconds >= 0.8),
		rawID.seconds/goRead.seconds, verdict(rawID.seconds/goRead.seconds >= 0.8))
	return nil
}

// ingest times gohunt's load and elasticsearch-py's parallel_bulk of the same file into
// indices of the same settings, after a warm-up load into an index of its own (a node just
// started compiles its indexing path while the first client writes, which would count against
// whichever runs first). Besides the wall time it prints the CPU seconds the node
// (_nodes/stats process.cpu) and each client process spent, which say where the time goes on
// a machine whose cores the node and the client share. The peer runs twice: with
// Elasticsearch's own ids, as parallel_bulk does by default, and with the ids gohunt sends (a
// time-prefixed hash of the event, sent as creates, so that a re-load creates nothing new),
// which the node must look up before indexing each document.
func ingest(ctx context.Context, c *elastic.Client, py, url, data string, n int, goIdx, pyIdx string) error {
	const warmIdx = "bench-sysmon-warm"
	warm := min(n, 20_000)
	if s := os.Getenv("BENCH_ES_WARMUP"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("BENCH_ES_WARMUP: %w", err)
		}
		warm = min(n, v)
	}
	if err := c.DeleteIndex(ctx, warmIdx); err != nil {
		return err
	}
	if err := c.CreateIndex(ctx, warmIdx, map[string]any{"settings": map[string]any{"number_of_shards": 2, "number_of_replicas": 0}}); err != nil {
		return err
	}
	if warm == 0 {
		fmt.Println("no warm-up: the first client meets the node as it is")
	} else if _, err := c.LoadFunc(ctx, elastic.LoadOptions{Index: warmIdx}, func(emit func(string, int, []byte) error) error {
		k := 0
		return elastic.ReadEvents(data, func(line int, raw []byte) error {
			if k++; k > warm {
				return nil
			}
			return emit(data, line, raw)
		})
	}); err != nil {
		return err
	} else {
		fmt.Printf("node warmed up with %d events (not timed)\n", warm)
	}
	if err := c.DeleteIndex(ctx, warmIdx); err != nil {
		return err
	}

	cpu0, err := nodeCPU(ctx, c)
	if err != nil {
		return err
	}
	self0 := proc.CPU().Seconds()
	t0 := time.Now()
	st, err := c.Load(ctx, elastic.LoadOptions{Index: goIdx, Workers: 2, Refresh: true}, data)
	if err != nil {
		return err
	}
	goIngest := result{"gohunt load (BulkIndexer)", time.Since(t0).Seconds(), st.Created}
	cpu1, err := nodeCPU(ctx, c)
	if err != nil {
		return err
	}
	goCPU := proc.CPU().Seconds() - self0
	pyIngest, pyCPU, err := peerCPU(py, url, "ingest", data, pyIdx)
	if err != nil {
		return err
	}
	pyIngest.name = "elasticsearch-py parallel_bulk"
	cpu2, err := nodeCPU(ctx, c)
	if err != nil {
		return err
	}
	const idIdx = "bench-sysmon-pyid"
	if err := c.DeleteIndex(ctx, idIdx); err != nil {
		return err
	}
	if err := c.CreateIndex(ctx, idIdx, map[string]any{"settings": map[string]any{"number_of_shards": 2, "number_of_replicas": 0, "refresh_interval": "30s"}}); err != nil {
		return err
	}
	pyID, pyIDCPU, err := peerCPU(py, url, "ingest-ids", data, idIdx)
	if err != nil {
		return err
	}
	pyID.name = "parallel_bulk, gohunt's document ids"
	cpu3, err := nodeCPU(ctx, c)
	if err != nil {
		return err
	}
	if err := sameIDs(ctx, c, data, n, idIdx); err != nil {
		return err
	}
	if err := c.DeleteIndex(ctx, idIdx); err != nil {
		return err
	}
	report("ingest", goIngest, []result{pyIngest, pyID}, n)
	fmt.Println("  CPU seconds (node / client):")
	fmt.Printf("    %-40s node %6.1f s  client %6.1f s\n", goIngest.name, cpu1-cpu0, goCPU)
	fmt.Printf("    %-40s node %6.1f s  client %6.1f s\n", pyIngest.name, cpu2-cpu1, pyCPU)
	fmt.Printf("    %-40s node %6.1f s  client %6.1f s\n", pyID.name, cpu3-cpu2, pyIDCPU)
	return nil
}

// sameIDs checks that the peer gave 1,000 events spread over the file the ids gohunt gives
// them (elastic.DocumentID), so that both loads made the node look up the same ids.
func sameIDs(ctx context.Context, c *elastic.Client, data string, n int, index string) error {
	step := max(n/1000, 1)
	var ids []string
	k := 0
	if err := elastic.ReadEvents(data, func(_ int, raw []byte) error {
		if k%step == 0 {
			ids = append(ids, elastic.DocumentID(bytes.TrimSpace(raw)))
		}
		k++
		return nil
	}); err != nil {
		return err
	}
	var out struct {
		Docs []struct {
			ID    string `json:"_id"`
			Found bool   `json:"found"`
		} `json:"docs"`
	}
	if err := c.Raw(ctx, "POST", "/"+index+"/_mget?_source=false", map[string]any{"ids": ids}, &out); err != nil {
		return err
	}
	found := 0
	for _, d := range out.Docs {
		if d.Found {
			found++
		}
	}
	if found != len(ids) {
		return fmt.Errorf("the peer's ids differ from gohunt's: %d of %d sampled ids found in %s", found, len(ids), index)
	}
	fmt.Printf("  the peer's document ids equal gohunt's (%d sampled ids found)\n", found)
	return nil
}

// nodeCPU returns the CPU seconds the (single) node's process has spent.
func nodeCPU(ctx context.Context, c *elastic.Client) (float64, error) {
	var out struct {
		Nodes map[string]struct {
			Process struct {
				CPU struct {
					TotalInMillis int64 `json:"total_in_millis"`
				} `json:"cpu"`
			} `json:"process"`
		} `json:"nodes"`
	}
	if err := c.Raw(ctx, "GET", "/_nodes/_local/stats/process", nil, &out); err != nil {
		return 0, err
	}
	for _, n := range out.Nodes {
		return float64(n.Process.CPU.TotalInMillis) / 1000, nil
	}
	return 0, fmt.Errorf("node stats: no node")
}

// huntRead times gohunt's full read of index into a DuckDB frame, counted.
func huntRead(es *hunt.ESClient, index string) (result, error) {
	t0 := time.Now()
	f := es.Index(index).Local()
	if f.Err() != nil {
		return result{}, f.Err()
	}
	rows, err := f.Count()
	if err != nil {
		return result{}, err
	}
	return result{"gohunt Index().Local() into DuckDB", time.Since(t0).Seconds(), rows}, nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func report(what string, g result, peers []result, n int) {
	fmt.Printf("\n%s of %d events:\n", what, n)
	fmt.Printf("  %-42s %8.2fs %10.0f rows/s  %d rows\n", g.name, g.seconds, float64(g.rows)/g.seconds, g.rows)
	for _, p := range peers {
		fmt.Printf("  %-42s %8.2fs %10.0f rows/s  %d rows  gohunt is %.2fx its speed\n", p.name, p.seconds, float64(p.rows)/p.seconds, p.rows, p.seconds/g.seconds)
		if p.rows != g.rows {
			fmt.Printf("  WARNING: %s read %d rows, gohunt %d\n", p.name, p.rows, g.rows)
		}
	}
}

func peer(py string, args ...string) (result, error) {
	r, _, err := peerCPU(py, args...)
	return r, err
}

// peerCPU runs the Python peer and returns its result and the CPU seconds its process spent.
func peerCPU(py string, args ...string) (result, float64, error) {
	cmd := exec.Command(py, append([]string{"bench/es/peer.py"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, 0, fmt.Errorf("peer %v: %w", args[1:], err)
	}
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	var r struct {
		Seconds float64 `json:"seconds"`
		Rows    int64   `json:"rows"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return result{}, 0, fmt.Errorf("peer %v: %q: %w", args[1:], out, err)
	}
	return result{seconds: r.Seconds, rows: r.Rows}, cpu, nil
}

// rawLoop fetches every point-in-time page of index with the same slices and batch as
// gohunt's default read, keeping only the bytes and the last sort values: the limit.
// With identity, it asks for uncompressed answers as gohunt does on loopback; without, it
// uses Go's default (gzip).
func rawLoop(ctx context.Context, c *elastic.Client, url, index string, slices, batch int, identity bool) (result, error) {
	t0 := time.Now()
	var pit struct {
		ID string `json:"id"`
	}
	if err := c.Raw(ctx, "POST", "/"+index+"/_pit?keep_alive=2m", nil, &pit); err != nil {
		return result{}, err
	}
	defer c.Raw(ctx, "DELETE", "/_pit", map[string]any{"id": pit.ID}, nil)
	var rows atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, slices)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for s := 0; s < slices; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			var after json.RawMessage
			for {
				body := map[string]any{"size": batch, "pit": map[string]any{"id": pit.ID, "keep_alive": "2m"},
					"sort": []any{"_shard_doc"}, "track_total_hits": false}
				if slices > 1 {
					body["slice"] = map[string]any{"id": s, "max": slices}
				}
				if after != nil {
					body["search_after"] = after
				}
				b, _ := json.Marshal(body)
				req, _ := http.NewRequestWithContext(ctx, "POST", url+"/_search?filter_path=hits.hits._source,hits.hits.sort", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				if identity {
					req.Header.Set("Accept-Encoding", "identity")
				}
				res, err := hc.Do(req)
				if err != nil {
					errs[s] = err
					return
				}
				page, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 {
					errs[s] = fmt.Errorf("raw loop: HTTP %d %v: %.200s", res.StatusCode, err, page)
					return
				}
				k := bytes.Count(page, []byte(`"_source":`))
				if k == 0 {
					return
				}
				rows.Add(int64(k))
				i := bytes.LastIndex(page, []byte(`"sort":`))
				j := bytes.IndexByte(page[i:], ']')
				after = append(json.RawMessage(nil), page[i+7:i+j+1]...)
				if k < batch {
					return
				}
			}
		}(s)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return result{}, err
		}
	}
	name := "raw HTTP loop, same PIT pages (gzip)"
	if identity {
		name = "raw HTTP loop, same PIT pages (identity)"
	}
	return result{name, time.Since(t0).Seconds(), rows.Load()}, nil
}

// generate writes n Sysmon-like events (process creation, network, process access, image
// load) as JSON lines.
func generate(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	images := []string{`C:\Windows\System32\svchost.exe`, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`C:\Windows\System32\cmd.exe`, `C:\Windows\System32\wbem\WmiPrvSE.exe`, `C:\Program Files\Mozilla Firefox\firefox.exe`,
		`C:\Windows\explorer.exe`, `C:\Windows\System32\lsass.exe`, `C:\Windows\System32\rundll32.exe`}
	eids := []int{1, 3, 10, 7, 1, 10, 11, 13}
	base := time.Date(2020, 9, 21, 0, 0, 0, 0, time.UTC)
	var total int64
	for i := 0; i < n; i++ {
		img := images[i%len(images)]
		par := images[(i/7)%len(images)]
		ts := base.Add(time.Duration(i) * 37 * time.Millisecond)
		ev := map[string]any{
			"@timestamp":        ts.Format("2006-01-02T15:04:05.000Z"),
			"EventID":           eids[i%len(eids)],
			"Channel":           "Microsoft-Windows-Sysmon/Operational",
			"SourceName":        "Microsoft-Windows-Sysmon",
			"Hostname":          fmt.Sprintf("WORKSTATION%d.theshire.local", i%97),
			"RecordNumber":      3215160 + i,
			"UtcTime":           ts.Add(-1500 * time.Millisecond).Format("2006-01-02 15:04:05.000"),
			"ProcessGuid":       fmt.Sprintf("{d273d0f0-%04x-5f68-%04x-%012x}", i%65536, (i/65536)%65536, i),
			"ProcessId":         strconv.Itoa(1000 + i%60000),
			"Image":             img,
			"CommandLine":       fmt.Sprintf(`"%s" -noP -sta -w 1 -enc SQBGACgAJABQAFMAVgBlAHIAc%08d`, img, i%100000),
			"ParentImage":       par,
			"ParentProcessGuid": fmt.Sprintf("{d273d0f0-%04x-5f68-ae08-%012x}", (i/7)%65536, i/7),
			"User":              fmt.Sprintf(`THESHIRE\user%d`, i%50),
			"LogonId":           fmt.Sprintf("0x%x", 0x32c5cb5+i%1000),
			"IntegrityLevel":    []string{"High", "Medium", "System"}[i%3],
			"Hashes":            fmt.Sprintf("SHA1=%040X,MD5=%032X", i, i*7),
			"Keywords":          int64(-9223372036854775808),
			"tags":              []string{"mordorDataset"},
		}
		b, _ := json.Marshal(ev)
		w.Write(b)
		w.WriteByte('\n')
		total += int64(len(b) + 1)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return total, f.Close()
}
