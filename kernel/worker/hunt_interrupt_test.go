package worker

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestProcessInterruptHuntQueries interrupts a real worker while a cell displays, counts and
// collects a DuckDB query that would run for minutes: each cell ends as interrupted (the query
// is stopped through the cell's context: a query left running would hold the cell past the
// deadline of call), and the session keeps its variables and its database.
func TestProcessInterruptHuntQueries(t *testing.T) {
	p := startProc(t)
	p.exec("keep := 41\nlong := hunt.SQL(\"SELECT sum(i % 13) AS s FROM range(30000000000) t(i)\")\nlong.Err()").ok(t)
	for _, c := range []struct{ name, code string }{
		{"display", "long"},
		{"Count", "n, err := long.Count()\nfmt.Println(n, err)"},
		{"Collect", "rows, err := long.Collect()\nfmt.Println(len(rows), err)"},
		{"Show", "long.Show()"},
	} {
		p.nextID++
		id := p.nextID
		p.send(ipc.Request{ID: id, Op: ipc.OpExecute, Code: c.code})
		time.Sleep(500 * time.Millisecond)
		p.send(ipc.Request{Op: ipc.OpInterrupt})
		sent := time.Now()
		deadline := time.After(30 * time.Second)
	wait:
		for {
			select {
			case ev := <-p.events:
				if ev.ID != id || ev.Kind != ipc.EvReply {
					continue
				}
				var reply map[string]any
				_ = json.Unmarshal(ev.Content, &reply)
				if reply["status"] != "error" || reply["ename"] != "KeyboardInterrupt" {
					t.Fatalf("%s: reply %v, want a KeyboardInterrupt", c.name, reply)
				}
				t.Logf("%s: the reply came %v after the interrupt", c.name, time.Since(sent).Round(time.Millisecond))
				break wait
			case <-p.done:
				t.Fatalf("%s: the worker died: %s", c.name, p.crash.String())
			case <-deadline:
				t.Fatalf("%s: no reply 30 s after the interrupt: the query kept running", c.name)
			}
		}
	}
	if r := p.exec("keep + 1").ok(t); r.text() != "42" {
		t.Fatalf("keep + 1 = %q after the interrupts", r.text())
	}
	if r := p.exec("n, err := hunt.SQL(\"SELECT 7 AS x\").Count()\nfmt.Sprint(n, err)").ok(t); !strings.Contains(r.text(), "1 <nil>") {
		t.Fatalf("a query after the interrupts: %q", r.text())
	}
}
