// The rules the executor applies, checked one by one: run_if, retry timing,
// values files, conditions, parameters and the repair selection.
import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../engine/execute/condition.js';
import { parseParameterArguments, resolveParameters } from '../engine/execute/parameters.js';
import { selectRepairTasks } from '../engine/execute/repair-selection.js';
import { retryDelayMillis, shouldRetry } from '../engine/execute/retry-policy.js';
import { decideRunIf, type FinishedDependency } from '../engine/execute/run-if.js';
import { parseTaskValues } from '../engine/execute/task-values.js';
import type { ExecutionSettings, Pipeline, TaskSpec } from '../engine/spec/model.js';
import type { TaskRunRow } from '../engine/state/run-store.js';
import type { TerminalTaskState } from '../engine/state/states.js';

const deps = (...states: TerminalTaskState[]): FinishedDependency[] => states.map((state, i) => ({ taskKey: `d${i}`, state }));

describe('run_if (Databricks semantics)', () => {
  it.each([
    ['all_success', ['SUCCESS', 'SUCCESS'], 'run'],
    ['all_success', ['SUCCESS', 'FAILED'], 'UPSTREAM_FAILED'],
    ['all_success', ['SUCCESS', 'CANCELED'], 'UPSTREAM_CANCELED'],
    ['all_success', ['SUCCESS', 'EXCLUDED'], 'run'],
    ['all_success', ['SUCCESS', 'DISABLED'], 'SKIPPED'],
    ['all_success', ['UPSTREAM_FAILED'], 'UPSTREAM_FAILED'],
    ['at_least_one_success', ['FAILED', 'SUCCESS'], 'run'],
    ['at_least_one_success', ['FAILED', 'TIMEDOUT'], 'UPSTREAM_FAILED'],
    ['none_failed', ['SUCCESS', 'DISABLED'], 'run'],
    ['none_failed', ['DISABLED', 'SKIPPED'], 'SKIPPED'],
    ['none_failed', ['SUCCESS', 'FAILED'], 'UPSTREAM_FAILED'],
    ['all_done', ['FAILED', 'CANCELED', 'DISABLED'], 'run'],
    ['at_least_one_failed', ['SUCCESS', 'FAILED'], 'run'],
    ['at_least_one_failed', ['SUCCESS', 'CANCELED'], 'run'],
    ['at_least_one_failed', ['SUCCESS', 'SUCCESS'], 'EXCLUDED'],
    ['at_least_one_failed', ['DISABLED'], 'EXCLUDED'],
    ['all_failed', ['FAILED', 'TIMEDOUT'], 'run'],
    ['all_failed', ['FAILED', 'SUCCESS'], 'EXCLUDED'],
    ['all_done', ['EXCLUDED', 'EXCLUDED'], 'EXCLUDED'],
  ] as const)('%s with %j → %s', (runIf, states, expected) => {
    const decision = decideRunIf(runIf, deps(...states));
    expect(decision.run ? 'run' : decision.state).toBe(expected);
  });

  it('excludes a task on the branch a condition did not take, whatever its run_if', () => {
    const decision = decideRunIf('all_done', [{ taskKey: 'gate', state: 'SUCCESS', outcomeMismatch: true }]);
    expect(decision).toMatchObject({ run: false, state: 'EXCLUDED' });
    expect(!decision.run && decision.message).toContain("condition 'gate'");
  });

  it('names the dependencies when run_if is not met', () => {
    const decision = decideRunIf('all_success', deps('SUCCESS', 'FAILED'));
    expect(!decision.run && decision.message).toBe('run_if all_success not met (d0 SUCCESS, d1 FAILED)');
  });
});

const settings = (overrides: Partial<ExecutionSettings>): ExecutionSettings => ({
  maxRetries: 0, minRetryIntervalMillis: 0, retryBackoff: 1, retryJitter: false, retryOnTimeout: false,
  timeoutSeconds: 0, env: {}, ...overrides,
});

describe('retry policy', () => {
  it('waits min_retry_interval_millis × backoff^(n-1), capped by max_retry_interval_millis', () => {
    const s = settings({ maxRetries: 6, minRetryIntervalMillis: 1000, retryBackoff: 2, maxRetryIntervalMillis: 10_000 });
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMillis(s, n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('with jitter waits between half and all of the delay', () => {
    const s = settings({ minRetryIntervalMillis: 1000, retryJitter: true });
    expect(retryDelayMillis(s, 1, () => 0)).toBe(500);
    expect(retryDelayMillis(s, 1, () => 0.999)).toBe(1000);
  });

  it('never overflows a timer, even with huge backoff and no cap', () => {
    const s = settings({ minRetryIntervalMillis: 1000, retryBackoff: 10 });
    expect(retryDelayMillis(s, 400)).toBe(2 ** 31 - 1);
  });

  it('counts retries, honours -1 (unlimited), retry_on_timeout and retry_on_exit_codes', () => {
    expect(shouldRetry(settings({ maxRetries: 2 }), 2, { kind: 'failed', exitCode: 1 })).toBe(true);
    expect(shouldRetry(settings({ maxRetries: 2 }), 3, { kind: 'failed', exitCode: 1 })).toBe(false);
    expect(shouldRetry(settings({ maxRetries: -1 }), 1000, { kind: 'failed', exitCode: 1 })).toBe(true);
    expect(shouldRetry(settings({ maxRetries: 3 }), 1, { kind: 'timedout' })).toBe(false);
    expect(shouldRetry(settings({ maxRetries: 3, retryOnTimeout: true }), 1, { kind: 'timedout' })).toBe(true);
    expect(shouldRetry(settings({ maxRetries: 3, retryOnExitCodes: [75] }), 1, { kind: 'failed', exitCode: 75 })).toBe(true);
    expect(shouldRetry(settings({ maxRetries: 3, retryOnExitCodes: [75] }), 1, { kind: 'failed', exitCode: 1 })).toBe(false);
    expect(shouldRetry(settings({ maxRetries: 0 }), 1, { kind: 'lost' })).toBe(true);
  });
});

describe('values written to $SLUICE_OUTPUT', () => {
  it('reads name=value lines; later lines win; # comments and blank lines are skipped', () => {
    expect(parseTaskValues('a=1\n# note\n\nb=x=y\na=2\n')).toEqual({ a: '2', b: 'x=y' });
  });

  it('reads one JSON object, keeping the JSON spelling of non-strings', () => {
    expect(parseTaskValues('{"auc": 0.91, "ok": true, "name": "m", "list": [1, 2]}'))
      .toEqual({ auc: '0.91', ok: 'true', name: 'm', list: '[1,2]' });
  });

  it.each([
    ['not a pair', 'line 1 is not name=value'],
    ['bad name!=1', 'is not a value name'],
    ['{"a": 1', 'is not one JSON object'],
    ['{"a b": 1}', 'is not a value name'],
  ])('rejects %j', (text, message) => {
    expect(() => parseTaskValues(text)).toThrow(message);
  });
});

describe('condition', () => {
  it.each([
    ['10', 'GREATER_THAN', '9', true],
    ['1.0', 'EQUAL_TO', '1', true],
    ['abc', 'LESS_THAN', 'abd', true],
    ['10', 'GREATER_THAN', 'abc', false],
    ['true', 'EQUAL_TO', 'true', true],
    ['0.91', 'GREATER_THAN_OR_EQUAL', '0.8', true],
    ['-2', 'LESS_THAN_OR_EQUAL', '-3', false],
    ['1e3', 'EQUAL_TO', '1000', true],
    ['a', 'NOT_EQUAL', 'b', true],
  ] as const)('%s %s %s is %s', (left, op, right, expected) => {
    expect(evaluateCondition(left, op, right)).toBe(expected);
  });
});

const pipeline = (tasks: [string, string[]][], parameters: Pipeline['parameters'] = []): Pipeline => ({
  name: 'p', file: '/p.yaml', baseDir: '/', sourceHash: '', parameters, maxConcurrentRuns: 1, queue: true, timeoutSeconds: 0,
  tasks: tasks.map(([key, dependsOn]): TaskSpec => ({
    key, dependsOn: dependsOn.map((taskKey) => ({ taskKey })), runIf: 'all_success', disabled: false,
    body: { type: 'command', argv: ['true'] }, ...settings({}),
  })),
});

describe('parameters', () => {
  const p = pipeline([], [
    { name: 'epochs', type: 'integer', default: 10 }, { name: 'lr', type: 'number' }, { name: 'fast', type: 'boolean', default: false },
  ]);

  it('applies defaults and given values, as text', () => {
    expect(resolveParameters(p, { lr: '0.1' })).toEqual({ epochs: '10', lr: '0.1', fast: 'false' });
  });

  it.each([
    [{ lr: 'fast' }, "parameter 'lr' must be a number"],
    [{ lr: '1', epochs: '1.5' }, "parameter 'epochs' must be an integer"],
    [{ lr: '1', fast: 'yes' }, "parameter 'fast' must be true or false"],
    [{}, 'needs --param lr=… (no default)'],
    [{ lr: '1', epoch: '3' }, "has no parameter 'epoch'; did you mean 'epochs'?"],
  ])('rejects %j', (given, message) => {
    expect(() => resolveParameters(p, given)).toThrow(message);
  });

  it('splits --param at the first =', () => {
    expect(parseParameterArguments(['query=a=b', 'x='])).toEqual({ query: 'a=b', x: '' });
    expect(() => parseParameterArguments(['novalue'])).toThrow('is not name=value');
  });
});

describe('repair selection', () => {
  // a → b → c → d, and a → e
  const p = pipeline([['a', []], ['b', ['a']], ['c', ['b']], ['d', ['c']], ['e', ['a']]]);
  const rows = (states: Record<string, string>) => Object.entries(states).map(([task_key, state]) => ({ task_key, state, parent_task_key: null }) as TaskRunRow);

  it('reruns failed, canceled and skipped tasks and everything after them', () => {
    expect(selectRepairTasks(p, rows({ a: 'SUCCESS', b: 'FAILED', c: 'UPSTREAM_FAILED', d: 'UPSTREAM_FAILED', e: 'SUCCESS' }))).toEqual(['b', 'c', 'd']);
  });

  it('takes a selection: plain, +upstream, downstream+', () => {
    const all = rows({ a: 'SUCCESS', b: 'SUCCESS', c: 'SUCCESS', d: 'SUCCESS', e: 'SUCCESS' });
    expect(selectRepairTasks(p, all, 'c')).toEqual(['c']);
    expect(selectRepairTasks(p, all, '+c')).toEqual(['a', 'b', 'c']);
    expect(selectRepairTasks(p, all, 'b+')).toEqual(['b', 'c', 'd']);
    expect(selectRepairTasks(p, all, 'e, c+')).toEqual(['c', 'd', 'e']);
  });

  it('rejects unknown tasks with a suggestion', () => {
    expect(() => selectRepairTasks(p, [], 'cc')).toThrow("--only names unknown task 'cc'");
  });
});
