#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The `iofleet` command. Runs the compiled CLI (dist/) when it is built and up to date with its
// sources, otherwise the TypeScript sources through tsx, so `npx iofleet` works right after
// `npm ci` with no build step.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const args = process.argv.slice(2);
let argv;
if (process.env.IOFLEET_USE_DIST === '1' && existsSync(join(root, 'dist', 'main.js'))) {
  argv = [join(root, 'dist', 'main.js'), ...args];
} else {
  argv = ['--conditions=@iofleet/source', '--import', 'tsx', join(root, 'src', 'main.ts'), ...args];
}
const child = spawn(process.execPath, [...process.execArgv, ...argv], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
