import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@iofleet/source'] },
  ssr: { resolve: { conditions: ['@iofleet/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
