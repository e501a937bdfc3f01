// SPDX-License-Identifier: Apache-2.0
// The published JSON Schemas (schemas/*.schema.json): generated from the loaders' zod schemas (so
// they are never out of date), accepted by a JSON Schema validator, true of every example file, and
// referenced by each example's yaml-language-server line. Regenerate with
//   node --conditions=@iofleet/source --import tsx tools/gen-schemas.ts
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostJsonSchema } from '@iofleet/host';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scenarioJsonSchema } from './json-schema';

const ROOT = join(__dirname, '..', '..', '..', '..');
const published = (name: string) => JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8'));
const examples = (dir: string) =>
  readdirSync(join(ROOT, 'examples', dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, 'examples', dir, f));

const KINDS = [
  { file: 'host.schema.json', generate: hostJsonSchema, dir: 'hosts' },
  { file: 'scenario.schema.json', generate: scenarioJsonSchema, dir: 'scenarios' },
] as const;

describe.each(KINDS)('schemas/$file', ({ file, generate, dir }) => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(published(file));

  it('is what the zod schema generates today', () => {
    expect(published(file)).toEqual(generate());
  });

  it(`accepts every example in examples/${dir}, each of which names it`, () => {
    const files = examples(dir);
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text.split('\n')[0], f).toBe(`# yaml-language-server: $schema=../../schemas/${file}`);
      expect(validate(parse(text)), `${f}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('rejects an unknown key, as the loader does', () => {
    const doc = parse(readFileSync(examples(dir)[0]!, 'utf8')) as Record<string, unknown>;
    expect(validate({ ...doc, colour: 'blue' })).toBe(false);
    expect(ajv.errorsText(validate.errors)).toMatch(/additional properties/);
  });
});
