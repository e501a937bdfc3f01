// SPDX-License-Identifier: Apache-2.0
// Writes the published JSON Schemas (schemas/*.schema.json) from the zod schemas the loaders use.
//   node --conditions=@iofleet/source --import tsx tools/gen-schemas.ts
// packages/whatif/src/scenario/json-schema.test.ts fails when the files are out of date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostJsonSchema } from '@iofleet/host';
import { scenarioJsonSchema } from '@iofleet/whatif';

const dir = join(__dirname, '..', 'schemas');
for (const [file, schema] of [
  ['host.schema.json', hostJsonSchema()],
  ['scenario.schema.json', scenarioJsonSchema()],
] as const) {
  writeFileSync(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote schemas/${file}\n`);
}
