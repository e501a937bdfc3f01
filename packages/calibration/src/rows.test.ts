// SPDX-License-Identifier: Apache-2.0

import { join } from 'node:path';
import { parseYamlWithSchema } from '@iofleet/host';
import { describe, expect, it } from 'vitest';
import { BUILTIN_ROWS_FILE, loadRows, rowsFileSchema } from './rows';

describe('calibration rows', () => {
  it('the built-in rows parse, each with a source, a host file and a published ratio', () => {
    const rows = loadRows(BUILTIN_ROWS_FILE);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const r of rows) {
      expect(r.source.length).toBeGreaterThan(10);
      expect(r.host).toMatch(/\.yaml$/);
      expect(r.published).toBeGreaterThan(0);
    }
  });

  it('rejects duplicate ids and unknown modes with the path of the offending entry', () => {
    const row = (id: string, mode: string) =>
      `  - { id: ${id}, source: s, host: h.yaml, metric: iops, numerator: { mode: ${mode}, workload: nvme }, denominator: { mode: pt, workload: nvme }, published: 1 }`;
    expect(() =>
      parseYamlWithSchema(`rows:\n${row('a', 'pt')}\n${row('a', 'pt')}\n`, 'r.yaml', rowsFileSchema),
    ).toThrow(/r\.yaml:3: rows\[1\]\.id: duplicate row id 'a'/);
    expect(() => parseYamlWithSchema(`rows:\n${row('a', 'turbo')}\n`, 'r.yaml', rowsFileSchema)).toThrow(
      /rows\[0\]\.numerator\.mode/,
    );
  });

  it('a row may drive several devices at once: all of them or a list of BDFs, never an empty list', () => {
    const r01 = loadRows(join(__dirname, '..', '..', '..', 'examples', 'calibration', 'r01-grace-jobs.yaml'));
    expect(r01).toHaveLength(8);
    expect(new Set(r01.map((r) => r.devices))).toEqual(new Set(['all']));
    const builtin = loadRows(BUILTIN_ROWS_FILE);
    for (const id of ['R01-strict-pt', 'R01-lazy-pt']) expect(builtin.find((r) => r.id === id)?.devices).toBe('all');
    const row = (devices: string) =>
      `rows:\n  - { id: a, source: s, host: h.yaml, devices: ${devices}, metric: iops, numerator: { mode: strict, workload: nvme }, denominator: { mode: pt, workload: nvme }, published: 1 }\n`;
    expect(
      parseYamlWithSchema(row('["0000:03:00.0", "0000:04:00.0"]'), 'r.yaml', rowsFileSchema).value.rows[0]!.devices,
    ).toEqual(['0000:03:00.0', '0000:04:00.0']);
    expect(() => parseYamlWithSchema(row('[]'), 'r.yaml', rowsFileSchema)).toThrow(/rows\[0\]\.devices/);
    expect(() => parseYamlWithSchema(row('some'), 'r.yaml', rowsFileSchema)).toThrow(/rows\[0\]\.devices/);
  });

  it("R08's batch sweep parses: both modes at five spreads, the published job's batches of 16", () => {
    const rows = loadRows(join(__dirname, '..', '..', '..', 'examples', 'calibration', 'r08-batches.yaml'));
    expect(rows).toHaveLength(10);
    for (const r of rows) expect(r.numerator.workload).toMatch(/batchSubmit=16,batchComplete=16$/);
  });
});
