//go:build spark

package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/spark"
	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestProcessSparkSQLMagicAndInterrupt: in a real worker, `%%sql -e sp` runs a cell's query on
// the Spark session held in sp, and a cell counting a long Spark query is interrupted with
// the session's variables kept. Needs SPARK_URL (make test-spark-worker starts the server).
func TestProcessSparkSQLMagicAndInterrupt(t *testing.T) {
	url := os.Getenv("SPARK_URL")
	if url == "" {
		t.Fatal("SPARK_URL is not set: this test needs the Spark Connect server make test-spark-worker starts with scripts/spark.sh")
	}
	p := startProc(t)
	p.exec(fmt.Sprintf("keep := 41\nsp := hunt.Spark(%q)\nsp.Err()", url)).ok(t)
	p.exec("%%sql -e sp -o r\nSELECT id, id * 2 AS twice FROM range(3)").ok(t)
	if r := p.exec("n, err := r.Count()\nfmt.Sprint(n, err, r.Pushed())").ok(t); !strings.Contains(r.text(), "3 <nil> true") {
		t.Fatalf("r.Count() after %%%%sql -e sp: %q", r.text())
	}
	if r := p.exec("%%sql -e nosuch\nSELECT 1"); r.status() != "error" || !strings.Contains(r.errorText(), "nosuch") {
		t.Fatalf("%%%%sql -e with an undefined engine: %s %s", r.status(), r.errorText())
	}
	// Count of a filter makes Spark scan every row (a count of a global aggregate is answered
	// without running it).
	p.exec("long := sp.SQL(\"SELECT id FROM range(30000000000) WHERE id % 13 = 5\")\nlong.Err()").ok(t)
	p.nextID++
	id := p.nextID
	p.send(ipc.Request{ID: id, Op: ipc.OpExecute, Code: "n, err := long.Count()\nfmt.Println(n, err)"})
	time.Sleep(1500 * time.Millisecond)
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
				t.Fatalf("reply %v, want a KeyboardInterrupt", reply)
			}
			break wait
		case <-p.done:
			t.Fatalf("the worker died: %s", p.crash.String())
		case <-deadline:
			t.Fatal("no reply 60 s after the interrupt: the Spark job kept the cell")
		}
	}
	if r := p.exec("keep + 1").ok(t); r.text() != "42" {
		t.Fatalf("keep + 1 = %q after the interrupt", r.text())
	}
}

// TestProcessSparkSessionReleasedAtShutdown: the Spark sessions a worker's cells opened are
// closed and released on the server when the worker shuts down (the kernel's shutdown and
// restart), so the server keeps none of their state. Needs SPARK_URL.
func TestProcessSparkSessionReleasedAtShutdown(t *testing.T) {
	url := os.Getenv("SPARK_URL")
	if url == "" {
		t.Fatal("SPARK_URL is not set: this test needs the Spark Connect server make test-spark-worker starts with scripts/spark.sh")
	}
	p := startProc(t)
	r := p.exec(fmt.Sprintf("sp := hunt.Spark(%q)\nsp.SQL(\"CREATE OR REPLACE TEMP VIEW probe AS SELECT 1 AS n\").Err()\nfmt.Print(sp.ID())", url)).ok(t)
	id := strings.TrimSpace(r.stream("stdout"))
	if len(id) != 36 {
		t.Fatalf("sp.ID() printed %q (%s), want a session UUID", id, r.text())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if rel, err := spark.Released(ctx, url, id, ""); err != nil || rel {
		t.Fatalf("while the worker runs: Released = %v, %v; want false", rel, err)
	}
	if sd := p.call(ipc.Request{Op: ipc.OpShutdown}, 60*time.Second); sd.reply["status"] != "ok" {
		t.Fatalf("shutdown: %v", sd.reply)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the worker did not exit after shutdown")
	}
	if rel, err := spark.Released(ctx, url, id, ""); err != nil || !rel {
		t.Fatalf("after the worker shut down: Released = %v, %v; want true (the session was left on the server)", rel, err)
	}
}
