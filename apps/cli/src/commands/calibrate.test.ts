// SPDX-License-Identifier: Apache-2.0
// Every built-in row within the one tolerance (25 %, CALIBRATION_TOLERANCE) with the modes in the
// published order: no per-row tolerance, no ratchet. `iofleet calibrate --rows` takes any file.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'iofleet.cjs');
const BUILTIN = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', '..', 'packages', 'calibration', 'measurements.json'), 'utf8'),
) as { rows: { id: string }[] };
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
    const { stdout } = await run(process.execPath, [BIN, 'calibrate', '--json'], { timeout: 180_000 });
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
      (await run(process.execPath, [BIN, 'calibrate', '--rows', rows, '--json'], { timeout: 120_000 })).stdout,
    ).rows;
    expect(r).toHaveLength(1);
    expect(r[0]!.predicted).toBeGreaterThan(1); // strict costs more CPU per I/O than pass-through
    writeFileSync(rows, readFileSync(rows, 'utf8').replace('metric: cpuNsPerIo', 'metric: speed'));
    const e = await run(process.execPath, [BIN, 'calibrate', '--rows', rows], { timeout: 60_000 }).catch((x) => x);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error: .*rows\.yaml:5: rows\[0\]\.metric/);
  });
});
