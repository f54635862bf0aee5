#!/usr/bin/env bash
# The dashboard's browser test (issue 6): Debian's headless Chromium driven
# by playwright-core against a real `jobs admin` over a test Redis database
# holding 10,000 tasks. Needs Redis on 127.0.0.1:6379 (TEST_REDIS_ADDR) and
# PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_URL; `jobs admin` serves the
# Twilio webhooks, which write to it), Go, and Node.js 20 or later with
# npm; installs Chromium (apt) and playwright-core (npm ci) when they are
# missing. Leaves .ci/artifacts/dashboard.png,
# .ci/artifacts/dashboard-timing.json and a screenshot of each operations
# page (.ci/artifacts/ops-*.png).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [ ! -x /usr/bin/chromium ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	echo "run.sh: Node.js 20 or later is required (playwright-core)" >&2
	exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
	npm ci --no-audit --no-fund
fi
cd "$here/../../.."
export PATH="$PATH:/usr/local/go/bin"
DASHBOARD_BROWSER_TEST=1 ARTIFACTS_DIR="$PWD/.ci/artifacts" \
	go test -count=1 -v -timeout 10m -run '^(TestDashboardInBrowser|TestOpsInBrowser)$' ./internal/admin/browser/
