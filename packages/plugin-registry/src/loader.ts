// SPDX-License-Identifier: Apache-2.0
// Loading a third party's plugin module given with --plugin (a file or a package name, resolved from
// the current directory, then from iofleet's own dependencies). The CLI and the agent run from
// bundles, so two things are done for the plugin that a plain require() would not: a TypeScript
// file is loaded through tsx's CommonJS hook, and the plugin's `@iofleet/sdk` is this process's own
// SDK (the contract the host checks plugins against: one SDK version in the process, whichever copy
// the plugin's folder holds). Node's module internals (_resolveFilename, _cache) are the documented
// way loaders such as tsx and proxyquire redirect require(); they are typed here, not cast into.
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import * as sdk from '@iofleet/sdk';

/** Modules the host hands to plugins in place of their own copies. */
const SHARED: Readonly<Record<string, unknown>> = { '@iofleet/sdk': sdk };
const SHARED_PREFIX = 'iofleet-shared:';

interface ModuleInternals {
  _resolveFilename(request: string, ...rest: unknown[]): string;
  _cache: Record<string, unknown>;
  new (id: string): { filename: string; loaded: boolean; exports: unknown };
}

let installed = false;

/** Makes `require('@iofleet/sdk')` from any module of this process return this process's SDK. */
function shareSdk(): void {
  if (installed) return;
  installed = true;
  const M = require('node:module') as ModuleInternals;
  const resolveFilename = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request in SHARED ? `${SHARED_PREFIX}${request}` : resolveFilename.call(this, request, ...rest);
  };
  for (const [id, exports] of Object.entries(SHARED)) {
    const m = new M(`${SHARED_PREFIX}${id}`);
    m.filename = `${SHARED_PREFIX}${id}`;
    m.loaded = true;
    m.exports = exports;
    M._cache[`${SHARED_PREFIX}${id}`] = m;
  }
}

let tsxRegistered = false;

/** The file a --plugin spec names: a path from the current directory, or a package from there or from iofleet. */
function resolveSpec(spec: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) return require.resolve(resolve(spec));
  try {
    return createRequire(join(process.cwd(), 'noop.js')).resolve(spec);
  } catch {
    return require.resolve(spec);
  }
}

/** Loads a plugin module's exports (throws the loader's own error when it cannot). */
export function loadPluginModule(spec: string): Record<string, unknown> {
  const file = resolveSpec(spec);
  if (/\.[cm]?ts$/.test(file) && !tsxRegistered) {
    (require('tsx/cjs/api') as { register(): unknown }).register();
    tsxRegistered = true;
  }
  shareSdk();
  return require(file) as Record<string, unknown>;
}
