// SPDX-License-Identifier: Apache-2.0
/// <reference lib="dom" />
// `iofleet simulate` as a user runs it: the table, the JSON, and the HTML report checked in real
// headless Chromium (Debian's chromium through playwright-core): no console errors, every chart
// drawn, and the variant table equal to the JSON.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@iofleet/jobs';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const SCENARIO = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');
const dir = mkdtempSync(join(tmpdir(), 'iofleet-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => iofleet(['simulate', ...args], { timeout: 120_000 });

interface Report {
  variants: {
    name: string;
    baseline: boolean;
    placement: { placed: number; rejected: number; devicesStranded: number };
    io: { deviceClass: string; iops: number; cpuNsPerIo: number; latencyP99Ns: number }[];
    diff?: { io: Record<string, { iops: number }> };
  }[];
}

describe('iofleet simulate', () => {
  it('compares variants: strict costs host NVMe IOPS, assigned GPUs are untouched by the host mode', async () => {
    const r: Report = JSON.parse((await cli(SCENARIO, '--json')).stdout);
    expect(r.variants.map((v) => v.name)).toEqual(['pt', 'strict', 'no-superpages', 'guest-viommu']);
    const [pt, strict, , viommu] = r.variants;
    expect(pt!.baseline).toBe(true);
    const nvme = (v: Report['variants'][number]) => v.io.find((c) => c.deviceClass === 'nvme')!;
    const gpu = (v: Report['variants'][number]) => v.io.find((c) => c.deviceClass === 'gpu')!;
    expect(nvme(strict!).iops).toBeLessThan(nvme(pt!).iops);
    expect(strict!.diff!.io.nvme!.iops).toBeCloseTo(nvme(strict!).iops / nvme(pt!).iops, 6);
    expect(gpu(strict!).iops).toBe(gpu(pt!).iops);
    // A virtio-iommu in the guest: every map of the GPU's copies is a request to the VMM.
    expect(gpu(viommu!).cpuNsPerIo).toBeGreaterThan(10 * gpu(pt!).cpuNsPerIo);
    expect(nvme(viommu!).iops).toBe(nvme(pt!).iops); // host-driven I/O: the guest's IOMMU is not in its path
    expect(pt!.placement.placed + pt!.placement.rejected).toBe(150);
  });

  it('the representative-host shortcut agrees with full simulation of every VM within 2%', async () => {
    const short: Report = JSON.parse((await cli(SCENARIO, '--json')).stdout);
    const full: Report = JSON.parse(
      (await iofleet(['simulate', SCENARIO, '--json', '--full'], { timeout: 300_000 })).stdout,
    );
    for (const [i, v] of short.variants.entries()) {
      const f = full.variants[i]!;
      expect(f.placement).toEqual(v.placement);
      for (const c of v.io) {
        const fc = f.io.find((x) => x.deviceClass === c.deviceClass)!;
        for (const k of ['iops', 'cpuNsPerIo'] as const)
          expect(Math.abs(fc[k] / c[k] - 1), `${v.name} ${c.deviceClass} ${k}`).toBeLessThanOrEqual(0.02);
      }
    }
  }, 360_000);

  it('is deterministic: the same scenario and seed give the same report', async () => {
    const a = (await cli(SCENARIO, '--json')).stdout;
    const b = (await cli(SCENARIO, '--json')).stdout;
    expect(a).toBe(b);
  });

  it('writes an HTML report that renders in headless Chromium with every chart and the JSON figures', async () => {
    const out = join(dir, 'rep');
    await cli(SCENARIO, '--out', out, '--quiet');
    const json: Report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(existsSync('/usr/bin/chromium')).toBe(true);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${join(out, 'report.html')}`);
      const charts = await page.evaluate(() => {
        const w = window as unknown as { __charts: Record<string, { data: { datasets: { data: unknown[] }[] } }> };
        return [...document.querySelectorAll('canvas[data-chart]')].map((c) => {
          const id = (c as HTMLCanvasElement).dataset.chart!;
          const chart = w.__charts[id];
          return {
            id,
            drawn: !!chart && (c as HTMLCanvasElement).width > 0,
            points: chart?.data.datasets[0]?.data.length ?? 0,
          };
        });
      });
      expect(charts.length).toBe(1 + 3 * 2); // placement, then IOPS, p99 and CPU for gpu and nvme
      for (const c of charts) expect(c, c.id).toMatchObject({ drawn: true, points: 4 }); // one per variant
      const rows = await page.$$eval('#variants tbody tr', (trs) =>
        trs.map((tr) => ({
          name: (tr as HTMLElement).dataset.variant,
          placed: Number((tr.querySelector('[data-placed]') as HTMLElement).dataset.placed),
          rejected: Number((tr.querySelector('[data-rejected]') as HTMLElement).dataset.rejected),
          iops: Object.fromEntries(
            [...tr.querySelectorAll('[data-class]')].map((td) => [
              (td as HTMLElement).dataset.class,
              Number((td as HTMLElement).dataset.iops),
            ]),
          ),
        })),
      );
      expect(rows).toEqual(
        json.variants.map((v) => ({
          name: v.name,
          placed: v.placement.placed,
          rejected: v.placement.rejected,
          iops: Object.fromEntries(v.io.map((c) => [c.deviceClass, c.iops])),
        })),
      );
      // One table per device class with latency, CPU and the change against the baseline.
      const io = await page.$$eval('table.io', (tables) =>
        tables.map((t) => ({
          cls: (t as HTMLElement).dataset.class,
          rows: [...t.querySelectorAll('tbody tr')].map((tr) => ({
            name: (tr as HTMLElement).dataset.variant,
            ...Object.fromEntries(
              [...tr.querySelectorAll('[data-col]')].map((td) => [
                (td as HTMLElement).dataset.col,
                (td as HTMLElement).dataset.value,
              ]),
            ),
          })),
        })),
      );
      expect(io.map((t) => t.cls)).toEqual(['gpu', 'nvme']);
      for (const t of io)
        for (const row of t.rows) {
          const v = json.variants.find((x) => x.name === row.name)!;
          const f = v.io.find((c) => c.deviceClass === t.cls)!;
          expect(Number(row.latencyP99Us)).toBeCloseTo(f.latencyP99Ns / 1000, 6);
          expect(Number(row.cpuNsPerIo)).toBe(f.cpuNsPerIo);
          if (!v.baseline) expect(Number(row.iopsVsBaseline)).toBeCloseTo(v.diff!.io[t.cls!]!.iops, 9);
        }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
    // report.csv: a header and a row per variant and device class, with the JSON's figures.
    const csv = readFileSync(join(out, 'report.csv'), 'utf8').trim().split('\n');
    const head = csv[0]!.split(',');
    expect(head.slice(0, 5)).toEqual(['variant', 'baseline', 'deviceClass', 'vmDevices', 'iopsPerDevice']);
    expect(csv).toHaveLength(1 + json.variants.reduce((a, v) => a + v.io.length, 0));
    const strictNvme = csv.find((l) => l.startsWith('strict,false,nvme,'))!.split(',');
    expect(Number(strictNvme[head.indexOf('iopsPerDevice')])).toBe(
      json.variants[1]!.io.find((c) => c.deviceClass === 'nvme')!.iops,
    );
  });

  it('fails at once, before simulating, when --out cannot be written', async () => {
    const e = await cli(SCENARIO, '--out', join(SCENARIO, 'rep'), '--quiet').catch((x) => x);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/^error: --out .*small-scenario\.yaml\/rep: cannot write there \(ENOTDIR\)/);
    expect(e.stdout).toBe('');
    // Under /proc, Node 20's recursive mkdir retries ENOENT forever: the CLI must still answer at once.
    const p = await cli(SCENARIO, '--out', '/proc/iofleet-no/such', '--quiet').catch((x) => x);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/^error: --out \/proc\/iofleet-no\/such: cannot write there \(ENOENT\)/);
  });

  it('reports a bad scenario with file, line and path on one error: line', async () => {
    const bad = join(dir, 'bad.yaml');
    const text = readFileSync(SCENARIO, 'utf8')
      .replace('count: 12', 'count: -1')
      .replace('../../../../examples', join(__dirname, '..', '..', '..', '..', 'examples'));
    writeFileSync(bad, text);
    const e = await cli(bad).catch((x) => x);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error: .*bad\.yaml:\d+: fleet\[0\]\.count/);
  });

  it('--distributed with a Redis that does not answer: says so at once, naming --redis, and leaves nothing behind', async () => {
    const port = await freePort(); // nothing listens there
    const tmp = mkdtempSync(join(tmpdir(), 'iofleet-noredis-'));
    try {
      const t0 = Date.now();
      const e = await iofleet(['simulate', SCENARIO, '--distributed', '--redis', `redis://127.0.0.1:${port}`], {
        timeout: 60_000,
        env: { ...process.env, TMPDIR: tmp },
      }).catch((x) => x);
      expect(e.code).toBe(1);
      expect(e.stderr).toBe(
        `error: --redis redis://127.0.0.1:${port}: Redis does not answer (ECONNREFUSED); start it, or leave --redis out to have a redis-server started here\n`,
      );
      expect(Date.now() - t0).toBeLessThan(30_000); // not the scheduler's silent retries until a timeout
      expect(readdirSync(tmp)).toEqual([]); // no agent or scheduler folder was made
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
