// SPDX-License-Identifier: Apache-2.0
// Every built-in row within the one tolerance (25 %, CALIBRATION_TOLERANCE) with the modes in the
// published order: no per-row tolerance, no ratchet. `iofleet calibrate --rows` takes any file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BUILTIN = JSON.parse(readFileSync(join(ROOT, 'packages', 'calibration', 'measurements.json'), 'utf8')) as {
  rows: { id: string; host: string }[];
};
/** The tolerance, written out here so that loosening CALIBRATION_TOLERANCE fails this test. */
const TOLERANCE = 0.25;
const dir = mkdtempSync(join(tmpdir(), 'iofleet-cal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  id: string;
  published: number;
  predicted: number;
  relativeError: number;
  orderRight: boolean;
}

describe('iofleet calibrate', () => {
  it('predicts every built-in row within 25 % with the modes in the right order', async () => {
    const { stdout } = await iofleet(['calibrate', '--json'], { timeout: 180_000 });
    const rows: Row[] = JSON.parse(stdout).rows;
    expect(rows.map((r) => r.id).sort()).toEqual(BUILTIN.rows.map((r) => r.id).sort());
    const misses = rows
      .filter((r) => !(r.relativeError <= TOLERANCE && r.orderRight))
      .map((r) => `${r.id}: ${r.predicted.toFixed(3)} for ${r.published} (${(r.relativeError * 100).toFixed(1)} %)`);
    expect(misses).toEqual([]);
    for (const r of rows) expect(r.relativeError).toBeCloseTo(Math.abs(r.predicted - r.published) / r.published, 9);
  }, 240_000);

  it('takes a rows file of its own and reports a malformed one with file, line and path', async () => {
    const rows = join(dir, 'rows.yaml');
    const host = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'amd-epyc-1s.yaml');
    writeFileSync(
      rows,
      `rows:
  - id: mine
    source: a test
    host: ${host}
    metric: cpuNsPerIo
    numerator: { mode: strict, workload: "nvme:qd=8" }
    denominator: { mode: pt, workload: "nvme:qd=8" }
    published: 2.0
`,
    );
    const r: Row[] = JSON.parse(
      (await iofleet(['calibrate', '--rows', rows, '--json'], { timeout: 120_000 })).stdout,
    ).rows;
    expect(r).toHaveLength(1);
    expect(r[0]!.predicted).toBeGreaterThan(1); // strict costs more CPU per I/O than pass-through
    writeFileSync(rows, readFileSync(rows, 'utf8').replace('metric: cpuNsPerIo', 'metric: speed'));
    const e = await iofleet(['calibrate', '--rows', rows], { timeout: 60_000 }).catch((x) => x);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error: .*rows\.yaml:5: rows\[0\]\.metric/);
  });

  it('--cross-validate refits nothing and tells the rows that depend on parameters set from their own source', async () => {
    // Three pcie-bench rows and one whose source set no parameter: the walk (R34) moves the 64 MiB
    // latency, not the 8 KiB one (every read hits); an 'R06' row is predicted out of sample.
    const pick = (id: string) => {
      const r = BUILTIN.rows.find((x) => x.id === id)!;
      return { ...r, host: join(ROOT, 'packages', 'calibration', r.host) };
    };
    const own = { ...pick('R34-lat-8k'), id: 'R06-same-run' };
    const rows = join(dir, 'cv.json');
    writeFileSync(rows, JSON.stringify({ rows: [pick('R34-lat-64m'), pick('R34-lat-8k'), own] }));
    const args = ['calibrate', '--rows', rows, '--cross-validate', '--quiet'];
    const cv: {
      id: string;
      publication: string[];
      selfParameters: string[];
      dependsOn: string[];
      shift: number;
      inSample: boolean;
      relativeError: number;
    }[] = JSON.parse((await iofleet([...args, '--json'], { timeout: 120_000 })).stdout).crossValidation;
    const by = Object.fromEntries(cv.map((c) => [c.id, c]));
    expect(by['R34-lat-64m']!.publication).toEqual(['R30', 'R34']);
    expect(by['R34-lat-64m']!.selfParameters.sort()).toEqual(['contextCacheMiss', 'pageWalkers', 'walkMemRead']);
    expect(by['R34-lat-64m']!.dependsOn).toEqual(['walkMemRead']);
    expect(by['R34-lat-64m']!.inSample).toBe(true);
    // A 64 B read's mean latency: 600 ns + one 290 ns walk; the walk moved by 20 % shifts the ratio ~4 %.
    expect(by['R34-lat-64m']!.shift).toBeGreaterThan(0.03);
    expect(by['R34-lat-8k']!.inSample).toBe(false);
    expect(by['R34-lat-8k']!.shift).toBeLessThan(0.01);
    expect(by['R06-same-run']!.selfParameters).toEqual([]);
    expect(by['R06-same-run']!.inSample).toBe(false);
    // The same rows, same predictions: nothing was refitted by the moves.
    const plain = JSON.parse((await iofleet(['calibrate', '--rows', rows, '--json'], { timeout: 120_000 })).stdout)
      .rows as Row[];
    for (const r of plain) expect(by[r.id]!.relativeError).toBeCloseTo(r.relativeError, 9);
    const text = (await iofleet(args, { timeout: 120_000 })).stdout;
    expect(text).toMatch(/R34-lat-64m .* IN +.*walkMemRead\*/);
    expect(text).toMatch(/1 of 3 rows depend on parameters set from their own source/);
  }, 240_000);
});
