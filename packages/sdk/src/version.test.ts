// SPDX-License-Identifier: Apache-2.0
// The SDK's version is one number: plugins ask for SDK_VERSION (checkSdkRange), and the packed
// tarball a plugin package installs is named and versioned by package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSdkRange, SDK_VERSION } from './version';

describe('SDK_VERSION', () => {
  it("is the package's version", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });

  it('accepts a plugin asking for a compatible range and refuses one that is not', () => {
    expect(() => checkSdkRange('p', `^${SDK_VERSION}`)).not.toThrow();
    expect(() => checkSdkRange('p', '^99.0.0')).toThrow(/SDK|sdk/);
  });
});
