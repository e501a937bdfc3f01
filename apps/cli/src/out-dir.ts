// SPDX-License-Identifier: Apache-2.0
// Output directories the CLI creates: made one level at a time and probed with a real file, so a bad
// place fails at once with the reason. Node 20's `mkdirSync(dir, { recursive: true })` never returns
// for a path under /proc (it retries ENOENT forever), and `access(W_OK)` says yes to root everywhere.
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './cli-error';

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** Creates `dir` (and missing parents) and checks it takes a file; a UsageError naming `what` otherwise. */
export function makeWritableDir(dir: string, what: string): string {
  const abs = resolve(dir);
  const missing: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory())
        throw new UsageError(`${what} ${dir}: cannot write there (${p} is not a directory)`);
      break;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (errno(e) !== 'ENOENT' || dirname(p) === p)
        throw new UsageError(`${what} ${dir}: cannot write there (${errno(e)})`);
      missing.unshift(p);
    }
  }
  const probe = join(abs, `.iofleet-write-check-${process.pid}`);
  try {
    for (const p of missing) mkdirSync(p);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new UsageError(`${what} ${dir}: cannot write there (${errno(e)})`);
  }
  return abs;
}
