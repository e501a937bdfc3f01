// SPDX-License-Identifier: Apache-2.0
// @iofleet/sdk: the device-plugin contract, with no dependencies at all (as @opentelemetry/api is
// apart from its SDK). Contracts only: @iofleet/sdk-runtime implements the context on core's DMA
// layer (hosts use it), @iofleet/sdk-testing runs a plugin in a deterministic environment and the
// conformance suite. Seeded randomness reaches a plugin through its context (ctx.random(seed)),
// so the contract carries no generator of its own.
export {
  type Bar,
  type BusApi,
  type ConfigSpace,
  type CpuApi,
  type DeviceContext,
  type DeviceInfo,
  type DeviceLogger,
  type DeviceTracer,
  DMA_MAPPING_ERROR,
  type DmaApi,
  type DmaDirection,
  type MemoryApi,
  type Random,
  type SgEntry,
} from './context';
export { isSdkError, SdkError, type SdkErrorCode } from './errors';
export {
  type OptionSpec,
  type OptionsOf,
  type OptionValue,
  optionBytes,
  optionEnum,
  optionFlag,
  optionInteger,
  optionInvalid,
  optionNumber,
  type RawOptions,
  readOptions,
  rejectUnknownOptions,
} from './options';
export {
  type DeviceCapabilities,
  type DeviceInstance,
  type DevicePlugin,
  type DevicePluginDefinition,
  defineDevicePlugin,
  type IoHandle,
  isDevicePlugin,
  type WorkloadHooks,
} from './plugin';
export { ReadyOrderLink, SerialLink } from './serial-link';
export { checkSdkRange, SDK_VERSION } from './version';
