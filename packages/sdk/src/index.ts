// SPDX-License-Identifier: Apache-2.0
// @iofleet/sdk: the device-plugin contract. Contracts only; the host implements them
// (@iofleet/sdk/runtime is the shared implementation of the context, used by hosts and by
// @iofleet/sdk/testing).

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
