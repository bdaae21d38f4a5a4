import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node', // transformers.js must see Node, not a fake DOM
    include: ['tests/unit/**/*.test.ts', 'tests/node/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
