package elastic

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetryStoppedMidAttempt: when the context ends while an attempt is answered with a
// retryable failure (a sibling slice gave up and cancelled the read), the error wraps the
// cancellation, so that Scan reports the sibling's failure and not this half-retried one.
func TestRetryStoppedMidAttempt(t *testing.T) {
	c, err := Connect(Config{URL: "http://127.0.0.1:1", Retries: 3, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	err = c.retry(ctx, "search", &n, func() error {
		cancel()
		return &Error{Op: "search", Status: 503, Reason: "busy"}
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("err = %v: want the cancellation, with the 503 in its text", err)
	}
	if n.Load() != 0 {
		t.Fatalf("%d retries after the context ended", n.Load())
	}

	// Not stopped: every attempt is made, counted, and the error says so.
	n.Store(0)
	tries := 0
	err = c.retry(context.Background(), "search", &n, func() error {
		tries++
		return &Error{Op: "search", Status: 503, Reason: "busy"}
	})
	if tries != 4 || n.Load() != 3 || !strings.Contains(err.Error(), "giving up after 4 attempts") || errors.Is(err, context.Canceled) {
		t.Fatalf("tries %d, retries %d, err = %v", tries, n.Load(), err)
	}

	// A failure that is not worth retrying is returned at once.
	tries = 0
	err = c.retry(context.Background(), "search", nil, func() error {
		tries++
		return &Error{Op: "search", Status: 400, Reason: "bad query"}
	})
	var ee *Error
	if tries != 1 || !errors.As(err, &ee) || ee.Status != 400 {
		t.Fatalf("tries %d, err = %v", tries, err)
	}
}
