// SPDX-License-Identifier: Apache-2.0
// A variant against the baseline: fleet-wide totals of each variant's device I/O, and the change of
// every figure (differences for counts and rates of hits, ratios variant / baseline for the rest).
import type { ClassFigures } from './io-figures';
import type { VariantDiff, VariantResult } from './simulate';

/**
 * Sums over every placed VM's devices (each (VM, device) pair counted once, whether or not the VMs
 * ran at the same time): what the fleet's VMs do with their devices under a variant.
 */
export interface FleetTotals {
  /** (VM, device) pairs the figures stand for. */
  vmDevices: number;
  iops: number;
  gbps: number;
  /** CPU time the I/O costs, in cores kept busy: Σ IOPS × CPU ns per I/O / 1e9. */
  cpuCores: number;
  /** IOMMU page-table memory of the devices' domains. */
  pageTableBytes: number;
}

export function fleetTotals(io: readonly ClassFigures[]): FleetTotals {
  const t: FleetTotals = { vmDevices: 0, iops: 0, gbps: 0, cpuCores: 0, pageTableBytes: 0 };
  for (const c of io) {
    t.vmDevices += c.devices;
    t.iops += c.devices * c.iops;
    t.gbps += c.devices * c.gbps;
    t.cpuCores += (c.devices * c.iops * c.cpuNsPerIo) / 1e9;
    t.pageTableBytes += c.devices * c.pageTableBytes;
  }
  return t;
}

const ratio = (x: number, y: number) => (y === 0 ? (x === 0 ? 1 : Number.POSITIVE_INFINITY) : x / y);

export function diffOf(v: VariantResult, b: VariantResult): VariantDiff {
  const io: VariantDiff['io'] = {};
  for (const c of v.io) {
    const bc = b.io.find((x) => x.deviceClass === c.deviceClass);
    if (!bc) continue;
    io[c.deviceClass] = {
      iops: ratio(c.iops, bc.iops),
      gbps: ratio(c.gbps, bc.gbps),
      latencyP50Ns: ratio(c.latencyP50Ns, bc.latencyP50Ns),
      latencyP99Ns: ratio(c.latencyP99Ns, bc.latencyP99Ns),
      cpuNsPerIo: ratio(c.cpuNsPerIo, bc.cpuNsPerIo),
      iotlbHitRate: c.iotlbHitRate - bc.iotlbHitRate,
    };
  }
  return {
    placed: v.placement.placed - b.placement.placed,
    rejected: v.placement.rejected - b.placement.rejected,
    devicesStranded: v.placement.devicesStranded - b.placement.devicesStranded,
    totals: {
      iops: ratio(v.totals.iops, b.totals.iops),
      gbps: ratio(v.totals.gbps, b.totals.gbps),
      cpuCores: ratio(v.totals.cpuCores, b.totals.cpuCores),
      pageTableBytes: ratio(v.totals.pageTableBytes, b.totals.pageTableBytes),
    },
    io,
  };
}
