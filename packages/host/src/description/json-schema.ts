// SPDX-License-Identifier: Apache-2.0
// JSON Schema (draft-07, what editors' YAML language servers read) derived from the zod schemas, so
// the published `schemas/*.schema.json` can never say something the loader does not. Values are
// described as they are written in a file (zod's input side: `duration: 10ms` before it becomes ns).
import { z } from 'zod';
import { hostDescriptionSchema } from './schema';

/** The JSON Schema of a YAML file validated by `schema`, titled for editors. */
export function yamlFileJsonSchema(schema: z.ZodType, title: string, description: string): Record<string, unknown> {
  const body = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' });
  const { $schema, ...rest } = body as Record<string, unknown>;
  return { $schema, title, description, ...rest };
}

/** The JSON Schema of host description files (examples/hosts/*.yaml; docs/host.md). */
export function hostJsonSchema(): Record<string, unknown> {
  return yamlFileJsonSchema(
    hostDescriptionSchema,
    'iofleet host description',
    'One machine for iofleet: CPU, NUMA nodes, IOMMU hardware, kernel, PCI tree and devices (docs/host.md).',
  );
}
