// SPDX-License-Identifier: Apache-2.0
// Fuzzes the DMAR, IVRS and IORT decoders with random and mutated tables built from the test fixtures
// (an IORT that decodes must also re-encode to the same bytes, validate and map requester IDs).
//   node --conditions=@iofleet/source --import tsx tools/fuzz-acpi.ts [--iterations 100000] [--seed 1]
// Exit 1 when anything but the typed decode error escapes, or a case hangs.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fuzzAcpi } from '@iofleet/acpi';
import { tableFiles } from '../packages/acpi/test/fixture-files';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } },
});
const corpus = tableFiles(['DMAR', 'IVRS', 'IORT']).map((p) => new Uint8Array(readFileSync(p)));
const n = Number(values.iterations);
const t0 = Date.now();
const r = fuzzAcpi(corpus, n, Number(values.seed));
process.stdout.write(
  `fuzz-acpi: ${r.iterations} cases from ${corpus.length} tables in ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
    `${r.decoded} decoded, ${r.rejected} rejected with AcpiDecodeError, ${r.crashes.length} crashes, slowest ${r.slowest.toFixed(1)} ms\n`,
);
for (const c of r.crashes.slice(0, 10))
  process.stdout.write(`  crash at iteration ${c.iteration}: ${c.error}\n    input ${c.input}\n`);
process.exit(r.crashes.length ? 1 : 0);
