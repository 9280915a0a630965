//go:build spark

package hunt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/hunt/spark"
)

// TestSparkSessionClosedWithHunt: closing the hunt session (what the kernel worker does when
// it shuts down) closes every Spark session hunt.Spark opened and releases it on the server;
// their frames fail afterwards with an error that says so, and a new hunt.Spark works. A
// session closed early by its own Close is released at once.
func TestSparkSessionClosedWithHunt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	url := sparkURL(t)
	a, b, early := Spark(url), Spark(url), Spark(url)
	for _, sp := range []*SparkSession{a, b, early} {
		if sp.Err() != nil {
			t.Fatal(sp.Err())
		}
	}
	if a.ID() == b.ID() || a.ID() == "" {
		t.Fatalf("session ids %q and %q: want two distinct ids", a.ID(), b.ID())
	}
	fa := a.SQL("SELECT 1 AS n")
	if n, err := fa.Count(); err != nil || n != 1 {
		t.Fatalf("a frame before the close: %d, %v", n, err)
	}
	if err := early.Close(); err != nil {
		t.Fatalf("SparkSession.Close: %v", err)
	}
	if rel, err := spark.Released(ctx, url, early.ID(), ""); err != nil || !rel {
		t.Fatalf("after SparkSession.Close: Released = %v, %v; want true", rel, err)
	}
	for _, sp := range []*SparkSession{a, b} {
		if rel, err := spark.Released(ctx, url, sp.ID(), ""); err != nil || rel {
			t.Fatalf("before session.Close: Released(%s) = %v, %v; want false", sp.ID(), rel, err)
		}
	}
	if err := session.Close(); err != nil {
		t.Fatalf("session.Close: %v", err)
	}
	for _, sp := range []*SparkSession{a, b} {
		if rel, err := spark.Released(ctx, url, sp.ID(), ""); err != nil || !rel {
			t.Errorf("after session.Close: Released(%s) = %v, %v; want true", sp.ID(), rel, err)
		}
	}
	if _, err := fa.Collect(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("a frame of a closed session: %v, want an error saying the session is closed", err)
	}
	if f := a.SQL("SELECT 2 AS n"); f.Err() == nil || !strings.Contains(f.Err().Error(), "closed") {
		t.Errorf("SQL on a closed session: %v, want an error saying the session is closed", f.Err())
	}
	c := Spark(url)
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	defer c.Close()
	if n, err := c.SQL("SELECT 1 AS n UNION ALL SELECT 2").Count(); err != nil || n != 2 {
		t.Fatalf("a new session after the close: %d, %v", n, err)
	}
}
