// SPDX-License-Identifier: Apache-2.0
// The registry the CLI and the agent share: the built-in plugins, a TypeScript plugin file loaded
// through tsx with the process's own SDK, and one typed error for each way --plugin can fail.
import { join, relative } from 'node:path';
import { defineDevicePlugin } from '@iofleet/sdk';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS, PluginRegistryError, pluginRegistry } from './index';

const FIXTURES = join(__dirname, '..', 'test', 'fixtures');

const failure = (modules: string[]) => {
  try {
    pluginRegistry(modules);
  } catch (e) {
    return e;
  }
  throw new Error('pluginRegistry did not throw');
};

describe('plugin registry', () => {
  it('holds the four built-in plugins by name', () => {
    const reg = pluginRegistry();
    expect([...reg.keys()].sort()).toEqual(['gpu', 'nic', 'nvme', 'pciebench']);
    expect(BUILTIN_PLUGINS.every((p) => reg.get(p.name) === p)).toBe(true);
  });

  it('loads a TypeScript plugin file given by a relative or absolute path, handing it this process SDK', () => {
    const abs = join(FIXTURES, 'ts-plugin.ts');
    for (const spec of [abs, `./${relative(process.cwd(), abs)}`]) {
      const reg = pluginRegistry([spec]);
      expect(reg.get('fixture-dev')?.version).toBe('1.0.0');
      expect(reg.has('nvme')).toBe(true);
    }
    const mod = require(join(FIXTURES, 'ts-plugin.ts')) as { seenDefine: unknown };
    expect(mod.seenDefine).toBe(defineDevicePlugin);
  });

  it('names the module that cannot be loaded, with the first line of the cause only', () => {
    const missing = failure(['./no/such/plugin.ts']);
    expect(missing).toBeInstanceOf(PluginRegistryError);
    expect(missing).toMatchObject({ code: 'PLUGIN_LOAD', module: './no/such/plugin.ts' });
    expect((missing as Error).message).toMatch(/^--plugin \.\/no\/such\/plugin\.ts: cannot load \(Cannot find module/);
    const threw = failure([join(FIXTURES, 'throws.cjs')]) as PluginRegistryError;
    expect(threw.code).toBe('PLUGIN_LOAD');
    expect(threw.message).toMatch(/cannot load \(fixture exploded on load\)$/);
    expect(failure(['no-such-package-iofleet-xyzzy'])).toMatchObject({ code: 'PLUGIN_LOAD' });
  });

  it('refuses a module that exports no plugin made by defineDevicePlugin', () => {
    const e = failure([join(FIXTURES, 'no-plugin.cjs')]);
    expect(e).toMatchObject({ code: 'PLUGIN_NONE' });
    expect((e as Error).message).toMatch(/exports no plugin made by defineDevicePlugin\(\)$/);
  });
});
