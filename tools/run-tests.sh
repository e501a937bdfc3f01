#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The project's test command (README): checks Nx project references, that docs/architecture.md and
# the Nx tags are generated from tools/architecture.json and the code obeys its arrows, then builds, typechecks,
# lints and tests every project, and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false FORCE_COLOR=0
export no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}"
npx nx sync:check || { echo "nx project references are out of date: run 'npx nx sync'"; echo "0 passed, 1 failed"; exit 1; }
node --test --test-reporter=dot tools/architecture.test.mjs || { echo "0 passed, 1 failed"; exit 1; }
node tools/architecture.mjs --check || { echo "0 passed, 1 failed"; exit 1; }
node tools/check-boundaries.mjs || { echo "0 passed, 1 failed"; exit 1; }
rm -rf packages/*/test-results packages/plugins/*/test-results apps/*/test-results
log=$(mktemp)
npx nx run-many -t build typecheck lint test --outputStyle=static --parallel=2 2>&1 | tee "$log"
nx_rc=${PIPESTATUS[0]}
# A failed build, typecheck or lint task counts as a failure in the closing line too.
failed_tasks=$(awk '/Failed tasks:/{f=1;next} f&&/^- /{print $2} f&&/^$/&&n++>0{f=0}' "$log" | grep -vc ':test$' || true)
rm -f "$log"
FAILED_TASKS=$failed_tasks node tools/test-summary.mjs
sum_rc=$?
exit $(( nx_rc != 0 ? nx_rc : sum_rc ))
