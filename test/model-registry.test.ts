// The model registry through real runs: register adds versions with their
// metrics, parameters and lineage; aliases follow `when`; evaluate scores
// models:/ URIs and beats (or not) the champion; a run pins what an alias
// meant when it first resolved it; and bad input is refused with nothing
// half-registered.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../engine/state/database.js';
import { ModelRegistry, type ModelVersion, parseModelUri } from '../engine/state/model-registry.js';
import { datasetsDirFor } from '../engine/state/state-home.js';
import { run as registerTask } from '../tasks/register/run.js';
import { workspace, type Workspace } from './ml-helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/datasets/', import.meta.url));
const SLUICE = fileURLToPath(new URL('../dist/bin/sluice.js', import.meta.url));
const TEST_ROWS = 'dataset://bc_features@1';

/** ingest → feature → train → evaluate (beat the champion, or continue) → register. */
function trainAndRegister(train: string, extra: { aliases?: string; gate?: string } = {}): string {
  return `name: bc_training
tasks:
  - task_key: ingest
    ingest: { source: breast_cancer.csv, dataset: bc }
  - task_key: features
    depends_on: [ingest]
    feature:
      inputs: { raw: "{{tasks.ingest.values.dataset}}" }
      dataset: bc_features
      target: target
      split: { by: row_index, modulo: 5, test_remainder: 0 }
  - task_key: train
    depends_on: [features]
    train: { dataset: "{{tasks.features.values.dataset}}", ${train} }
  - task_key: evaluate
    depends_on: [train]
    evaluate:
      model: "{{tasks.train.values.model}}"
      dataset: "{{tasks.features.values.dataset}}"
      gate: ${extra.gate ?? '{ beat: { model: "models:/bc@champion", metric: roc_auc }, on_failure: continue }'}
  - task_key: register
    depends_on: [evaluate]
    register:
      model: "{{tasks.train.values.model}}"
      name: bc
      description: breast cancer screening
      metrics: { roc_auc: "{{tasks.evaluate.values.roc_auc}}", log_loss: "{{tasks.evaluate.values.log_loss}}" }
      params: { owner: tests }
      tags: { team: ml }
      aliases: ${extra.aliases ?? '[challenger, { alias: champion, when: "{{tasks.evaluate.values.beats_champion}}" }, { alias: never, when: false }]'}
`;
}

const LOGISTIC = 'algorithm: logistic_regression';
/** One stump: a clearly worse model than the logistic regression. */
const STUMP = 'algorithm: gradient_boosting, hyperparameters: { max_iterations: 1, max_leaf_nodes: 2 }';

function evaluateOnly(model: string, key = 'evaluate'): string {
  return `  - task_key: ${key}
    evaluate: { model: "${model}", dataset: "${TEST_ROWS}" }
`;
}

describe('the model registry', () => {
  let ws: Workspace;
  const registry = <T>(read: (registry: ModelRegistry) => T): T => {
    const db = openStateDatabase(ws.state, { mustExist: true });
    try {
      return read(new ModelRegistry(db));
    } finally {
      db.close();
    }
  };
  const modelFiles = () => readdirSync(join(ws.root, '.sluice', 'models')).sort();
  /** A task's log in the latest run. */
  const log = (task: string) => {
    const latest = Math.max(...readdirSync(join(ws.root, '.sluice', 'runs')).map(Number));
    return readFileSync(join(ws.root, '.sluice', 'runs', String(latest), 'logs', `${task}.attempt-1.stdout.log`), 'utf8');
  };

  beforeAll(() => {
    ws = workspace('registry');
    copyFileSync(join(fixtures, 'breast_cancer.csv'), join(ws.root, 'breast_cancer.csv'));
  });

  it('registers version 1 with metrics, parameters, tags and lineage; the first model beats "no champion"', () => {
    const result = ws.run(trainAndRegister(LOGISTIC));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('evaluate')).toMatchObject({ beats_champion: 'true', champion: 'none', passed: 'true' });
    expect(ws.values('register')).toMatchObject({ name: 'bc', version: '1', uri: 'models:/bc/1', aliases: 'challenger,champion' });
    expect(log('evaluate')).toContain("no champion yet (no model 'bc' is registered): the gate passes");

    const trained = readFileSync(ws.values('train').model!);
    const sha256 = createHash('sha256').update(trained).digest('hex');
    const version = registry((r) => r.version('bc', 1));
    expect(version).toMatchObject({
      sha256, file: join(ws.root, '.sluice', 'models', `${sha256}.onnx`), taskKind: 'binary', description: 'breast cancer screening',
      metrics: { roc_auc: Number(ws.values('evaluate').roc_auc), log_loss: Number(ws.values('evaluate').log_loss) },
      params: { algorithm: 'logistic_regression', owner: 'tests' }, tags: { team: 'ml' }, runId: 1, taskKey: 'register',
    });
    expect(readFileSync(version.file).equals(trained)).toBe(true);
    const yaml = readFileSync(join(ws.root, 'pipeline-1.yaml'));
    expect(version.lineage).toMatchObject({
      runId: 1, taskKey: 'register', pipeline: 'bc_training', pipelineHash: createHash('sha256').update(yaml).digest('hex'),
      modelSha256: sha256, trainingDataset: TEST_ROWS, datasets: [TEST_ROWS, 'dataset://bc@1'], target: 'target', algorithm: 'logistic_regression',
    });
    expect((version.lineage.featureTransform as { columns: unknown[] }).columns).toHaveLength(30);
    expect(registry((r) => r.aliasesOf('bc')).map((a) => [a.alias, a.version])).toEqual([['challenger', 1], ['champion', 1]]);
  });

  it('registers version 2; a worse model misses the beat gate, so champion stays while challenger moves', () => {
    const result = ws.run(trainAndRegister(STUMP));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const evaluate = ws.values('evaluate');
    const champion = registry((r) => r.version('bc', 1));
    expect(evaluate).toMatchObject({ beats_champion: 'false', passed: 'false', champion: 'models:/bc/1' });
    expect(Number(evaluate.champion_roc_auc)).toBe(champion.metrics.roc_auc);
    expect(Number(evaluate.roc_auc)).toBeLessThan(champion.metrics.roc_auc!);
    expect(evaluate.failed_gates).toMatch(/^roc_auc 0\.\d{4} does not beat the champion models:\/bc\/1 \(0\.\d{4}\) by 0$/);
    expect(ws.values('register')).toMatchObject({ version: '2', uri: 'models:/bc/2', aliases: 'challenger' });
    expect(log('evaluate')).toMatch(/champion models:\/bc\/1 \(@champion\): roc_auc 0\.\d{4}; this model 0\.\d{4} \(higher is better, needed at least as good\): does not beat it/);
    expect(log('register')).toContain('@champion not set: its when is false (stays at version 1)');
    expect(registry((r) => r.aliasesOf('bc')).map((a) => [a.alias, a.version])).toEqual([['challenger', 2], ['champion', 1]]);
    expect(registry((r) => r.versions('bc')).map((v) => v.version)).toEqual([1, 2]);
    expect(modelFiles().filter((file) => file.endsWith('.onnx'))).toHaveLength(2);
  });

  it('a retry of register in the same run, after its first attempt had committed, gets that version instead of adding one', async () => {
    // As a second attempt would run it: the task process died after the commit, before its values were stored.
    const lines: string[] = [];
    const values = await registerTask({ model: ws.values('train').model!, name: 'bc', aliases: ['challenger'] }, {
      runId: 2, taskKey: 'register', attempt: 2, workingDir: ws.root, artifactsDir: join(ws.root, '.sluice', 'runs', '2', 'artifacts', 'register'),
      stateDatabase: ws.state, datasetsDir: datasetsDirFor(ws.state), progress: (line) => lines.push(line),
    });
    expect(values).toMatchObject({ version: 2, uri: 'models:/bc/2' });
    expect(lines).toContain('models:/bc/2 was registered by an earlier attempt of this task in run 2: not registered again');
    expect(registry((r) => r.versions('bc')).map((v) => v.version)).toEqual([1, 2]);
    expect(registry((r) => r.aliasesOf('bc')).map((a) => [a.alias, a.version])).toEqual([['challenger', 2], ['champion', 1]]);
  });

  it('registers the same file again as a new version from another task, another run or by hand', () => {
    const db = openStateDatabase(join(ws.root, 'scratch-registry.db'));
    try {
      const registry = new ModelRegistry(db);
      const entry = { name: 'copy', sha256: 'abc', file: '/models/abc.onnx' };
      expect(registry.register({ ...entry, runId: 7, taskKey: 'register' })).toMatchObject({ version: 1, created: true });
      expect(registry.register({ ...entry, runId: 7, taskKey: 'register_again' })).toMatchObject({ version: 2, created: true });
      expect(registry.register({ ...entry, runId: 8, taskKey: 'register' })).toMatchObject({ version: 3, created: true });
      expect(registry.register(entry)).toMatchObject({ version: 4, created: true });
      expect(registry.register({ ...entry, sha256: 'def', runId: 7, taskKey: 'register' })).toMatchObject({ version: 5, created: true });
      expect(registry.register({ ...entry, runId: 7, taskKey: 'register' }, { aliases: ['champion'] })).toMatchObject({ version: 1, created: false });
      expect(registry.aliasesOf('copy').map((a) => [a.alias, a.version])).toEqual([['champion', 1]]);
    } finally {
      db.close();
    }
  });

  it('fails the task when the beat gate is missed and on_failure is fail; lower-is-better metrics compare the other way', () => {
    const failing = ws.run(trainAndRegister(STUMP, { gate: '{ beat: { model: "models:/bc@champion", metric: log_loss, min_delta: 0 } }' }));
    expect(failing.code).toBe(1);
    expect(ws.message('evaluate')).toMatch(/misses its gate on dataset:\/\/bc_features@1: log_loss 0\.\d{4} does not beat the champion models:\/bc\/1/);
    expect(registry((r) => r.versions('bc'))).toHaveLength(2);
  });

  it('evaluate scores models:/ URIs, and a run keeps the version it pinned when the alias is promoted meanwhile', () => {
    const result = ws.run(`name: pinned
tasks:
${evaluateOnly('models:/bc@champion', 'before')}  - task_key: promote
    depends_on: [before]
    shell: '"${process.execPath}" "${SLUICE}" models promote bc 2 --alias champion --state "$SLUICE_STATE_DB"'
  - task_key: after
    depends_on: [promote]
    evaluate: { model: "models:/bc@champion", dataset: "${TEST_ROWS}" }
  - task_key: explicit
    depends_on: [promote]
    evaluate: { model: "models:/bc/2", dataset: "${TEST_ROWS}" }
`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const v1 = registry((r) => r.version('bc', 1));
    expect(ws.values('before')).toMatchObject({ model_uri: 'models:/bc/1', roc_auc: String(v1.metrics.roc_auc) });
    expect(ws.values('after')).toMatchObject({ model_uri: 'models:/bc/1', roc_auc: String(v1.metrics.roc_auc) });
    expect(ws.values('explicit')).toMatchObject({ model_uri: 'models:/bc/2' });
    expect(registry((r) => r.byAlias('bc', 'champion').version)).toBe(2);

    // A run that starts after the promote resolves the alias afresh.
    expect(ws.run(`name: fresh\ntasks:\n${evaluateOnly('models:/bc@champion')}`).code).toBe(0);
    expect(ws.values('evaluate').model_uri).toBe('models:/bc/2');
  });

  it('an alias the run moves itself is what its later tasks get', () => {
    const result = ws.run(`name: own_move
tasks:
${evaluateOnly('models:/bc@champion', 'before')}  - task_key: register
    depends_on: [before]
    register: { model: "models:/bc/1", name: bc, aliases: [champion] }
  - task_key: after
    depends_on: [register]
    evaluate: { model: "models:/bc@champion", dataset: "${TEST_ROWS}" }
`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('before').model_uri).toBe('models:/bc/2');
    expect(ws.values('register')).toMatchObject({ version: '3', aliases: 'champion' });
    expect(ws.values('after').model_uri).toBe('models:/bc/3');
    const [v1, v3] = registry((r) => [r.version('bc', 1), r.version('bc', 3)] as ModelVersion[]);
    // The same bytes are one file in the store.
    expect(v3!.file).toBe(v1!.file);
    expect(v3!.lineage).toMatchObject({ source: 'models:/bc/1', trainingDataset: TEST_ROWS });
  });

  it('unknown models, versions and aliases and malformed URIs are clear errors with suggestions', () => {
    const attempt = (model: string) => {
      expect(ws.run(`name: lookup\ntasks:\n${evaluateOnly(model)}`).code).toBe(1);
      return ws.message('evaluate');
    };
    expect(attempt('models:/bcc@champion')).toContain("model: there is no registered model 'bcc'; did you mean 'bc'? (registered: bc)");
    expect(attempt('models:/bc/7')).toContain("model: model 'bc' has no version 7 (versions: 1–3)");
    expect(attempt('models:/bc@champoin')).toContain("model: model 'bc' has no alias 'champoin'; did you mean 'champion'? (aliases: challenger → 2, champion → 3)");
    expect(attempt('models://bc/1')).toContain("'models://bc/1' is not a model URI (one slash after models:, not two); write models:/<name>/<version> or models:/<name>@<alias>");
    expect(attempt('models:/bc/latest')).toContain('a version is a whole number from 1; for an alias write models:/bc@latest');
  });

  it('a beat gate whose champion alias is not set passes, saying so', () => {
    expect(ws.run(`name: no_alias
tasks:
  - task_key: evaluate
    evaluate: { model: "models:/bc/2", dataset: "${TEST_ROWS}", gate: { beat: { model: "models:/bc@gold" } } }
`).code).toBe(0);
    expect(ws.values('evaluate')).toMatchObject({ beats_champion: 'true', champion: 'none', passed: 'true' });
    expect(log('evaluate')).toContain("no champion yet (model 'bc' has no alias 'gold'): the gate passes");
  });

  it('a file that is not ONNX, a bad name or alias, or a when that is not true or false registers nothing and leaves no file', () => {
    writeFileSync(join(ws.root, 'not-a-model.onnx'), 'hello');
    const before = modelFiles();
    const register = (params: string) => ws.run(`name: bad_register
parameters:
  - { name: promote, type: string, default: maybe }
  - { name: model_name, type: string, default: "bad name" }
tasks:
  - task_key: register
    register: ${params}
`);
    expect(register('{ model: not-a-model.onnx, name: bc, aliases: [champion] }').code).toBe(1);
    expect(ws.message('register')).toMatch(/model: .*not-a-model\.onnx is not an ONNX model: /);
    expect(register('{ model: "models:/bc/1", name: other, aliases: [{ alias: champion, when: "{{job.parameters.promote}}" }] }').code).toBe(1);
    expect(ws.message('register')).toContain("aliases[0].when is 'maybe', but it must be true or false");
    expect(register('{ model: "models:/bc/1", name: other, aliases: [challenger, 1st] }').code).toBe(1);
    expect(ws.message('register')).toContain("aliases[1] '1st' must start with a letter or '_' and have only letters, digits, '_' and '-'");
    expect(register('{ model: "models:/bc/1", name: "{{job.parameters.model_name}}" }').code).toBe(1);
    expect(ws.message('register')).toContain("name 'bad name' may have only letters, digits, '_', '.' and '-'");
    expect(register('{ model: missing.onnx, name: bc }').code).toBe(1);
    expect(ws.message('register')).toMatch(/cannot read the model .*missing\.onnx: no such file/);
    expect(modelFiles()).toEqual(before);
    expect(registry((r) => [r.names(), r.versions('bc').length, r.byAlias('bc', 'champion').version])).toEqual([['bc'], 3, 3]);
  });

  it('a registered file that vanished is named in the error', () => {
    const file = registry((r) => r.version('bc', 2).file);
    rmSync(file);
    expect(ws.run(`name: vanished\ntasks:\n${evaluateOnly('models:/bc/2')}`).code).toBe(1);
    expect(ws.message('evaluate')).toContain(`model: the file of models:/bc/2 is missing (${file})`);
    expect(existsSync(file)).toBe(false);
  });
});

describe('model URIs', () => {
  it('are models:/<name>/<version> or models:/<name>@<alias>', () => {
    expect(parseModelUri('models:/churn/3')).toEqual({ name: 'churn', version: 3 });
    expect(parseModelUri(' models:/churn.v2@champion ')).toEqual({ name: 'churn.v2', alias: 'champion' });
    for (const [text, why] of [
      ['churn/3', 'did you mean models:/churn/3?'],
      ['models:/churn', 'it names no version or alias'],
      ['models:/churn/0', 'a version is a whole number from 1'],
      ['models:/churn@3', "an alias starts with a letter and has only letters, digits, '_' and '-'"],
      ['models:/ch urn/1', "a model name has only letters, digits, '_', '.' and '-'"],
      ['models:/churn/1/2', ''],
      ['dataset://churn@1', ''],
    ] as const) {
      expect(() => parseModelUri(text), text).toThrow(`'${text}' is not a model URI${why ? ` (${why})` : ''}; write models:/<name>/<version> or models:/<name>@<alias>`);
    }
  });
});
