// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'iofleet.cjs');
const FIX = join(__dirname, '..', '..', '..', '..', 'packages', 'acpi', 'test', 'fixtures', 'real');
const dir = mkdtempSync(join(tmpdir(), 'iofleet-acpi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => run(process.execPath, [BIN, 'acpi', ...args], { timeout: 60_000 });

describe('iofleet acpi', () => {
  it('decodes to JSON and encodes back to the same bytes', async () => {
    const table = join(FIX, 'supermicro-x10dai-4A64A6094FE3.DMAR.dat');
    const { stdout } = await cli('decode', '--json', table);
    const json = join(dir, 't.json');
    writeFileSync(json, stdout);
    await cli('encode', json, '-o', join(dir, 't.bin'));
    expect(readFileSync(join(dir, 't.bin')).equals(readFileSync(table))).toBe(true);
  });

  it('validate exits 1 on an error finding and names it', async () => {
    const bytes = readFileSync(join(FIX, 'supermicro-x10dai-4A64A6094FE3.DMAR.dat'));
    bytes[9] = (bytes[9]! + 1) & 0xff;
    writeFileSync(join(dir, 'bad.dat'), bytes);
    const err = await cli('validate', join(dir, 'bad.dat')).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/^error: CHECKSUM: /m);
  });

  it('gives one error: line and exit 1 for malformed input, never a stack trace', async () => {
    writeFileSync(join(dir, 'junk'), 'DMAR....');
    const err = await cli('decode', join(dir, 'junk')).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/^error: DMAR: /);
  });
});
