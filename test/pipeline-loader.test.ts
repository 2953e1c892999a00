import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { standaloneValidatorSource } from '../engine/spec/schema-check.js';
import type { TaskTypeDefinition } from '../engine/task-types.js';
import { builtinTaskTypes } from '../tasks/index.js';

const loader = new PipelineLoader(builtinTaskTypes);
const load = (text: string) => loader.loadText('p.yaml', text);
const errors = (text: string) => load(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col}: ${d.message}`);

const ISSUE_EXAMPLE = `# yaml-language-server: $schema=../schemas/pipeline.schema.json
name: churn
description: Nightly churn retraining
parameters:
  - { name: min_auc, default: 0.8, type: number, description: gate for promotion }
schedule: { cron: "0 3 * * *", timezone: Europe/Berlin, paused: false, catchup: latest }
max_concurrent_runs: 1
queue: true
timeout_seconds: 3600
task_defaults: { max_retries: 2, min_retry_interval_millis: 5000, retry_backoff: 2.0, max_retry_interval_millis: 60000, retry_jitter: true }
tasks:
  - task_key: prepare
    command: [python3, prep.py, --date, "{{job.trigger.time.iso_date}}"]   # argv, no shell
  - task_key: report
    depends_on: [prepare]
    shell: "echo done for {{tasks.prepare.values.rows}} rows"
    run_if: all_done
  - task_key: gate
    depends_on: [report]
    condition: { left: "{{tasks.prepare.values.auc}}", op: GREATER_THAN_OR_EQUAL, right: "{{job.parameters.min_auc}}" }
  - task_key: publish
    depends_on: [{ task_key: gate, outcome: "true" }]
    for_each: { inputs: "[1,2,3]", concurrency: 2, task: { command: [echo, "{{input}}"] } }
`;

describe('a valid pipeline becomes a typed Pipeline', () => {
  it('accepts the reference example and applies task_defaults to every task', () => {
    const result = load(ISSUE_EXAMPLE);
    expect(result.diagnostics).toEqual([]);
    const p = result.pipeline!;
    expect(p.name).toBe('churn');
    expect(p.schedule).toEqual({ cron: '0 3 * * *', timezone: 'Europe/Berlin', paused: false, catchup: 'latest' });
    expect(p.parameters).toEqual([{ name: 'min_auc', type: 'number', default: 0.8, description: 'gate for promotion' }]);
    expect(p.tasks.map((t) => t.key)).toEqual(['prepare', 'report', 'gate', 'publish']);
    const prepare = p.tasks[0]!;
    expect(prepare).toMatchObject({
      maxRetries: 2, minRetryIntervalMillis: 5000, retryBackoff: 2, maxRetryIntervalMillis: 60000, retryJitter: true,
      runIf: 'all_success', body: { type: 'command', argv: ['python3', 'prep.py', '--date', '{{job.trigger.time.iso_date}}'] },
    });
    expect(p.tasks[3]!.dependsOn).toEqual([{ taskKey: 'gate', outcome: 'true' }]);
    expect(p.tasks[3]!.body).toMatchObject({ type: 'for_each', inputs: '[1,2,3]', concurrency: 2, task: { maxRetries: 2, body: { type: 'command', argv: ['echo', '{{input}}'] } } });
    expect(p.sourceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets a task override task_defaults and merges env over the defaults', () => {
    const p = load(`name: x
task_defaults: { max_retries: 2, env: { A: "1", B: "2" } }
tasks:
  - { task_key: t, command: [sleep, 1], max_retries: 0, env: { B: three, C: 4 } }
`).pipeline!;
    expect(p.tasks[0]).toMatchObject({ maxRetries: 0, env: { A: '1', B: 'three', C: '4' }, body: { argv: ['sleep', '1'] } });
  });

  it('fills Databricks defaults when keys are absent', () => {
    const p = load('name: x\ntasks: [{ task_key: t, shell: "true" }]\n').pipeline!;
    expect(p).toMatchObject({ maxConcurrentRuns: 1, queue: true, timeoutSeconds: 0, parameters: [] });
    expect(p.tasks[0]).toMatchObject({ maxRetries: 0, retryBackoff: 1, retryJitter: false, retryOnTimeout: false, timeoutSeconds: 0, disabled: false, runIf: 'all_success' });
  });

  it('accepts YAML merge keys for shared settings', () => {
    const p = load(`name: x
tasks:
  - &base { task_key: a, command: [echo], max_retries: 3 }
  - { <<: *base, task_key: b, depends_on: [a] }
`).pipeline!;
    expect(p.tasks.map((t) => [t.key, t.maxRetries])).toEqual([['a', 3], ['b', 3]]);
  });
});

describe('the validator reports every problem in one pass', () => {
  it('finds schema and graph errors in the same file', () => {
    expect(errors(`name: x
tasks:
  - { task_key: a, comand: [echo] }
  - { task_key: b, depends_on: [c], shell: "echo {{tasks.a.values.v}}" }
`)).toEqual([
      "3:20: unknown key 'comand' in task 'a'; did you mean 'command'?",
      "4:33: task 'b' depends on unknown task 'c'",
      "4:50: task 'b' reads {{tasks.a.values.v}} but does not run after 'a'; add 'a' to its depends_on",
    ]);
  });

  it('accepts a reference to a task upstream through other tasks, and rejects one downstream', () => {
    const chain = (ref: string) => `name: x
tasks:
  - { task_key: a, command: [echo] }
  - { task_key: b, depends_on: [a], command: [echo] }
  - { task_key: c, depends_on: [b], command: [echo, "${ref}"] }
`;
    expect(errors(chain('{{tasks.a.values.v}}'))).toEqual([]);
    expect(errors(chain('{{tasks.a.result_state}}'))).toEqual([]);
    expect(errors(`name: x
tasks:
  - { task_key: a, command: [echo, "{{tasks.b.values.v}}"] }
  - { task_key: b, depends_on: [a], command: [echo] }
`)).toEqual(["3:37: task 'a' reads {{tasks.b.values.v}} but does not run after 'b'; add 'b' to its depends_on"]);
  });

  it('prints a cycle of three tasks in depends_on order', () => {
    expect(errors(`name: x
tasks:
  - { task_key: a, depends_on: [c], command: [echo] }
  - { task_key: b, depends_on: [a], command: [echo] }
  - { task_key: c, depends_on: [b], command: [echo] }
`)).toEqual(['3:33: dependency cycle: a → c → b → a (each depends on the next); remove one of these depends_on entries']);
  });

  it('allows {{input}} only inside the for_each task, and checks references there too', () => {
    expect(errors(`name: x
parameters: [{ name: p, default: a }]
tasks:
  - task_key: loop
    for_each:
      inputs: '[{"lr": 0.1}]'
      task: { command: [train, "{{input.lr}}", "{{job.parameters.q}}"] }
`)).toEqual(["7:49: unknown parameter 'q' in {{job.parameters.q}}; declare it under 'parameters'"]);
  });
});

describe('built-in task types compose the schema', () => {
  const train: TaskTypeDefinition = {
    name: 'train',
    description: 'Train a model.',
    paramsSchema: {
      type: 'object', additionalProperties: false, required: ['model'],
      properties: { model: { enum: ['logistic_regression', 'gbdt'], description: 'Model family.' }, target: { type: 'string', description: 'Target column.' } },
    },
  };
  const withTrain = new PipelineLoader([train]);

  it('accepts a registered type as a task type and keeps its parameters', () => {
    const result = withTrain.loadText('p.yaml', 'name: x\ntasks: [{ task_key: fit, train: { model: gbdt, target: churned } }]\n');
    expect(result.diagnostics).toEqual([]);
    expect(result.pipeline!.tasks[0]!.body).toEqual({ type: 'builtin', name: 'train', params: { model: 'gbdt', target: 'churned' } });
  });

  it("validates a registered type's parameters with its own schema", () => {
    const result = withTrain.loadText('p.yaml', 'name: x\ntasks: [{ task_key: fit, train: { model: gbt } }]\n');
    expect(result.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`)).toEqual([
      "2:42: 'model' in 'train' in task 'fit' must be one of logistic_regression or gbdt; found the string 'gbt'; did you mean 'gbdt'?",
    ]);
  });

  it('lists registered types when a task has no type', () => {
    const result = withTrain.loadText('p.yaml', 'name: x\ntasks: [{ task_key: fit }]\n');
    expect(result.diagnostics[0]!.message).toBe("task 'fit' has no type; give it one of command, shell, condition, for_each, run_pipeline or train");
  });

  it('refuses a type whose name clashes with a core key', () => {
    expect(() => new PipelineLoader([{ ...train, name: 'depends_on' }])).toThrow(/clashes with a core key/);
  });
});

describe('the precompiled validator', () => {
  it('is used only when it was built from the same schema', async () => {
    // Inside the project, so that the module's require('ajv/…') resolves as it does from dist/.
    const dir = join(process.cwd(), 'node_modules', '.cache', 'sluice-test');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `validator-${process.pid}.mjs`);
    writeFileSync(file, await standaloneValidatorSource(loader.schema));
    const module = await import(pathToFileURL(file).href);
    expect(new PipelineLoader(builtinTaskTypes, { precompiled: module }).usesPrecompiledValidator).toBe(true);
    expect(new PipelineLoader(builtinTaskTypes, { precompiled: { ...module, schemaHash: 'stale' } }).usesPrecompiledValidator).toBe(false);
  });
});
