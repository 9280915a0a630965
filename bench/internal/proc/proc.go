// Package proc reads what the benchmarks report of their own process: CPU time and memory.
package proc

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// CPU returns the CPU time (user and system, all threads) the process has used; 0 if the
// system cannot say.
func CPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// StatusKB returns a field of /proc/self/status in kB (VmRSS: resident now, VmHWM: peak
// resident); 0 when the field cannot be read.
func StatusKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var v int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(rest, "kB")), &v)
			return v
		}
	}
	return 0
}
