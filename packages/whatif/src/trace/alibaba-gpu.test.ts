// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTraceNodes, parseTracePods, TraceFormatError } from './alibaba-gpu';

const FIX = join(__dirname, '..', '..', 'test', 'fixtures', 'alibaba-gpu-v2023');

describe('Alibaba GPU trace v2023', () => {
  it('reads every node and pod of the published files', () => {
    const nodes = parseTraceNodes(readFileSync(join(FIX, 'openb_node_list_all_node.csv'), 'utf8'));
    const pods = parseTracePods(readFileSync(join(FIX, 'openb_pod_list_default.csv'), 'utf8'));
    expect(nodes).toHaveLength(1523); // README of the trace
    expect(pods).toHaveLength(8152);
    expect(nodes.filter((n) => n.model === 'G2')).toHaveLength(549);
    expect(pods.filter((p) => p.gpus === 8)).toHaveLength(44);
    expect(pods[1]).toMatchObject({
      name: 'openb-pod-0001',
      cpus: 6,
      memoryMiB: 12288,
      gpus: 1,
      gpuMilli: 460,
      gpuSpec: [],
    });
  });

  it('reports a malformed row with file and line', () => {
    const bad = 'sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,0,\nn1,abc,1,0,T4\n';
    expect(() => parseTraceNodes(bad, 'n.csv')).toThrow(TraceFormatError);
    expect(() => parseTraceNodes(bad, 'n.csv')).toThrow(/^n\.csv:3: cpu_milli 'abc'/);
    expect(() => parseTraceNodes('sn,gpu\n', 'n.csv')).toThrow(/missing column 'cpu_milli'/);
  });
});
