// The monitor task end to end through `sluice run`: data generated here is
// ingested once (a reference, a batch like it, a drifted batch and broken
// ones), then monitor pipelines compare them, write reports and request
// retraining runs in the real state database.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lookAtUpstream } from '../engine/schedule/upstream-triggers.js';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { openStateDatabase } from '../engine/state/database.js';
import { RunStore } from '../engine/state/run-store.js';
import { ScheduleStore } from '../engine/state/schedule-store.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { seededRandom } from '../tasks/ml/gbdt/seeded-random.js';
import { profileCategoricalColumn, profileNumericColumn, type DatasetProfile } from '../tasks/monitor/profile.js';
import { workspace, type Workspace } from './ml-helpers.js';
import { runSluice } from './run-sluice.js';

interface Shape {
  rows: number;
  seed: number;
  ageShift?: number;
  /** Chances of basic, pro and enterprise. */
  plans?: [number, number, number];
  scoreShift?: number;
  dropIncome?: boolean;
}

interface Generated {
  csv: string;
  columns: { age: number[]; income: number[]; plan: string[]; score: number[] };
}

function generate(shape: Shape): Generated {
  const random = seededRandom(shape.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const [basic, pro] = shape.plans ?? [0.6, 0.3, 0.1];
  const columns: Generated['columns'] = { age: [], income: [], plan: [], score: [] };
  const lines = [shape.dropIncome ? 'customer_id,age,plan,churned,score' : 'customer_id,age,income,plan,churned,score'];
  for (let i = 0; i < shape.rows; i++) {
    const age = Math.round((40 + (shape.ageShift ?? 0) + 10 * normal()) * 10) / 10;
    const income = Math.round(Math.exp(10.5 + 0.4 * normal()));
    const u = random();
    const plan = u < basic ? 'basic' : u < basic + pro ? 'pro' : 'enterprise';
    const churned = random() < 0.2 ? 1 : 0;
    const score = Math.round(Math.min(1, Math.max(0, 0.3 + (shape.scoreShift ?? 0) + 0.15 * normal())) * 1e4) / 1e4;
    Object.entries({ age, income, plan, score }).forEach(([name, value]) => (columns[name as keyof Generated['columns']] as unknown[]).push(value));
    lines.push([1000 + i, age, ...(shape.dropIncome ? [] : [income]), plan, churned, score].join(','));
  }
  return { csv: `${lines.join('\n')}\n`, columns };
}

const INGEST = `name: data
tasks:
  - task_key: reference
    ingest: { source: reference.csv, dataset: reference }
  - task_key: same
    ingest: { source: same.csv, dataset: same }
  - task_key: drifted
    ingest: { source: drifted.csv, dataset: drifted }
  - task_key: no_income
    ingest: { source: no_income.csv, dataset: no_income }
  - task_key: empty
    ingest:
      source: empty.csv
      dataset: empty
      schema: { customer_id: integer, age: number, income: integer, plan: string, churned: integer, score: number }
      checks: { min_rows: 0 }
  - task_key: features
    depends_on: [reference]
    feature:
      inputs: { raw: "{{tasks.reference.values.dataset}}" }
      dataset: reference_features
      target: churned
      split: { by: random, test_fraction: 0.25, seed: 3 }
      features: { age: [standardize], plan: [one_hot] }
`;

function monitor(name: string, params: string): string {
  return `name: ${name}
tasks:
  - task_key: monitor
    monitor:
${params.trim().split('\n').map((line) => `      ${line}`).join('\n')}
`;
}

describe('the monitor task', () => {
  let ws: Workspace;
  let reference: Generated;

  /** The latest run's id and the monitor task's artifacts folder. */
  const latestRun = () => {
    const store = new RunStore(openStateDatabase(ws.state, { mustExist: true }));
    try {
      return store.runs({ limit: 1 })[0]!.id;
    } finally {
      store.db.close();
    }
  };
  const artifacts = (runId: number) => join(ws.root, '.sluice', 'runs', String(runId), 'artifacts', 'monitor');
  const requests = () => {
    const db = openStateDatabase(ws.state, { mustExist: true });
    try {
      return db.prepare('SELECT pipeline, fire_key, trigger_type, parameters_json, state FROM run_requests ORDER BY id').all();
    } finally {
      db.close();
    }
  };

  beforeAll(() => {
    ws = workspace('monitor');
    reference = generate({ rows: 3000, seed: 1 });
    ws.write('reference.csv', reference.csv);
    ws.write('same.csv', generate({ rows: 2000, seed: 2 }).csv);
    ws.write('drifted.csv', generate({ rows: 2000, seed: 3, ageShift: 8, plans: [0.3, 0.3, 0.4], scoreShift: 0.15 }).csv);
    ws.write('no_income.csv', generate({ rows: 500, seed: 4, dropIncome: true }).csv);
    ws.write('empty.csv', 'customer_id,age,income,plan,churned,score\n');
    const result = ws.run(INGEST);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 60_000);

  it('finds no drift between two samples of the same distribution, and reports every feature', () => {
    const result = ws.run(monitor('same', 'reference: dataset://reference@1\ncurrent: dataset://same@1'));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const values = ws.values('monitor');
    expect(values).toMatchObject({ drift_detected: 'false', drifted_features: '', share_drifted: '0', features: '5', current: 'dataset://same@1', reference: 'dataset://reference@1' });
    expect(values.triggered).toBeUndefined();
    expect(values.report).toBe(join(artifacts(latestRun()), 'drift-report.html'));
    const html = readFileSync(values.report!, 'utf8');
    // customer_id is named like an id, so it is not a feature.
    for (const feature of ['age', 'income', 'plan', 'churned', 'score']) expect(html).toContain(`>${feature}</a>`);
    expect(html).toContain('customer_id (named like an identifier)');
    const log = runLog(ws, latestRun());
    expect(log).toMatch(/^age +numeric .* ok: PSI 0\.\d+ < 0\.2/m);
    expect(log).toContain('no drift: 0 of 5 features drifted (0%)');
  });

  it("takes a feature dataset's plan columns and its train rows as the reference", () => {
    const result = ws.run(monitor('planned', 'reference: dataset://reference_features@1\ncurrent: dataset://same@1'));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('monitor')).toMatchObject({ drift_detected: 'false', features: '2', reference: 'dataset://reference_features@1 (train rows)' });
    const log = runLog(ws, latestRun());
    expect(log.split('\n').filter((line) => /^\S+ +(numeric|categorical) /.test(line)).map((line) => line.split(' ')[0])).toEqual(['age', 'plan']);
    expect(log).toMatch(/^age +numeric .* 0% → 0% /m);
  });

  it('finds drift in the shifted columns only, writes a self-contained report and requests the retraining run', () => {
    const result = ws.run(monitor('watch', `
reference: dataset://reference@1
current: dataset://drifted@1
features: [age, income, plan]
on_drift: { trigger: retrain, parameters: { reason: drift, rows: 2000 } }`));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const runId = latestRun();
    const values = ws.values('monitor');
    expect(values).toMatchObject({ drift_detected: 'true', drifted_features: 'age,plan', features: '3', triggered: 'retrain' });
    expect(Number(values.share_drifted)).toBeCloseTo(2 / 3, 12);
    // Each monitored feature's PSI to 4 decimals: the drifted ones at or past the 0.2 threshold, income below it.
    const psi = JSON.parse(values.feature_psi!) as Record<string, number>;
    expect(Object.keys(psi)).toEqual(['age', 'income', 'plan']);
    expect(psi.age).toBeGreaterThanOrEqual(0.2);
    expect(psi.plan).toBeGreaterThanOrEqual(0.2);
    expect(psi.income).toBeLessThan(0.2);
    for (const value of Object.values(psi)) expect(Math.round(value * 1e4) / 1e4).toBe(value);

    const html = readFileSync(values.report!, 'utf8');
    for (const feature of ['age', 'income', 'plan']) expect(html).toContain(`<h2>${feature} <span`);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href="(?!#)/i);
    expect(existsSync(join(artifacts(runId), 'drift-report.html'))).toBe(true);
    expect(readdirSync(artifacts(runId))).toEqual(['drift-report.html']);

    expect(requests()).toEqual([{ pipeline: 'retrain', fire_key: `drift:${runId}`, trigger_type: 'drift', parameters_json: '{"reason":"drift","rows":"2000"}', state: 'QUEUED' }]);
    const log = runLog(ws, runId);
    expect(log).toMatch(/^age +numeric .* DRIFT: PSI \d\.\d+ ≥ 0\.2, KS p .* < 0\.05$/m);
    expect(log).toMatch(/^income +numeric .* ok: /m);
    expect(log).toContain('DRIFT DETECTED: 2 of 3 features drifted (67%): age, plan');
    expect(log).toContain(`requested a run of 'retrain' (fire key drift:${runId}): a running \`sluice serve\``);
  });

  it('its run request becomes a drift run of the retraining pipeline with `sluice trigger --queued --wait`, as the log says', () => {
    ws.write('served/retrain.yaml', 'name: retrain\nparameters:\n  - { name: reason, type: string, default: none }\n  - { name: rows, type: integer, default: 0 }\n'
      + 'tasks:\n  - task_key: fit\n    shell: echo "retraining on {{job.parameters.reason}} after {{job.parameters.rows}} rows"\n');
    const result = runSluice(['trigger', 'retrain', '--queued', '--wait', '--pipelines', join(ws.root, 'served'), '--state', ws.state], ws.root);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const store = new RunStore(openStateDatabase(ws.state, { mustExist: true }));
    try {
      const drift = store.runs({ limit: 10 }).find((run) => run.pipeline === 'retrain' && run.trigger_type === 'drift')!;
      expect(JSON.parse(drift.parameters_json)).toEqual({ reason: 'drift', rows: '2000' });
      expect(drift.state).toBe('SUCCESS');
    } finally {
      store.db.close();
    }
    expect(requests().filter((row: any) => row.pipeline === 'retrain')).toMatchObject([{ trigger_type: 'drift', state: 'STARTED' }]);
    expect(requests().filter((row: any) => row.pipeline === 'retrain')).toHaveLength(1);
    // Nothing is left to start: --queued adds no request of its own.
    const again = runSluice(['trigger', 'retrain', '--queued', '--wait', '--pipelines', join(ws.root, 'served'), '--state', ws.state], ws.root);
    expect(again.stdout).toBe("no run of 'retrain' is waiting to start\n");
  });

  it('gives a pipeline triggered by on_drift_of too exactly one run request', () => {
    const loaded = new PipelineLoader(builtinTaskTypes).loadText('retrain.yaml', 'name: retrain2\ntrigger: { on_drift_of: [watch2] }\ntasks: [{ task_key: t, command: ["true"] }]\n');
    const db = openStateDatabase(ws.state, { mustExist: true });
    const store = new ScheduleStore(db);
    try {
      // The daemon's first look at the trigger: runs that end from now on count.
      expect(lookAtUpstream(store, loaded.pipeline!, Date.now() - 1)).toEqual([]);
      const result = ws.run(monitor('watch2', 'reference: dataset://reference@1\ncurrent: dataset://drifted@1\non_drift: { trigger: retrain2 }'));
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const runId = latestRun();
      expect(lookAtUpstream(store, loaded.pipeline!, Date.now() + 1)).toEqual([]);
      expect(store.requestByKey('retrain2', `drift:${runId}`)).toMatchObject({ trigger_type: 'drift', state: 'QUEUED' });
      expect(requests().filter((row: any) => row.pipeline === 'retrain2')).toHaveLength(1);
    } finally {
      db.close();
    }
  });

  it('in a child run (run_pipeline), keys the request by the top-level run, as on_drift_of does', () => {
    ws.write('child-monitor.yaml', monitor('child-monitor', 'reference: dataset://reference@1\ncurrent: dataset://drifted@1\non_drift: { trigger: retrain3 }'));
    const result = ws.run('name: parent\ntasks:\n  - task_key: check\n    run_pipeline: { pipeline: child-monitor }\n');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const runId = latestRun();
    const store = new RunStore(openStateDatabase(ws.state, { mustExist: true }));
    try {
      const parent = store.runs({ limit: 5 }).find((run) => run.pipeline === 'parent')!;
      expect(store.run(runId)!.parent_run_id).toBe(parent.id);
      expect(requests().filter((row: any) => row.pipeline === 'retrain3')).toMatchObject([{ fire_key: `drift:${parent.id}` }]);
    } finally {
      store.db.close();
    }
  });

  it('takes per-feature thresholds and drift_share', () => {
    const result = ws.run(monitor('tuned', `
reference: dataset://reference@1
current: dataset://drifted@1
features: [age, income, plan]
thresholds: { features: { age: { psi: 5 } } }
drift_share: 0.5`));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('monitor')).toMatchObject({ drift_detected: 'false', drifted_features: 'plan' });
    expect(runLog(ws, latestRun())).toContain('no drift: 1 of 3 features drifted (33%), drift_share 0.5: plan');
  });

  it('compares predictions from another dataset with the reference\'s, and drift in them is drift', () => {
    const result = ws.run(monitor('predictions', `
reference: dataset://reference@1
current: dataset://same@1
features: [age, income, plan]
predictions: dataset://drifted@1
prediction_column: score
drift_share: 1`));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('monitor')).toMatchObject({ drift_detected: 'true', drifted_features: '', prediction_drift: 'true' });
    expect(runLog(ws, latestRun())).toMatch(/^score \(prediction\) +numeric .* DRIFT/m);
  });

  it('takes a registered model as the reference: the profile of its training rows, stored when it was registered', () => {
    const trained = ws.run(`name: champion
tasks:
  - task_key: train
    train: { dataset: "dataset://reference_features@1", algorithm: logistic_regression }
  - task_key: register
    depends_on: [train]
    register: { model: "{{tasks.train.values.model}}", name: churn_monitor, aliases: [champion] }
`);
    expect(trained.code, trained.stdout + trained.stderr).toBe(0);
    const result = ws.run(monitor('by_model', 'reference: models:/churn_monitor@champion\ncurrent: dataset://drifted@1'));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('monitor')).toMatchObject({ drift_detected: 'true', drifted_features: 'age,plan', reference: 'models:/churn_monitor/1: dataset://reference_features@1 (train rows)' });
    expect(runLog(ws, latestRun())).toContain('reference: the profile stored with models:/churn_monitor/1 (@champion)');
    // The stored predictions are the positive class's probability, under batch_infer's column name.
    const wrong = ws.run(monitor('by_model_prediction', 'reference: models:/churn_monitor@champion\ncurrent: dataset://drifted@1\nprediction_column: prediction'));
    expect(wrong.code).toBe(1);
    expect(wrong.stdout + wrong.stderr).toContain("holds predictions as 'probability_1', not 'prediction'; give prediction_column: probability_1");
  });

  it('compares a multiclass model\'s predicted classes when they are integers, as batch_infer writes them', () => {
    const trained = ws.run(`name: tiers
tasks:
  - task_key: features
    feature:
      inputs: { raw: "dataset://reference@1" }
      sql: "SELECT age, income, CASE plan WHEN 'basic' THEN 0 WHEN 'pro' THEN 1 ELSE 2 END AS tier FROM raw ORDER BY customer_id"
      dataset: tier_features
      target: tier
      split: { by: random, test_fraction: 0.25, seed: 3 }
      features: { age: [standardize], income: [standardize] }
  - task_key: train
    depends_on: [features]
    train: { dataset: "{{tasks.features.values.dataset}}", algorithm: gradient_boosting, task: classification }
  - task_key: register
    depends_on: [train]
    register: { model: "{{tasks.train.values.model}}", name: tier, aliases: [champion] }
  - task_key: score
    depends_on: [register]
    batch_infer: { model: models:/tier@champion, dataset: "dataset://drifted@1", output: tier_predictions }
`);
    expect(trained.code, trained.stdout + trained.stderr).toBe(0);
    const result = ws.run(monitor('tier_prediction',
      'reference: models:/tier@champion\ncurrent: dataset://drifted@1\npredictions: dataset://tier_predictions@1\nprediction_column: prediction'));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The classes 0, 1, 2 meet the stored labels '0', '1', '2': a mismatch would show as new categories and a huge PSI.
    const line = runLog(ws, latestRun()).split('\n').find((text) => text.startsWith('prediction (prediction)'));
    expect(line).toMatch(/^prediction \(prediction\) +categorical +0\.0\d+ /);
    expect(line).not.toMatch(/new/);
    expect(ws.values('monitor')).toMatchObject({ prediction_drift: 'false', drifted_features: 'age' });
  });

  it('takes a stored reference profile instead of a dataset', () => {
    const profile: DatasetProfile = {
      format: 1, source: 'profile of reference.csv', rows: 3000,
      columns: [profileNumericColumn('age', reference.columns.age), profileCategoricalColumn('plan', reference.columns.plan)],
    };
    const result = ws.run(monitor('profiled', `reference: ${JSON.stringify(profile)}\ncurrent: dataset://drifted@1\nreport: reports/drift.html`));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('monitor')).toMatchObject({ drift_detected: 'true', drifted_features: 'age,plan', reference: 'profile of reference.csv', report: join(ws.root, 'reports', 'drift.html') });
    expect(readFileSync(join(ws.root, 'reports', 'drift.html'), 'utf8')).toContain('Reference: <b>profile of reference.csv</b>');
  });

  describe('bad input fails with a clear message and leaves no report', () => {
    const fails = (name: string, params: string, message: string | RegExp) => {
      const result = ws.run(monitor(name, `${params}\nreport: reports/${name}.html`));
      expect(result.code).toBe(1);
      const why = ws.message('monitor');
      expect(why).toMatch(message);
      expect(result.stdout + result.stderr).toMatch(message);
      expect(existsSync(join(ws.root, 'reports', `${name}.html`))).toBe(false);
      const folder = join(ws.root, 'reports');
      if (existsSync(folder)) expect(readdirSync(folder).filter((file) => file.includes(name))).toEqual([]);
    };

    it('a current dataset without a column the reference has: the column is named', () => {
      fails('missing', 'reference: dataset://reference@1\ncurrent: dataset://no_income@1',
        "dataset://no_income@1 has no column 'income', which the reference has (its columns: customer_id, age, plan, churned, score); give features: to monitor fewer columns");
    });

    it('an unknown dataset', () => {
      fails('unknown', 'reference: dataset://referense@1\ncurrent: dataset://same@1', /reference: there is no dataset 'referense' \(known: drifted, empty, no_income, reference, reference_features, same[,)]/);
    });

    it('an empty current dataset', () => {
      fails('empty', 'reference: dataset://reference@1\ncurrent: dataset://empty@1', 'current: dataset://empty@1 has no rows, so there is nothing to compare with the reference');
    });

    it('a threshold for a column that is not monitored', () => {
      fails('typo', 'reference: dataset://reference@1\ncurrent: dataset://same@1\nthresholds: { features: { agee: { psi: 0.3 } } }', "thresholds.features names 'agee', which is not monitored; did you mean 'age'?");
    });

    it('a report path that cannot be written (a folder): no temporary file is left beside it', () => {
      ws.write('reports/taken.html/keep', '');
      const result = ws.run(monitor('taken', 'reference: dataset://reference@1\ncurrent: dataset://same@1\nreport: reports/taken.html'));
      expect(result.code).toBe(1);
      expect(ws.message('monitor')).toContain(`cannot write the drift report to ${join(ws.root, 'reports', 'taken.html')}: it is a folder; give report: another path`);
      expect(readdirSync(join(ws.root, 'reports')).filter((file) => file.startsWith('.'))).toEqual([]);
      expect(readdirSync(join(ws.root, 'reports', 'taken.html'))).toEqual(['keep']);
    });

    it('a reference that is not a profile', () => {
      fails('notprofile', 'reference: { format: 1, columns: [] }\ncurrent: dataset://same@1', /reference\.source: is not a string/);
    });
  });
});

function runLog(ws: Workspace, runId: number): string {
  const file = join(ws.root, '.sluice', 'runs', String(runId), 'logs');
  const found = readdirSync(file).filter((name) => name.startsWith('monitor') && name.includes('stdout'));
  return found.map((name) => readFileSync(join(file, name), 'utf8')).join('');
}
