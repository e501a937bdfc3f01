// SPDX-License-Identifier: Apache-2.0
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { drainOnSignals, tracingConfigured, tracingFromEnv } from './service-process';
import type { RunningTracing } from './setup';

/** A process double: signals are emitted by the test, exit codes recorded. */
function fakeProcess() {
  const events = new EventEmitter();
  const exits: number[] = [];
  let exited: () => void = () => undefined;
  const exitedOnce = new Promise<void>((r) => {
    exited = r;
  });
  return {
    events,
    exits,
    exitedOnce,
    proc: {
      once: (s: 'SIGTERM' | 'SIGINT', l: () => void) => events.once(s, l),
      exit: (code: number) => {
        exits.push(code);
        exited();
      },
    },
  };
}

function fakeTracing(log: string[]): RunningTracing {
  return {
    dropped: 0,
    shutdown: async () => {
      log.push('flush');
    },
  };
}

describe('tracingFromEnv', () => {
  it('traces only when an OTLP endpoint (all signals or traces) is configured', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingFromEnv('svc', {})).toBeNull();
  });
});

describe('drainOnSignals', () => {
  it('drains, then flushes the traces, then exits 0, once for SIGTERM then SIGINT', async () => {
    const log: string[] = [];
    const f = fakeProcess();
    let drains = 0;
    const drain = async () => {
      drains++;
      log.push('drain');
    };
    drainOnSignals(drain, fakeTracing(log), (s) => log.push(s), f.proc);
    f.events.emit('SIGTERM');
    f.events.emit('SIGINT');
    await f.exitedOnce;
    expect(log).toEqual(['SIGTERM', 'drain', 'flush']);
    expect(drains).toBe(1);
    expect(f.exits).toEqual([0]);
  });

  it('exits 1 when the drain fails, without tracing', async () => {
    const f = fakeProcess();
    drainOnSignals(() => Promise.reject(new Error('stuck')), null, undefined, f.proc);
    f.events.emit('SIGINT');
    await f.exitedOnce;
    expect(f.exits).toEqual([1]);
  });
});
