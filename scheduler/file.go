package scheduler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// fileEntry is one entry as written in a schedule file.
type fileEntry struct {
	Name     string         `yaml:"name"`
	Cron     string         `yaml:"cron"`
	Timezone string         `yaml:"timezone"`
	Kind     string         `yaml:"kind"`
	Payload  map[string]any `yaml:"payload"`
	Grace    string         `yaml:"grace"`
	Enabled  *bool          `yaml:"enabled"`
}

// file is a schedule file (SCHEDULE_FILE).
type file struct {
	ReplaceDefaults bool        `yaml:"replace_defaults"`
	Entries         []fileEntry `yaml:"entries"`
}

// Load returns the entries in force: the defaults, replaced or extended by
// the schedule file at path when path is not empty. An entry in the file
// with a default's name overrides it. Every problem of every entry is
// reported in one error naming the entry.
func Load(path string) ([]Entry, error) {
	if path == "" {
		return Compile(Defaults())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("schedule file: %w", err)
	}
	entries, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("schedule file %s: %w", path, err)
	}
	return entries, nil
}

// Parse reads a schedule file's content and returns the entries in force.
func Parse(data []byte) ([]Entry, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty file (io.EOF) means the defaults alone.
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not a valid schedule file: %v", err)
	}
	var problems []string
	var fromFile []Entry
	seen := map[string]int{}
	for i, fe := range f.Entries {
		label := fmt.Sprintf("entry %d", i+1)
		if fe.Name != "" {
			label = fmt.Sprintf("entry %q", fe.Name)
		}
		if j, dup := seen[fe.Name]; dup && fe.Name != "" {
			problems = append(problems, fmt.Sprintf("%s: duplicate name (also entry %d)", label, j+1))
			continue
		}
		seen[fe.Name] = i
		e := Entry{Name: fe.Name, Cron: fe.Cron, Timezone: fe.Timezone, Kind: fe.Kind, Enabled: true}
		if fe.Enabled != nil {
			e.Enabled = *fe.Enabled
		}
		if fe.Grace != "" {
			d, err := time.ParseDuration(fe.Grace)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: grace %q is not a duration like 10m", label, fe.Grace))
			}
			e.Grace = d
		}
		if fe.Payload != nil {
			raw, err := json.Marshal(fe.Payload)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: payload: %v", label, err))
			}
			e.Payload = raw
		}
		for _, p := range e.prepare() {
			problems = append(problems, label+": "+p)
		}
		fromFile = append(fromFile, e)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	var entries []Entry
	if !f.ReplaceDefaults {
		for _, d := range Defaults() {
			if _, overridden := seen[d.Name]; !overridden {
				entries = append(entries, d)
			}
		}
	}
	entries = append(entries, fromFile...)
	return Compile(entries)
}

// Compile validates entries and compiles their schedules.
func Compile(entries []Entry) ([]Entry, error) {
	var problems []string
	out := make([]Entry, len(entries))
	for i, e := range entries {
		for _, p := range e.prepare() {
			problems = append(problems, fmt.Sprintf("entry %q: %s", e.Name, p))
		}
		out[i] = e
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}
