import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../engine/template/parse.js';
import { classifyReference } from '../engine/template/reference-grammar.js';
import { formatTimeArgument, renderTemplate } from '../engine/template/render.js';

describe('template syntax', () => {
  it('splits text and references, keeping offsets for error positions', () => {
    const parsed = parseTemplate('run {{ job.run_id }} of {{job.name}}');
    expect(parsed.errors).toEqual([]);
    expect(parsed.references.map((r) => [r.path.join('.'), r.offset, r.length])).toEqual([
      ['job.run_id', 4, 16],
      ['job.name', 24, 12],
    ]);
  });

  it('reads \\{{ as a literal {{ so Go and Jinja templates pass through', () => {
    const parsed = parseTemplate("docker inspect --format '\\{{.Id}}'");
    expect(parsed.errors).toEqual([]);
    expect(parsed.parts).toEqual(["docker inspect --format '{{.Id}}'"]);
  });

  it('rejects an unclosed or malformed reference instead of passing it through', () => {
    expect(parseTemplate('a {{job.name').errors[0]?.message).toMatch(/not closed/);
    expect(parseTemplate('a {{.Id}}').errors[0]?.message).toMatch(/malformed reference \{\{\.Id\}\}/);
    expect(parseTemplate('{{ }}').errors).toHaveLength(1);
  });
});

describe('reference grammar', () => {
  it('classifies every documented namespace', () => {
    expect(classifyReference(['job', 'parameters', 'x'])).toEqual({ kind: 'parameter', name: 'x' });
    expect(classifyReference(['job', 'trigger', 'time', 'iso_date'])).toEqual({ kind: 'time', which: 'trigger_time', argument: 'iso_date' });
    expect(classifyReference(['job', 'start_time', 'is_weekday'])).toEqual({ kind: 'time', which: 'start_time', argument: 'is_weekday' });
    expect(classifyReference(['job', 'trigger', 'type'])).toEqual({ kind: 'job', field: 'trigger_type' });
    expect(classifyReference(['tasks', 'train', 'values', 'auc'])).toEqual({ kind: 'task-value', task: 'train', name: 'auc' });
    expect(classifyReference(['tasks', 'train', 'result_state'])).toEqual({ kind: 'task-state', task: 'train' });
    expect(classifyReference(['input', 'lr'])).toEqual({ kind: 'input', field: ['lr'] });
    expect(classifyReference(['env', 'HOME'])).toEqual({ kind: 'env', name: 'HOME' });
  });

  it('suggests the closest name for a misspelled part', () => {
    expect(classifyReference(['job', 'paramters', 'x'])).toMatchObject({ message: expect.stringContaining("did you mean 'parameters'?") });
    expect(classifyReference(['task', 'a', 'values', 'x'])).toMatchObject({ message: expect.stringContaining("did you mean 'tasks'?") });
    expect(classifyReference(['job', 'start_time', 'isodate'])).toMatchObject({ message: expect.stringContaining("did you mean 'iso_date'?") });
    expect(classifyReference(['tasks', 'a'])).toMatchObject({ kind: 'invalid', message: expect.stringContaining('incomplete reference') });
  });
});

describe('rendering', () => {
  const resolve = (values: Record<string, string>) => (ref: { path: string[] }) => values[ref.path.join('.')] ?? '';

  it('substitutes references verbatim for argv', () => {
    expect(renderTemplate('--date={{job.parameters.d}}', resolve({ 'job.parameters.d': '2026-11-23' }))).toBe('--date=2026-11-23');
  });

  it('formats time arguments in the pipeline time zone', () => {
    const t = new Date('2026-03-29T00:30:00Z'); // a Sunday; Berlin switches to summer time that night
    expect(formatTimeArgument(t, 'iso_date', 'UTC')).toBe('2026-03-29');
    expect(formatTimeArgument(t, 'iso_datetime', 'Europe/Berlin')).toBe('2026-03-29T01:30:00+01:00');
    expect(formatTimeArgument(t, 'iso_datetime', 'UTC')).toBe('2026-03-29T00:30:00Z');
    expect(formatTimeArgument(t, 'iso_weekday', 'UTC')).toBe('7');
    expect(formatTimeArgument(t, 'is_weekday', 'UTC')).toBe('false');
    expect(formatTimeArgument(t, 'timestamp_ms')).toBe(String(t.getTime()));
    expect(formatTimeArgument(new Date('2026-11-23T23:30:00Z'), 'iso_date', 'Asia/Tokyo')).toBe('2026-11-24');
  });
});
