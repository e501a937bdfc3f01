// SPDX-License-Identifier: Apache-2.0
// Numeric options across the commands go through one check (@iofleet/errors numberOption): a value
// out of range, not whole, or not a number is a usage error (exit 2) that names the flag, the range
// and the value, before any work starts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples');
const SCENARIO = join(EXAMPLES, 'scenarios', 'pt-vs-translated.yaml');
const HOST = join(EXAMPLES, 'hosts', 'intel-xeon-2s.yaml');

describe('numeric options', () => {
  it.each([
    [['dma', 'bench', '--threads', '1025'], "--threads must be an integer from 1 to 1,024, got '1025'"],
    [['dma', 'bench', '--granule', '1.5'], "--granule must be an integer from 1 to 1,024, got '1.5'"],
    [['dma', 'bench', '--delay-ns', '-1'], "--delay-ns must be an integer from 0 to 10,000,000, got '-1'"],
    [['dma', 'bench', '--seconds', '0'], "--seconds must be a number above 0 and at most 300, got '0'"],
    [['dma', 'bench', '--dma-bits', '16'], "--dma-bits must be an integer from 20 to 64, got '16'"],
    [['simulate', SCENARIO, '--agents', '65'], "--agents must be an integer from 1 to 64, got '65'"],
    [['simulate', SCENARIO, '--workers', 'two'], "--workers must be an integer from 0 to 64, got 'two'"],
    [['simulate', SCENARIO, '--trace-sample', '0'], "--trace-sample must be a positive integer, got '0'"],
    [
      ['host', 'run', HOST, '--workload', 'nvme', '--duration', '0'],
      "--duration must be a number above 0 and at most 10,000 ms, got '0'",
    ],
    [['bench', 'core', '--seconds', 'abc'], "--seconds must be a number above 0 and at most 3,600, got 'abc'"],
  ])('iofleet %j exits 2: %s', async (args, message) => {
    const err = await iofleet(args, { timeout: 60_000 }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toBe(`error: ${message}\n`);
  });
});
