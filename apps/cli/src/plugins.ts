// SPDX-License-Identifier: Apache-2.0
// The device plugins the CLI knows: the one built-in list every iofleet process loads (the host
// agent too: @iofleet/host/plugins), plus any module given with --plugin (a third party's package
// or file exporting a plugin made by defineDevicePlugin), loaded by ./plugin-loader.
import type { PluginRegistry } from '@iofleet/host';
import { BUILTIN_PLUGINS } from '@iofleet/host/plugins';
import { type DevicePlugin, isDevicePlugin } from '@iofleet/sdk';
import { UsageError } from './cli-error';
import { loadPluginModule } from './plugin-loader';

export { BUILTIN_PLUGINS };

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
