// SPDX-License-Identifier: Apache-2.0
// defineDevicePlugin(): the typed definition a device plugin exports (STYLE.md item 10).
// A plugin has a name and version, the SDK range it was written for (checked here and again by
// the host that loads it), the capabilities its device has, an option parser, and create(), which
// gets the device context and returns the device's hooks.

import type { DeviceContext } from './context';
import { SdkError } from './errors';
import type { RawOptions } from './options';
import { checkSdkRange } from './version';

export interface DeviceCapabilities {
  sriov?: { maxVfs: number };
  ats?: boolean;
  pasid?: boolean;
}

/** One I/O in flight: what submit() returns, handed back to device() and complete(). */
export interface IoHandle {
  /** Payload bytes this I/O moves (for throughput). */
  bytes: number;
}

/**
 * The device's I/O pattern, run by the host for a span of simulated time: the host calls
 * submit() on a CPU (driver work: map buffers, build descriptors), device() for the hardware's
 * part (its DMA accesses and busy time), then complete() on a CPU (driver work: unmap, recycle).
 */
export interface WorkloadHooks<H extends IoHandle = IoHandle> {
  /** I/Os each submitting CPU keeps in flight (queue depth, fio iodepth). */
  readonly queueDepth: number;
  /** CPUs submitting I/O (fio numjobs); default 1. */
  readonly jobs?: number;
  /** I/Os the device serves at once (flash channels, engines); default: all in flight. */
  readonly parallelism?: number;
  /** Interrupt delivery and completion-path latency per I/O, ns; default 0. */
  readonly completionLatencyNs?: number;
  /**
   * I/Os each CPU hands to the device at once (fio iodepth_batch_submit): submitted I/Os wait
   * until this many are ready, or the queue is full; default 1 (each at once). Capped at queueDepth.
   */
  readonly submitBatch?: number;
  /**
   * Completions a CPU's reap waits for before it refills any slot (fio
   * iodepth_batch_complete_min; all in flight, if fewer); default 1.
   */
  readonly completeBatchMin?: number;
  start?(): void;
  submit(seq: number): H;
  device(io: H): void;
  complete(io: H): void;
  stop?(): void;
}

export interface DeviceInstance {
  probe?(): void;
  reset?(): void;
  remove?(): void;
  workload?: WorkloadHooks;
}

export interface DevicePluginDefinition<O> {
  /** npm-style name, e.g. "nvme" or "@acme/iofleet-plugin-foo". */
  name: string;
  version: string;
  /** The @iofleet/sdk range this plugin was written for, e.g. "^0.2.1". */
  sdk: string;
  description?: string;
  /** What the device has beyond plain DMA; absent, or a capability left out: it does not have it. */
  capabilities?: DeviceCapabilities;
  /** Parses the device's options (from the host file or `--workload name:key=value`); throw to reject. */
  parseOptions(raw: RawOptions): O;
  create(ctx: DeviceContext, options: O): DeviceInstance;
}

export interface DevicePlugin<O = unknown> extends DevicePluginDefinition<O> {
  readonly kind: 'iofleet.device-plugin';
}

const NAME_RE = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

export function defineDevicePlugin<O>(def: DevicePluginDefinition<O>): DevicePlugin<O> {
  const where = `plugin ${def?.name ?? '(unnamed)'}`;
  if (!def || typeof def.name !== 'string' || !NAME_RE.test(def.name))
    throw new SdkError('PLUGIN_INVALID', `${where}: name must be an npm-style package name`);
  if (typeof def.version !== 'string' || !/^\d+\.\d+\.\d+/.test(def.version))
    throw new SdkError('PLUGIN_INVALID', `${where}: version "${def.version}" is not x.y.z`);
  if (typeof def.create !== 'function') throw new SdkError('PLUGIN_INVALID', `${where}: create() is missing`);
  if (typeof def.parseOptions !== 'function')
    throw new SdkError('PLUGIN_INVALID', `${where}: parseOptions() is missing`);
  checkSdkRange(def.name, def.sdk);
  return Object.freeze({ ...def, kind: 'iofleet.device-plugin' as const });
}

export function isDevicePlugin(x: unknown): x is DevicePlugin {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'iofleet.device-plugin';
}
