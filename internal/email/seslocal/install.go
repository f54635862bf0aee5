package seslocal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// installTimeout bounds `npm ci`.
const installTimeout = 5 * time.Minute

// Dir is the directory holding package.json, package-lock.json and, once
// installed, node_modules.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

var installOnce struct {
	sync.Once
	err error
}

// Install runs `npm ci` in Dir when the emulator installed there is
// missing or not the version package.json pins. Concurrent test processes
// take turns through a lock file.
func Install() error {
	installOnce.Do(func() { installOnce.err = install() })
	return installOnce.err
}

func install() error {
	dir := Dir()
	want, err := pinned(dir)
	if err != nil {
		return err
	}
	if installed(dir) == want {
		return nil
	}
	unlock, err := lock(filepath.Join(dir, ".install.lock"))
	if err != nil {
		return fmt.Errorf("lock %s: %w", dir, err)
	}
	defer unlock()
	if installed(dir) == want { // another process installed it meanwhile
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is not on PATH (install Node.js and npm): %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", dir, err, out)
	}
	if got := installed(dir); got != want {
		return fmt.Errorf("npm ci in %s installed aws-ses-v2-local %q, want %q", dir, got, want)
	}
	return nil
}

// pinned is the aws-ses-v2-local version package.json asks for.
func pinned(dir string) (string, error) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pkg)
	}
	if err != nil {
		return "", fmt.Errorf("read package.json: %w", err)
	}
	v := pkg.Dependencies["aws-ses-v2-local"]
	if v == "" {
		return "", fmt.Errorf("package.json in %s does not pin aws-ses-v2-local", dir)
	}
	return v, nil
}

// installed is the version of aws-ses-v2-local in node_modules, or "".
func installed(dir string) string {
	var pkg struct {
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "aws-ses-v2-local", "package.json"))
	if err != nil || json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "aws-ses-v2-local", "dist", "cli.js")); err != nil {
		return ""
	}
	return pkg.Version
}
