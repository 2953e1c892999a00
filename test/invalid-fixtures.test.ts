// The broken-pipeline corpus: every file in test/fixtures/invalid/ is a
// pipeline with one kind of mistake (a few have several), and its .expected
// file holds the exact diagnostics the loader must report. See the README in
// that folder for the format. Inputs that must not be committed (a 10 MB
// file) or are awkward to keep in git (binary, other encodings) are generated
// by the second describe.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../engine/diagnostics.js';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { PROJECT_ROOT, runSluice } from './run-sluice.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/invalid/', import.meta.url));
const ROOT = PROJECT_ROOT;
const loader = new PipelineLoader(builtinTaskTypes);

const show = (diagnostics: readonly Diagnostic[]) =>
  diagnostics.map((d) => `${d.line}:${d.col}: ${d.severity}: ${d.message}`);

/** Lines of an .expected file; an empty file means "no diagnostics". */
function expectedLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** What the fixture is about: its first line, a YAML comment. */
function purpose(file: string): string | undefined {
  const first = readFileSync(file, 'utf8').split(/\r?\n/, 1)[0] ?? '';
  return /^#\s*(\S.*)$/.exec(first)?.[1]?.trim();
}

const fixtures = readdirSync(FIXTURES).filter((name) => name.endsWith('.yaml')).sort();

/**
 * warn-*: a valid pipeline with warnings only.
 * others: at least one error, and no pipeline.
 */
function kindOf(name: string): 'warning' | 'error' {
  return name.startsWith('warn-') ? 'warning' : 'error';
}

describe('the broken-pipeline corpus', () => {
  it('has at least 45 fixtures, each with a .expected file and nothing left over', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(45);
    const names = readdirSync(FIXTURES);
    for (const name of fixtures) expect(names, `${name} has no .expected file`).toContain(name.replace(/\.yaml$/, '.expected'));
    for (const name of names.filter((n) => n.endsWith('.expected'))) {
      expect(names, `${name} has no .yaml file`).toContain(name.replace(/\.expected$/, '.yaml'));
    }
  });

  it('keeps every fixture small and says in its first line what is wrong', () => {
    for (const name of fixtures) {
      expect(statSync(join(FIXTURES, name)).size, `${name} is too large to be a focused fixture`).toBeLessThan(4096);
      expect(purpose(join(FIXTURES, name)), `${name} must start with a '# what is wrong' comment`).toBeDefined();
    }
  });
});

describe('every broken pipeline is reported at the right place with the right message', () => {
  for (const name of fixtures) {
    const path = join(FIXTURES, name);
    const kind = kindOf(name);
    const title = `${name}: ${purpose(path) ?? '(no comment line)'}`;

    it(title, () => {
      const result = loader.loadFile(path);
      expect(show(result.diagnostics)).toEqual(expectedLines(path.replace(/\.yaml$/, '.expected')));

      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
      if (kind === 'warning') {
        expect(errors).toEqual([]);
        expect(warnings.length).toBeGreaterThan(0);
        expect(result.pipeline).toBeDefined();
      } else {
        expect(errors.length).toBeGreaterThan(0);
        expect(result.pipeline).toBeUndefined();
      }
      for (const d of result.diagnostics) {
        expect(d.file).toBe(path);
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.col).toBeGreaterThanOrEqual(1);
      }
    });
  }
});

describe('inputs that are generated rather than committed', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-invalid-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const VALID = 'name: generated\ntasks:\n  - task_key: train\n    command: [python3, train.py]\n';
  const write = (name: string, content: string | Uint8Array): string => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };
  const diagnosticsOf = (file: string) => show(loader.loadFile(file).diagnostics);

  /** A valid pipeline padded with comment lines to exactly `bytes` bytes. */
  const padded = (bytes: number): string => {
    const line = `# ${'x'.repeat(97)}\n`; // 100 bytes
    const body = VALID + line.repeat(Math.floor((bytes - VALID.length) / line.length));
    return body + '#'.repeat(bytes - body.length);
  };

  it('refuses a 10 MiB file without parsing it, pointing at 1:1', () => {
    const file = write('huge.yaml', padded(10 * 1024 * 1024));
    expect(statSync(file).size).toBe(10 * 1024 * 1024);
    const result = loader.loadFile(file);
    expect(show(result.diagnostics)).toEqual([
      '1:1: error: file is 10 MiB (10,485,760 bytes), larger than the 4 MiB a pipeline file may have; is this a data file? Large fan-outs belong in a for_each task',
    ]);
    expect(result.pipeline).toBeUndefined();
    expect(result.text).toBeUndefined();
  });

  it('accepts a file of exactly 4 MiB and refuses one byte more', () => {
    expect(diagnosticsOf(write('limit.yaml', padded(4 * 1024 * 1024)))).toEqual([]);
    expect(diagnosticsOf(write('over-limit.yaml', padded(4 * 1024 * 1024 + 1)))).toEqual([
      '1:1: error: file is 4.0 MiB (4,194,305 bytes), larger than the 4 MiB a pipeline file may have; is this a data file? Large fan-outs belong in a for_each task',
    ]);
  });

  it('stops a "billion laughs" alias bomb at the alias that passes the limit', () => {
    // Each anchor is ten aliases of the one before: a4 alone would expand to 11,111 nodes,
    // so a few aliases later the running total passes 100,000, where the error points.
    const bomb = [
      '# aliases that expand exponentially',
      'name: bomb',
      'tasks:',
      '  - task_key: t0',
      '    command: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [
        `  - task_key: t${i}`,
        `    command: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`,
      ]),
      '',
    ].join('\n');
    const result = loader.loadFile(write('bomb.yaml', bomb));
    expect(show(result.diagnostics)).toEqual([
      "13:54: error: aliases expand to more than 100,000 nodes here ('billion laughs'); repeat the content instead of nesting aliases",
    ]);
    expect(result.pipeline).toBeUndefined();
  });

  it('reports an empty file, and one holding only blank lines, as empty', () => {
    const message = '1:1: error: file is empty; a pipeline needs at least `name` and `tasks`';
    expect(diagnosticsOf(write('empty.yaml', ''))).toEqual([message]);
    expect(diagnosticsOf(write('blank.yaml', '\n   \n\t\n'))).toEqual([message]);
  });

  it('asks for UTF-8 when the file is UTF-16 (little- or big-endian BOM)', () => {
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(VALID, 'utf16le')]);
    const utf16be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(VALID, 'utf16le').swap16()]);
    expect(diagnosticsOf(write('utf16le.yaml', utf16le))).toEqual(['1:1: error: file is UTF-16; save it as UTF-8']);
    expect(diagnosticsOf(write('utf16be.yaml', utf16be))).toEqual(['1:1: error: file is UTF-16; save it as UTF-8']);
  });

  it('calls a file with a NUL byte binary and points at the byte', () => {
    const file = write('nul.yaml', 'name: generated\ntasks:\n  - task_key: train\0\n    command: [python3, train.py]\n');
    expect(diagnosticsOf(file)).toEqual(['3:20: error: binary file (a NUL byte at offset 42); a pipeline is YAML text']);
  });

  it('points at the first byte that is not UTF-8 in a Latin-1 file', () => {
    const latin1 = Buffer.from('name: generated\ndescription: café model\ntasks:\n  - task_key: train\n    command: [python3, train.py]\n', 'latin1');
    expect(diagnosticsOf(write('latin1.yaml', latin1))).toEqual([
      '2:17: error: file is not valid UTF-8 (byte 0xe9 at offset 32); save it as UTF-8',
    ]);
  });

  it('keeps line:col right after a UTF-8 BOM and with CRLF line ends', () => {
    const broken = 'name: generated\ntasks:\n  - task_key: train\n    comand: [python3, train.py]\n';
    const message = "4:5: error: unknown key 'comand' in task 'train'; did you mean 'command'?";
    expect(diagnosticsOf(write('bom.yaml', `\uFEFF${broken}`))).toEqual([message]);
    expect(diagnosticsOf(write('crlf.yaml', broken.replaceAll('\n', '\r\n')))).toEqual([message]);
  });
});

describe('sluice validate on two broken fixtures at once', () => {
  const a = relative(ROOT, join(FIXTURES, 'unknown-dependency.yaml'));
  const b = relative(ROOT, join(FIXTURES, 'duplicate-task-key.yaml'));
  const run = (...args: string[]) => runSluice(['validate', ...args], ROOT);

  it('prints file:line:col, the source line and a caret for each file, and exits 1', () => {
    const { code, stdout, stderr } = run(a, b);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toBe([
      `${a}:7:18: error: task 'train' depends on unknown task 'prepar'; did you mean 'prepare'?`,
      ' 7 |     depends_on: [prepar]',
      '   |                  ^~~~~~',
      `${b}:9:15: error: duplicate task_key 'train' (first defined on line 4); task keys must be unique`,
      ' 9 |   - task_key: train',
      '   |               ^~~~~',
      '2 errors in 2 files',
      '',
    ].join('\n'));
  });

  it('prints GitHub Actions annotations with --format github', () => {
    const { code, stdout } = run('--format', 'github', a, b);
    expect(code).toBe(1);
    expect(stdout.split('\n')).toEqual([
      `::error file=${a},line=7,col=18,endColumn=24::task 'train' depends on unknown task 'prepar'; did you mean 'prepare'?`,
      `::error file=${b},line=9,col=15,endColumn=20::duplicate task_key 'train' (first defined on line 4); task keys must be unique`,
      '',
    ]);
  });

  it('prints parseable JSON with valid: false with --json', () => {
    const { code, stdout } = run('--json', a, b);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as {
      valid: boolean; errors: number; warnings: number;
      files: { file: string; valid: boolean; diagnostics: Diagnostic[] }[];
    };
    expect(report).toMatchObject({ valid: false, errors: 2, warnings: 0 });
    expect(report.files.map((f) => [f.file, f.valid, show(f.diagnostics)])).toEqual([
      [a, false, expectedLines(join(FIXTURES, 'unknown-dependency.expected'))],
      [b, false, expectedLines(join(FIXTURES, 'duplicate-task-key.expected'))],
    ]);
  });
});
