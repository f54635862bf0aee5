// Package version reports what build of jobs is running.
package version

import "runtime/debug"

// Version is set at build time with -ldflags "-X
// github.com/salonworks/jobs/internal/version.Version=v1.2.3"; without it the
// VCS revision recorded by the Go toolchain is used, or "dev".
var Version = ""

// String returns the running version.
func String() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
