//go:build spark

package spark

import (
	"context"
	"errors"
	"testing"
	"time"
)

const longQuery = "SELECT sum(id % 13) FROM range(100000000000)"

// warmUp runs a short query of longQuery's shape, so that the server has loaded and compiled
// what the long one needs.
func warmUp(t *testing.T, s *Session) {
	t.Helper()
	if _, err := mustSQL(t, s, "SELECT sum(id % 13) FROM range(1000000)").Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitBusy waits until the server's job runs: two 2-s windows in a row with at least 10 CPU
// ticks each (a twentieth of a core, over ten times its idle rate of 0-2 ticks in 3 s; the
// machine's cores may be shared with much other work). Callers warm the server up first (warmUp), so that planning and code
// generation are not what keeps it busy: an interrupt that lands while Spark still plans the
// query can be overtaken by a job that adaptive execution submits right after it (seen with
// Spark 4.3 on a cold server), which no client can stop (docs/spark.md).
func waitBusy(t *testing.T, pid int) {
	t.Helper()
	busy := 0
	for i := 0; i < 60; i++ {
		a := cpuTicks(t, pid)
		time.Sleep(2 * time.Second)
		if cpuTicks(t, pid)-a >= 10 {
			busy++
		} else {
			busy = 0
		}
		if busy == 2 {
			return
		}
	}
	t.Fatal("the server never got busy with the long query")
}

// waitIdle waits until the server's CPU time stops growing (under 10 ticks in 3 s: idle, the
// server uses 0-2)
// and fails when it keeps growing for two minutes: the job was not stopped.
func waitIdle(t *testing.T, pid int) {
	t.Helper()
	var last int64
	for i := 0; i < 40; i++ {
		a := cpuTicks(t, pid)
		time.Sleep(3 * time.Second)
		last = cpuTicks(t, pid) - a
		if last < 10 {
			return
		}
	}
	t.Fatalf("the server kept working after the interrupt (%d CPU ticks in the last 3 s)", last)
}

// TestCancelInterruptsServer: cancelling the context of a running query stops the job on the
// server (Spark Connect's Interrupt), not only the client's stream; the session works after.
func TestCancelInterruptsServer(t *testing.T) {
	s := connect(t)
	pid := serverPID(t)
	warmUp(t, s)
	waitIdle(t, pid)
	df, err := s.SQL(context.Background(), longQuery)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := df.Collect(ctx)
		done <- err
	}()
	waitBusy(t, pid)
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Collect after cancel = %v, want context.Canceled", err)
	}
	waitIdle(t, pid)
	if n := s.running(); n != 0 {
		t.Errorf("%d operations still tracked as running", n)
	}
	rows, err := mustSQL(t, s, "SELECT 41 + 1").Collect(context.Background())
	if err != nil || rows.Values[0][0] != int64(42) {
		t.Errorf("session after the interrupt: %v, %v", rows, err)
	}
}

// TestInterruptAll: InterruptAll stops a query started without a cancellable context; the
// query reports Spark's OPERATION_CANCELED.
func TestInterruptAll(t *testing.T) {
	s := connect(t)
	pid := serverPID(t)
	warmUp(t, s)
	waitIdle(t, pid)
	df := mustSQL(t, s, longQuery)
	done := make(chan error, 1)
	go func() {
		_, err := df.Collect(context.Background()) // a count of a global aggregate is answered without running it
		done <- err
	}()
	waitBusy(t, pid)
	ids, err := s.InterruptAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Errorf("InterruptAll interrupted %v, want one operation", ids)
	}
	err = <-done
	if classOf(err) != "OPERATION_CANCELED" {
		t.Errorf("interrupted Collect = %v (class %q), want OPERATION_CANCELED", err, classOf(err))
	}
	waitIdle(t, pid)
}

func mustSQL(t *testing.T, s *Session, q string) *DataFrame {
	t.Helper()
	df, err := s.SQL(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return df
}
