// Bundles the compiled CLI into dist/bin/: one file to load instead of ~150
// modules to resolve, which is most of a cold `sluice validate` (see npm run bench).
// Heavy parts reached through import() become chunks loaded only when needed.
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: { sluice: 'dist/cli/bin.js' },
  platform: 'node',
  // Native addons load their binaries relative to their own package.
  // react-devtools-core: Ink imports it only when DEV=true; it is not installed.
  external: ['better-sqlite3', 'onnxruntime-node', '@duckdb/node-api', '@duckdb/node-bindings', 'react-devtools-core'],
  // React's production build (the UI chunk): the development one checks and warns on every render.
  transform: { define: { 'process.env.NODE_ENV': '"production"' } },
  output: { dir: 'dist/bin', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
});
