package hunt

import (
	"context"
	"strings"
	"testing"
)

// fakeRel is a relation over fixed columns that absorbs nothing, for checking the plan's
// bookkeeping without a server (the engines themselves are tested against real servers).
type fakeRel struct{ cols []string }

func (r fakeRel) engineName() string                   { return "Test" }
func (r fakeRel) push(*node) (relation, bool)          { return nil, false }
func (r fakeRel) columns() []string                    { return r.cols }
func (r fakeRel) count(context.Context) (int64, error) { return 0, nil }
func (r fakeRel) read(_ context.Context, e *engine, _ bool) *Frame {
	return SQL("SELECT 1 AS EventID, 'a' AS Image")
}
func (r fakeRel) explain() string { return "fixed" }
func (r fakeRel) note() string    { return "in Test" }

// TestLazyFrameNamesUnknownColumnsAtOnce: an operation on a frame of another engine that names
// a column the source lacks fails at once with near matches, as on a DuckDB frame; a good
// plan runs its rest on DuckDB and says so in Plan.
func TestLazyFrameNamesUnknownColumnsAtOnce(t *testing.T) {
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	src := newLazy(e, fakeRel{cols: []string{"EventID", "Image"}})
	for _, f := range []*Frame{
		src.Where(Col("EventId").Eq(1)),
		src.Select("Image", "EventId"),
		src.OrderBy(Col("EventId").Desc()),
		src.GroupBy("EventId").Count(),
		src.Drop("EventId"),
	} {
		if f.Err() == nil || !strings.Contains(f.Err().Error(), `did you mean "EventID"`) {
			t.Errorf("err %v, want the unknown column with its near match", f.Err())
		}
	}
	g := src.Where(Col("EventID").Eq(1)).Select("Image")
	if g.Err() != nil || g.Pushed() || !strings.Contains(g.Plan(), "DuckDB: Select") || !strings.Contains(g.Plan(), "Test: fixed") {
		t.Fatalf("err %v, plan:\n%s", g.Err(), g.Plan())
	}
	rows, err := g.Collect()
	if err != nil || len(rows) != 1 || rows[0]["Image"] != "a" {
		t.Fatalf("rows %v, %v", rows, err)
	}
}
