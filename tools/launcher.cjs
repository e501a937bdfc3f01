// SPDX-License-Identifier: Apache-2.0
// What every iofleet command's bin file runs: the app's bundle (tools/bundle.cjs), in this process,
// rebuilt first when it is missing or older than a source it was made from. Works from any
// directory: the bundle resolves its npm dependencies from the repository's node_modules.
// IOFLEET_FROM_SOURCE=1 runs the TypeScript sources through tsx instead (slower to start; for
// debugging with the sources' own line numbers). IOFLEET_PREBUILT=1 runs the bundle as it is, never
// checking or rebuilding it: for images that ship the bundles without the build tools
// (deploy/Dockerfile), where a missing bundle is an error rather than a build.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { APPS, ROOT, buildApp, bundleFile, isFresh } = require('./bundle.cjs');

function runBundle(app) {
  const m = require(bundleFile(app));
  // The CLI exports run(); the agent and the scheduler start when loaded.
  if (typeof m.run === 'function') m.run(process.argv);
}

function runFromSource(app) {
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  const child = spawn(
    process.execPath,
    ['--conditions=@iofleet/source', '--import', tsx, path.join(ROOT, APPS[app]), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/** Starts `app` (a key of APPS) with this process's arguments. */
function launch(app) {
  if (process.env.IOFLEET_FROM_SOURCE === '1') return runFromSource(app);
  if (process.env.IOFLEET_PREBUILT === '1') {
    if (fs.existsSync(bundleFile(app))) return runBundle(app);
    process.stderr.write(
      `error: IOFLEET_PREBUILT=1 but ${bundleFile(app)} is missing (build it with node tools/bundle.cjs)\n`,
    );
    process.exit(1);
  }
  if (isFresh(app)) return runBundle(app);
  if (process.stderr.isTTY) process.stderr.write(`iofleet: building ${app} from its sources...\n`);
  buildApp(app).then(
    () => runBundle(app),
    (e) => {
      process.stderr.write(`error: could not build ${app}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}

module.exports = { launch };
