import { defineConfig } from 'vitest/config';

// .ci/run sets SLUICE_TEST_REPORT to get machine-readable counts from the very
// same `npm test` a user runs.
const report = process.env.SLUICE_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // CLI tests start real processes; give slow shared machines room.
    testTimeout: 30_000,
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: report } } : {}),
  },
});
