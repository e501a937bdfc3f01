// SPDX-License-Identifier: Apache-2.0
// The vocabulary's own rules: every name is unique within its kind and follows the naming rules of
// its reader (OpenTelemetry attribute keys in our namespace, Prometheus metric names with a unit).
import { describe, expect, it } from 'vitest';
import * as names from './index';

const byPrefix = (prefix: string): [string, string][] =>
  Object.entries(names).filter(([k]) => k.startsWith(prefix)) as [string, string][];

describe('vocabulary', () => {
  it.each(['SPAN_', 'EVENT_', 'ATTR_', 'SERVICE_', 'METRIC_'])('%s names are distinct strings', (prefix) => {
    const entries = byPrefix(prefix);
    expect(entries.length).toBeGreaterThan(2);
    const values = entries.map(([, v]) => v);
    expect(new Set(values).size, JSON.stringify(values)).toBe(values.length);
  });

  it('span and event names are lower-case words joined by dots', () => {
    for (const [k, v] of [...byPrefix('SPAN_'), ...byPrefix('EVENT_')]) expect(v, k).toMatch(/^[a-z_]+(\.[a-z_]+)*$/);
  });

  it('attribute keys live in the iofleet. namespace (the event message excepted)', () => {
    for (const [k, v] of byPrefix('ATTR_')) if (k !== 'ATTR_MESSAGE') expect(v, k).toMatch(/^iofleet(\.[a-z_0-9]+)+$/);
  });

  it('metric names are Prometheus names iofleet_<what>_<unit>', () => {
    for (const [k, v] of byPrefix('METRIC_')) expect(v, k).toMatch(/^iofleet_[a-z_]+_(total|seconds|depth)$/);
  });

  it('service names are iofleet-<app>', () => {
    for (const [k, v] of byPrefix('SERVICE_')) expect(v, k).toMatch(/^iofleet-[a-z-]+$/);
  });
});
