// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const FIX = join(__dirname, '..', '..', '..', '..', 'packages', 'acpi', 'test', 'fixtures', 'real');
const dir = mkdtempSync(join(tmpdir(), 'iofleet-acpi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => iofleet(['acpi', ...args], { timeout: 60_000 });

/** `acpi decode --json`, then `acpi encode` of that JSON: the same bytes again. Returns the JSON. */
async function expectRoundTrip(table: string, name: string): Promise<string> {
  const { stdout } = await cli('decode', '--json', table);
  writeFileSync(join(dir, `${name}.json`), stdout);
  await cli('encode', join(dir, `${name}.json`), '-o', join(dir, `${name}.bin`));
  expect(readFileSync(join(dir, `${name}.bin`)).equals(readFileSync(table))).toBe(true);
  return stdout;
}

/** `acpi validate` of `table` with its checksum broken: exit 1, naming the CHECKSUM error. */
async function expectChecksumError(table: string, name: string): Promise<void> {
  const bytes = readFileSync(table);
  bytes[9] = (bytes[9]! + 1) & 0xff;
  writeFileSync(join(dir, name), bytes);
  const err = await cli('validate', join(dir, name)).catch((e) => e);
  expect(err.code).toBe(1);
  expect(err.stdout).toMatch(/^error: CHECKSUM: /m);
}

describe('iofleet acpi', () => {
  it('decodes to JSON and encodes back to the same bytes', async () => {
    await expectRoundTrip(join(FIX, 'supermicro-x10dai-4A64A6094FE3.DMAR.dat'), 't');
  });

  it('validate exits 1 on an error finding and names it', async () => {
    await expectChecksumError(join(FIX, 'supermicro-x10dai-4A64A6094FE3.DMAR.dat'), 'bad.dat');
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

  describe('IORT (Arm)', () => {
    const ACPI_FIX = join(FIX, '..');
    const qemu = join(ACPI_FIX, 'qemu-generated-7.2.22', 'virt-smmuv3.IORT.dat');

    it('decodes an IORT into a listing and JSON that encodes back to the same bytes', async () => {
      const { stdout: list } = await cli('decode', qemu);
      expect(list).toMatch(/^Node #1 at 0048h\s+: 04 \[SMMU_V3\]/m);
      expect(JSON.parse(await expectRoundTrip(qemu, 'iort')).table).toBe('IORT');
    });

    it('lists and validates a real server’s IORT (HiSilicon Hi1620): warnings only, exit 0', async () => {
      const hi1620 = join(ACPI_FIX, 'edk2-platforms', 'Hi1620Iort.IORT.dat');
      const { stdout: list } = await cli('decode', hi1620);
      expect(list).toMatch(/^Node Count\s+: 0000003B$/m);
      expect(list).toMatch(/^Node #6 at 0290h\s+: 04 \[SMMU_V3\]/m);
      expect(list).toMatch(/^Node #58 at 10B8h\s+: 01 \[NAMED_COMPONENT\]/m);
      await expectRoundTrip(hi1620, 'hi1620');
      const { stdout } = await cli('validate', hi1620);
      const lines = stdout.trim().split('\n');
      expect(lines.every((l) => l.startsWith('warning: '))).toBe(true);
      expect(lines.filter((l) => l.startsWith('warning: MAP_OFF_BY_ONE (structure 7)'))).toHaveLength(6);
      expect(lines.filter((l) => l.startsWith('warning: NO_MEMORY_LIMIT'))).toHaveLength(52);
    });

    it('finds an IORT in acpidump text and validates it: QEMU 7.2’s off-by-one is a warning, exit 0', async () => {
      const { formatAcpidump } = await import('@iofleet/acpi');
      writeFileSync(
        join(dir, 'dump.txt'),
        `${formatAcpidump('APIC', new Uint8Array(40))}${formatAcpidump('IORT', readFileSync(qemu))}`,
      );
      const { stdout } = await cli('validate', join(dir, 'dump.txt'));
      expect(stdout).toMatch(/^warning: MAP_OFF_BY_ONE \(structure 2\): .*conflicting mapping for input ID 0x100/m);
      await expectChecksumError(qemu, 'bad-iort.dat');
    });

    it('builds the IORT of an Arm host: SMMUv3 units by RID range, the rest to the ITS, reserved ranges', async () => {
      const host = join(dir, 'arm-host.yaml');
      writeFileSync(
        host,
        [
          'name: arm-2s',
          'cpu: { vendor: arm, model: Neoverse V2, sockets: 2, coresPerSocket: 72 }',
          'numaNodes: [{ id: 0, memoryGiB: 256 }, { id: 1, memoryGiB: 256 }]',
          'iommu:',
          '  its: [[0], [1]]',
          '  ats: true',
          '  units:',
          '    - { base: 0x10000000, segment: 0, rids: [0x0000, 0x7fff], numaNode: 0 }',
          '    - { base: 0x20000000, segment: 1, streamIdBase: 0x10000, its: 1, numaNode: 1 }',
          '  rmr:',
          '    - { base: 0x80000000, end: 0x801fffff, devices: ["00:02.0"] }',
          'pci:',
          '  - { bdf: "00:02.0", kind: endpoint, class: gpu }',
          '  - { bdf: "0001:01:00.0", kind: endpoint, class: nvme }',
          '',
        ].join('\n'),
      );
      const out = join(dir, 'built-iort.dat');
      const { stdout: said } = await cli('build', host, '-o', out);
      expect(said).toMatch(/: IORT, \d+ bytes$/m);
      const { stdout: ok } = await cli('validate', out);
      expect(ok).toMatch(/IORT OK, no findings/);
      const t = JSON.parse((await cli('decode', '--json', out)).stdout).iort;
      expect(t.nodes.map((n: { name: string }) => n.name)).toEqual([
        'ITS_GROUP',
        'ITS_GROUP',
        'SMMU_V3',
        'SMMU_V3',
        'ROOT_COMPLEX',
        'ROOT_COMPLEX',
        'RMR',
      ]);
      const rc0 = t.nodes[4];
      expect(rc0.fields.AtsAttribute).toBe(1);
      expect(rc0.mappings.map((m: { inputBase: number; idCount: number }) => [m.inputBase, m.idCount])).toEqual([
        [0, 0x7fff],
        [0x8000, 0x7fff],
      ]);
      expect(t.nodes[6].mappings[0].outputBase).toBe(0x0010);
    });

    it('says in one line what is wrong with an Arm host file', async () => {
      const host = join(dir, 'arm-bad.yaml');
      writeFileSync(
        host,
        'name: x\ncpu: { vendor: arm, coresPerSocket: 4 }\nnumaNodes: [{ id: 0, memoryGiB: 8 }]\niommu: { units: [{ base: 0x1000, rids: [0, 0x10000] }] }\n',
      );
      const err = await cli('build', host, '-o', join(dir, 'x.dat')).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(/^error: .*arm-bad\.yaml:4: iommu\.units\[0\]\.rids\[1\]: a 16-bit requester ID/);
    });
  });
});
