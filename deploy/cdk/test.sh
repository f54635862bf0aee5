#!/usr/bin/env bash
# Tests of the CDK app, and the Go drift guard against what it synthesizes:
#   1. installs the locked packages (npm ci) and type-checks (tsc);
#   2. synthesizes bin/app.ts with cdk.json's example context into cdk.out,
#      without the CDK command-line tool;
#   3. runs the assertion tests (node:test + aws-cdk-lib/assertions);
#   4. runs internal/deploytest with JOBS_CDK_TEMPLATE pointing at the
#      synthesized template (outside this script those tests skip).
# `make test` runs it; it needs Node.js 20+, npm and Go.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

npm ci --no-audit --no-fund --loglevel=error
npx --no-install tsc --noEmit

rm -rf cdk.out
CDK_CONTEXT_JSON="$(node -e 'process.stdout.write(JSON.stringify(require("./cdk.json").context))')" \
	CDK_OUTDIR=cdk.out npx --no-install tsx bin/app.ts
template="$here/cdk.out/jobs-production.template.json"
test -s "$template" || { echo "cdk synth wrote no $template" >&2; exit 1; }

node --import tsx --test --test-reporter=tap test/*.test.ts

cd "$here/../.."
JOBS_CDK_TEMPLATE="$template" go test -race -count=1 ./internal/deploytest/
