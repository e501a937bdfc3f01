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

  it('builds the DMAR of a described host: its units, scopes and ATS, INCLUDE_PCI_ALL last, valid', async () => {
    const host = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'intel-xeon-2s.yaml');
    const out = join(dir, 'built.dat');
    await cli('build', host, '-o', out);
    await cli('validate', out);
    const { stdout } = await cli('decode', '--json', out);
    const t = JSON.parse(stdout).dmar;
    expect(t.hostAddressWidth + 1).toBe(48);
    const drhds = t.structures.filter((s: { name: string }) => s.name === 'DRHD');
    expect(drhds.map((d: { fields: { Flags: number } }) => d.fields.Flags)).toEqual([0, 1]);
    expect(drhds[0].scopes.map((s: { startBus: number; path: unknown }) => [s.startBus, s.path])).toEqual([
      [0x80, [{ device: 1, function: 0 }]],
      [0x80, [{ device: 2, function: 0 }]],
    ]);
    expect(t.structures.some((s: { name: string }) => s.name === 'ATSR')).toBe(true);
  });

  it('builds an IVRS for an AMD host and refuses a host that brings its own table', async () => {
    const hosts = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts');
    const out = join(dir, 'built-ivrs.dat');
    await cli('build', join(hosts, 'amd-epyc-1s.yaml'), '-o', out);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('IVRS');
    await cli('validate', out);
    const err = await cli('build', join(hosts, 'amd-threadripper-real.yaml'), '-o', out).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/^error: .*boots from its own firmware/);
  });
});
