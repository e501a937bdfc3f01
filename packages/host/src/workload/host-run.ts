// SPDX-License-Identifier: Apache-2.0
// `iofleet host run`: boot the host once per IOMMU mode, attach the workload's plugin to its
// device, run the device's I/O pattern for a span of simulated time and report one row per mode.
// Modes are kernel command lines appended to the host's own (the later parameter wins, as in
// Linux): pt = identity default domains, lazy = DMA-FQ, strict = DMA, off = no IOMMU at all,
// nosp = DMA-FQ with IOMMU superpages off (intel_iommu=sp_off: 4 KiB IOMMU pages only).

import type { SimTracer } from '@iofleet/core';
import type { CostProfile } from '@iofleet/core/cost';
import { domainTypeSysfs } from '@iofleet/core/linux';
import type { RawOptions } from '@iofleet/sdk';
import { isSdkError } from '@iofleet/sdk';
import { guard, type RunResult, runWorkload } from '@iofleet/sdk-runtime';
import { bootHost } from '../boot/boot';
import { fullName, type HostImpl as Host } from '../boot/host';
import type { HostDescription } from '../description/schema';
import { attachPlugin, detachPlugin, lookupPlugin, type PluginRegistry } from '../devices/plugin-devices';
import { HostError } from '../errors';
import { guestDevice } from '../vm/guest-device';
import { runHostDevices } from './multi-run';
import {
  ARM_MODE_CMDLINE,
  DEFAULT_RUN_MS,
  GUEST_DEVICE_MODELS,
  GUEST_VCPUS,
  type GuestDeviceModel,
  MAX_RUN_MS,
  MODE_CMDLINE,
  type RunMode,
} from './run-modes';

export interface WorkloadSpec {
  plugin: string;
  options: RawOptions;
}

/** "nvme" or "nvme:bs=4k,qd=32" -> plugin and options (numbers stay strings; plugins parse them). */
export function parseWorkloadSpec(spec: string): WorkloadSpec {
  const m = /^([@a-z0-9/._~-]+)(?::(.*))?$/i.exec(spec.trim());
  if (!m) throw new HostError('PLUGIN', `--workload ${spec}: expected <plugin>[:key=value,...]`);
  const options: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(',').filter((s) => s.trim())) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new HostError('PLUGIN', `--workload ${spec}: "${kv}" is not key=value`);
    options[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  }
  return { plugin: m[1]!, options };
}

export interface HostRunOptions {
  workload: WorkloadSpec;
  modes: readonly RunMode[];
  plugins: PluginRegistry;
  /** PCI address of the device to run (default: the first function using the workload's plugin). */
  device?: string;
  /**
   * Several devices at once (`--devices`): 'all' functions using the workload's plugin, or these
   * PCI addresses; each on its own CPUs, one row per mode with every device's figures (multi-run.ts).
   */
  devices?: 'all' | readonly string[];
  durationMs?: number;
  maxIos?: number;
  cmdline?: string;
  distro?: string;
  file?: string;
  onMode?(mode: RunMode, index: number): void;
  /** Called with each of a booted host's warnings (Host.warnings), for every mode. */
  onWarning?(warning: string): void;
  /** DMA spans (sampled) of the device's runs. */
  tracer?: SimTracer;
  /** Price the host with this cost profile instead of its description's (BootOptions.profile). */
  profile?: CostProfile;
}

/** One row of `host run`: the mode, where it ran, and the workload's figures (RunResult). */
export type HostRunRow = {
  mode: RunMode;
  device: string;
  plugin: string;
  /** /sys/kernel/iommu_groups/N/type of the device's group ('none' without an IOMMU). */
  domainType: string;
  /** Page-table memory of the device's domain after the run. */
  pageTableBytes: number;
  /** A run of several devices (`devices`): each device's own row; the row's figures are their sum. */
  perDevice?: HostRunRow[];
} & Omit<RunResult, 'bytes'>;

/** The figures of a mode whose device faulted before it ran. */
export const NO_RESULT: Omit<RunResult, 'bytes'> = {
  ios: 0,
  simulatedNs: 0,
  iops: 0,
  gbps: 0,
  latencyP50Ns: 0,
  latencyP99Ns: 0,
  latencyMeanNs: 0,
  latencyQuantilesNs: [],
  cpuNsPerIo: 0,
  deviceNsPerIo: 0,
  iotlbHitRate: 0,
  iotlbMissesPerIo: 0,
  walkReadsPerIo: 0,
  faults: 0,
};

/** `--duration` in ms, checked against (0, MAX_RUN_MS]. */
export function runDurationMs(o: Pick<HostRunOptions, 'durationMs'>): number {
  const durationMs = o.durationMs ?? DEFAULT_RUN_MS;
  if (!(durationMs > 0 && durationMs <= MAX_RUN_MS))
    throw new HostError('PLUGIN', `--duration ${durationMs} ms is outside (0, ${MAX_RUN_MS}]`);
  return durationMs;
}

/** Boots the host with the mode's kernel command line (after the run's own), telling its warnings. */
export function bootForMode(desc: HostDescription, o: HostRunOptions, mode: RunMode, file: string): Host {
  const modeLine = desc.cpu.vendor === 'arm' ? ARM_MODE_CMDLINE[mode] : MODE_CMDLINE[mode];
  if (modeLine === null)
    throw new HostError(
      'BOOT_FAILED',
      `${file}: mode ${mode} has no arm64 kernel command line (arm64 has no iommu=off, intel_iommu=sp_off or swiotlb-only DMA); use pt, lazy, strict, booted or a guest mode`,
    );
  const cmdline = [o.cmdline ?? '', modeLine].filter(Boolean).join(' ');
  const host = bootHost(desc, {
    file,
    cmdline,
    ...(o.distro && { distro: o.distro }),
    ...(o.profile && { profile: o.profile }),
  });
  for (const w of host.warnings) o.onWarning?.(w);
  return host;
}

export function runHostWorkload(desc: HostDescription, o: HostRunOptions): HostRunRow[] {
  if (o.devices !== undefined) return runHostDevices(desc, o);
  const durationMs = runDurationMs(o);
  const file = o.file ?? desc.name;
  const plugin = lookupPlugin(o.plugins, o.workload.plugin, file);
  const rows: HostRunRow[] = [];
  for (const [i, mode] of o.modes.entries()) {
    o.onMode?.(mode, i);
    const host = bootForMode(desc, o, mode, file);
    // The first function of the description (its order, not probe order) that uses the plugin.
    const dev = o.device
      ? host.device(o.device)
      : host.tree.functions.filter((f) => f.desc.plugin === o.workload.plugin).map((f) => host.device(fullName(f)))[0];
    // A device described for another plugin (or none) may still be given another's workload (a
    // driver under test on a known slot): say so, once per mode's host, rather than refuse.
    if (dev && o.device && dev.fn.desc.plugin !== o.workload.plugin) {
      const what = `${fullName(dev.fn)}${dev.fn.desc.class ? ` (class ${dev.fn.desc.class})` : ''}`;
      o.onWarning?.(
        dev.fn.desc.plugin
          ? `${file}: ${what} is described as driven by plugin ${dev.fn.desc.plugin}; running ${o.workload.plugin} on it`
          : `${file}: ${what} names no device plugin; running ${o.workload.plugin} on it`,
      );
    }
    if (!dev) {
      const using = host.pluginDevices().map((d) => `${d.fn.text} ${d.fn.desc.plugin}`);
      throw new HostError(
        'PLUGIN',
        `${file}: no PCI function uses plugin ${o.workload.plugin}` +
          (using.length
            ? ` (plugin devices: ${using.join(', ')}); pick one with --device`
            : '; add `plugin:` to a function'),
      );
    }
    const guest = (GUEST_DEVICE_MODELS as readonly string[]).includes(mode)
      ? guestDevice(host, dev, mode as GuestDeviceModel, GUEST_VCPUS, o.tracer)
      : null;
    const options = { ...dev.fn.desc.options, ...o.workload.options };
    const pd = attachPlugin(host, dev, plugin, options, {}, guest?.runtime, o.tracer && { tracer: o.tracer, mode });
    let r: RunResult | null = null;
    let fault = pd.fault ?? undefined;
    const w = pd.instance?.workload;
    if (!fault && !w) fault = `plugin ${plugin.name} has no workload`;
    const label = `${fullName(dev.fn)}: plugin ${plugin.name}`;
    const lifecycle = (hook: 'start' | 'stop') => {
      if (fault || !w?.[hook]) return;
      try {
        guard(`${label} workload ${hook}()`, () => w[hook]!());
      } catch (e) {
        if (!isSdkError(e)) throw e;
        fault = e.message;
      }
    };
    lifecycle('start'); // queues, rings and pools are set up before the measured span
    if (!fault && w) {
      r = runWorkload(
        guest?.sim ?? host.sim,
        pd.runtime,
        guest ? guest.wrap(w) : w,
        `${fullName(dev.fn)}: plugin ${plugin.name}`,
        {
          durationNs: durationMs * 1e6,
          ...(o.maxIos !== undefined && { maxIos: o.maxIos }),
        },
      );
      fault = r.pluginFault;
    }
    lifecycle('stop');
    const domain = guest ? guest.vm.domainOf(fullName(dev.fn)) : dev.group?.domain;
    const pageTableBytes = (domain?.tablePages ?? 0) * 4096;
    detachPlugin(pd);
    const { bytes: _bytes, pluginFault: _fault, ...figures } = r ?? { ...NO_RESULT, bytes: 0 };
    rows.push({
      mode,
      device: fullName(dev.fn),
      plugin: plugin.name,
      domainType: guest
        ? guest.vm.domainOf(fullName(dev.fn))
          ? 'unmanaged'
          : 'emulated'
        : host.iommuEnabled && dev.group
          ? domainTypeSysfs(dev.group.type)
          : 'none',
      pageTableBytes,
      ...figures,
      ...(fault && { pluginFault: fault }),
    });
  }
  return rows;
}
