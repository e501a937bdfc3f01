// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { NOOP_TRACER, RecordingTracer } from './sim-tracer';

describe('sim tracer', () => {
  it('the no-op tracer is disabled and never samples', () => {
    expect(NOOP_TRACER.enabled).toBe(false);
    expect(NOOP_TRACER.sample()).toBe(false);
  });

  it('records spans with parents, events and simulated times, sampling 1 in N', () => {
    const t = new RecordingTracer(2);
    expect([t.sample(), t.sample(), t.sample()]).toEqual([true, false, true]);
    const parent = t.startSpan('dma.map', 100, { 'iofleet.mode': 'strict' });
    const child = t.startSpan('iommu.translate', 120, {}, parent);
    child.addEvent('iotlb.miss', {}, 121);
    child.end(400);
    parent.setError('fault');
    parent.end(500);
    expect(t.spans.map((s) => [s.name, s.startNs, s.endNs, s.parent?.name])).toEqual([
      ['dma.map', 100, 500, undefined],
      ['iommu.translate', 120, 400, 'dma.map'],
    ]);
    expect(t.spans[1]!.events[0]!.name).toBe('iotlb.miss');
    expect(t.spans[0]!.error).toBe('fault');
  });
});
