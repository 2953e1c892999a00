#!/usr/bin/env node
// The `sluice` executable. Node 22 and later can keep compiled code between
// runs; turning that on before the CLI loads saves recompiling it on every
// start (Node 20 has no such cache and skips this).
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./main.js');
