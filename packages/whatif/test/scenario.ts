// SPDX-License-Identifier: Apache-2.0
// The small scenarios the engine tests run: one host template, Poisson arrivals of a few VM shapes,
// the schema's defaults for the rest. Template paths are relative to SCENARIO_FILE's folder.
import { join } from 'node:path';
import { type Scenario, scenarioSchema } from '../src/scenario/schema';

/** Where the test scenarios stand (examples/scenarios), for loadTemplates and generateArrivals. */
export const SCENARIO_FILE = join(__dirname, '..', '..', '..', 'examples', 'scenarios', 'test.yaml');

export interface TestScenario {
  name?: string;
  duration?: string;
  /** Host template, e.g. '../hosts/gpu-node.yaml', and how many hosts of it. */
  template: string;
  hosts: number;
  vms: number;
  meanLifetime?: string;
  shapes: unknown[];
  variants: unknown[];
}

export function testScenario(o: TestScenario): Scenario {
  return scenarioSchema.parse({
    name: o.name ?? 't',
    ...(o.duration && { duration: o.duration }),
    fleet: [{ template: o.template, count: o.hosts }],
    workload: {
      kind: 'poisson',
      vms: o.vms,
      ratePerHour: 100,
      meanLifetime: o.meanLifetime ?? '1000h',
      shapes: o.shapes,
    },
    variants: o.variants,
  });
}
