// SPDX-License-Identifier: Apache-2.0
import { parseYamlWithSchema } from '@iofleet/host';
import { describe, expect, it } from 'vitest';
import { scenarioSchema } from './schema';

const S = `name: s
duration: 20ms
fleet:
  - { template: ../hosts/intel-xeon-2s.yaml, count: 10 }
workload:
  kind: poisson
  vms: 100
  ratePerHour: 600
  shapes:
    - { name: storage, vcpus: 4, memoryGiB: 16, devices: [{ class: nvme }], io: [{ device: nvme }] }
variants:
  - { name: pt, baseline: true, cmdline: "iommu=pt" }
  - { name: strict, cmdline: "iommu.strict=1" }
`;

describe('scenario schema', () => {
  it('parses durations, defaults and variants', () => {
    const { value } = parseYamlWithSchema(S, 's.yaml', scenarioSchema);
    expect(value.duration).toBe(20e6);
    expect(value.seed).toBe(1);
    expect(value.variants.map((v) => v.name)).toEqual(['pt', 'strict']);
    if (value.workload.kind !== 'poisson') throw new Error('kind');
    expect(value.workload.shapes[0]!.devices[0]).toEqual({ class: 'nvme', count: 1, allowVf: false });
  });

  it('rejects duplicate variant names with the line of the offending entry', () => {
    const bad = S.replace('name: strict', 'name: pt');
    expect(() => parseYamlWithSchema(bad, 's.yaml', scenarioSchema)).toThrow(
      /s\.yaml:13: variants\[1\]\.name: duplicate variant name 'pt'/,
    );
  });

  it('takes a host described inline, and refuses an entry with both or neither', () => {
    const inline = S.replace(
      '  - { template: ../hosts/intel-xeon-2s.yaml, count: 10 }',
      '  - count: 3\n    host: { name: tiny, cpu: { vendor: amd, coresPerSocket: 4 }, numaNodes: [{ id: 0, memoryGiB: 8 }] }',
    );
    const { value } = parseYamlWithSchema(inline, 's.yaml', scenarioSchema);
    expect(value.fleet[0]!.host!.name).toBe('tiny');
    expect(() =>
      parseYamlWithSchema(S.replace('count: 10 }', 'count: 10, host: { name: x } }'), 's.yaml', scenarioSchema),
    ).toThrow(/s\.yaml:\d+: fleet\[0\]/);
  });
});
