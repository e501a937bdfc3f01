// SPDX-License-Identifier: Apache-2.0
// Devices from plugins on a booted host: each PCI function that names a plugin gets a
// DeviceContext over its own DMA ops (the default domain Linux gave its group) and its unit's
// translation, and every hook runs in the SDK's guard. A plugin that throws, hangs or maps memory
// it was not given faults its device (a log line and a device fault) — the host carries on.

import type { SimTracer } from '@iofleet/core';
import type { TranslationFault } from '@iofleet/core/hardware';
import { checkSdkRange, type DeviceInstance, type DevicePlugin, isSdkError, type RawOptions } from '@iofleet/sdk';
import { type DeviceObserver, DeviceRuntime, guard, PageWalkers } from '@iofleet/sdk-runtime';
import { fullName, type HostDevice, type HostImpl } from '../boot/host';
import { HostError } from '../errors';

/** Plugins a host can instantiate, by name. */
export type PluginRegistry = ReadonlyMap<string, DevicePlugin>;

export interface PluginDevice {
  dev: HostDevice;
  plugin: DevicePlugin;
  runtime: DeviceRuntime;
  instance: DeviceInstance | null;
  /** Set when a hook faulted: the device is out of service. */
  fault: string | null;
  faults: TranslationFault[];
}

/** Bound on translation faults kept per device (the fault log of real hardware is a ring). */
export const MAX_KEPT_FAULTS = 256;

export function lookupPlugin(registry: PluginRegistry, name: string, where: string): DevicePlugin {
  const p = registry.get(name);
  if (!p)
    throw new HostError(
      'PLUGIN',
      `${where}: no device plugin named ${name} (known: ${[...registry.keys()].sort().join(', ') || 'none'})`,
    );
  try {
    checkSdkRange(p.name, p.sdk);
  } catch (e) {
    if (isSdkError(e)) throw new HostError('PLUGIN', `${where}: ${e.message}`);
    throw e;
  }
  return p;
}

/** Each host's IOMMU units' page walkers, by unit index (created on first use). */
const WALKERS = new WeakMap<HostImpl, Map<number, PageWalkers>>();

/**
 * The page walkers of the unit translating for `dev`, shared by every device of that unit
 * (sdk-runtime page-walkers.ts: a DRHD's, an AMD IOMMU's, an SMMU's walkers serve all its
 * devices); a device no unit translates for gets its own (it never walks).
 */
export function unitWalkers(host: HostImpl, dev: HostDevice): PageWalkers {
  const count = host.sim.cost.ns.pageWalkers;
  if (dev.unit < 0) return new PageWalkers(count);
  const units = WALKERS.get(host) ?? new Map<number, PageWalkers>();
  WALKERS.set(host, units);
  const w = units.get(dev.unit) ?? new PageWalkers(count);
  units.set(dev.unit, w);
  return w;
}

/**
 * Creates and probes the plugin device of `dev`. Option errors are the user's (HostError); a
 * plugin fault leaves the device faulted and logged.
 */
export function attachPlugin(
  host: HostImpl,
  dev: HostDevice,
  plugin: DevicePlugin,
  options: RawOptions,
  observer: DeviceObserver = {},
  /** A runtime built elsewhere (a guest's view of the device); default: the host's. */
  runtime?: DeviceRuntime,
  /** DMA spans of the host's runtime (sampled), and the mode named on them. */
  trace?: { tracer: SimTracer; mode: string },
): PluginDevice {
  const name = fullName(dev.fn);
  const vfs = dev.fn.desc.sriovVfs ?? 0;
  const maxVfs = plugin.capabilities?.sriov?.maxVfs ?? 0;
  if (vfs > maxVfs)
    throw new HostError(
      'PLUGIN',
      `${name}: sriovVfs ${vfs} but plugin ${plugin.name} supports ${maxVfs ? `at most ${maxVfs} virtual functions` : 'no SR-IOV'}`,
    );
  const translated = !!dev.group?.domain;
  const pd: PluginDevice = {
    dev,
    plugin,
    runtime: null as unknown as DeviceRuntime,
    instance: null,
    fault: null,
    faults: [],
  };
  pd.runtime =
    runtime ??
    new DeviceRuntime({
      sim: host.sim,
      ops: dev.ops,
      info: {
        bdf: name,
        vendor: dev.fn.desc.vendor,
        device: dev.fn.desc.device,
        class: dev.fn.desc.class,
        numaNode: dev.fn.desc.numaNode ?? 0,
        isVirtualFunction: !!dev.fn.desc.virtfnOf,
        translated,
      },
      access: (address, write) => host.dmaAccess(dev, address, write),
      walkers: unitWalkers(host, dev),
      ...(trace && {
        tracer: trace.tracer,
        trace: { host: host.desc.name, mode: trace.mode, domainId: dev.group?.domain?.domainId ?? -1 },
      }),
      bars: [{ index: 0, size: 1 << 14, prefetchable: false, is64: true }],
      observer: {
        ...observer,
        onFault: (f) => {
          if (pd.faults.length < MAX_KEPT_FAULTS) pd.faults.push(f);
          observer.onFault?.(f);
        },
      },
    });
  let parsed: unknown;
  try {
    parsed = plugin.parseOptions(options);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new HostError('PLUGIN', `${name}: ${msg.startsWith('plugin ') ? msg : `plugin ${plugin.name}: ${msg}`}`);
  }
  try {
    pd.instance = guard(`${name}: plugin ${plugin.name} create()`, () => plugin.create(pd.runtime.ctx, parsed));
    guard(`${name}: plugin ${plugin.name} probe()`, () => pd.instance!.probe?.());
  } catch (e) {
    if (!isSdkError(e)) throw e;
    pd.fault = e.message;
  }
  return pd;
}

/** Removes a plugin device (guarded); returns the fault message if remove() failed. */
export function detachPlugin(pd: PluginDevice): string | null {
  if (!pd.instance) return pd.fault;
  try {
    guard(`${fullName(pd.dev.fn)}: plugin ${pd.plugin.name} remove()`, () => pd.instance!.remove?.());
  } catch (e) {
    if (!isSdkError(e)) throw e;
    pd.fault = e.message;
  }
  return pd.fault;
}
