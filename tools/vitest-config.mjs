// SPDX-License-Identifier: Apache-2.0
// The one vitest configuration of every package and app: each vitest.config.mts is
// `export default packageTestConfig();` (tools/new-package.sh writes it so), instead of the same
// dozen lines copied into every package.
import { defineConfig } from 'vitest/config';

/** Sources resolved through the `@iofleet/source` export condition; node; a JSON report per package for tools/test-summary.mjs. */
export function packageTestConfig() {
  return defineConfig({
    resolve: { conditions: ['@iofleet/source'] },
    ssr: { resolve: { conditions: ['@iofleet/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  });
}
