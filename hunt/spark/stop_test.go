//go:build spark

package spark

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestServerStoppedMidQuery: the server stops while a query runs: the query fails with a clear
// error, a query while it is down fails the same way, and once the server is back (same port)
// the same Session works again. It restarts the server, so it runs last (file order).
func TestServerStoppedMidQuery(t *testing.T) {
	s := connect(t)
	pid := serverPID(t)
	warmUp(t, s)
	df := mustSQL(t, s, longQuery)
	// A bound so that a hang fails the test instead of stalling it; not a speed requirement.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := df.Collect(ctx)
		done <- err
	}()
	waitBusy(t, pid)
	t.Cleanup(func() { script(t, "start") }) // the server is back for whatever runs next
	script(t, "stop")
	err := <-done
	if ctx.Err() != nil {
		t.Fatalf("the query did not end when the server stopped: %v", err)
	}
	// Either the connection drops (Unavailable) or the server, shutting down, fails the job
	// first and says so ("Cannot call methods on a stopped SparkContext."): one line either way.
	var se *Error
	if !errors.As(err, &se) || se.Code == codes.OK || se.Message == "" || strings.Contains(err.Error(), "\n") ||
		(se.Code == codes.Unavailable && !strings.Contains(err.Error(), "server unavailable")) {
		t.Fatalf("query when the server stopped: %v (%#v), want one line saying the server is unavailable or stopped", err, se)
	}
	t.Logf("query when the server stopped: %v", err)
	if _, err := s.SQL(ctx, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "server unavailable") {
		t.Errorf("SQL while the server is down: %v, want server unavailable", err)
	}
	if ctx.Err() != nil {
		t.Fatal("SQL while the server is down did not return")
	}
	script(t, "start")
	rows, err := mustSQL(t, s, "SELECT 40 + 2 AS n").Collect(ctx)
	if err != nil || len(rows.Values) != 1 || rows.Values[0][0] != int64(42) {
		t.Fatalf("the session after the server came back: %v, %v", rows, err)
	}
}
