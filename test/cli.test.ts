// Drives the built `sluice` command as a user would (npm test builds first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPipelineSchema } from '../engine/spec/pipeline-schema.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { PROJECT_ROOT, runSluice } from './run-sluice.js';

const sluice = runSluice;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const valid = (name: string, extra = '') => `name: ${name}\ntasks:\n  - { task_key: a, command: [echo, hi] }\n${extra}`;

describe('sluice validate', () => {
  it('checks every pipeline under a folder and exits 0 when all are valid', () => {
    const { code, stdout } = sluice(['validate', 'pipelines/examples']);
    expect(code).toBe(0);
    expect(stdout).toContain("✓ pipelines/examples/branch.yaml: pipeline 'branch', 5 tasks");
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('5 files valid');
  });

  it('validates the pipelines/ folder of the current directory when given no path', () => {
    const dir = folder({ 'pipelines/nightly/train.yaml': valid('train') });
    const { code, stdout } = sluice(['validate'], dir);
    expect(code).toBe(0);
    expect(stdout).toContain("pipelines/nightly/train.yaml: pipeline 'train', 1 task");
  });

  it('prints file:line:col, the source line and a caret under the mistake, and exits 1', () => {
    const dir = folder({ 'p.yaml': 'name: p\ntasks:\n  - task_key: a\n    depend_on: [b]\n    command: [echo]\n' });
    const { code, stdout } = sluice(['validate', join(dir, 'p.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toBe([
      `${join(dir, 'p.yaml')}:4:5: error: unknown key 'depend_on' in task 'a'; did you mean 'depends_on'?`,
      ' 4 |     depend_on: [b]',
      '   |     ^~~~~~~~~',
      '1 error in 1 file',
      '',
    ].join('\n'));
  });

  it('passes warnings by default and fails on them with --strict', () => {
    const dir = folder({ 'p.yaml': valid('p', 'parameters: [{ name: unused, default: x }]\n') });
    const loose = sluice(['validate', join(dir, 'p.yaml')]);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain("warning: parameter 'unused' is never used");
    expect(loose.stdout).toContain('0 errors, 1 warning in 1 file');
    const strict = sluice(['validate', '--strict', join(dir, 'p.yaml')]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("error: parameter 'unused' is never used");
  });

  it('writes machine-readable JSON with --json', () => {
    const dir = folder({ 'good.yaml': valid('good'), 'bad.yaml': 'name: bad\ntasks: []\n' });
    const { code, stdout } = sluice(['validate', '--json', dir]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ valid: false, errors: 1, warnings: 0 });
    expect(report.files).toEqual([
      {
        file: join(dir, 'bad.yaml'), valid: false,
        diagnostics: [{ severity: 'error', code: 'empty-list', file: join(dir, 'bad.yaml'), line: 2, col: 8, endCol: 10, message: "the pipeline has no tasks; add at least one under 'tasks'" }],
      },
      { file: join(dir, 'good.yaml'), valid: true, pipeline: 'good', tasks: 1, diagnostics: [] },
    ]);
  });

  it('prints GitHub Actions annotations with --format github', () => {
    const dir = folder({ 'p.yaml': 'name: p\ntasks:\n  - { task_key: a, shell: "echo {{job.nme}}" }\n' });
    const { code, stdout } = sluice(['validate', '--format', 'github', join(dir, 'p.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toBe(`::error file=${join(dir, 'p.yaml')},line=3,col=33,endColumn=44::unknown reference {{job.nme}}; did you mean 'name'?\n`);
  });

  it('checks names and run_pipeline targets across the pipelines of a folder', () => {
    const dir = folder({
      'a.yaml': 'name: nightly\ntasks:\n  - { task_key: child, run_pipeline: { pipeline: retrian } }\n',
      'b.yaml': valid('nightly'),
      'c.yaml': 'name: retrain\ntasks:\n  - { task_key: back, run_pipeline: { pipeline: loop } }\n',
      'd.yaml': 'name: loop\ntasks:\n  - { task_key: again, run_pipeline: { pipeline: retrain } }\n',
    });
    const { code, stdout } = sluice(['validate', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain("a.yaml:3:50: error: run_pipeline names unknown pipeline 'retrian'; did you mean 'retrain'?");
    expect(stdout).toContain(`b.yaml:1:7: error: pipeline name 'nightly' is also used by ${join(dir, 'a.yaml')}; names must be unique`);
    expect(stdout).toMatch(/c\.yaml:3:49: error: run_pipeline cycle between pipelines loop, retrain; a run would never end/);
  });

  it("checks run_pipeline parameters against the child pipeline's parameters", () => {
    const dir = folder({
      'parent.yaml': 'name: parent\ntasks:\n  - task_key: retrain\n    run_pipeline: { pipeline: train, parameters: { dat: "2026-11-23" } }\n',
      'train.yaml': valid('train', 'parameters: [{ name: date }, { name: lr, default: 0.1, type: number }]\n'),
    });
    const { code, stdout } = sluice(['validate', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain("parent.yaml:4:31: error: pipeline 'train' needs 'date', which has no default; pass it under run_pipeline.parameters");
    expect(stdout).toContain("parent.yaml:4:52: error: pipeline 'train' has no parameter 'dat'; did you mean 'date'?");
  });

  it('exits 2 with a message for usage and I/O errors', () => {
    expect(sluice(['validate', 'no/such/file.yaml'])).toMatchObject({ code: 2, stderr: 'sluice: no/such/file.yaml: no such file or folder\n' });
    expect(sluice(['validate', '--format', 'xml', 'pipelines'])).toMatchObject({ code: 2 });
    expect(sluice(['valdate']).stderr).toContain("unknown command 'valdate'");
    expect(sluice(['valdate']).code).toBe(2);
    const empty = folder({ 'notes.txt': 'not a pipeline' });
    expect(sluice(['validate', empty])).toMatchObject({ code: 2, stderr: `sluice: no pipeline files (*.yaml, *.yml) in ${empty}\n` });
  });

  it('never shows a stack trace for a broken file', () => {
    const dir = folder({ 'bin.yaml': 'name: x\u0000\n', 'bomb.yaml': 'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n' });
    const { code, stdout, stderr } = sluice(['validate', dir]);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(stdout).not.toMatch(/\bat .*\.js:\d+/);
    expect(stdout).toContain('bin.yaml:1:8: error: binary file (a NUL byte at offset 7); a pipeline is YAML text');
    expect(stdout).toContain("bomb.yaml:5:29: error: aliases expand to more than 100,000 nodes here ('billion laughs')");
  });
});

describe('sluice graph', () => {
  it('prints the DAG by levels with dependencies, outcomes and run_if', () => {
    const { code, stdout } = sluice(['graph', 'pipelines/examples/branch.yaml']);
    expect(code).toBe(0);
    expect(stdout).toBe([
      'branch: 5 tasks in 4 levels',
      'level 1',
      '  score        shell',
      'level 2',
      '  good_enough  condition  ← score',
      'level 3',
      '  promote      command    ← good_enough (true)',
      '  reject       command    ← good_enough (false)',
      'level 4',
      '  cleanup      command    ← promote, reject; run_if all_done',
      '',
    ].join('\n'));
  });

  it('prints Mermaid and Graphviz DOT', () => {
    const mermaid = sluice(['graph', '--format', 'mermaid', 'pipelines/examples/branch.yaml']).stdout;
    expect(mermaid).toContain('flowchart TD\n  t0["score"]\n  t1{"good_enough"}');
    expect(mermaid).toContain('  t1 -- "true" --> t2\n  t1 -- "false" --> t3');
    const dot = sluice(['graph', '--format', 'dot', 'pipelines/examples/branch.yaml']).stdout;
    expect(dot).toContain('digraph "branch" {');
    expect(dot).toContain('  "good_enough" [shape=diamond];');
    expect(dot).toContain('  "good_enough" -> "promote" [label="true"];');
  });

  it('refuses an invalid pipeline with its errors on stderr', () => {
    const dir = folder({ 'p.yaml': 'name: p\ntasks:\n  - { task_key: a, depends_on: [a], command: [echo] }\n' });
    const { code, stdout, stderr } = sluice(['graph', join(dir, 'p.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain("p.yaml:3:33: error: task 'a' depends on itself");
  });
});

describe('sluice schema', () => {
  it('ends quietly, with status 0, when its reader closes the pipe early (| head)', () => {
    const bin = join(PROJECT_ROOT, 'dist', 'bin', 'sluice.js');
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" schema | head -c 1 >/dev/null; echo "status \${PIPESTATUS[0]}"`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(result.stdout).toBe('status 0\n');
    expect(result.stderr).toBe('');
  });


  it('prints the schema the validator uses, and writes it with --output', () => {
    const expected = `${JSON.stringify(buildPipelineSchema(builtinTaskTypes), null, 2)}\n`;
    expect(sluice(['schema']).stdout).toBe(expected);
    const out = join(mkdtempSync(join(tmpdir(), 'sluice-schema-')), 'schema.json');
    expect(sluice(['schema', '--output', out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });
});
