// SPDX-License-Identifier: Apache-2.0
// @iofleet/sdk: the device-plugin contract. Contracts only; the host implements them
// (@iofleet/sdk/runtime is the shared implementation of the context, used by hosts and by
// @iofleet/sdk/testing).

// Seeded randomness for device models whose runs must repeat (offsets, sizes): the tree's one
// generator, re-exported so plugins need nothing but the SDK (tools/pack.cjs inlines it).
export { mulberry32, type Random } from '@iofleet/prng';
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
  type SgEntry,
} from './context';
export { isSdkError, SdkError, type SdkErrorCode } from './errors';
export {
  type DeviceCapabilities,
  type DeviceInstance,
  type DevicePlugin,
  type DevicePluginDefinition,
  defineDevicePlugin,
  type IoHandle,
  isDevicePlugin,
  type OptionValue,
  optionBytes,
  optionEnum,
  optionFlag,
  optionNumber,
  type RawOptions,
  rejectUnknownOptions,
  type WorkloadHooks,
} from './plugin';
export { checkSdkRange, SDK_VERSION } from './version';
