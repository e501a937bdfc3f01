// SPDX-License-Identifier: Apache-2.0
// Golden decoded outputs: the JSON of selected tables is compared with files under test/golden.
// Update procedure (test/golden/README.md): UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts,
// then review the diff before committing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDmar, decodeIort, decodeIvrs, toJson } from '../src/index';

const CASES = [
  'real/dell-precision-workstation-t7500-428B8D25DDA9.DMAR.dat',
  'real/asustek-computer-q325uar-7E4A9E65FDE9.DMAR.dat',
  'real/asustek-computer-rog-zenith-ii-extreme-alpha-BF6A37F4A7D0.IVRS.dat',
  'real/asustek-computer-asus-zenbook-s-16-um5606wa-um5606wa-4AF98851C2C6.IVRS.dat',
  'iasl/v20250404/dmar.aml',
  'iasl/v20250404/ivrs.aml',
  'qemu-generated-7.2.22/virt-smmuv3-pxb.IORT.dat',
  'iasl/variants/iort-server.aml',
  'iasl/variants/iort-named-components.aml',
];

describe('golden decoded outputs', () => {
  it.each(CASES)('%s', (rel) => {
    const bytes = new Uint8Array(readFileSync(join(__dirname, 'fixtures', rel)));
    const sig = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
    const json =
      sig === 'DMAR'
        ? toJson({ table: 'DMAR', dmar: decodeDmar(bytes) })
        : sig === 'IORT'
          ? toJson({ table: 'IORT', iort: decodeIort(bytes) })
          : toJson({ table: 'IVRS', ivrs: decodeIvrs(bytes) });
    const golden = join(__dirname, 'golden', `${rel.replaceAll('/', '__')}.json`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, `${json}\n`);
    if (!existsSync(golden))
      throw new Error(`${golden} is missing: run with UPDATE_GOLDEN=1 and review it (test/golden/README.md)`);
    // Compared as data, so a formatter touching the file cannot fail the test; a changed value does.
    expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });
});
