//go:build spark

package spark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests in files with the spark build tag run against a real Spark Connect server: make
// test-spark starts one with scripts/spark.sh and passes its URL in SPARK_URL and the script in
// SPARK_SCRIPT. Without a server they fail: they never skip.

func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SPARK_URL")
	if u == "" {
		t.Fatal("SPARK_URL is not set: the Spark tests need a Spark Connect server (make test-spark starts one with scripts/spark.sh)")
	}
	return u
}

func connect(t *testing.T) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Connect(ctx, serverURL(t))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// script runs scripts/spark.sh with args (SPARK_SCRIPT) and returns its output.
func script(t *testing.T, args ...string) string {
	t.Helper()
	sh := os.Getenv("SPARK_SCRIPT")
	if sh == "" {
		t.Fatal("SPARK_SCRIPT is not set: make test-spark passes the path of scripts/spark.sh")
	}
	out, err := exec.Command("bash", append([]string{sh}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("spark.sh %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("spark.sh %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// serverPID returns the pid of the Spark Connect server (from spark.sh status).
func serverPID(t *testing.T) int {
	t.Helper()
	m := regexp.MustCompile(`\(pid (\d+)\)`).FindStringSubmatch(script(t, "status"))
	if m == nil {
		t.Fatal("spark.sh status gave no pid")
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// cpuTicks returns the CPU time (user + system, in clock ticks) the process has used so far.
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("reading the server's CPU time: %v", err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(fields[11], 10, 64)
	k, _ := strconv.ParseInt(fields[12], 10, 64)
	return u + k
}
