// SPDX-License-Identifier: Apache-2.0
// The CLI's plugins come from the registry the agent uses too (@iofleet/plugin-registry): the same
// built-ins, a TypeScript --plugin file through tsx, and each load failure as a UsageError (exit
// status 2, one line naming the module).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PLUGINS as SHARED_BUILTINS } from '@iofleet/plugin-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './cli-error';
import { BUILTIN_PLUGINS, pluginRegistry } from './plugins';

const dir = mkdtempSync(join(tmpdir(), 'iofleet-cli-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const usageError = (modules: string[]) => {
  try {
    pluginRegistry(modules);
  } catch (e) {
    return e;
  }
  throw new Error('no error');
};

describe('CLI plugin registry', () => {
  it('is the shared registry: the same built-in plugins as the agent', () => {
    expect(BUILTIN_PLUGINS).toBe(SHARED_BUILTINS);
    expect([...pluginRegistry().keys()].sort()).toEqual(['gpu', 'nic', 'nvme', 'pciebench']);
  });

  it('loads a TypeScript --plugin file that imports @iofleet/sdk from a folder without it', () => {
    const file = join(dir, 'mine.ts');
    const sdk = '@iofleet/sdk'; // spelt apart: the generated file's import, not the CLI's
    writeFileSync(
      file,
      `import { defineDevicePlugin, SDK_VERSION } from '${sdk}';
export const mine = defineDevicePlugin({ name: 'mine', version: '1.0.0', sdk: \`^\${SDK_VERSION}\`,
  parseOptions: (): Record<string, never> => ({}), create: () => ({}) });
`,
    );
    expect(pluginRegistry([file]).get('mine')?.name).toBe('mine');
  });

  it('turns a module that cannot be loaded, or exports no plugin, into a usage error naming it', () => {
    const missing = usageError([join(dir, 'missing.ts')]);
    expect(missing).toBeInstanceOf(UsageError);
    expect((missing as UsageError).exitCode).toBe(2);
    expect((missing as Error).message).toMatch(/^--plugin .*missing\.ts: cannot load \(Cannot find module/);
    const empty = join(dir, 'empty.cjs');
    writeFileSync(empty, 'module.exports = { x: 1 };');
    expect((usageError([empty]) as Error).message).toMatch(/exports no plugin made by defineDevicePlugin\(\)$/);
    expect(usageError([empty])).toBeInstanceOf(UsageError);
  });
});
