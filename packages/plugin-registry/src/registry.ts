// SPDX-License-Identifier: Apache-2.0
// The device plugins every iofleet process knows — the CLI and the host agent build their registry
// here — plus third-party plugins named with --plugin (a file, .ts or .js, relative to the working
// directory, or a package name), loaded by ./loader. A module that cannot be loaded, or exports no
// plugin made by defineDevicePlugin, is a PluginRegistryError naming it; the CLI reports it as a
// usage error, the agent refuses to start with it.
import { gpuPlugin } from '@iofleet/plugin-gpu';
import { nicPlugin } from '@iofleet/plugin-nic';
import { nvmePlugin } from '@iofleet/plugin-nvme';
import { pciebenchPlugin } from '@iofleet/plugin-pciebench';
import { type DevicePlugin, isDevicePlugin } from '@iofleet/sdk';
import { loadPluginModule } from './loader';

/** Plugins by name (what @iofleet/host's PluginRegistry is). */
export type PluginRegistry = ReadonlyMap<string, DevicePlugin>;

export const BUILTIN_PLUGINS: readonly DevicePlugin[] = [
  nvmePlugin,
  nicPlugin,
  gpuPlugin,
  pciebenchPlugin,
] as DevicePlugin[];

export type PluginRegistryErrorCode =
  | 'PLUGIN_LOAD' // the module could not be found or threw while loading
  | 'PLUGIN_NONE'; // the module exports no plugin made by defineDevicePlugin()

export class PluginRegistryError extends Error {
  override readonly name = 'PluginRegistryError';
  constructor(
    readonly code: PluginRegistryErrorCode,
    /** The --plugin value as given. */
    readonly module: string,
    message: string,
  ) {
    super(message);
  }
}

/** The first line of what a loader threw (a module-not-found error lists the whole require stack). */
const firstLine = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

/**
 * The built-in plugins plus those exported by `modules` (paths relative to the working directory,
 * or package names); a later plugin of the same name replaces an earlier one.
 */
export function pluginRegistry(modules: readonly string[] = []): PluginRegistry {
  const reg = new Map<string, DevicePlugin>(BUILTIN_PLUGINS.map((p) => [p.name, p]));
  for (const m of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = loadPluginModule(m);
    } catch (e) {
      throw new PluginRegistryError('PLUGIN_LOAD', m, `--plugin ${m}: cannot load (${firstLine(e)})`);
    }
    const found = Object.values(mod).filter(isDevicePlugin);
    if (!found.length)
      throw new PluginRegistryError('PLUGIN_NONE', m, `--plugin ${m}: exports no plugin made by defineDevicePlugin()`);
    for (const p of found) reg.set(p.name, p);
  }
  return reg;
}
