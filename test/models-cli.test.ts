// `sluice models ls/show/promote/diff` over a registry that real runs
// filled: two hand-made ONNX models registered by register tasks, then read
// and changed from the command line, as text and as --json.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../engine/state/database.js';
import { ModelRegistry } from '../engine/state/model-registry.js';
import type { FeaturePlan, LinearModel } from '../tasks/ml/model-spec.js';
import { buildModelOnnx } from '../tasks/ml/onnx/index.js';
import { workspace, type Workspace } from './ml-helpers.js';
import { runSluice } from './run-sluice.js';

const PLAN: FeaturePlan = {
  columns: [
    { kind: 'numeric', column: 'tenure', steps: [{ op: 'impute', value: 12 }, { op: 'scale', offset: 10, scale: 0.1 }] },
    { kind: 'numeric', column: 'monthly_charges', steps: [{ op: 'scale', offset: 50, scale: 0.02 }] },
    { kind: 'one_hot', column: 'plan', categories: ['basic', 'pro'] },
  ],
};

function handMadeModel(weights: number[]): Uint8Array {
  const model: LinearModel = { type: 'linear', task: 'binary', weights: [weights], intercepts: [0.1] };
  return buildModelOnnx(model, {
    task: 'binary', classes: ['no', 'yes'], target: 'churned', plan: PLAN, algorithm: 'logistic_regression',
    hyperparameters: { regularization: weights[0]! }, dataset: 'dataset://churn_features@4',
  });
}

const REGISTER = `name: churn_registry
tasks:
  - task_key: first
    register:
      model: first.onnx
      name: churn
      description: churn classifier
      metrics: { roc_auc: 0.91, accuracy: 0.85, log_loss: 0.35, f1: 0.7 }
      params: { owner: growth }
      tags: { team: growth }
      aliases: [champion]
  - task_key: second
    depends_on: [first]
    register:
      model: second.onnx
      name: churn
      metrics: { roc_auc: 0.93, accuracy: 0.84, log_loss: 0.3 }
      aliases: [challenger]
  - task_key: other
    register: { model: first.onnx, name: fraud, metrics: { rmse: 2.5 } }
`;

describe('sluice models', () => {
  let ws: Workspace;
  let commit: string;
  const sluice = (...args: string[]) => runSluice([...args, '--state', ws.state], ws.root);

  beforeAll(() => {
    ws = workspace('models-cli');
    // A git repository with one commit: the pipeline file itself is not committed, so the lineage says so.
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: ws.root });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'start');
    commit = git('rev-parse', 'HEAD').toString().trim();
    writeFileSync(join(ws.root, 'first.onnx'), handMadeModel([1, -0.5, 0.2, 0.3]));
    writeFileSync(join(ws.root, 'second.onnx'), handMadeModel([2, -0.4, 0.1, 0.2]));
    const result = ws.run(REGISTER);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('ls lists models with versions, aliases and the newest version\'s main metrics', () => {
    const result = sluice('models', 'ls');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSIONS\s+LATEST\s+ALIASES\s+METRICS \(LATEST\)\s+REGISTERED$/);
    expect(lines[1]).toMatch(/^churn\s+2\s+2\s+challenger=2, champion=1\s+roc_auc 0\.9300 {2}accuracy 0\.8400 {2}log_loss 0\.3000\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(lines[2]).toMatch(/^fraud\s+1\s+1\s+rmse 2\.5000\s+\d{4}-/);

    const json = JSON.parse(sluice('models', 'ls', '--json').stdout);
    expect(json[0]).toMatchObject({
      name: 'churn', description: 'churn classifier', versionCount: 2, latestVersion: 2, aliases: { champion: 1, challenger: 2 },
      latest: { version: 2, uri: 'models:/churn/2', metrics: { roc_auc: 0.93, accuracy: 0.84, log_loss: 0.3 } },
    });
    expect(json.map((model: { name: string }) => model.name)).toEqual(['churn', 'fraud']);
  });

  it('show prints metrics, params, tags, lineage, the file and aliases', () => {
    const result = sluice('models', 'show', 'models:/churn@champion');
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text.split('\n')[0]).toBe('models:/churn/1  @champion');
    expect(text).toMatch(/^ {2}description\s+churn classifier$/m);
    expect(text).toMatch(/^ {2}registered\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d by run 1 \(first\)$/m);
    expect(text).toMatch(/^ {2}file\s+.*\/\.sluice\/models\/[0-9a-f]{64}\.onnx$/m);
    expect(text).toMatch(/^metrics\n {2}roc_auc\s+0\.9100\n {2}accuracy\s+0\.8500\n {2}f1\s+0\.7000\n {2}log_loss\s+0\.3500$/m);
    expect(text).toMatch(/^params\n {2}algorithm\s+logistic_regression\n {2}regularization\s+1\n {2}owner\s+growth$/m);
    expect(text).toMatch(/^tags\n {2}team\s+growth$/m);
    expect(text).toMatch(/^ {2}run\s+1 \(task first\)$/m);
    expect(text).toMatch(/^ {2}pipeline\s+churn_registry \(.*pipeline-1\.yaml\)$/m);
    expect(text).toMatch(/^ {2}datasets\s+dataset:\/\/churn_features@4$/m);
    expect(text).toMatch(new RegExp(`^ {2}git commit\\s+${commit} \\(uncommitted changes\\)$`, 'm'));
    expect(text).toMatch(/^ {4}impute → scale\s+tenure$/m);
    expect(text).toMatch(/^ {4}one_hot\s+plan$/m);
    expect(text).toContain('other aliases of churn: @challenger → 2');

    const json = JSON.parse(sluice('models', 'show', 'models:/churn/2', '--json').stdout);
    expect(json).toMatchObject({
      name: 'churn', version: 2, uri: 'models:/churn/2', aliases: ['challenger'], taskKind: 'binary', fileExists: true,
      metrics: { roc_auc: 0.93 }, params: { algorithm: 'logistic_regression', regularization: 2 }, referenceProfile: null,
      lineage: { runId: 1, taskKey: 'second', pipeline: 'churn_registry', source: 'second.onnx', trainingDataset: 'dataset://churn_features@4' },
    });
    expect(json.lineage.pipelineHash).toMatch(/^[0-9a-f]{64}$/);
    expect(json.lineage).toMatchObject({ gitCommit: commit, gitDirty: true });
    expect(json.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('show includes a stored reference profile; storing one for a missing version is refused', () => {
    const db = openStateDatabase(ws.state, { mustExist: true });
    try {
      const registry = new ModelRegistry(db);
      registry.setReferenceProfile('fraud', 1, { rows: 100, columns: { tenure: { deciles: [1, 2, 3] } } });
      expect(() => registry.setReferenceProfile('fraud', 2, {})).toThrow("model 'fraud' has no version 2 (versions: 1)");
      expect(() => registry.setReferenceProfile('fraud', 1, '{not json')).toThrow();
    } finally {
      db.close();
    }
    expect(sluice('models', 'show', 'models:/fraud/1').stdout).toMatch(/^ {2}reference profile\s+stored: 1 columns of 100 rows$/m);
    expect(JSON.parse(sluice('models', 'show', 'models:/fraud/1', '--json').stdout).referenceProfile)
      .toEqual({ source: null, rows: 100, columns: ['tenure'] });
  });

  it('diff puts metrics side by side with the difference, and parameters that differ', () => {
    const result = sluice('models', 'diff', 'models:/churn/1', 'models:/churn@challenger');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^METRIC\s+models:\/churn\/1\s+models:\/churn@challenger \(2\)\s+DIFFERENCE$/);
    expect(lines[1]).toMatch(/^roc_auc\s+0\.9100\s+0\.9300\s+\+0\.0200$/);
    expect(lines[2]).toMatch(/^accuracy\s+0\.8500\s+0\.8400\s+-0\.0100$/);
    expect(lines[3]).toMatch(/^f1\s+0\.7000\s+-\s+-$/);
    expect(result.stdout).toMatch(/^owner\s+growth\s+-$/m);
    expect(result.stdout).toMatch(/^regularization\s+1\s+2$/m);

    const json = JSON.parse(sluice('models', 'diff', 'models:/churn/1', 'models:/churn/2', '--json').stdout);
    expect(json.a).toEqual({ asked: 'models:/churn/1', uri: 'models:/churn/1', name: 'churn', version: 1 });
    expect(json.metrics[0].metric).toBe('roc_auc');
    expect(json.metrics[0].difference).toBeCloseTo(0.02, 12);
    expect(json.metrics.find((row: { metric: string }) => row.metric === 'f1')).toEqual({ metric: 'f1', a: 0.7, b: null, difference: null });
  });

  it('promote moves an alias and says where it was', () => {
    const result = sluice('models', 'promote', 'churn', '2', '--alias', 'champion');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('models:/churn@champion → version 2 (was 1)\n');
    expect(JSON.parse(sluice('models', 'show', 'models:/churn@champion', '--json').stdout).version).toBe(2);
    expect(JSON.parse(sluice('models', 'promote', 'churn', '1', '--alias', 'stable', '--json').stdout))
      .toEqual({ name: 'churn', alias: 'stable', uri: 'models:/churn@stable', version: 1, previous: null });
    expect(sluice('models', 'promote', 'churn', '2').stdout).toBe('models:/churn@champion → version 2 (it already was)\n');
  });

  it('bad URIs, unknown models, versions and aliases, and a missing state database exit 2 with a clear message', () => {
    const fails = (args: string[], message: string) => {
      const result = sluice(...args);
      expect(result.code, result.stdout).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe('');
    };
    fails(['models', 'show', 'models:/churn/9'], "sluice: model 'churn' has no version 9 (versions: 1, 2)");
    fails(['models', 'show', 'models:/chrun/1'], "sluice: there is no registered model 'chrun'; did you mean 'churn'? (registered: churn and fraud)");
    fails(['models', 'show', 'models:/churn@champoin'], "did you mean 'champion'? (aliases: challenger → 2, champion → 2, stable → 1)");
    fails(['models', 'show', 'churn/1'], "sluice: 'churn/1' is not a model URI (did you mean models:/churn/1?); write models:/<name>/<version> or models:/<name>@<alias>");
    fails(['models', 'diff', 'models:/churn/1', 'models:/churn'], "'models:/churn' is not a model URI (it names no version or alias)");
    fails(['models', 'promote', 'churn', '5'], "sluice: model 'churn' has no version 5 (versions: 1, 2)");
    fails(['models', 'promote', 'churn', 'two'], "sluice: 'two' is not a model version; versions are whole numbers from 1");
    fails(['models', 'promote', 'churn', '1', '--alias', '1st'], "sluice: --alias '1st' must start with a letter or '_'");
    fails(['models', 'promote', 'nope', '1'], "sluice: there is no registered model 'nope'");
    const nowhere = runSluice(['models', 'ls', '--state', join(ws.root, 'elsewhere', 'state.db')], ws.root);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain(`sluice: no state database at ${join(ws.root, 'elsewhere', 'state.db')}`);
  });

  it('an empty registry says how to fill it', () => {
    const empty = workspace('models-empty');
    expect(empty.run('name: nothing\ntasks:\n  - task_key: hello\n    command: [echo, hi]\n').code).toBe(0);
    expect(runSluice(['models', 'ls', '--state', empty.state], empty.root).stdout).toBe('no models registered yet; a register task adds one (see docs/models.md)\n');
    expect(JSON.parse(runSluice(['models', 'ls', '--json', '--state', empty.state], empty.root).stdout)).toEqual([]);
  });
});
