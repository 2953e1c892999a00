// ingest and feature end to end: real files, DuckDB, Parquet, the state database.
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetCatalog } from '../engine/state/dataset-catalog.js';
import { openStateDatabase } from '../engine/state/database.js';
import { workspace, type Workspace } from './ml-helpers.js';
import { startSluice, waitFor } from './run-helpers.js';

const customers = (rows: string[]) => ['customer_id,plan,tenure,monthly_charges,signup_date,churned', ...rows].join('\n') + '\n';
const goodRows = [
  '1,basic,12,29.5,2024-01-03,0', '2,pro,3,59.0,2024-02-11,1', '3,basic,40,31.0,2024-03-20,0', '4,enterprise,24,99.9,2024-04-02,0',
  '5,pro,1,61.5,2024-05-15,1', '6,basic,7,28.0,2024-06-01,1', '7,pro,30,58.0,2024-07-09,0', '8,enterprise,2,101.0,2024-08-30,1',
  '9,basic,18,30.0,2024-09-12,0', '10,pro,,60.0,2024-10-01,0',
];

function ingestYaml(extra = '', source = 'data/customers.csv', dataset = 'customers') {
  return `name: ingest_customers
tasks:
  - task_key: ingest
    ingest:
      source: ${source}
      dataset: ${dataset}
${extra}`;
}

function catalog(ws: Workspace) {
  const db = openStateDatabase(ws.state, { mustExist: true });
  return { catalog: new DatasetCatalog(db), close: () => db.close() };
}

describe('ingest', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace('ingest');
    ws.write('data/customers.csv', customers(goodRows));
  });

  it('turns a CSV file into a versioned Parquet dataset with its schema, row count and source recorded', () => {
    const result = ws.run(ingestYaml());
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('ingest')).toMatchObject({ dataset: 'dataset://customers@1', rows: '10', version: '1', new_version: 'true' });
    const { catalog: datasets, close } = catalog(ws);
    const version = datasets.find('customers', 1)!;
    close();
    expect(version.rowCount).toBe(10);
    expect(version.source).toBe('data/customers.csv');
    expect(version.columns).toEqual([
      { name: 'customer_id', type: 'integer' }, { name: 'plan', type: 'string' }, { name: 'tenure', type: 'integer' },
      { name: 'monthly_charges', type: 'number' }, { name: 'signup_date', type: 'date' }, { name: 'churned', type: 'integer' },
    ]);
    expect(existsSync(version.file)).toBe(true);
    expect(version.file.endsWith(`${version.contentHash}.parquet`)).toBe(true);
  });

  it('ingesting unchanged files again keeps the same version', () => {
    expect(ws.run(ingestYaml()).code).toBe(0);
    expect(ws.values('ingest')).toMatchObject({ dataset: 'dataset://customers@1', new_version: 'false' });
  });

  it('a source whose columns changed fails with a column-by-column diff and writes no version', () => {
    ws.write('data/changed.csv', 'customer_id,plan,tenure,monthly_charges,region,churned\n1,basic,x,29.5,eu,0\n');
    const result = ws.run(ingestYaml('', 'data/changed.csv'));
    expect(result.code).toBe(1);
    const message = ws.message('ingest');
    expect(message).toContain('differ from dataset://customers@1');
    expect(message).toMatch(/~ tenure\s+integer\s+string/);
    expect(message).toMatch(/- signup_date\s+date\s+\(missing\)/);
    expect(message).toMatch(/\+ region\s+\(absent\)\s+string/);
    const { catalog: datasets, close } = catalog(ws);
    expect(datasets.versions('customers')).toHaveLength(1);
    close();
  });

  it('a declared number column holding text names the file, row, column and value', () => {
    ws.write('data/bad-number.csv', customers(['1,basic,12,29.5,2024-01-03,0', '2,pro,twelve,59.0,2024-02-11,1']));
    const result = ws.run(`name: typed
tasks:
  - task_key: ingest
    ingest:
      source: data/bad-number.csv
      dataset: typed_customers
      schema: { customer_id: integer, plan: string, tenure: integer, monthly_charges: number, signup_date: date, churned: integer }
`);
    expect(result.code).toBe(1);
    expect(ws.message('ingest')).toContain("column 'tenure' is declared integer but has values that are not: row 2 of data/bad-number.csv: 'twelve'");
  });

  it('a declared integer column holding a fraction is an error, not rounded', () => {
    ws.write('data/fraction.csv', customers(['1,basic,12,29.5,2024-01-03,0', '2,pro,2.6,59.0,2024-02-11,1', '3,pro,4.0,59.0,2024-02-11,1', '4,pro,-0.5,59.0,2024-02-11,1']));
    const yaml = (tenure: string) => `name: typed
tasks:
  - task_key: ingest
    ingest:
      source: data/fraction.csv
      dataset: fraction_customers
      schema: { customer_id: integer, plan: string, tenure: ${tenure}, monthly_charges: number, signup_date: date, churned: integer }
`;
    expect(ws.run(yaml('integer')).code).toBe(1);
    expect(ws.message('ingest')).toContain("column 'tenure' is declared integer but has values that are not: row 2 of data/fraction.csv: '2.6'; " +
      "row 4 of data/fraction.csv: '-0.5' (integer takes whole numbers only; declare it number to keep fractions)");
    expect(ws.run(yaml('number')).code).toBe(0);
  });

  it('quality checks report every failure and write no version', () => {
    ws.write('data/dirty.csv', customers([...goodRows, '3,gold,-5,31.0,2024-03-20,0']));
    const result = ws.run(ingestYaml(`      checks:
        not_null: [tenure]
        unique: [customer_id]
        min: { tenure: 0 }
        allowed_values: { plan: [basic, pro, enterprise] }
`, 'data/dirty.csv'));
    expect(result.code).toBe(1);
    const message = ws.message('ingest');
    expect(message).toContain('4 quality checks failed');
    expect(message).toContain('not_null tenure: 1 empty values');
    expect(message).toContain('unique customer_id: 1 repeated values (e.g. 3)');
    expect(message).toContain('min tenure: 1 values < 0 (e.g. -5)');
    expect(message).toContain('allowed_values plan: 1 values outside the allowed ones (e.g. gold)');
  });

  it('an empty file, a missing file, a wrong format and a check on an unknown column get clear errors', () => {
    ws.write('data/empty.csv', customers([]));
    expect(ws.run(ingestYaml('', 'data/empty.csv', 'empty_customers')).code).toBe(1);
    expect(ws.message('ingest')).toContain('min_rows: 0 rows, fewer than 1');

    expect(ws.run(ingestYaml('', 'data/nope-*.csv')).code).toBe(1);
    expect(ws.message('ingest')).toContain("no file matches 'data/nope-*.csv'");

    expect(ws.run(ingestYaml('      format: parquet\n')).code).toBe(1);
    expect(ws.message('ingest')).toMatch(/cannot read data\/customers\.csv as parquet/);

    expect(ws.run(ingestYaml('      checks: { not_null: [tenur] }\n')).code).toBe(1);
    expect(ws.message('ingest')).toContain("names column 'tenur', which the dataset does not have; did you mean 'tenure'?");

    expect(ws.run(ingestYaml('      checks: { max: { plan: 10 } }\n')).code).toBe(1);
    expect(ws.message('ingest')).toContain("checks.max names column 'plan', which holds string values; min and max need a numeric column");
  });

  it('a file in another format than its name says, or a CSV line with extra fields, is explained in Sluice terms', () => {
    const fail = (source: string, format = '') => {
      const result = ws.run(ingestYaml(format, source, 'wrong_format'));
      expect(result.code, result.stdout + result.stderr).toBe(1);
      const message = ws.message('ingest');
      // DuckDB's hints name read_csv settings an ingest task does not have.
      expect(message).not.toMatch(/strict_mode|delim=|sniffing|auto-detecting|Possible fixes/);
      return message;
    };
    writeFileSync(join(ws.root, 'data/program.csv'), Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]));
    expect(fail('data/program.csv')).toContain('cannot read data/program.csv as csv: it does not look like CSV text (it starts like an ELF executable); ' +
      'is it another format? set format: jsonl or parquet if it is one of those');
    writeFileSync(join(ws.root, 'data/picture.csv'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    expect(fail('data/picture.csv')).toContain('it does not look like CSV text (it starts like a PNG image)');
    ws.write('data/events.csv', '{"id": 1}\n{"id": 2}\n');
    expect(fail('data/events.csv')).toContain(`cannot read data/events.csv as csv: it holds JSON (it starts with '{"id": 1}'); set format: jsonl`);
    ws.write('data/array.json', '[\n  {"id": 1},\n  {"id": 2}\n]\n');
    expect(fail('data/array.json')).toContain("cannot read data/array.json as jsonl: it holds a JSON array (it starts with '['), and ingest reads JSON lines: one object per line");
    ws.write('data/table.parquet', customers(goodRows));
    expect(fail('data/table.parquet')).toContain("cannot read data/table.parquet as parquet: it is not a Parquet file (no PAR1 magic bytes; it looks like text, perhaps CSV: it starts with 'customer_id,plan,");
    ws.write('data/damaged.parquet', 'PAR1 and then nothing a Parquet reader wants PAR1');
    expect(fail('data/damaged.parquet')).toMatch(/cannot read data\/damaged\.parquet as parquet: .*; the file may be truncated or damaged, or another format/);

    // A line with an extra field early on: DuckDB would read the file as one column named "customer_id,plan,…".
    ws.write('data/ragged.csv', customers([goodRows[0]!, '2,pro,3,59.0,2024-02-11,1,extra', goodRows[2]!]));
    expect(fail('data/ragged.csv')).toContain("cannot read data/ragged.csv as csv: line 3 has 7 fields but the header (line 1) has 6: '2,pro,3,59.0,2024-02-11,1,extra'; " +
      'fix that line, or quote a value that holds \',\' ("a,b")');
    // … and far into a file, past the rows DuckDB samples.
    const many = Array.from({ length: 30000 }, (_, i) => `${i},basic,1,2.5,2024-01-01,0`);
    ws.write('data/late.csv', customers([...many, '30000,pro,1,2.5,2024-01-01,0,extra']));
    expect(fail('data/late.csv')).toContain('cannot read data/late.csv as csv: line 30002 has 7 fields but the header (line 1) has 6');
    ws.write('data/late-text.csv', customers([...many, '30000,pro,a lot,2.5,2024-01-01,0']));
    expect(fail('data/late-text.csv')).toContain("cannot read data/late-text.csv as csv: line 30002 holds 'a lot' in column 'tenure', which its first lines made look like integer; " +
      "declare the column's type under schema:");
    const parquet = readdirSync(join(ws.root, '.sluice', 'datasets')).find((file) => file.endsWith('.parquet'))!;
    copyFileSync(join(ws.root, '.sluice', 'datasets', parquet), join(ws.root, 'data/parquet.csv'));
    expect(fail('data/parquet.csv')).toContain('cannot read data/parquet.csv as csv: it is a Parquet file; set format: parquet');
  });

  it('reads JSON lines and Parquet too', () => {
    ws.write('data/events.jsonl', '{"id": 1, "kind": "login"}\n{"id": 2, "kind": "logout"}\n');
    expect(ws.run(`name: events
tasks:
  - task_key: ingest
    ingest: { source: data/events.jsonl, dataset: events }
`).code).toBe(0);
    expect(ws.values('ingest')).toMatchObject({ dataset: 'dataset://events@1', rows: '2' });
    const parquet = readdirSync(join(ws.root, '.sluice', 'datasets')).find((file) => file.endsWith('.parquet'))!;
    expect(ws.run(`name: from_parquet
tasks:
  - task_key: ingest
    ingest: { source: .sluice/datasets/${parquet}, dataset: copied }
`).code).toBe(0);
    expect(Number(ws.values('ingest').rows)).toBeGreaterThan(0);
  });
});

describe('feature', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace('feature');
    ws.write('data/customers.csv', customers(goodRows));
    ws.write('data/usage.csv', 'customer_id,minutes\n' + goodRows.map((_, i) => `${i + 1},${(i + 1) * 10}`).join('\n') + '\n');
  });

  const pipeline = (feature: string) => `name: features
tasks:
  - task_key: customers
    ingest: { source: data/customers.csv, dataset: customers }
  - task_key: usage
    ingest: { source: data/usage.csv, dataset: usage }
  - task_key: features
    depends_on: [customers, usage]
    feature:
      inputs: { c: "{{tasks.customers.values.dataset}}", u: "{{tasks.usage.values.dataset}}" }
      dataset: churn_features
${feature}`;

  it('joins inputs with SQL, splits by row index and fits the transforms on the train rows only', () => {
    const result = ws.run(pipeline(`      sql: SELECT c.*, u.minutes FROM c JOIN u USING (customer_id) ORDER BY customer_id
      target: churned
      split: { by: row_index, modulo: 5 }
      features:
        tenure: [{ impute: median }, standardize]
        minutes: [min_max]
        plan: [one_hot]
`));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(ws.values('features')).toMatchObject({ rows: '10', train_rows: '8', test_rows: '2', features: '5' });
    const db = openStateDatabase(ws.state, { mustExist: true });
    const version = new DatasetCatalog(db).find('churn_features')!;
    db.close();
    expect(version.target).toBe('churned');
    const plan = version.featurePlan as { columns: { column: string; steps?: { op: string; value?: number; offset?: number; scale?: number }[]; categories?: string[] }[] };
    // Train rows are ids 2,3,4,5,7,8,9,10 (rows 0 and 5 are test); tenure 3,40,24,1,30,2,18,(missing): median 18.
    const tenure = plan.columns[0]!.steps!;
    expect(tenure[0]).toEqual({ op: 'impute', value: 18 });
    const imputed = [3, 40, 24, 1, 30, 2, 18, 18];
    const mean = imputed.reduce((a, b) => a + b) / imputed.length;
    const std = Math.sqrt(imputed.reduce((a, b) => a + (b - mean) ** 2, 0) / imputed.length);
    expect(tenure[1]!.offset).toBeCloseTo(mean, 12);
    expect(tenure[1]!.scale).toBeCloseTo(1 / std, 12);
    expect(plan.columns[1]!.steps![0]).toMatchObject({ op: 'scale', offset: 20, scale: 1 / 80 });
    expect(plan.columns[2]!.categories).toEqual(['basic', 'enterprise', 'pro']);
  });

  it('a seeded random split gives the same rows on every run', () => {
    const yaml = pipeline(`      sql: SELECT * FROM c ORDER BY customer_id
      split: { by: random, test_fraction: 0.3, seed: 7 }
`);
    expect(ws.run(yaml).code).toBe(0);
    const first = ws.values('features');
    expect(ws.run(yaml).code).toBe(0);
    expect(ws.values('features')).toEqual(first);
  });

  it('splits by time', () => {
    expect(ws.run(pipeline(`      sql: SELECT * FROM c
      split: { by: time, column: signup_date, test_from: "2024-09-01" }
`)).code).toBe(0);
    expect(ws.values('features')).toMatchObject({ train_rows: '8', test_rows: '2' });
  });

  it('names a missing feature column with a suggestion, and a SQL error with its cause', () => {
    expect(ws.run(pipeline(`      sql: SELECT * FROM c
      features: { tenur: [standardize] }
`)).code).toBe(1);
    expect(ws.message('features')).toContain("features names column 'tenur', which the SQL result does not have; did you mean 'tenure'?");
    expect(ws.run(pipeline('      sql: SELECT nonsense FROM c\n')).code).toBe(1);
    expect(ws.message('features')).toMatch(/the feature SQL failed: Binder Error: .*nonsense/);
  });

  it('an infinite value in the train rows names its row instead of fitting a transform on it; a clip step before it helps', () => {
    // Row 4 (inf) is a train row; rows 1 and 6 are the test rows of row_index % 5.
    ws.write('data/inf.csv', 'id,x,label\n1,0.5,a\n2,1.5,b\n3,2.5,a\n4,inf,b\n5,3.5,a\n6,4.5,b\n7,-inf,a\n8,5.5,b\n');
    const yaml = (steps: string, sql = '') => `name: infinite
tasks:
  - task_key: ingest
    ingest: { source: data/inf.csv, dataset: inf }
  - task_key: features
    depends_on: [ingest]
    feature:
      inputs: { raw: "{{tasks.ingest.values.dataset}}" }
      dataset: inf_features
${sql}      split: { by: row_index, modulo: 5 }
      features: { x: ${steps} }
`;
    for (const step of ['{impute: mean}', 'standardize', 'min_max', 'log']) {
      expect(ws.run(yaml(`[${step}]`)).code).toBe(1);
      expect(ws.message('features')).toContain(`features.x: row 4 of dataset://inf@1 holds an infinite value (inf), so ${step.replace(/[{}]/g, '')} cannot be fitted on the train rows; ` +
        'add a {clip: {min, max}} step before it, or filter such rows out in the SQL');
    }
    expect(ws.run(yaml('[standardize]', '      sql: SELECT * FROM raw WHERE id > 1\n')).code).toBe(1);
    expect(ws.message('features')).toContain('features.x: row 3 of the SQL result holds an infinite value (inf), so standardize');

    expect(ws.run(yaml('[{clip: {min: 0, max: 10}}, min_max]')).code).toBe(0);
    const db = openStateDatabase(ws.state, { mustExist: true });
    const plan = new DatasetCatalog(db).find('inf_features')!.featurePlan as { columns: { steps: object[] }[] };
    db.close();
    // Train rows after the clip: 1.5, 2.5, 10 (inf), 3.5, 0 (-inf), 5.5.
    expect(plan.columns[0]!.steps[1]).toEqual({ op: 'scale', offset: 0, scale: 0.1 });
  });

  it('refuses a target that is also a feature, and a transform that does not fit the column', () => {
    expect(ws.run(pipeline(`      sql: SELECT * FROM c
      target: churned
      features: { churned: [] }
`)).code).toBe(1);
    expect(ws.message('features')).toContain("target 'churned' is also listed under features");
    expect(ws.run(pipeline(`      sql: SELECT * FROM c
      features: { plan: [standardize] }
`)).code).toBe(1);
    expect(ws.message('features')).toContain('features.plan: the column holds string values; give it [one_hot]');
  });
});

describe('stopping an ingest', () => {
  it('a canceled ingest leaves no temporary Parquet file, and one left by a killed task is swept', async () => {
    const ws = workspace('cancel-ingest');
    // Big enough that writing the Parquet file takes a moment to catch.
    const rows = ['id,a,b,label'];
    for (let i = 0; i < 2_000_000; i++) rows.push(`${i},${(i * 7919) % 100003},${(i * 104729) % 99991 / 7},${i % 3 ? 'x' : 'y'}`);
    ws.write('big.csv', `${rows.join('\n')}\n`);
    const datasets = join(ws.root, '.sluice', 'datasets');
    const incoming = () => (existsSync(datasets) ? readdirSync(datasets).filter((name) => name.startsWith('.incoming-')) : []);
    const pipeline = ws.write('slow.yaml', 'name: slow\ntasks:\n  - task_key: ingest\n    ingest: { source: big.csv, dataset: big }\n');
    const runner = startSluice(['run', pipeline, '--state', ws.state], ws.root);
    await waitFor('the ingest to write its Parquet file', () => (incoming().length > 0 ? true : undefined), 60_000);
    // What `sluice cancel` does: SIGTERM to the runner, which stops its tasks.
    runner.child.kill('SIGTERM');
    const finished = await runner.exited;
    expect(finished.stdout + finished.stderr).toContain('CANCELED');
    expect(incoming()).toEqual([]);
    expect(readdirSync(datasets).filter((name) => name.endsWith('.parquet'))).toEqual([]);

    // SIGKILL leaves no chance to clean up: the next task that opens the store sweeps it.
    const gone = spawnSync('true').pid!;
    writeFileSync(join(datasets, `.incoming-${gone}-1.parquet`), 'half a file');
    ws.write('small.csv', 'id,label\n1,x\n2,y\n');
    expect(ws.run('name: small\ntasks:\n  - task_key: ingest\n    ingest: { source: small.csv, dataset: small }\n').code).toBe(0);
    expect(incoming()).toEqual([]);
  }, 120_000);
});
