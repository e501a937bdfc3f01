// SPDX-License-Identifier: Apache-2.0
// End to end on real machines: a real firmware table and the real PCI listing in, the IOMMU
// groups Linux formed on that machine out (fixtures/README.md gives the origin of each log).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootHost, hostDescriptionSchema, loadYamlWithSchema } from '../src/index';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples', 'hosts');
const dmesgLines = (name: string, re: RegExp) =>
  readFileSync(join(__dirname, 'fixtures', name), 'utf8')
    .split('\n')
    .map((l) => l.replace(/^\[\s*[\d.]+\]\s/, ''))
    .filter((l) => re.test(l));

describe('AMD Threadripper 3960X (real IVRS + lspci -vvnn)', () => {
  const file = join(EXAMPLES, 'amd-threadripper-real.yaml');
  const host = bootHost(loadYamlWithSchema(file, hostDescriptionSchema).value, { file });

  it('finds the four IOMMUs of the IVRS in table order, with the lines Linux printed', () => {
    expect(host.units.map((u) => u.unit.name)).toEqual([
      '0000:60:00.2',
      '0000:40:00.2',
      '0000:20:00.2',
      '0000:00:00.2',
    ]);
    const re = /AMD-Vi: (Found IOMMU cap|Extended features)/;
    expect(host.bootLog.filter((l) => re.test(l))).toEqual(dmesgLines('amd-trx40-zenith2.dmesg-iommu-excerpt.txt', re));
  });

  it('forms exactly the groups Linux 5.10 formed, numbered in the same order', () => {
    const real = dmesgLines('amd-trx40-zenith2.dmesg-iommu-excerpt.txt', /Adding to iommu group/);
    expect(real).toHaveLength(95);
    expect(host.bootLog.filter((l) => l.includes('Adding to iommu group'))).toEqual(real);
  });

  it('leaves the root complexes and the IOMMUs themselves without a group', () => {
    const describe = host.describe();
    expect(describe.ungrouped).toEqual(expect.arrayContaining(['0000:00:00.0', '0000:00:00.2', '0000:60:00.2']));
    expect(describe.groups).toHaveLength(76);
    expect(describe.groups.find((g) => g.group === 49)?.devices).toEqual([
      '0000:42:08.0',
      '0000:47:00.0',
      '0000:47:00.1',
      '0000:47:00.3',
    ]);
  });
});

describe('Dell Precision T7500 (real DMAR + boot-log enumeration, intel_iommu=on)', () => {
  const file = join(EXAMPLES, 'intel-dell-t7500-real.yaml');
  const host = bootHost(loadYamlWithSchema(file, hostDescriptionSchema).value, { file });
  const log = 'intel-dell-t7500.dmesg-iommu-excerpt.txt';

  it('prints the DMAR parse Linux printed (the register values are the model units own)', () => {
    const re = /^(DMAR: (Host address width|DRHD base|RMRR base|ATSR flags|IOMMU enabled)|DMAR-IR: IOAPIC id)/;
    expect(host.bootLog.filter((l) => re.test(l))).toEqual(dmesgLines(log, re));
  });

  it('forms the groups Linux formed', () => {
    const real = dmesgLines(log, /Adding to iommu group/);
    expect(real).toHaveLength(60);
    expect(host.bootLog.filter((l) => l.includes('Adding to iommu group'))).toEqual(real);
  });
});
