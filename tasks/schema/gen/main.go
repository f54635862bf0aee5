// Command gen writes the JSON Schema of every task kind into a directory
// and removes the *.json files there that no kind generates. It is run by
// go generate ./tasks/schema.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/salonworks/jobs/tasks/schema"
)

func main() {
	dir := flag.String("dir", ".", "directory to write the schemas into")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := schema.Generate()
	if err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	existing, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, path := range existing {
		if _, ok := files[filepath.Base(path)]; !ok {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	return nil
}
