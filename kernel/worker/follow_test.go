package worker

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestProcessFollowInterrupt runs hunt.Follow in a real worker while the test appends events
// to the followed file: the follow's output is one display_data followed by
// update_display_data messages with the same display_id, and an interrupt ends the cell with
// status ok (no error, no traceback) and the note "stopped after N events"; the session's
// variables are kept. Both ways of running a follow are covered: shown as the cell's value,
// and Run.
func TestProcessFollowInterrupt(t *testing.T) {
	p := startProc(t)
	path := filepath.Join(t.TempDir(), "live.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p.exec(fmt.Sprintf("keep := 41\npath := %q", path)).ok(t)
	for _, c := range []struct{ name, code, noteIn string }{
		{"value", "hunt.Follow(path).Every(50 * time.Millisecond).Last(5)", ipc.EvExecuteResult},
		{"Run", "r, err := hunt.Follow(path).Every(50 * time.Millisecond).Run()\nfmt.Println(\"after Run\", r, err)", ipc.EvStream},
	} {
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		p.nextID++
		id := p.nextID
		p.send(ipc.Request{ID: id, Op: ipc.OpExecute, Code: c.code})
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		written, displayID, updates := 0, "", 0
		var texts []string
		var reply map[string]any
		interruptAt := time.Now().Add(time.Hour)
		tick := time.NewTicker(30 * time.Millisecond)
		deadline := time.After(60 * time.Second)
	loop:
		for {
			select {
			case <-tick.C:
				if written < 40 && displayID != "" { // the first display comes after the follow is at the file's end
					fmt.Fprintf(f, `{"n":%d,"msg":"event %d"}`+"\n", written, written)
					written++
				}
				if written == 40 && updates >= 3 && interruptAt.After(time.Now().Add(time.Minute)) {
					interruptAt = time.Now().Add(300 * time.Millisecond)
				}
				if time.Now().After(interruptAt) {
					p.send(ipc.Request{Op: ipc.OpInterrupt})
					interruptAt = time.Now().Add(time.Hour)
				}
			case ev := <-p.events:
				if ev.ID != id {
					continue
				}
				var m map[string]any
				_ = json.Unmarshal(ev.Content, &m)
				switch ev.Kind {
				case ipc.EvDisplayData, ipc.EvUpdateDisplayData:
					tr, _ := m["transient"].(map[string]any)
					did, _ := tr["display_id"].(string)
					if ev.Kind == ipc.EvDisplayData {
						if displayID != "" {
							t.Fatalf("%s: a second display_data (%s after %s): the follow must update one output", c.name, did, displayID)
						}
						displayID = did
						continue
					}
					if did != displayID || did == "" {
						t.Fatalf("%s: update_display_data for %q, the follow's display is %q", c.name, did, displayID)
					}
					updates++
				case ipc.EvStream:
					texts = append(texts, fmt.Sprint(m["text"]))
				case ipc.EvExecuteResult:
					data, _ := m["data"].(map[string]any)
					texts = append(texts, fmt.Sprint(data["text/plain"]))
				case ipc.EvError:
					t.Fatalf("%s: error output %v", c.name, m)
				case ipc.EvReply:
					reply = m
					break loop
				}
			case <-p.done:
				t.Fatalf("%s: the worker died: %s", c.name, p.crash.String())
			case <-deadline:
				t.Fatalf("%s: no reply 60 s after the cell started (%d updates, %d written)", c.name, updates, written)
			}
		}
		tick.Stop()
		f.Close()
		if reply["status"] != "ok" {
			t.Fatalf("%s: reply %v, want status ok after the interrupt", c.name, reply)
		}
		all := strings.Join(texts, "")
		if !strings.Contains(all, "stopped after 40 events") {
			t.Fatalf("%s: outputs %q lack the note", c.name, all)
		}
		if strings.Contains(all, "after Run") {
			t.Fatalf("%s: the statement after the interrupted Run ran: %q", c.name, all)
		}
		t.Logf("%s: display %s, %d updates, outputs %q", c.name, displayID, updates, all)
	}
	if r := p.exec("keep + 1").ok(t); r.text() != "42" {
		t.Fatalf("keep + 1 = %q after the follows", r.text())
	}
}
