// SPDX-License-Identifier: Apache-2.0
// The device plugins the CLI knows: the built-in ones, plus any module given with --plugin (a
// third party's package or file exporting a plugin made by defineDevicePlugin).
import type { PluginRegistry } from '@iofleet/host';
import { gpuPlugin } from '@iofleet/plugin-gpu';
import { nicPlugin } from '@iofleet/plugin-nic';
import { nvmePlugin } from '@iofleet/plugin-nvme';
import { pciebenchPlugin } from '@iofleet/plugin-pciebench';
import { type DevicePlugin, isDevicePlugin } from '@iofleet/sdk';
import { UsageError } from './cli-error';
import { loadPluginModule } from './plugin-loader';

export const BUILTIN_PLUGINS: readonly DevicePlugin[] = [
  nvmePlugin,
  nicPlugin,
  gpuPlugin,
  pciebenchPlugin,
] as DevicePlugin[];

/** Loads plugin modules (paths or package names) and returns the registry with the built-ins. */
export function pluginRegistry(modules: readonly string[] = []): PluginRegistry {
  const reg = new Map<string, DevicePlugin>(BUILTIN_PLUGINS.map((p) => [p.name, p]));
  for (const m of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = loadPluginModule(m);
    } catch (e) {
      throw new UsageError(`--plugin ${m}: cannot load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    }
    const found = Object.values(mod).filter(isDevicePlugin);
    if (!found.length) throw new UsageError(`--plugin ${m}: exports no plugin made by defineDevicePlugin()`);
    for (const p of found) reg.set(p.name, p);
  }
  return reg;
}
