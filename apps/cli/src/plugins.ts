// SPDX-License-Identifier: Apache-2.0
// The device plugins the CLI knows: the one registry every iofleet process loads
// (@iofleet/plugin-registry, the host agent's too), with the modules given with --plugin. A module
// that cannot be loaded or exports no plugin is the user's mistake: a UsageError (exit status 2).
import { type PluginRegistry, PluginRegistryError, pluginRegistry as sharedRegistry } from '@iofleet/plugin-registry';
import { UsageError } from './cli-error';

export { BUILTIN_PLUGINS } from '@iofleet/plugin-registry';

/** Loads plugin modules (paths or package names) and returns the registry with the built-ins. */
export function pluginRegistry(modules: readonly string[] = []): PluginRegistry {
  try {
    return sharedRegistry(modules);
  } catch (e) {
    if (e instanceof PluginRegistryError) throw new UsageError(e.message);
    throw e;
  }
}
