package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/testenv"
)

// binPath is the jobs binary built once for the tests of this package, the
// same way the Makefile and the Dockerfile build it.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jobs-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if binPath, err = testenv.BuildJobs(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs the binary with exactly the given environment (plus PATH).
func start(t *testing.T, env map[string]string, args ...string) *testenv.Process {
	t.Helper()
	return testenv.StartProcess(t, binPath, env, args...)
}

// waitHTTP polls url until it answers want or within passes; it returns the
// last body.
func waitHTTP(t *testing.T, url string, want int, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("%d %s", resp.StatusCode, b)
			if resp.StatusCode == want {
				return string(b)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered %d; last: %s", url, want, last)
	return ""
}
