// SPDX-License-Identifier: Apache-2.0
// @iofleet/sdk/runtime: the DeviceContext implementation on @iofleet/core's DMA layer, the hook
// guard and the workload runner, shared by @iofleet/host and @iofleet/sdk/testing.

export {
  DEVICE_LOG_LINES_PER_SECOND,
  type DeviceObserver,
  DeviceRuntime,
  DeviceSideStats,
  MAX_DEVICE_PAGES,
  type RuntimeOptions,
} from './device-context';
export { guard, HOOK_TIME_LIMIT_MS } from './guard';
export { PageWalkers } from './page-walkers';
export { MAX_IN_FLIGHT, MAX_RUN_IOS, type RunOptions, type RunResult, runWorkload } from './workload-runner';
