//go:build spark

package hunt

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
)

// TestSparkDisplayFirstRowsOnly: showing a Spark frame reads its first rows and counts nothing,
// as df.show() does. The frame has 10^12 rows behind a filter, so a count would scan for hours:
// the display finishing at all (within the cell's context bound, set far above what reading 21
// rows takes) shows no count ran. The summary says the rest was not counted and how to count it;
// a frame that fits in the display still says its exact size.
func TestSparkDisplayFirstRowsOnly(t *testing.T) {
	sp := Spark(sparkURL(t))
	if sp.Err() != nil {
		t.Fatal(sp.Err())
	}
	defer sp.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	end := session.Begin(ctx, nil)
	defer end()
	huge := sp.SQL("SELECT id, id % 13 AS m FROM range(1000000000000) WHERE id % 7 = 1")
	s := huge.String()
	if ctx.Err() != nil {
		t.Fatalf("the display did not end before the bound: it counted the 10^12 rows?\n%s", s)
	}
	if !strings.Contains(s, "showing the first 20 rows (more not counted: Count() counts them), 2 columns") {
		t.Fatalf("display of a large Spark frame:\n%s", s)
	}
	if !strings.Contains(s, "|  1| 1|") || !strings.Contains(s, "|134| 4|") {
		t.Errorf("display of a large Spark frame lacks its first rows (ids 1, 8, ..., 134):\n%s", s)
	}
	if h := huge.HTML(); !strings.Contains(h, "more not counted") || strings.Count(h, "<tr>") != 21 {
		t.Errorf("HTML display of a large Spark frame: %d rows, want a header and 20 rows, and the summary:\n%s", strings.Count(h, "<tr>"), h)
	}
	small := sp.SQL("SELECT id FROM range(5)")
	if s := small.String(); !strings.Contains(s, "5 rows, 1 column") {
		t.Errorf("display of a 5-row Spark frame:\n%s", s)
	}
	exact := sp.SQL("SELECT id FROM range(21)")
	if s := exact.String(); !strings.Contains(s, "showing the first 20 rows (more not counted") {
		t.Errorf("display of a 21-row Spark frame:\n%s", s)
	}
	if n, err := exact.Count(); err != nil || n != 21 {
		t.Errorf("Count() = %d, %v; want 21", n, err)
	}
	end()

	// The kernel renders a shown value as HTML and as text: within one cell both come from one
	// read (uuid() differs on every run of the query), a later cell reads again.
	ids := sp.SQL("SELECT uuid() AS u FROM range(30)")
	uuidRE := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	cell := func() (html, text string) {
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		defer session.Begin(c, nil)()
		return uuidRE.FindString(ids.HTML()), uuidRE.FindString(ids.String())
	}
	h1, t1 := cell()
	if h1 == "" || h1 != t1 {
		t.Errorf("one cell's HTML and text show different first rows (%q, %q): the display read the frame twice", h1, t1)
	}
	if h2, _ := cell(); h2 == "" || h2 == h1 {
		t.Errorf("a later cell showed the rows of an earlier cell's read (%q, %q)", h2, h1)
	}
}

// TestSparkReadDefersAnalysis: sp.Read asks the server nothing until the frame is used (as
// PySpark does): a bad path fails at the first read with Spark's PATH_NOT_FOUND, a column the
// data lacks fails on Spark naming it, Columns asks the server for the schema, and a frame whose
// columns are known again checks operations at once.
func TestSparkReadDefersAnalysis(t *testing.T) {
	sp := Spark(sparkURL(t))
	if sp.Err() != nil {
		t.Fatal(sp.Err())
	}
	defer sp.Close()
	bad := sp.Read("/nonexistent/gohunt/events.parquet")
	if bad.Err() != nil {
		t.Fatalf("Read of a bad path asked the server: %v", bad.Err())
	}
	if _, err := bad.Collect(); err == nil || !strings.Contains(err.Error(), "PATH_NOT_FOUND") {
		t.Errorf("Collect of a bad path: %v, want Spark's PATH_NOT_FOUND", err)
	}
	if f := sp.SQL("SELECT * FROM no_such_view_gohunt"); f.Err() == nil || !strings.Contains(f.Err().Error(), "TABLE_OR_VIEW_NOT_FOUND") {
		t.Errorf("SQL over a missing view: %v, want the error at SQL (Spark analyzed the statement when it ran)", f.Err())
	}
	path := t.TempDir() + "/ev.json"
	if err := os.WriteFile(path, []byte(`{"EventID": 1, "Image": "a.exe"}`+"\n"+`{"EventID": 3, "Image": "b.exe"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := sp.Read(path)
	if _, err := ev.Select("Imagee").Collect(); err == nil || !strings.Contains(err.Error(), "Imagee") {
		t.Errorf("Select of a missing column: %v, want Spark's error naming Imagee", err)
	}
	rows, err := ev.Where(Col("EventID").Eq(3)).Select("Image").Collect()
	if err != nil || len(rows) != 1 || rows[0]["Image"] != "b.exe" {
		t.Fatalf("Where + Select on a deferred read: %v, %v", rows, err)
	}
	if got := strings.Join(ev.Columns(), ","); got != "EventID,Image" {
		t.Fatalf("Columns() = %s", got)
	}
	if f := ev.Select("Imagee"); f.Err() == nil || !strings.Contains(f.Err().Error(), "Image") {
		t.Errorf("Select of a missing column once the columns are known: %v, want the check at once", f.Err())
	}
}
