//go:build spark

package spark

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCloseReleasesSession: Close releases the session on the server (its temporary view goes
// with it), which Released sees, while a session still open is not released; a closed Session
// fails later calls with a clear error and a second Close does nothing.
func TestCloseReleasesSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	url := serverURL(t)
	s, err := Connect(ctx, url)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	id := s.ID()
	if len(id) != 36 {
		t.Fatalf("ID() = %q, want the session's UUID", id)
	}
	if _, err := s.SQL(ctx, "CREATE OR REPLACE TEMP VIEW close_probe AS SELECT 1 AS n"); err != nil {
		t.Fatal(err)
	}
	if rel, err := Released(ctx, url, id, ""); err != nil || rel {
		t.Fatalf("Released(open session) = %v, %v; want false, nil", rel, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if rel, err := Released(ctx, url, id, ""); err != nil || !rel {
		t.Fatalf("Released(closed session) = %v, %v; want true, nil", rel, err)
	}
	if _, err := s.SQL(ctx, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "the session is closed") {
		t.Errorf("SQL on a closed session: %v, want \"the session is closed\"", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}
