// SPDX-License-Identifier: Apache-2.0
// The suite every device plugin passes (STYLE.md item 11), run from the plugin's own tests:
//   import { runDevicePluginConformance } from '@iofleet/sdk-testing';
//   runDevicePluginConformance(plugin);
// It checks the definition, option parsing, and, in pass-through, strict and lazy modes on VT-d and
// AMD-Vi: the device probes, runs its workload without faults, touches only memory that is mapped
// for it, leaves no mapping or page behind after remove(), survives reset(), and is deterministic.

import { checkSdkRange, type DevicePlugin, isDevicePlugin, isSdkError, type RawOptions } from '@iofleet/sdk';
import { describe, expect, it } from 'vitest';
import { TestEnvironment, type TestMode } from './test-environment';

export interface ConformanceOptions {
  /** Options the device runs with (default: its defaults). */
  options?: RawOptions;
  /** I/Os per mode (default 500). */
  ios?: number;
  /** Options the plugin must refuse with a typed OPTION_INVALID error, as it refuses an unknown one. */
  badOptions?: readonly RawOptions[];
}

const MODES: readonly TestMode[] = ['pt', 'strict', 'lazy'];
const VENDORS = ['intel', 'amd'] as const;

export function runDevicePluginConformance(plugin: DevicePlugin, o: ConformanceOptions = {}): void {
  const ios = o.ios ?? 500;
  describe(`device plugin conformance: ${plugin?.name}`, () => {
    it('is a plugin made by defineDevicePlugin, for this SDK', () => {
      expect(isDevicePlugin(plugin)).toBe(true);
      expect(() => checkSdkRange(plugin.name, plugin.sdk)).not.toThrow();
    });

    it('parses its defaults, and rejects an unknown or bad option with a typed OPTION_INVALID error', () => {
      expect(() => plugin.parseOptions(o.options ?? {})).not.toThrow();
      for (const bad of [{ ...o.options, 'no-such-option-xyzzy': 1 }, ...(o.badOptions ?? [])]) {
        let err: unknown;
        try {
          plugin.parseOptions(bad);
        } catch (e) {
          err = e;
        }
        expect(isSdkError(err) && err.code, JSON.stringify(bad)).toBe('OPTION_INVALID');
      }
    });

    for (const vendor of VENDORS)
      for (const mode of MODES)
        it(`runs its workload on ${vendor} in ${mode} mode: no faults, only mapped memory, nothing leaked`, () => {
          const env = new TestEnvironment(plugin, { mode, vendor, options: o.options });
          env.probe();
          const r = env.run({ maxIos: ios });
          expect(r.pluginFault).toBeUndefined();
          expect(r.ios).toBeGreaterThan(0);
          expect(r.bytes).toBeGreaterThan(0);
          expect(r.faults).toBe(0);
          expect(env.faults).toEqual([]);
          expect(env.accesses.length).toBeGreaterThan(0);
          expect(env.unmappedAccesses).toBe(0);
          env.remove();
          expect([...env.live.values()]).toEqual([]);
          expect(env.runtime.pagesHeld).toBe(0);
        });

    it('comes back after reset() and runs again', () => {
      const env = new TestEnvironment(plugin, { mode: 'strict', options: o.options });
      env.probe();
      env.run({ maxIos: Math.min(ios, 100) });
      env.reset();
      const again = env.run({ maxIos: Math.min(ios, 100) });
      expect(again.pluginFault).toBeUndefined();
      expect(again.ios).toBeGreaterThan(0);
      env.remove();
    });

    it('is deterministic: the same run twice gives the same result', () => {
      const once = () => {
        const env = new TestEnvironment(plugin, { mode: 'lazy', options: o.options });
        env.probe();
        const r = env.run({ maxIos: Math.min(ios, 200) });
        env.remove();
        return r;
      };
      expect(once()).toEqual(once());
    });
  });
}
