// SPDX-License-Identifier: Apache-2.0
// @iofleet/plugin-registry: the one registry of device plugins the CLI and the host agent share.
export { loadPluginModule } from './loader';
export {
  BUILTIN_PLUGINS,
  type PluginRegistry,
  PluginRegistryError,
  type PluginRegistryErrorCode,
  pluginRegistry,
} from './registry';
