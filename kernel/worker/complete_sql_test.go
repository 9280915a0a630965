package worker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// TestProcessCompleteSQL sends complete requests on %%sql cells to a real worker, over the
// ipc pipes as the kernel does: after FROM and JOIN the registered views complete (any case),
// elsewhere the columns of the views the cell names, a column that is not an identifier quoted
// in backticks; inside a string literal nothing is offered.
func TestProcessCompleteSQL(t *testing.T) {
	p := startProc(t)
	p.exec(`hunt.FromRows([]map[string]any{{"EventID": 1, "Image": "cmd.exe", "@timestamp": "2020-09-21"}}).As("events")
hunt.FromRows([]map[string]any{{"Host": "wks1", "Ip": "10.0.0.1"}}).As("Hosts")
hunt.FromRows([]map[string]any{{"Evil": 1}}).As("evil")`).ok(t)
	// | marks the cursor; start is where the completed text begins.
	cases := []struct {
		code, want string
		start      int
	}{
		{"%%sql\nSELECT * FROM ev|", "[events evil]", 20},
		{"%%sql\nselect * from events e join h|", "[Hosts]", 34},
		{"%%sql -o x\nSELECT * FROM events, H|", "[Hosts]", 33},
		{"%%sql\nSELECT Im|", "[Image]", 13},
		{"%%sql\nSELECT e.Im| FROM events e", "[Image]", 15},
		{"%%sql\nSELECT H| FROM events JOIN Hosts ON true", "[Host]", 13},
		{"%%sql\nSELECT E| FROM events", "[EventID]", 13},
		{"%%sql\nSELECT Ho|st FROM Hosts", "[Host]", 13},
		{"%%sql\nSELECT `@t|", "[`@timestamp`]", 13},
		{"%%sql\nSELECT @t|", "[`@timestamp`]", 13},
		{"%%sql\nSELECT * FROM events WHERE Image = 'cm|", "[]", 0},
		{"%%sql\nSELECT * FROM events -- from ev|", "[]", 0},
		{"%%sql -o x|", "[]", 0},
	}
	for _, c := range cases {
		cursor := strings.Index(c.code, "|")
		code := strings.Replace(c.code, "|", "", 1)
		r := p.call(ipc.Request{Op: ipc.OpComplete, Code: code, CursorPos: len([]rune(code[:cursor]))}, 60*time.Second).reply
		if got := fmt.Sprint(r["matches"]); got != c.want {
			t.Errorf("complete %q: matches %s, want %s", c.code, got, c.want)
		}
		if c.want != "[]" && r["cursor_start"] != float64(c.start) {
			t.Errorf("complete %q: cursor_start %v, want %d", c.code, r["cursor_start"], c.start)
		}
	}
	if r := p.call(ipc.Request{Op: ipc.OpComplete, Code: "%%sql\nSELECT Host FROM Hosts", CursorPos: 15}, 60*time.Second).reply; r["cursor_end"] != float64(17) {
		t.Errorf("complete inside a name: cursor_end %v, want the end of the name (17)", r["cursor_end"])
	}
}
