// SPDX-License-Identifier: Apache-2.0
// The VMs of a scenario as timed events: a Poisson process of VM shapes (exponential gaps at the
// given rate, exponential lifetimes, shapes drawn by weight — all from the scenario's seed), or the
// replay of the Alibaba GPU cluster trace (pods' creation and deletion times, CPUs, memory, GPUs).
// Trace simplification: a pod asking a fraction of a GPU (gpu_milli < 1000) takes a whole one, as
// pass-through assignment cannot share it.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { VmRequest } from '@iofleet/placement';
import { mulberry32 } from '@iofleet/prng';
import type { Scenario, VmShape } from '../scenario/schema';
import { parseTracePods } from '../trace/alibaba-gpu';

export interface VmArrival {
  vm: VmRequest;
  /** Simulated seconds since the start. */
  arriveS: number;
  departS: number;
  /** The shape it came from (its I/O), or null for trace pods (the trace's own I/O spec). */
  shape: VmShape | null;
}

function pick(shapes: readonly VmShape[], r: number): VmShape {
  const total = shapes.reduce((a, s) => a + s.weight, 0);
  let x = r * total;
  for (const s of shapes) {
    x -= s.weight;
    if (x < 0) return s;
  }
  return shapes.at(-1)!;
}

export function vmFromShape(id: string, s: VmShape): VmRequest {
  return {
    id,
    vcpus: s.vcpus,
    memoryMiB: Math.round(s.memoryGiB * 1024),
    devices: s.devices.map((d, i) => ({
      alias: `${d.class}${i}`,
      deviceClass: d.class,
      count: d.count,
      allowVf: d.allowVf,
    })),
    numaPolicy: s.numaPolicy,
    ...(s.colocate && { colocate: s.colocate }),
  };
}

export function generateArrivals(s: Scenario, scenarioFile: string): VmArrival[] {
  const w = s.workload;
  if (w.kind === 'poisson') {
    const rnd = mulberry32(s.seed);
    const exp = (mean: number) => -Math.log(1 - rnd()) * mean;
    const gap = 3600 / w.ratePerHour;
    const life = w.meanLifetime / 1e9;
    const out: VmArrival[] = [];
    let t = 0;
    for (let i = 0; i < w.vms; i++) {
      t += exp(gap);
      const shape = pick(w.shapes, rnd());
      out.push({ vm: vmFromShape(`vm-${i}`, shape), arriveS: t, departS: t + exp(life), shape });
    }
    return out;
  }
  const file = isAbsolute(w.pods) ? w.pods : resolve(dirname(scenarioFile), w.pods);
  const pods = parseTracePods(readFileSync(file, 'utf8'), w.pods);
  const limited = w.limit ? pods.slice(0, w.limit) : pods;
  return limited.map((p) => ({
    vm: {
      id: p.name,
      vcpus: Math.max(1, Math.ceil(p.cpus)),
      memoryMiB: Math.max(1, p.memoryMiB),
      devices: p.gpus > 0 ? [{ alias: 'gpu', deviceClass: 'gpu', count: Math.max(1, Math.ceil(p.gpus)) }] : [],
      numaPolicy: 'preferred',
    },
    arriveS: p.creationS,
    departS: p.deletionS > p.creationS ? p.deletionS : Number.POSITIVE_INFINITY,
    shape: null,
  }));
}
