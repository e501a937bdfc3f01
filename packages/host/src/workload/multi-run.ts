// SPDX-License-Identifier: Apache-2.0
// `iofleet host run --devices all|BDF,BDF`: one workload on several devices of a host at once, as
// fio runs one job per SSD (R01: 4 KiB random reads on all eight NVMe of a two-socket Grace). Each
// device is driven from its own CPUs — its `jobs`, pinned to CPUs of its NUMA node when the host
// has them free — and all devices run in one simulated-time order (runWorkloads()), so what they
// share in the model is contended: an IOMMU unit's invalidation queue lock and engine (an SMMUv3's
// command queue, CMD_SYNC after CMD_SYNC), a shared domain's IOVA allocator. One row per mode: the
// sum of the devices' throughput, and each device's own row in `perDevice`.

import { domainTypeSysfs } from '@iofleet/core/linux';
import { isSdkError } from '@iofleet/sdk';
import { guard, type RunResult, runWorkloads, type WorkloadPart } from '@iofleet/sdk-runtime';
import { fullName, type HostImpl as Host, type HostDevice } from '../boot/host';
import type { HostDescription } from '../description/schema';
import { attachPlugin, detachPlugin, lookupPlugin, type PluginDevice } from '../devices/plugin-devices';
import { HostError } from '../errors';
import type { PciFunction } from '../pci/tree';
import { bootForMode, type HostRunOptions, type HostRunRow, NO_RESULT, runDurationMs } from './host-run';
import { GUEST_DEVICE_MODELS } from './run-modes';

/** NUMA node of a function: its own or its nearest upstream port's (`numaNode` in the host file). */
function numaNodeOf(f: PciFunction): number {
  for (let p: PciFunction | undefined = f; p; p = p.parent) if (p.desc.numaNode !== undefined) return p.desc.numaNode;
  return 0;
}

/** The devices a `devices` option names, in the host file's order. */
function pickDevices(host: Host, o: HostRunOptions, file: string): HostDevice[] {
  if (o.devices === 'all') {
    const devs = host.tree.functions
      .filter((f) => f.desc.plugin === o.workload.plugin)
      .map((f) => host.device(fullName(f)));
    if (!devs.length) throw new HostError('PLUGIN', `${file}: no PCI function uses plugin ${o.workload.plugin}`);
    return devs;
  }
  const list = o.devices ?? [];
  if (!list.length) throw new HostError('PLUGIN', `${file}: --devices names no device`);
  const seen = new Set<string>();
  return list.map((bdf) => {
    const d = host.device(bdf);
    const name = fullName(d.fn);
    if (seen.has(name)) throw new HostError('PLUGIN', `${file}: --devices names ${name} twice`);
    seen.add(name);
    return d;
  });
}

/** `jobs` CPUs per device, on the device's NUMA node while it has free ones, then any free one. */
function assignCpus(host: Host, devs: readonly PluginDevice[], jobs: readonly number[], file: string): number[][] {
  const cpus = host.sim.cpus.cpus;
  const used = new Set<number>();
  return devs.map((pd, i) => {
    const node = numaNodeOf(pd.dev.fn);
    const mine: number[] = [];
    for (let k = 0; k < jobs[i]!; k++) {
      const c = cpus.find((x) => !used.has(x.id) && x.node === node) ?? cpus.find((x) => !used.has(x.id));
      if (!c)
        throw new HostError(
          'PLUGIN',
          `${file}: ${devs.length} devices need ${jobs.reduce((a, b) => a + b, 0)} CPUs, the host has ${cpus.length}`,
        );
      used.add(c.id);
      mine.push(c.id);
    }
    return mine;
  });
}

/** The devices' rows summed: throughput adds up; per-I/O figures are weighted by I/Os. */
function sumRows(rows: readonly HostRunRow[]): Omit<RunResult, 'bytes'> {
  const ios = rows.reduce((a, r) => a + r.ios, 0);
  const w = (
    k: 'cpuNsPerIo' | 'deviceNsPerIo' | 'latencyMeanNs' | 'iotlbHitRate' | 'iotlbMissesPerIo' | 'walkReadsPerIo',
  ) => (ios ? rows.reduce((a, r) => a + r[k] * r.ios, 0) / ios : 0);
  // Quantiles of the whole run would need every device's samples: the slowest device's stand in.
  const slowest = rows.reduce((a, r) => (r.latencyP99Ns > a.latencyP99Ns ? r : a), rows[0]!);
  return {
    ios,
    simulatedNs: Math.max(...rows.map((r) => r.simulatedNs)),
    iops: rows.reduce((a, r) => a + r.iops, 0),
    gbps: rows.reduce((a, r) => a + r.gbps, 0),
    latencyP50Ns: slowest.latencyP50Ns,
    latencyP99Ns: slowest.latencyP99Ns,
    latencyMeanNs: w('latencyMeanNs'),
    latencyQuantilesNs: slowest.latencyQuantilesNs,
    cpuNsPerIo: w('cpuNsPerIo'),
    deviceNsPerIo: w('deviceNsPerIo'),
    iotlbHitRate: w('iotlbHitRate'),
    iotlbMissesPerIo: w('iotlbMissesPerIo'),
    walkReadsPerIo: w('walkReadsPerIo'),
    faults: rows.reduce((a, r) => a + r.faults, 0),
  };
}

export function runHostDevices(desc: HostDescription, o: HostRunOptions): HostRunRow[] {
  const durationMs = runDurationMs(o);
  const file = o.file ?? desc.name;
  const plugin = lookupPlugin(o.plugins, o.workload.plugin, file);
  if (o.device !== undefined) throw new HostError('PLUGIN', `${file}: give --device or --devices, not both`);
  const rows: HostRunRow[] = [];
  for (const [i, mode] of o.modes.entries()) {
    if ((GUEST_DEVICE_MODELS as readonly string[]).includes(mode))
      throw new HostError('PLUGIN', `${file}: mode ${mode} runs one device in a guest; --devices runs host modes only`);
    o.onMode?.(mode, i);
    const host = bootForMode(desc, o, mode, file);
    const devs = pickDevices(host, o, file);
    const pds = devs.map((dev) => attachPlugin(host, dev, plugin, { ...dev.fn.desc.options, ...o.workload.options }));
    const faults: (string | undefined)[] = pds.map(
      (pd) => pd.fault ?? (pd.instance?.workload ? undefined : `plugin ${plugin.name} has no workload`),
    );
    const label = (pd: PluginDevice) => `${fullName(pd.dev.fn)}: plugin ${plugin.name}`;
    const lifecycle = (hook: 'start' | 'stop') =>
      pds.forEach((pd, k) => {
        const w = pd.instance?.workload;
        if (faults[k] || !w?.[hook]) return;
        try {
          guard(`${label(pd)} workload ${hook}()`, () => w[hook]!());
        } catch (e) {
          if (!isSdkError(e)) throw e;
          faults[k] = e.message;
        }
      });
    lifecycle('start');
    const live = pds.map((pd, k) => ({ pd, k })).filter(({ k }) => !faults[k]);
    const jobs = live.map(({ pd }) => pd.instance!.workload!.jobs ?? 1);
    const cpus = assignCpus(
      host,
      live.map(({ pd }) => pd),
      jobs,
      file,
    );
    const parts: WorkloadPart[] = live.map(({ pd }, n) => ({
      rt: pd.runtime,
      hooks: pd.instance!.workload!,
      label: label(pd),
      cpus: cpus[n]!,
    }));
    const results = parts.length
      ? runWorkloads(host.sim, parts, {
          durationNs: durationMs * 1e6,
          ...(o.maxIos !== undefined && { maxIos: o.maxIos }),
        })
      : [];
    live.forEach(({ k }, n) => {
      faults[k] ??= results[n]!.pluginFault;
    });
    lifecycle('stop');
    const perDevice: HostRunRow[] = pds.map((pd, k) => {
      const n = live.findIndex((l) => l.k === k);
      const { bytes: _b, pluginFault: _f, ...figures } = n >= 0 ? results[n]! : { ...NO_RESULT, bytes: 0 };
      const dev = pd.dev;
      detachPlugin(pd);
      return {
        mode,
        device: fullName(dev.fn),
        plugin: plugin.name,
        domainType: host.iommuEnabled && dev.group ? domainTypeSysfs(dev.group.type) : 'none',
        pageTableBytes: (dev.group?.domain?.tablePages ?? 0) * 4096,
        ...figures,
        ...(faults[k] && { pluginFault: faults[k] }),
      };
    });
    const faulted = perDevice.filter((r) => r.pluginFault).map((r) => `${r.device}: ${r.pluginFault}`);
    rows.push({
      mode,
      device: perDevice.map((r) => r.device).join(','),
      plugin: plugin.name,
      domainType: [...new Set(perDevice.map((r) => r.domainType))].join(','),
      pageTableBytes: perDevice.reduce((a, r) => a + r.pageTableBytes, 0),
      ...sumRows(perDevice),
      ...(faulted.length && { pluginFault: faulted.join('; ') }),
      perDevice,
    });
  }
  return rows;
}
