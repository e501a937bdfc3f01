#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The scheduler process, run from its TypeScript sources through tsx (no build step needed).
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const main = join(__dirname, '..', 'src', 'main.ts');
const child = spawn(
  process.execPath,
  ['--conditions=@iofleet/source', '--import', 'tsx', main, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
