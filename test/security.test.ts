// Hostile parameter and value payloads never execute anything and never
// change the shape of a command's argv: they reach a task as `--param`
// values, as upstream values (name=value lines and JSON) and through env.
// Each task runs in a folder of its own, so a `pwned` file names the task
// that let a payload execute.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sluiceAsync, tempFolder } from './run-helpers.js';

const PAYLOADS: readonly string[] = [
  '"; touch pwned #',
  '$(touch pwned)',
  '`touch pwned`',
  'a | touch pwned',
  'x\ntouch pwned',
  '--output=/tmp/pwned',
  "' ; touch pwned ; '",
  '$HOME',
  '*',
  '\\\\',
  'trailing backslash \\',
  '{{env.HOME}}',
  '',
  '  two  spaces  ',
];

/** name=value lines cannot hold a line break; those payloads travel as JSON only. */
const fitsLines = (payload: string) => !/[\r\n]/.test(payload);

// Prints its argv and the environment variables that carry payloads, as the task's values.
const ARGV_JS = `
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('SEC_') || /^SLUICE_PARAM_P\\d+$/.test(name)));
require('node:fs').writeFileSync(process.env.SLUICE_OUTPUT, JSON.stringify({ argv: JSON.stringify(process.argv.slice(2)), env: JSON.stringify(env) }));
`;

// Writes every parameter payload back out as a value: name=value lines (argv[2] = lines) or one JSON object.
const WRITE_VALUES_JS = `
const values = {};
for (const [name, value] of Object.entries(process.env)) {
  const match = /^SLUICE_PARAM_P(\\d+)$/.exec(name);
  if (match) values['v' + match[1]] = value;
}
const fs = require('node:fs');
if (process.argv[2] === 'lines') {
  const lines = Object.entries(values).filter(([, v]) => !/[\\r\\n]/.test(v)).map(([n, v]) => n + '=' + v + '\\n');
  fs.writeFileSync(process.env.SLUICE_OUTPUT, lines.join(''));
} else {
  fs.writeFileSync(process.env.SLUICE_OUTPUT, JSON.stringify(values));
}
`;

interface Context {
  /** Task key prefix; one task per payload, `<name>_<index>`. */
  name: string;
  /** The task's YAML body lines (type key and settings) for payload `i`. */
  body: (i: number, payload: string) => string[];
  /** The argv the task's program must see. */
  argv: (payload: string) => string[];
  /** Environment variables the program must see. */
  env?: (i: number, payload: string) => Record<string, string>;
  /** Upstream tasks. */
  needs?: string[];
}

const param = (i: number) => `{{job.parameters.p${i}}}`;
const lines = (i: number) => `{{tasks.produce_lines.values.v${i}}}`;
const json = (i: number) => `{{tasks.produce_json.values.v${i}}}`;
const q = (text: string) => JSON.stringify(text);
const PROGRAM = '../../argv.cjs';

// References written as the docs recommend: whole argv items, or bare words of a shell script.
const SAFE_CONTEXTS: readonly Context[] = [
  {
    name: 'param_argv',
    body: (i) => [`command: [node, ${PROGRAM}, ${q(param(i))}, ${q(`pre ${param(i)} post`)}, ${q(`${param(i)}${param(i)}`)}]`],
    argv: (p) => [p, `pre ${p} post`, `${p}${p}`],
  },
  {
    name: 'param_shell',
    body: (i) => [`shell: ${q(`node ${PROGRAM} ${param(i)} pre${param(i)}post`)}`],
    argv: (p) => [p, `pre${p}post`],
  },
  {
    name: 'param_env',
    body: (i) => [
      `env: { SEC_VALUE: ${q(`<${param(i)}>`)} }`,
      `shell: ${q(`node ${PROGRAM} "$SEC_VALUE" "$SLUICE_PARAM_P${i}"`)}`,
    ],
    argv: (p) => [`<${p}>`, p],
    env: (i, p) => ({ SEC_VALUE: `<${p}>`, [`SLUICE_PARAM_P${i}`]: p }),
  },
  {
    name: 'value_argv',
    needs: ['produce_lines', 'produce_json'],
    body: (i, p) => [`command: [node, ${PROGRAM}, ${q(json(i))}${fitsLines(p) ? `, ${q(lines(i))}` : ''}]`],
    argv: (p) => (fitsLines(p) ? [p, p] : [p]),
  },
  {
    name: 'value_shell',
    needs: ['produce_lines', 'produce_json'],
    body: (i, p) => [`shell: ${q(`node ${PROGRAM} ${json(i)}${fitsLines(p) ? ` ${lines(i)}` : ''}`)}`],
    argv: (p) => (fitsLines(p) ? [p, p] : [p]),
  },
  {
    name: 'value_env',
    needs: ['produce_lines', 'produce_json'],
    body: (i) => [`env: { SEC_UPSTREAM: ${q(json(i))} }`, `command: [node, ${PROGRAM}]`],
    argv: () => [],
    env: (_, p) => ({ SEC_UPSTREAM: p }),
  },
];

// A reference inside quotes of a shell script, or in a here-document: the
// value must arrive as the literal text the script shows, whatever it holds.
const QUOTED_CONTEXTS: readonly Context[] = [
  {
    name: 'double_quoted',
    body: (i) => [`shell: ${q(`node ${PROGRAM} "prefix ${param(i)}"`)}`],
    argv: (p) => [`prefix ${p}`],
  },
  {
    name: 'single_quoted',
    body: (i) => [`shell: ${q(`node ${PROGRAM} 'prefix ${param(i)}'`)}`],
    argv: (p) => [`prefix ${p}`],
  },
  {
    name: 'heredoc',
    body: (i) => [`shell: ${q(`node ${PROGRAM} "$(cat <<END\nprefix ${param(i)}\nEND\n)"`)}`],
    argv: (p) => [`prefix ${p}`.replace(/\n+$/, '')],
  },
];

function pipelineYaml(name: string, contexts: readonly Context[]): string {
  const parameters = PAYLOADS.map((_, i) => `  - { name: p${i} }`);
  const tasks: string[] = [];
  if (contexts.some((c) => c.needs)) {
    tasks.push('  - { task_key: produce_lines, command: [node, ../write-values.cjs, lines], working_dir: work }');
    tasks.push('  - { task_key: produce_json, command: [node, ../write-values.cjs, json], working_dir: work }');
  }
  for (const context of contexts) {
    PAYLOADS.forEach((payload, i) => {
      tasks.push(`  - task_key: ${context.name}_${i}`, `    working_dir: work/${context.name}_${i}`);
      if (context.needs) tasks.push(`    depends_on: [${context.needs.join(', ')}]`);
      tasks.push(...context.body(i, payload).map((line) => `    ${line}`));
    });
  }
  return `name: ${name}\nparameters:\n${parameters.join('\n')}\ntasks:\n${tasks.join('\n')}\n`;
}

interface ShownTask { key: string; state: string; message: string | null; values: Record<string, string> }

/** Runs the pipeline with every payload as a parameter; the tasks as `sluice show --json` reports them. */
async function runWithPayloads(name: string, contexts: readonly Context[]) {
  const dir = tempFolder('security', { 'pipeline.yaml': pipelineYaml(name, contexts), 'argv.cjs': ARGV_JS, 'write-values.cjs': WRITE_VALUES_JS });
  mkdirSync(join(dir, 'work'));
  for (const context of contexts) PAYLOADS.forEach((_, i) => mkdirSync(join(dir, 'work', `${context.name}_${i}`)));
  const state = ['--state', join(dir, 'state.db')];
  const params = PAYLOADS.flatMap((payload, i) => ['--param', `p${i}=${payload}`]);
  const run = await sluiceAsync(['run', join(dir, 'pipeline.yaml'), ...params, '--concurrency', '2', ...state]);
  const shown = await sluiceAsync(['show', '1', '--json', ...state]);
  const tasks = shown.code === 0 ? (JSON.parse(shown.stdout) as { tasks: ShownTask[] }).tasks : undefined;
  return { dir, run, tasks: new Map((tasks ?? []).map((task) => [task.key, task])) };
}

/** Every file named like `pwned` under `dir`, as paths relative to it. */
function pwnedFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.name.includes('pwned')) found.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return found.sort();
}

/** What each payload's task saw, beside what it had to see, keyed by the payload. */
function observed(context: Context, tasks: Map<string, ShownTask>) {
  const actual: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  PAYLOADS.forEach((payload, i) => {
    const task = tasks.get(`${context.name}_${i}`);
    const label = JSON.stringify(payload);
    const env = task?.values.env === undefined ? undefined : JSON.parse(task.values.env) as Record<string, string>;
    actual[label] = task?.state === 'SUCCESS'
      ? { argv: JSON.parse(task.values.argv!), ...(context.env ? { env: pick(env!, Object.keys(context.env(i, payload))) } : {}) }
      : `${task?.state ?? 'missing'}: ${task?.message ?? ''}`;
    expected[label] = { argv: context.argv(payload), ...(context.env ? { env: context.env(i, payload) } : {}) };
  });
  return { actual, expected };
}

function pick(env: Record<string, string>, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, env[name]]));
}

describe('hostile payloads in references written as the docs recommend', () => {
  const tmpPwnedBefore = existsSync('/tmp/pwned');
  let result: Awaited<ReturnType<typeof runWithPayloads>>;

  beforeAll(async () => {
    result = await runWithPayloads('payloads', SAFE_CONTEXTS);
  }, 60_000);

  it('run to success and execute nothing', () => {
    expect(result.run.code, result.run.stdout + result.run.stderr).toBe(0);
    expect(pwnedFiles(result.dir)).toEqual([]);
    if (!tmpPwnedBefore) expect(existsSync('/tmp/pwned'), '/tmp/pwned').toBe(false);
  });

  it('upstream tasks hand the payloads on unchanged, as name=value lines and as JSON', () => {
    const expected = Object.fromEntries(PAYLOADS.map((payload, i) => [`v${i}`, payload]));
    expect(result.tasks.get('produce_json')?.values).toEqual(expected);
    expect(result.tasks.get('produce_lines')?.values).toEqual(Object.fromEntries(Object.entries(expected).filter(([, v]) => fitsLines(v))));
  });

  for (const context of SAFE_CONTEXTS) {
    it(`${context.name}: each payload arrives as exactly the argv items and environment it was written into`, () => {
      const { actual, expected } = observed(context, result.tasks);
      expect(actual).toEqual(expected);
      expect(pwnedFiles(join(result.dir, 'work')).filter((file) => file.startsWith(`${context.name}_`))).toEqual([]);
    });
  }
});

describe('hostile payloads in references inside quotes of a shell script', () => {
  let result: Awaited<ReturnType<typeof runWithPayloads>>;

  beforeAll(async () => {
    result = await runWithPayloads('quoted-payloads', QUOTED_CONTEXTS);
  }, 60_000);

  // Either Sluice refuses such a script before running anything, or the payload stays inert text.
  for (const context of QUOTED_CONTEXTS) {
    it(`${context.name}: never executes a payload and keeps it one argv item of literal text`, () => {
      const executed = pwnedFiles(join(result.dir, 'work')).filter((file) => file.startsWith(`${context.name}_`));
      if (result.tasks.size === 0) {
        expect(executed).toEqual([]);
        expect(result.run.code, `refused: ${result.run.stdout}${result.run.stderr}`).not.toBe(0);
        return;
      }
      const { actual, expected } = observed(context, result.tasks);
      expect({ executed, seen: actual }).toEqual({ executed: [], seen: expected });
    });
  }
});
