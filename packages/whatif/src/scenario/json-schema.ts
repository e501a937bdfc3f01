// SPDX-License-Identifier: Apache-2.0
// The JSON Schema of scenario files, derived from the zod schema (see @iofleet/host's json-schema.ts).
import { yamlFileJsonSchema } from '@iofleet/host';
import { scenarioSchema } from './schema';

/** The JSON Schema of scenario files (examples/scenarios/*.yaml; docs/scenarios.md). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return yamlFileJsonSchema(
    scenarioSchema,
    'iofleet scenario',
    'A fleet what-if for `iofleet simulate`: the fleet, the VMs arriving, their device I/O and the variants to compare (docs/scenarios.md).',
  );
}
