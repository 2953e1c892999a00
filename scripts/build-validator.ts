// Build step (npm run build, npm install): writes the schema validator as
// plain JavaScript so that `sluice validate` needs neither ajv nor a compile.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPipelineSchema } from '../engine/spec/pipeline-schema.js';
import { standaloneValidatorSource } from '../engine/spec/schema-check.js';
import { builtinTaskTypes } from '../tasks/index.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated', 'pipeline-validator.js');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, await standaloneValidatorSource(buildPipelineSchema(builtinTaskTypes)));
