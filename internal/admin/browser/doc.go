// Package browser holds the dashboard's test in a real headless Chromium:
// browser_test.go seeds a test Redis database, starts the jobs binary as
// `jobs admin` and runs dashboard.test.mjs (node:test, playwright-core)
// against it; ops_test.go does the same for the operations pages with
// ops.test.mjs. run.sh installs what it needs and runs both.
package browser
