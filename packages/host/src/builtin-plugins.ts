// SPDX-License-Identifier: Apache-2.0
// The device plugins every iofleet process knows — the CLI and the host agent load this one list —
// plus third-party plugins named by module (a package name or a file exporting plugins made by
// defineDevicePlugin). A separate entry point (@iofleet/host/plugins), so the host model itself
// stays free of any particular plugin. (Issue #20 will make this a shared, versioned registry.)
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { gpuPlugin } from '@iofleet/plugin-gpu';
import { nicPlugin } from '@iofleet/plugin-nic';
import { nvmePlugin } from '@iofleet/plugin-nvme';
import { pciebenchPlugin } from '@iofleet/plugin-pciebench';
import { type DevicePlugin, isDevicePlugin } from '@iofleet/sdk';
import type { PluginRegistry } from './devices/plugin-devices';
import { HostError } from './errors';

export const BUILTIN_PLUGINS: readonly DevicePlugin[] = [
  nvmePlugin,
  nicPlugin,
  gpuPlugin,
  pciebenchPlugin,
] as DevicePlugin[];

/** A path (relative to the working directory) or a package name, found from the working directory first. */
function loadModule(m: string): Record<string, unknown> {
  if (m.startsWith('.') || isAbsolute(m)) return require(resolve(m));
  try {
    return createRequire(join(process.cwd(), 'package.json'))(m);
  } catch {
    return require(m); // installed beside iofleet itself
  }
}

/**
 * The built-in plugins plus those exported by `modules` (paths, relative to the working
 * directory, or package names); a module that cannot be loaded or exports no plugin is a
 * HostError('PLUGIN') naming it.
 */
export function pluginRegistry(modules: readonly string[] = []): PluginRegistry {
  const reg = new Map<string, DevicePlugin>(BUILTIN_PLUGINS.map((p) => [p.name, p]));
  for (const m of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = loadModule(m);
    } catch (e) {
      throw new HostError(
        'PLUGIN',
        `--plugin ${m}: cannot load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
      );
    }
    const found = Object.values(mod).filter(isDevicePlugin);
    if (!found.length) throw new HostError('PLUGIN', `--plugin ${m}: exports no plugin made by defineDevicePlugin()`);
    for (const p of found) reg.set(p.name, p);
  }
  return reg;
}
