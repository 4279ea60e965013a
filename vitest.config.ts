import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'default',
          include: [
            'test/unit/**/*.test.ts',
            'test/property/**/*.test.ts',
            'test/vectors/**/*.test.ts',
          ],
          setupFiles: ['test/helpers/setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'slow',
          include: ['test/slow/**/*.test.ts'],
          setupFiles: ['test/helpers/setup.ts'],
          testTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'stat',
          include: ['test/stat/**/*.test.ts'],
          setupFiles: ['test/helpers/setup.ts'],
          testTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          setupFiles: ['test/helpers/setup.ts'],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          setupFiles: ['test/helpers/setup.ts'],
          testTimeout: 300_000,
        },
      },
    ],
  },
});
