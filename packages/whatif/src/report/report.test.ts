// SPDX-License-Identifier: Apache-2.0
// The report renderers on a synthetic report: fleet totals and their change, the terminal table
// split to a terminal's width without losing a column, and report.csv equal to the figures.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { diffOf, fleetTotals } from '../engine/compare';
import type { ClassFigures } from '../engine/io-figures';
import type { SimulationReport, VariantResult } from '../engine/simulate';
import { headline, IO_COLUMNS } from './columns';
import { renderCsv } from './csv';
import { renderTable } from './table';

const cls = (deviceClass: string, devices: number, iops: number, cpuNsPerIo: number): ClassFigures => ({
  deviceClass,
  devices,
  iops,
  gbps: (iops * 4096 * 8) / 1e9,
  latencyP50Ns: 1e9 / iops,
  latencyP99Ns: 2e9 / iops,
  cpuNsPerIo,
  iotlbHitRate: 0.5,
  pageTableBytes: 16384,
  faults: 0,
  deviceFaults: 0,
});

function variant(name: string, baseline: boolean, io: ClassFigures[]): VariantResult {
  return {
    name,
    baseline,
    placement: {
      placed: 90,
      rejected: 10,
      rejectedByReason: { cpu: 6, 'gpu, group': 4 },
      devicesStranded: 1.5,
      peakRunning: 40,
      assignmentDigest: `digest-${name}`,
    } as VariantResult['placement'],
    io,
    totals: fleetTotals(io),
  };
}

function report(): SimulationReport {
  const base = variant('pt', true, [cls('nvme', 100, 400_000, 1600), cls('nic', 10, 2e6, 300)]);
  const strict = variant('strict', false, [cls('nvme', 100, 200_000, 3200), cls('nic', 10, 5e5, 1900)]);
  strict.diff = diffOf(strict, base);
  return {
    scenario: 's',
    seed: 1,
    hosts: 10,
    vms: 100,
    simulatedIoMs: 10,
    variants: [base, strict],
    notes: [],
    warnings: [],
    assignments: {},
  };
}

describe('fleet totals', () => {
  it('sum every placed VM device and compare with the baseline', () => {
    const r = report();
    const [pt, strict] = r.variants;
    expect(pt!.totals).toEqual({
      vmDevices: 110,
      iops: 100 * 400_000 + 10 * 2e6,
      gbps: 100 * pt!.io[0]!.gbps + 10 * pt!.io[1]!.gbps,
      cpuCores: (100 * 400_000 * 1600 + 10 * 2e6 * 300) / 1e9,
      pageTableBytes: 110 * 16384,
    });
    expect(strict!.diff!.totals.iops).toBeCloseTo((100 * 200_000 + 10 * 5e5) / (100 * 400_000 + 10 * 2e6), 12);
    expect(headline(strict!)).toMatch(/^strict: 90 VMs placed, 10 rejected; 110 VM devices: 25\.00 M IOPS \(-58\.3%\)/);
    expect(headline(pt!)).toMatch(/^pt \(baseline\): .* 70\.0 CPU cores on I\/O, 1\.7 MiB of IOMMU page tables$/);
  });
});

describe('renderTable', () => {
  it('splits wide tables into column groups that fit the terminal, keeping every column', () => {
    const text = renderTable(report(), { width: 72 });
    const tableLines = text.split('\n').filter((l) => /^[│┌├└]/.test(l));
    for (const l of tableLines) expect(l.length, l).toBeLessThanOrEqual(72);
    for (const c of IO_COLUMNS) expect(text).toContain(c.head);
    // The variant column repeats in each group: nvme's figures take at least two tables.
    expect(text.match(/nvme: variant/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it('draws each table whole when there is no width limit', () => {
    const text = renderTable(report());
    expect(text.match(/nvme: variant/g)).toHaveLength(1);
    expect(text.split('\n').find((l) => l.includes('nvme: variant'))).toMatch(/devices.*PT KiB/);
  });
});

describe('renderCsv', () => {
  it('has a row per variant and device class with the raw figures and placement', () => {
    const r = report();
    const rows: Record<string, string>[] = parse(renderCsv(r), { columns: true });
    expect(rows).toHaveLength(4);
    const strictNvme = rows.find((x) => x.variant === 'strict' && x.deviceClass === 'nvme')!;
    expect(Number(strictNvme.iopsPerDevice)).toBe(200_000);
    expect(Number(strictNvme.iopsVsBaseline)).toBeCloseTo(0.5, 12);
    expect(Number(strictNvme.cpuNsPerIoVsBaseline)).toBeCloseTo(2, 12);
    expect(strictNvme.rejectedByReason).toBe('cpu 6; gpu, group 4');
    expect(strictNvme.baseline).toBe('false');
    expect(Number(strictNvme.fleet_iops)).toBe(r.variants[1]!.totals.iops);
    expect(rows.find((x) => x.variant === 'pt' && x.deviceClass === 'nic')!.iopsVsBaseline).toBe('');
  });
});
