// Package seslocal runs the aws-ses-v2-local SES emulator for tests: the
// npm package pinned by this directory's package.json and package-lock.json
// (with "overrides" for the transitive versions the registry here has). It
// installs it with `npm ci` when node_modules is missing or stale, starts
// it with node on a free loopback port, and stops it when the test ends.
// Node.js and npm must be on PATH.
package seslocal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Emulator is one running aws-ses-v2-local.
type Emulator struct {
	// URL is the emulator's origin, e.g. http://127.0.0.1:40123: the
	// SES_ENDPOINT that points the real SDK at it.
	URL string

	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

// Email is one message in the emulator's store (GET /store).
type Email struct {
	MessageID   string   `json:"messageId"`
	From        string   `json:"from"`
	ReplyTo     []string `json:"replyTo"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	// At is when it arrived, in Unix seconds.
	At int64 `json:"at"`
}

// startTimeout bounds the wait for the emulator to answer.
const startTimeout = 20 * time.Second

// Start installs the emulator when needed, starts it, and stops it when
// the test ends. It fails the test when Node.js is missing or the emulator
// does not come up.
func Start(t testing.TB) *Emulator {
	t.Helper()
	if err := Install(); err != nil {
		t.Fatalf("seslocal: %v", err)
	}
	var err error
	for range 3 { // a free port may be taken before node binds it
		var e *Emulator
		if e, err = start(); err == nil {
			t.Cleanup(e.stop)
			return e
		}
	}
	t.Fatalf("seslocal: %v", err)
	return nil
}

func start() (*Emulator, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH (install Node.js): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	e := &Emulator{URL: "http://127.0.0.1:" + strconv.Itoa(port), out: &syncBuffer{}, exited: make(chan struct{})}
	e.cmd = exec.Command(node, filepath.Join(Dir(), "node_modules", "aws-ses-v2-local", "dist", "cli.js"),
		"--host", "127.0.0.1", "--port", strconv.Itoa(port))
	e.cmd.Dir = Dir()
	e.cmd.Env = environ()
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	e.cmd.SysProcAttr = sysProcAttr()
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	go func() { e.cmd.Wait(); close(e.exited) }()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-e.exited:
			return nil, fmt.Errorf("emulator exited at start: %s", e.out)
		case <-time.After(50 * time.Millisecond):
		}
		if resp, err := http.Get(e.URL + "/health-check"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e, nil
			}
		}
	}
	e.stop()
	return nil, fmt.Errorf("emulator did not answer within %s: %s", startTimeout, e.out)
}

// stop kills the emulator and waits for it.
func (e *Emulator) stop() {
	e.cmd.Process.Kill()
	select {
	case <-e.exited:
	case <-time.After(10 * time.Second):
	}
}

// Emails returns every message the emulator received, oldest first.
func (e *Emulator) Emails(t testing.TB) []Email {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/store", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("seslocal: read store: %v", err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("seslocal: read store: status %d, %v", resp.StatusCode, err)
	}
	return store.Emails
}

// Clear empties the emulator's store.
func (e *Emulator) Clear(t testing.TB) {
	t.Helper()
	resp, err := http.Post(e.URL+"/clear-store", "application/json", nil)
	if err != nil {
		t.Fatalf("seslocal: clear store: %v", err)
	}
	resp.Body.Close()
}

// environ is the process's environment without the variables that would
// make the emulator forward mail (SMTP_TRANSPORT) or fake an account.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMTP_TRANSPORT=") && !strings.HasPrefix(kv, "AWS_SES_ACCOUNT=") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects the emulator's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written, trimmed.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.b.String())
}
