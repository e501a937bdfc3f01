#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Prints ONE closing line that CI recognises: "N passed, N failed[, N skipped]".
// Adds up every project's vitest JSON report (test-results/vitest.json). Exits 1 on any failed
// test, any suite that failed to load, any project with a test script but no report, or 0 tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];

function projectDirs() {
  const dirs = [];
  for (const root of ['packages', 'packages/plugins', 'apps', 'tools']) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root)) {
      const dir = join(root, name);
      if (existsSync(join(dir, 'package.json'))) dirs.push(dir);
    }
  }
  return dirs;
}

for (const dir of projectDirs()) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const report = join(dir, 'test-results', 'vitest.json');
  if (!existsSync(report)) {
    missing.push(dir);
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  if (r.numTotalTests === 0) {
    console.error(`test-summary: ${dir} has a test target but ran no test`);
    failed++;
  }
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // Suites that failed to load report no assertions; count each as one failure.
  failed += (r.testResults ?? []).filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
}
for (const m of missing) console.error(`test-summary: no report in ${m}/test-results (did its test target run?)`);
failed += missing.length;
const failedTasks = Number(process.env.FAILED_TASKS ?? 0);
if (failedTasks > 0) console.error(`test-summary: ${failedTasks} build/typecheck/lint task(s) failed`);
failed += failedTasks;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
