// SPDX-License-Identifier: Apache-2.0

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
});
