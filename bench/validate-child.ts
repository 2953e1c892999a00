// Validates one pipeline file once in a fresh process and prints one JSON line
// with its peak RSS (KiB) and how long the cold load took. Used by
// validate-bench.ts: `node dist/bench/validate-child.js FILE`.
import { performance } from 'node:perf_hooks';
import { createLoader } from '../cli/pipeline-loader.js';
import { describeError, withDeepStacks } from './measure.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist/bench/validate-child.js FILE\n');
  process.exit(2);
}

const start = performance.now();
const loader = await createLoader();
const loaded = performance.now();
let result: ReturnType<typeof loader.loadFile> | undefined;
let crash: string | undefined;
try {
  result = withDeepStacks(() => loader.loadFile(file));
} catch (error) {
  crash = describeError(error); // still report the peak RSS up to the crash
}
const end = performance.now();

const diagnostics = result?.diagnostics ?? [];
const errors = diagnostics.filter((d) => d.severity === 'error').length;
process.stdout.write(`${JSON.stringify({
  maxRSSKiB: process.resourceUsage().maxRSS,
  createLoaderMs: loaded - start,
  loadFileMs: end - loaded,
  errors,
  warnings: diagnostics.length - errors,
  tasks: result?.pipeline?.tasks.length ?? 0,
  precompiled: loader.usesPrecompiledValidator,
  crash,
})}\n`);
process.exitCode = errors > 0 || crash ? 1 : 0;
