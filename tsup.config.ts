import { defineConfig } from 'tsup';

/** Library entries: one per public subpath (a subpath is added when its module lands). */
const libraryEntries = {
  index: 'src/index.ts',
  dp: 'src/dp/index.ts',
  sharing: 'src/sharing/index.ts',
  secagg: 'src/secagg/index.ts',
  he: 'src/he/index.ts',
  'he-worker': 'src/he/pool-worker.ts',
  kernels: 'src/kernels/index.ts',
  'kernels-worker': 'src/kernels/worker.ts',
  fl: 'src/fl/index.ts',
  'fl-client': 'src/fl/client.ts',
};

const external = ['node-seal', 'gpu.js', 'webgpu', 'gl', 'ws', 'pino'];

export default defineConfig([
  {
    entry: libraryEntries,
    format: ['esm'],
    platform: 'neutral',
    target: 'es2022',
    // worker entries are loaded by URL, never imported: they get no declarations (which would
    // reference the kernels' internal types)
    dts: {
      entry: Object.fromEntries(
        Object.entries(libraryEntries).filter(([name]) => !name.endsWith('-worker')),
      ),
    },
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    external,
  },
  {
    entry: { cli: 'src/cli/index.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node22',
    dts: false,
    sourcemap: true,
    clean: false,
    splitting: false,
    external,
  },
]);
