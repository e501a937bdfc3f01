// SPDX-License-Identifier: Apache-2.0
// Deliberately broken plugins: each misbehaviour is contained and reported as a typed error or a
// recorded violation — never a crashed or hung test process.

import { type DeviceInstance, defineDevicePlugin, isSdkError, rejectUnknownOptions, SDK_VERSION } from '@iofleet/sdk';
import { describe, expect, it } from 'vitest';
import { TestEnvironment } from './test-environment';

const plugin = (name: string, make: Parameters<typeof defineDevicePlugin<Record<string, never>>>[0]['create']) =>
  defineDevicePlugin({
    name,
    version: '1.0.0',
    sdk: `^${SDK_VERSION}`,
    parseOptions: (raw) => {
      rejectUnknownOptions(name, raw, []);
      return {};
    },
    create: make,
  });

const simpleWorkload = (over: Partial<NonNullable<DeviceInstance['workload']>>): DeviceInstance['workload'] => ({
  queueDepth: 1,
  submit: () => ({ bytes: 4096 }),
  device: () => {},
  complete: () => {},
  ...over,
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isSdkError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return 'no error';
};

describe('broken plugins are contained', () => {
  it('a probe that throws is a PLUGIN_FAULT', () => {
    const env = new TestEnvironment(
      plugin('throws', () => ({
        probe: () => {
          throw new TypeError('boom');
        },
      })),
    );
    expect(code(() => env.probe())).toBe('PLUGIN_FAULT');
  });

  it('a probe that hangs is stopped by its time limit as PLUGIN_TIMEOUT', () => {
    const env = new TestEnvironment(
      plugin('hangs', () => ({
        probe: () => {
          for (;;) {
            /* spin */
          }
        },
      })),
    );
    const t0 = Date.now();
    expect(code(() => env.probe())).toBe('PLUGIN_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('a workload hook that hangs ends the run with PLUGIN_TIMEOUT', () => {
    const env = new TestEnvironment(
      plugin('hangs-io', () => ({
        workload: simpleWorkload({
          device: () => {
            for (;;) {
              /* spin */
            }
          },
        }),
      })),
    );
    expect(code(() => env.run({ timeLimitMs: 300 }))).toBe('PLUGIN_TIMEOUT');
  });

  it('a submit that throws stops the run with a fault, keeping what was measured', () => {
    let n = 0;
    const env = new TestEnvironment(
      plugin('throws-io', () => ({
        workload: simpleWorkload({
          submit: () => {
            if (++n > 10) throw new Error('queue wedged');
            return { bytes: 512 };
          },
        }),
      })),
    );
    const r = env.run({ maxIos: 100 });
    expect(r.pluginFault).toMatch(/submit\(\) threw queue wedged/);
    expect(r.ios).toBe(10);
  });

  it('mapping memory the device was not given is DMA_OUT_OF_BOUNDS', () => {
    const env = new TestEnvironment(
      plugin('wild-map', (ctx) => ({
        workload: simpleWorkload({
          submit: () => {
            const pa = ctx.memory.allocPages(1);
            ctx.dma.mapSingle(pa + 4096, 4096, 'to-device'); // one page past its buffer
            return { bytes: 4096 };
          },
        }),
      })),
    );
    const r = env.run({ maxIos: 5 });
    expect(r.pluginFault).toMatch(/maps memory the device was not given/);
  });

  it('a device access to unmapped memory faults in the IOMMU (translated) and is flagged in pass-through', () => {
    const wild = plugin('wild-dma', (ctx) => ({
      workload: simpleWorkload({ device: () => void ctx.bus.dma(0x7000_0000, 64, true) }),
    }));
    const strict = new TestEnvironment(wild, { mode: 'strict' });
    const r = strict.run({ maxIos: 3 });
    expect(r.faults).toBe(3);
    expect(strict.faults[0]!.logLine).toMatch(/DMAR: \[DMA Write/);
    const pt = new TestEnvironment(wild, { mode: 'pt' });
    expect(pt.run({ maxIos: 3 }).faults).toBe(0);
    expect(pt.unmappedAccesses).toBe(3);
  });

  it('a plugin for another SDK major is refused with SDK_VERSION_MISMATCH', () => {
    expect(
      code(() =>
        defineDevicePlugin({
          name: 'future',
          version: '1.0.0',
          sdk: '^9.0.0',
          parseOptions: () => ({}),
          create: () => ({}),
        }),
      ),
    ).toBe('SDK_VERSION_MISMATCH');
    expect(
      code(() =>
        defineDevicePlugin({ name: 'Bad Name', version: '1', sdk: '*', parseOptions: () => ({}), create: () => ({}) }),
      ),
    ).toBe('PLUGIN_INVALID');
  });
});
