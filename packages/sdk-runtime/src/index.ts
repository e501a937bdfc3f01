// SPDX-License-Identifier: Apache-2.0
// @iofleet/sdk-runtime: the implementation of the @iofleet/sdk contract on @iofleet/core's DMA
// layer — the DeviceContext, the hook guard and the workload runner — shared by @iofleet/host and
// @iofleet/sdk-testing (as @opentelemetry/sdk-trace-base implements @opentelemetry/api).

export { DEVICE_LOG_LINES_PER_SECOND, DeviceRuntime, type RuntimeOptions } from './device-context';
export type { DeviceObserver } from './device-parts';
export { DeviceSideStats } from './device-timing';
export { guard, HOOK_TIME_LIMIT_MS } from './guard';
export { MAX_DEVICE_PAGES } from './owned-memory';
export { PageWalkers } from './page-walkers';
export {
  MAX_IN_FLIGHT,
  MAX_RUN_IOS,
  type RunOptions,
  type RunResult,
  runWorkload,
  runWorkloads,
  type WorkloadPart,
} from './workload-runner';
