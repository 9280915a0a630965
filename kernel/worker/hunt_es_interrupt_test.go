//go:build es

package worker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestProcessESInterrupt interrupts a real worker while a cell displays, counts and collects an
// Elasticsearch frame whose read takes long (pages of one document): each cell ends as
// interrupted, the point-in-time of the read is closed, and the session keeps its variables.
// Needs ES_URL (make test-es-worker starts the node with scripts/es.sh).
func TestProcessESInterrupt(t *testing.T) {
	url := os.Getenv("ES_URL")
	if url == "" {
		t.Fatal("ES_URL is not set: this test needs the real Elasticsearch that `make test-es-worker` starts with scripts/es.sh")
	}
	path, err := filepath.Abs("../../testdata/mordor/empire_shell_reg_dump_sam.zip")
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t)
	p.exec(fmt.Sprintf("es := hunt.ES(%q)\n_, err := es.Load(\"gh-worker-interrupt\", %q)\nerr", url, path)).ok(t)
	p.exec("keep := 41\nslow := es.Index(\"gh-worker-interrupt\", hunt.ESBatch(1), hunt.ESSlices(1))\nslow.Err()").ok(t)
	for _, c := range []struct{ name, code string }{
		// OrderBy runs on DuckDB, so showing the frame reads it all.
		{"display", "slow.OrderBy(\"EventID\")"},
		{"Count", "n, err := slow.Distinct().Count()\nfmt.Println(n, err)"},
		{"Collect", "rows, err := slow.Collect()\nfmt.Println(len(rows), err)"},
	} {
		p.nextID++
		id := p.nextID
		p.send(ipc.Request{ID: id, Op: ipc.OpExecute, Code: c.code})
		time.Sleep(700 * time.Millisecond)
		p.send(ipc.Request{Op: ipc.OpInterrupt})
		deadline := time.After(60 * time.Second)
	wait:
		for {
			select {
			case ev := <-p.events:
				if ev.ID != id || ev.Kind != ipc.EvReply {
					continue
				}
				var reply map[string]any
				_ = json.Unmarshal(ev.Content, &reply)
				if reply["ename"] != "KeyboardInterrupt" {
					t.Fatalf("%s: reply %v, want a KeyboardInterrupt", c.name, reply)
				}
				break wait
			case <-p.done:
				t.Fatalf("%s: the worker died: %s", c.name, p.crash.String())
			case <-deadline:
				t.Fatalf("%s: no reply 60 s after the interrupt: the read kept going", c.name)
			}
		}
		if open := openContexts(t, url); open != 0 {
			t.Fatalf("%s: %d search contexts open after the interrupt: the point-in-time was not closed", c.name, open)
		}
	}
	if r := p.exec("keep + 1").ok(t); r.text() != "42" {
		t.Fatalf("keep + 1 = %q after the interrupts", r.text())
	}
	if r := p.exec("n, err := slow.Count()\nfmt.Sprint(n > 0, err)").ok(t); !strings.Contains(r.text(), "true <nil>") {
		t.Fatalf("a count after the interrupts: %q", r.text())
	}
}

// openContexts is the number of open search contexts on the node, once it settles (a closed
// point-in-time frees its contexts shortly after the close returns).
func openContexts(t *testing.T, url string) int {
	t.Helper()
	open := -1
	for i := 0; i < 50 && open != 0; i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		resp, err := http.Get(strings.TrimSuffix(url, "/") + "/_nodes/stats/indices/search")
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Nodes map[string]struct {
				Indices struct {
					Search struct {
						OpenContexts int `json:"open_contexts"`
					} `json:"search"`
				} `json:"indices"`
			} `json:"nodes"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		open = 0
		for _, n := range st.Nodes {
			open += n.Indices.Search.OpenContexts
		}
	}
	return open
}
