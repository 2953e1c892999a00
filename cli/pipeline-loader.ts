// The loader the CLI uses: built-in task types, plus the validator that the
// build precompiled (the engine ignores it if it no longer matches the schema).
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import type { PrecompiledValidator } from '../engine/spec/schema-check.js';
import { builtinTaskTypes } from '../tasks/index.js';

export async function createLoader(): Promise<PipelineLoader> {
  let precompiled: PrecompiledValidator | undefined;
  try {
    // dist/generated/ exists after the build step; without it ajv compiles at first use.
    precompiled = (await import('../generated/pipeline-validator.js' as string)) as PrecompiledValidator;
  } catch {
    precompiled = undefined;
  }
  return new PipelineLoader(builtinTaskTypes, { precompiled });
}
