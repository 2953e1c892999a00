// The demo pipelines (pipelines/churn, pipelines/demand): their data
// generators are deterministic and the drift knob moves what it says, and the
// pipelines run end to end with `sluice run` to sane metrics. Each pipeline
// folder is copied into a temporary workspace, so no state lands in the repo.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetCatalog } from '../engine/state/dataset-catalog.js';
import { openStateDatabase } from '../engine/state/database.js';
import { workspace, type Workspace } from './ml-helpers.js';
import { PROJECT_ROOT, runSluice } from './run-sluice.js';

const CHURN = join(PROJECT_ROOT, 'pipelines', 'churn');
const DEMAND = join(PROJECT_ROOT, 'pipelines', 'demand');
const scratch = mkdtempSync(join(tmpdir(), 'sluice-demo-data-'));

/** Runs a generator as a user would, without Sluice's environment, into a fresh folder. */
function generate(folder: string, args: string[]): { out: string; code: number | null; stderr: string } {
  const out = mkdtempSync(join(scratch, 'out-'));
  const env = { ...process.env };
  delete env.SLUICE_OUTPUT;
  delete env.SLUICE_ARTIFACTS;
  const result = spawnSync(process.execPath, [join(folder, 'generate.mjs'), ...args, '--out', join(out, 'data')], { encoding: 'utf8', env });
  return { out: join(out, 'data'), code: result.status, stderr: result.stderr };
}

function filesOf(folder: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(folder).sort().map((name) => [name, readFileSync(join(folder, name))]));
}

/** A CSV file as rows of named text fields (the generators never quote). */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i]!, value])));
}

const mean = (rows: Record<string, string>[], column: string) => {
  const values = rows.map((row) => row[column]!).filter((value) => value !== '').map(Number);
  return values.reduce((sum, value) => sum + value, 0) / values.length;
};
const share = (rows: Record<string, string>[], column: string, value: string) => rows.filter((row) => row[column] === value).length / rows.length;

describe('the churn data generator', () => {
  it('writes the same bytes for the same arguments, and other data for another seed', () => {
    const args = ['--rows', '3000', '--seed', '7', '--batch', 'current', '--drift', '0.7'];
    const first = generate(CHURN, args);
    const again = generate(CHURN, args);
    expect(first.code, first.stderr).toBe(0);
    expect(Object.keys(filesOf(first.out))).toEqual(['customers.csv', 'labels.csv', 'support_tickets.csv', 'usage.csv']);
    expect(filesOf(again.out)).toEqual(filesOf(first.out));
    const reference = filesOf(generate(CHURN, ['--rows', '3000', '--seed', '7']).out);
    expect(filesOf(generate(CHURN, ['--rows', '3000', '--seed', '7']).out)).toEqual(reference);
    const otherSeed = filesOf(generate(CHURN, ['--rows', '3000', '--seed', '8']).out);
    for (const name of ['customers.csv', 'usage.csv', 'support_tickets.csv']) expect(otherSeed[name]!.equals(reference[name]!), name).toBe(false);
  });

  it('puts the label in the reference batch and in labels.csv for the current one, with a realistic churn rate', () => {
    const reference = generate(CHURN, ['--rows', '4000']);
    const customers = readCsv(join(reference.out, 'customers.csv'));
    expect(Object.keys(customers[0]!)).toEqual(['customer_id', 'signup_date', 'plan', 'region', 'contract', 'payment_method', 'age',
      'monthly_fee', 'previous_fee', 'tenure_months', 'churned']);
    expect(mean(customers, 'churned')).toBeGreaterThan(0.2);
    expect(mean(customers, 'churned')).toBeLessThan(0.3);
    expect(Object.keys(readCsv(join(reference.out, 'usage.csv'))[0]!)).toEqual(['customer_id', 'month', 'minutes', 'data_gb', 'logins']);
    expect(Object.keys(readCsv(join(reference.out, 'support_tickets.csv'))[0]!))
      .toEqual(['ticket_id', 'customer_id', 'opened_at', 'category', 'resolved_hours', 'satisfaction']);
    expect(existsSync(join(reference.out, 'labels.csv'))).toBe(false);

    const current = generate(CHURN, ['--rows', '4000', '--batch', 'current']);
    const scored = readCsv(join(current.out, 'customers.csv'));
    expect(Object.keys(scored[0]!)).not.toContain('churned');
    const labels = readCsv(join(current.out, 'labels.csv'));
    expect(labels.map((row) => row.customer_id)).toEqual(scored.map((row) => row.customer_id));
    // Different customers from the reference batch.
    expect(new Set(customers.map((row) => row.customer_id)).has(scored[0]!.customer_id!)).toBe(false);
  });

  it('shifts the named features with --drift and brings the new region overseas from 0.5 on', () => {
    const batch = (drift: string) => {
      const { out, code, stderr } = generate(CHURN, ['--rows', '6000', '--batch', 'current', '--drift', drift]);
      expect(code, stderr).toBe(0);
      return { customers: readCsv(join(out, 'customers.csv')), usage: readCsv(join(out, 'usage.csv')) };
    };
    const calm = batch('0');
    const drifted = batch('1');
    expect(mean(calm.customers, 'age') - mean(drifted.customers, 'age')).toBeGreaterThan(5);
    expect(mean(drifted.customers, 'tenure_months')).toBeLessThan(0.75 * mean(calm.customers, 'tenure_months'));
    expect(mean(drifted.usage, 'minutes')).toBeLessThan(0.8 * mean(calm.usage, 'minutes'));
    expect(mean(drifted.usage, 'data_gb')).toBeGreaterThan(1.3 * mean(calm.usage, 'data_gb'));
    const raised = (rows: Record<string, string>[]) => rows.filter((row) => row.monthly_fee !== row.previous_fee).length / rows.length;
    expect(raised(drifted.customers) - raised(calm.customers)).toBeGreaterThan(0.2);
    expect(share(drifted.customers, 'plan', 'basic') - share(calm.customers, 'plan', 'basic')).toBeGreaterThan(0.15);
    expect(share(drifted.customers, 'region', 'south') - share(calm.customers, 'region', 'south')).toBeGreaterThan(0.08);
    expect(share(calm.customers, 'region', 'overseas')).toBe(0);
    expect(share(batch('0.4').customers, 'region', 'overseas')).toBe(0);
    expect(share(drifted.customers, 'region', 'overseas')).toBeGreaterThan(0.1);
  });

  it('refuses bad options with a message and writes nothing', () => {
    for (const [args, message] of [
      [['--drift', '1.5'], '--drift must be a number from 0 to 1'],
      [['--batch', 'later'], '--batch must be reference or current'],
      [['--rows', 'many'], '--rows must be a whole number'],
      [['--rowz', '10'], "Unknown option '--rowz'"],
    ] as const) {
      const result = generate(CHURN, [...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(existsSync(result.out)).toBe(false);
    }
  });
});

describe('the demand data generator', () => {
  it('writes the same bytes for the same arguments, and other data for another seed', () => {
    const args = ['--stores', '2', '--products', '5', '--days', '60'];
    const first = generate(DEMAND, args);
    expect(first.code, first.stderr).toBe(0);
    expect(filesOf(generate(DEMAND, args).out)).toEqual(filesOf(first.out));
    expect(filesOf(generate(DEMAND, [...args, '--seed', '43']).out)['sales.csv']!.equals(filesOf(first.out)['sales.csv']!)).toBe(false);
    const rows = readCsv(join(first.out, 'sales.csv'));
    expect(rows).toHaveLength(2 * 5 * 60);
    expect(Object.keys(rows[0]!)).toEqual(['date', 'store_id', 'store_type', 'product_id', 'category', 'price', 'promotion',
      'temperature_c', 'precipitation_mm', 'holiday', 'units_sold']);
    expect(rows[0]!.date).toBe('2023-01-01');
    expect(rows.at(-1)!.date).toBe('2023-03-01');
  });

  it('refuses a date that does not exist', () => {
    const result = generate(DEMAND, ['--start', '2023-02-30']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--start must be a date written YYYY-MM-DD');
    expect(existsSync(result.out)).toBe(false);
  });
});

/** Copies a pipeline folder into the workspace and runs it there with real `sluice run`. */
function runPipeline(ws: Workspace, folder: string, yaml: string, ...args: string[]) {
  const copy = join(ws.root, yaml.replace(/\.yaml$/, ''));
  cpSync(folder, copy, { recursive: true });
  const started = performance.now();
  const result = runSluice(['run', join(copy, yaml), '--state', ws.state, ...args], ws.root);
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

describe('the churn pipeline', () => {
  let ws: Workspace;
  let run: ReturnType<typeof runPipeline>;
  beforeAll(() => {
    ws = workspace('churn');
    run = runPipeline(ws, CHURN, 'churn.yaml');
  }, 180_000);

  it('runs end to end: gradient boosting beats logistic regression and passes the ROC AUC gate', () => {
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const train = ws.values('train');
    expect(JSON.parse(train.algorithm!)).toEqual(['gradient_boosting', 'logistic_regression']);
    const [boosted, logistic] = JSON.parse(train.validation_roc_auc!) as number[];
    expect(boosted).toBeGreaterThanOrEqual(logistic!);
    expect(ws.values('pick_model')).toMatchObject({ name: 'gradient_boosting', model: JSON.parse(train.model!)[0] });
    const evaluate = ws.values('evaluate');
    expect(Number(evaluate.roc_auc)).toBeGreaterThan(0.75);
    expect(Number(evaluate.roc_auc)).toBeLessThan(0.97);
    expect(evaluate.passed).toBe('true');
    expect(Number(evaluate.rows)).toBeGreaterThan(3000);
  });

  it('registers the first model as champion, scores the drifted batch with it and finds the drift, requesting a retraining run', () => {
    expect(ws.values('register')).toMatchObject({ name: 'churn', version: '1', uri: 'models:/churn/1', aliases: 'challenger,champion' });
    expect(ws.values('evaluate')).toMatchObject({ champion: 'none', beats_champion: 'true' });
    const scored = ws.values('batch_infer');
    expect(scored).toMatchObject({ rows: '20000', model: 'models:/churn/1', dataset: 'dataset://churn_predictions@1' });
    expect(existsSync(scored.file!)).toBe(true);
    const monitor = ws.values('monitor');
    expect(monitor).toMatchObject({ drift_detected: 'true', prediction_drift: 'true', triggered: 'churn' });
    expect(monitor.drifted_features!.split(',')).toContain('region');
    expect(existsSync(monitor.report!)).toBe(true);
  });

  it('ingests three files per batch and builds the current batch\'s features without a label', () => {
    expect(ws.values('generate')).toMatchObject({ rows: '20000', batch: 'reference' });
    expect(Number(ws.values('generate').churn_rate)).toBeGreaterThan(0.2);
    expect(ws.values('ingest_current_customers').rows).toBe('20000');
    const db = openStateDatabase(ws.state, { mustExist: true });
    try {
      const catalog = new DatasetCatalog(db);
      const current = catalog.find('churn_features_current')!;
      const training = catalog.find('churn_features')!;
      expect(current.rowCount).toBe(20000);
      expect(current.columns.map((column) => column.name)).not.toContain('churned');
      // The same SQL: the current batch has every column the model reads.
      const trainingColumns = training.columns.map((column) => column.name).filter((name) => name !== 'churned' && name !== '_split');
      expect(current.columns.map((column) => column.name)).toEqual(trainingColumns);
    } finally {
      db.close();
    }
  });

  it('writes nothing into the pipeline folder: the generated files are artifacts of the run', () => {
    expect(readdirSync(join(ws.root, 'churn')).sort()).toEqual(['README.md', 'churn.yaml', 'demo.mjs', 'features.sql', 'generate.mjs', 'pick_model.mjs']);
    expect(ws.values('generate').customers).toContain(join('.sluice', 'runs'));
  });

  it('a for_each input that names no algorithm fails its train task with a did-you-mean', () => {
    const result = ws.run(`name: typo
tasks:
  - task_key: search
    for_each:
      inputs: [{ algorithm: gradient_bosting }]
      task:
        train: { dataset: dataset://churn_features, algorithm: "{{input.algorithm}}" }
`);
    expect(result.code).toBe(1);
    expect(ws.message('search[0]')).toContain("algorithm 'gradient_bosting' is not one Sluice trains; did you mean 'gradient_boosting'?");
  });
});

describe('the demand pipeline', () => {
  let ws: Workspace;
  let run: ReturnType<typeof runPipeline>;
  beforeAll(() => {
    ws = workspace('demand');
    run = runPipeline(ws, DEMAND, 'demand.yaml');
  }, 180_000);

  it('runs end to end: gradient boosting beats linear regression and passes the R² gate on the latest days', () => {
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const train = ws.values('train');
    const [boosted, linear] = JSON.parse(train.validation_rmse!) as number[];
    expect(boosted).toBeLessThan(linear!);
    expect(ws.values('pick_model').name).toBe('gradient_boosting');
    const evaluate = ws.values('evaluate');
    expect(Number(evaluate.r2)).toBeGreaterThan(0.5);
    expect(Number(evaluate.r2)).toBeLessThan(0.99);
    expect(Number(evaluate.mae)).toBeLessThan(Number(evaluate.rmse));
    expect(evaluate.passed).toBe('true');
    // A time split: the test rows are the latest fifth of 730 days × 60 series.
    expect(Number(ws.values('features').test_rows)).toBeGreaterThan(0.18 * 43_800);
  });
});

describe('npm start: the churn demo', () => {
  it('trains, registers, scores, finds drift, retrains on it and ends with a summary', () => {
    const home = mkdtempSync(join(tmpdir(), 'sluice-demo-start-'));
    const result = spawnSync(process.execPath, [join(CHURN, 'demo.mjs'), '--state', join(home, 'state.db')], { cwd: home, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const summary = result.stdout.slice(result.stdout.indexOf('== summary'));
    expect(summary).toMatch(/run 1: gradient_boosting won .* registered models:\/churn\/1 \(aliases: challenger,champion\)/);
    expect(summary).toMatch(/drift on the new batch: yes, in \S*region\S*, and in the predictions/);
    expect(summary).toMatch(/run 2 \(trigger: drift\): retrained on data like the batch; .* registered models:\/churn\/2/);
    expect(summary).toContain('drift after retraining: none');
    expect(summary).toMatch(/champion now: models:\/churn\/2 — ROC AUC 0\.\d{4}/);
    expect(summary).toMatch(/predictions: dataset:\/\/churn_predictions@2 \(20,000 rows\) in \S+\.parquet/);
    expect(summary).toContain('npx sluice ui');
  }, 240_000);
});
