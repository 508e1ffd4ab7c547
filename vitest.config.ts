import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // CI also writes a JSON report, from which .ci/run prints its closing count line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'out/vitest.json' }]] : ['default'],
  },
});
