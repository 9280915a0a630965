// Command graph benchmarks hunt.LogonGraph and Graph.Components on DuckDB against networkx on
// the same synthetic Security logon events (4624, 4625, 4648), checks that both find the same
// graph (vertices, edges) and the same weakly connected components, and prints the times and
// the ratio.
//
// Both sides start from the events already loaded (gohunt: a cached frame; networkx: a list of
// dicts from the same JSON lines) and both build the graph from the events with the same edge
// attributes (count, first, last, kind, logon types, failures) before computing the components.
//
// Run by `make bench` (bench-graph): go run ./bench/graph -py .venv/bin/python.
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
	"runtime"
	"sort"
	"time"

	"github.com/gohunt/gohunt/bench/internal/proc"
	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
)

var (
	py     = flag.String("py", ".venv/bin/python", "python with networkx")
	events = flag.Int("events", 1_000_000, "synthetic logon events")
	work   = flag.String("work", "", "directory for the generated events (default: a temp dir)")
	noPeer = flag.Bool("no-peer", false, "time gohunt alone (no ratio, no oracle)")
	runs   = flag.Int("runs", 3, "gohunt runs (the best is reported; networkx runs once)")
)

// The population: a domain of users with a workstation each, servers, domain controllers, and
// outside addresses that try passwords.
const (
	users        = 6000
	workstations = 5000
	servers      = 300
	dcs          = 4
	serviceAccts = 150
	sprayers     = 2000
	kiosks       = 300
)

// userServer picks one of the few servers user u works with (its team's file, mail and
// application servers), the busy ones more often.
func userServer(r *rng, u int) int { return (u/40*7 + r.skewed(6)*31) % servers }

type rng struct{ s uint64 }

func (r *rng) next() uint64 { r.s ^= r.s << 13; r.s ^= r.s >> 7; r.s ^= r.s << 17; return r.s }
func (r *rng) n(k int) int  { return int(r.next() % uint64(k)) }

// skewed returns 0..k-1 with small values more likely (a few busy servers, many quiet ones).
func (r *rng) skewed(k int) int {
	a, b := r.n(k), r.n(k)
	if a < b {
		return a
	}
	return b
}

func wks(i int) string     { return fmt.Sprintf("WKS%05d.corp.example.com", i) }
func wksIP(i int) string   { return fmt.Sprintf("10.%d.%d.%d", 10+i/60000, (i/250)%240, 1+i%250) }
func srv(i int) string     { return fmt.Sprintf("SRV%03d.corp.example.com", i) }
func srvIP(i int) string   { return fmt.Sprintf("10.200.%d.%d", i/250, 1+i%250) }
func dc(i int) string      { return fmt.Sprintf("DC%02d.corp.example.com", i) }
func user(i int) string    { return fmt.Sprintf("user%05d", i) }
func svc(i int) string     { return fmt.Sprintf("svc_app%03d", i) }
func outside(i int) string { return fmt.Sprintf("203.0.%d.%d", 113+i/250, 1+i%250) }

// generate writes n Security events in time order, flat Mordor layout: logons (4624) of users on
// their workstation (interactive) and on servers and domain controllers (network, from their
// workstation's address), of machine accounts on domain controllers, of service accounts on
// servers; failed logons (4625) of users and of sprayed names from outside addresses; and
// explicit-credential logons (4648) from workstations to servers.
func generate(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &rng{s: 0x9E3779B97F4A7C15}
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i) * 50 * time.Millisecond)
		d := map[string]any{"@timestamp": ts.Format("2006-01-02T15:04:05.000Z"), "Channel": "Security",
			"TargetDomainName": "CORP"}
		u := r.n(users)
		home := u % workstations
		// Some users also use a second machine.
		if r.n(10) == 0 {
			home = r.n(workstations)
		}
		switch k := r.n(100); {
		case k < 30: // interactive or unlock on the own workstation
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4624, wks(home), user(u)
			d["LogonType"], d["IpAddress"] = []string{"2", "7", "11"}[r.n(3)], []string{"-", "127.0.0.1"}[r.n(2)]
		case k < 55: // network logon on a server
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4624, srv(userServer(r, u)), user(u)
			d["LogonType"], d["IpAddress"] = "3", wksIP(home)
		case k < 70: // network logon on a domain controller
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4624, dc(r.n(dcs)), user(u)
			d["LogonType"], d["IpAddress"] = "3", wksIP(home)
		case k < 80: // machine account on a domain controller
			m := r.n(workstations)
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4624, dc(r.n(dcs)), fmt.Sprintf("WKS%05d$", m)
			d["LogonType"], d["IpAddress"] = "3", wksIP(m)
		case k < 86: // service account on a server, from another server
			s := r.n(serviceAccts)
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4624, srv((s*7)%servers), svc(s)
			d["LogonType"], d["IpAddress"] = []string{"5", "3"}[r.n(2)], srvIP((s*13)%servers)
		case k < 89: // remote desktop to a server
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4624, srv(userServer(r, u)), user(u)
			d["LogonType"], d["IpAddress"] = "10", wksIP(home)
		case k < 91: // a stand-alone kiosk with its local account (small components of their own)
			kk := r.n(kiosks)
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4624, fmt.Sprintf("KIOSK%03d", kk), fmt.Sprintf("kiosk%03d", kk)
			d["TargetDomainName"], d["LogonType"], d["IpAddress"] = fmt.Sprintf("KIOSK%03d", kk), "2", "-"
		case k < 93: // mistyped password
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4625, srv(userServer(r, u)), user(u)
			d["LogonType"], d["IpAddress"] = "3", wksIP(home)
		case k < 95: // password spraying from outside
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4625, srv(r.n(8)), fmt.Sprintf("%s%d", []string{"admin", "test", "backup", "guest", "sql"}[r.n(5)], r.n(400))
			d["TargetDomainName"] = []string{"CORP", "-"}[r.n(2)]
			d["LogonType"], d["IpAddress"] = "3", outside(r.n(sprayers))
		default: // explicit credentials from the workstation to a server
			d["EventID"], d["Hostname"], d["TargetUserName"] = 4648, wks(home), user(u)
			d["TargetServerName"] = []string{srv(userServer(r, u)), "localhost"}[r.n(5)/4]
			d["IpAddress"] = "-"
		}
		b, _ := json.Marshal(d)
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// result is what both sides report: the graph's size and its components as (smallest id, size).
type result struct {
	Vertices, Edges  int64
	Logons, Failures int64    // the sums of the edges' count and failures columns
	Components       [][2]any // [smallest id, size], ordered by id
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-graph:", err)
		os.Exit(1)
	}
}

// gohunt builds the logon graph of ev and its components, and returns what it found with the
// wall and CPU time of building and components.
func gohunt(ev *hunt.Frame) (result, time.Duration, time.Duration, error) {
	c := proc.CPU()
	t := time.Now()
	g := hunt.LogonGraph(ev).Cache() // the graph is built once, as networkx builds it once
	if err := g.Err(); err != nil {
		return result{}, 0, 0, err
	}
	rows, err := g.Components().GroupBy("component").Agg(hunt.Count().As("size")).OrderBy("component").Collect()
	if err != nil {
		return result{}, 0, 0, err
	}
	d, dc := time.Since(t), proc.CPU()-c
	var r result
	sums, err := g.Edges().Select(hunt.SQLExpr("count(*)").As("edges"), hunt.SQLExpr("sum(`count`)::BIGINT").As("logons"), hunt.SQLExpr("sum(failures)::BIGINT").As("failures")).Collect()
	if err != nil {
		return r, 0, 0, err
	}
	r.Edges, r.Logons, r.Failures = toInt(sums[0]["edges"]), toInt(sums[0]["logons"]), toInt(sums[0]["failures"])
	for _, row := range rows {
		size := row["size"].(int64)
		r.Components = append(r.Components, [2]any{row["component"], size})
		r.Vertices += size
	}
	return r, d, dc, nil
}

func toInt(v any) int64 {
	n, _ := v.(int64)
	return n
}

func run() error {
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-graph-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	path := filepath.Join(dir, "logons.jsonl")
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
	var best, bestCPU time.Duration
	var res result
	for i := 0; i < *runs; i++ {
		r, d, dc, err := gohunt(ev)
		if err != nil {
			return err
		}
		if i == 0 || d < best {
			best = d
		}
		if i == 0 || dc < bestCPU {
			bestCPU = dc
		}
		res = r
		runtime.GC()
	}
	if *noPeer {
		fmt.Printf("bench-graph: %d events, %d vertices, %d edges, %d components; gohunt alone: load %.2fs, graph+components %.2fs (CPU %.2fs)\n",
			*events, res.Vertices, res.Edges, len(res.Components), load.Seconds(), best.Seconds(), bestCPU.Seconds())
		return nil
	}
	cmd := exec.Command(*py, "bench/graph/peer.py", path)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("peer.py: %v\n%s", err, stderr.String())
	}
	var peer struct {
		LoadS, BuildS, ComponentsS, CPUS float64
		Vertices, Edges                  int64
		Logons, Failures                 int64
		Components                       [][2]any
	}
	if err := json.Unmarshal(out.Bytes(), &peer); err != nil {
		return fmt.Errorf("peer.py output: %w", err)
	}
	if err := same(res, peer.Vertices, peer.Edges, peer.Logons, peer.Failures, peer.Components); err != nil {
		return err
	}
	nx := peer.BuildS + peer.ComponentsS
	fmt.Printf("bench-graph: %d logon events, %d vertices, %d edges (%d logons, %d failures), %d components: the same in gohunt and networkx; %s, %d cores\n",
		*events, res.Vertices, res.Edges, res.Logons, res.Failures, len(res.Components), time.Now().UTC().Format("2006-01-02"), runtime.NumCPU())
	fmt.Printf("  load:                gohunt %.2fs   python json %.2fs (not in the ratio)\n", load.Seconds(), peer.LoadS)
	fmt.Printf("  graph + components:  gohunt %.2fs (best of %d)   networkx %.2fs (build %.2fs, components %.2fs)   ratio %.1fx\n",
		best.Seconds(), *runs, nx, peer.BuildS, peer.ComponentsS, nx/best.Seconds())
	fmt.Printf("  CPU time (all threads, robust when the machine is shared):  gohunt %.2fs   networkx %.2fs   ratio %.1fx\n",
		bestCPU.Seconds(), peer.CPUS, peer.CPUS/bestCPU.Seconds())
	return nil
}

// same checks that gohunt and networkx found the same graph and components.
func same(r result, v, e, logons, failures int64, comps [][2]any) error {
	if r.Vertices != v || r.Edges != e {
		return fmt.Errorf("gohunt has %d vertices and %d edges, networkx %d and %d", r.Vertices, r.Edges, v, e)
	}
	if r.Logons != logons || r.Failures != failures {
		return fmt.Errorf("gohunt's edges count %d logons and %d failures, networkx's %d and %d", r.Logons, r.Failures, logons, failures)
	}
	if len(r.Components) != len(comps) {
		return fmt.Errorf("gohunt found %d components, networkx %d", len(r.Components), len(comps))
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i][0].(string) < comps[j][0].(string) })
	for i, c := range comps {
		id, size := c[0].(string), int64(c[1].(float64))
		if r.Components[i][0] != id || r.Components[i][1] != size {
			return fmt.Errorf("component %d: gohunt %v (size %v), networkx %q (size %d)", i, r.Components[i][0], r.Components[i][1], id, size)
		}
	}
	return nil
}
