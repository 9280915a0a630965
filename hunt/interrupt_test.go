package hunt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
)

// longQuery runs for minutes on DuckDB unless interrupted.
const longQuery = "SELECT sum(i % 13) AS s FROM range(30000000000) t(i)"

// TestCellContextStopsDuckDB: cancelling the running cell's context stops a long DuckDB query
// behind a display, a Count and a Collect, each returning the cancellation, and the session's
// database works afterwards.
func TestCellContextStopsDuckDB(t *testing.T) {
	f := SQL(longQuery)
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"display", func() error { _, err := f.preview(20, 0); return err }},
		{"Count", func() error { _, err := f.Count(); return err }},
		{"Collect", func() error { _, err := f.Collect(); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			end := session.Begin(ctx, nil)
			defer end()
			done := make(chan error, 1)
			go func() { done <- c.run() }()
			time.Sleep(300 * time.Millisecond)
			cancel()
			err := <-done
			if err == nil {
				t.Fatal("the query finished without error after the cancel")
			}
			if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "nterrupt") && !strings.Contains(err.Error(), "cancel") {
				t.Fatalf("error %v does not say the query was interrupted", err)
			}
		})
	}
	n, err := SQL("SELECT 1 AS x").Count()
	if err != nil || n != 1 {
		t.Fatalf("after the interrupts: Count = %d, %v", n, err)
	}
}
