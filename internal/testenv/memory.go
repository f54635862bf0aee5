package testenv

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ProcStatusKB reads a kB field of /proc/self/status, such as VmRSS or
// VmHWM (peak RSS), for benchmarks that report memory. It skips the
// benchmark where the file does not exist.
func ProcStatusKB(tb testing.TB, field string) int64 {
	tb.Helper()
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc/self/status: %v", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("%s: %v", field, err)
			}
			return kb
		}
	}
	tb.Fatalf("%s not in /proc/self/status", field)
	return 0
}

// ResetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+),
// so a benchmark's peak is its own; it reports whether it could.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
