// Drives one run to its end. Event-driven: when a task settles, its
// dependents' counters drop, and a task whose counter reaches zero is
// decided (run_if) at once; processes start when a slot frees. Every state
// change is committed to the state database before anything depends on it,
// so a run can be resumed from the database alone.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dependency, ExecutionSettings, Pipeline, TaskBody, TaskSpec } from '../spec/model.js';
import { iterationKey, type RunRow, type RunStore, type TaskRunRow } from '../state/run-store.js';
import { isTerminalTaskState, type RunState, type TaskState, type TerminalRunState, type TerminalTaskState } from '../state/states.js';
import { runCondition } from './condition.js';
import { fanInValues, renderLoopInputs } from './for-each.js';
import type { TaskLauncher } from './launcher.js';
import { startProcessAttempt, startsProcess, type AttemptContext, type BuiltinTaskCommand, type AttemptOutcome, type RunningAttempt } from './process-attempt.js';
import { renderWithScope, type ReferenceScope, type RunFacts } from './references.js';
import { retryDelayMillis, shouldRetry } from './retry-policy.js';
import { decideRunIf } from './run-if.js';
import { SlotPool, type SlotRequest } from './slot-pool.js';

export type RunEvent =
  | { kind: 'run-started'; runId: number; pipeline: string; parentRunId?: number; repairCount: number; resumed: boolean }
  | { kind: 'task'; runId: number; taskKey: string; state: TaskState; attempt?: number; message?: string; durationMs?: number; retryInMs?: number }
  | { kind: 'run-finished'; runId: number; pipeline: string; state: TerminalRunState; message?: string; durationMs: number };

/** Starts the child run of a run_pipeline task and drives it to its end. */
export type ChildRunStarter = (request: {
  parent: RunRow; taskKey: string; pipeline: string; parameters: Record<string, string>; existingChildRunId?: number;
  register: (child: RunExecutor) => void;
}) => Promise<{ runId: number; state: TerminalRunState; message?: string }>;

export interface ExecutorOptions {
  store: RunStore;
  launcher: TaskLauncher;
  slots: SlotPool;
  stateId: string;
  /** The state database, which built-in task processes read and write (datasets). */
  databaseFile: string;
  builtinCommand?: BuiltinTaskCommand;
  killGraceMillis: number;
  baseEnv?: NodeJS.ProcessEnv;
  onEvent?: (event: RunEvent) => void;
  startChildRun?: ChildRunStarter;
  /** The run was picked up again by `sluice resume` (for the event only). */
  resumed?: boolean;
}

interface Node {
  spec: TaskSpec;
  dependents: Node[];
  remaining: number;
  state: TaskState;
  /** Attempts so far, and where this run (or repair) started counting them. */
  attempts: number;
  roundFirstAttempt: number;
  retryAtMs: number | null;
}

interface Unit {
  key: string;
  settings: ExecutionSettings;
  body: TaskBody;
  scope: ReferenceScope;
  attempts: number;
  roundFirstAttempt: number;
  /** Called once, after the unit's final state is recorded. */
  onSettled: (state: TerminalTaskState, message: string | undefined) => void;
  slot?: SlotRequest;
  running?: RunningAttempt;
  retryTimer?: NodeJS.Timeout;
  hasSlot?: boolean;
}

interface Loop {
  node: Node;
  concurrency: number;
  inputs: unknown[];
  states: (TaskState | undefined)[];
  waiting: Unit[];
  active: number;
  open: number;
  filling?: boolean;
}

export class RunExecutor {
  private readonly nodes = new Map<string, Node>();
  private readonly values = new Map<string, Record<string, string>>();
  private readonly iterationRows = new Map<string, TaskRunRow[]>();
  private readonly units = new Set<Unit>();
  private readonly children = new Set<RunExecutor>();
  private readonly loops = new Set<Loop>();
  /** Task or iteration key → its latest child run (run_pipeline), to go on with it after a crash. */
  private readonly childRuns = new Map<string, number>();
  private readonly facts: RunFacts;
  private readonly attemptContext: AttemptContext;
  private unsettled = 0;
  private stopping: { state: 'CANCELED' | 'TIMEDOUT'; message: string } | undefined;
  private finish!: (state: TerminalRunState) => void;
  private runTimer: NodeJS.Timeout | undefined;

  constructor(private readonly pipeline: Pipeline, private run: RunRow, private readonly options: ExecutorOptions) {
    const baseEnv: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.baseEnv ?? process.env)) if (value !== undefined) baseEnv[name] = value;
    const parameters = JSON.parse(run.parameters_json) as Record<string, string>;
    for (const [name, value] of Object.entries(parameters)) baseEnv[`SLUICE_PARAM_${name.toUpperCase()}`] = value;
    baseEnv.SLUICE_STATE_DB = options.databaseFile;
    baseEnv.SLUICE_PIPELINE = pipeline.name;
    this.facts = {
      runId: run.id,
      pipelineName: pipeline.name,
      parameters,
      repairCount: run.repair_count,
      triggerType: run.trigger_type,
      startTime: new Date(run.start_ms ?? run.created_ms),
      triggerTime: new Date(run.trigger_time_ms),
      timeZone: pipeline.schedule?.timezone ?? 'UTC',
    };
    this.attemptContext = {
      store: options.store, launcher: options.launcher, runId: run.id, runDir: run.run_dir, baseDir: pipeline.baseDir,
      stateId: options.stateId, killGraceMillis: options.killGraceMillis, baseEnv, builtinCommand: options.builtinCommand,
    };
  }

  get runId(): number {
    return this.run.id;
  }

  /** Runs every task that is not settled yet; resolves with the run's final row. */
  async execute(): Promise<RunRow> {
    const { store } = this.options;
    const done = new Promise<TerminalRunState>((resolve) => { this.finish = resolve; });
    this.load();
    for (const folder of ['artifacts', 'logs']) mkdirSync(join(this.run.run_dir, folder), { recursive: true });
    this.emit({ kind: 'run-started', runId: this.run.id, pipeline: this.pipeline.name, parentRunId: this.run.parent_run_id ?? undefined,
      repairCount: this.run.repair_count, resumed: this.options.resumed ?? false });
    if (this.pipeline.timeoutSeconds > 0) {
      const deadline = (this.run.start_ms ?? this.run.created_ms) + this.pipeline.timeoutSeconds * 1000;
      this.runTimer = setTimeout(() => this.stop('TIMEDOUT', `the run timed out after ${this.pipeline.timeoutSeconds} s`),
        Math.max(0, deadline - Date.now()));
    }
    this.startReadyTasks();
    const state = await done;
    if (this.runTimer) clearTimeout(this.runTimer);
    const message = this.finalMessage(state);
    store.finishRun(this.run.id, state, message ?? null, Date.now());
    this.run = store.run(this.run.id)!;
    this.emit({ kind: 'run-finished', runId: this.run.id, pipeline: this.pipeline.name, state, message,
      durationMs: (this.run.end_ms ?? Date.now()) - (this.run.start_ms ?? this.run.created_ms) });
    return this.run;
  }

  /** Stops the run: running processes are terminated, nothing new starts. */
  stop(state: 'CANCELED' | 'TIMEDOUT', message: string): void {
    if (this.stopping) return;
    this.stopping = { state, message };
    for (const child of this.children) child.stop(state, message);
    for (const unit of [...this.units]) {
      if (unit.running) unit.running.cancel();
      else {
        unit.slot?.cancel();
        if (unit.retryTimer) clearTimeout(unit.retryTimer);
        this.settleUnit(unit, 'CANCELED', message);
      }
    }
    for (const loop of [...this.loops]) this.fillLoop(loop);
    for (const node of this.nodes.values()) {
      if (node.state === 'PENDING') this.settle(node, 'CANCELED', message);
    }
  }

  private load(): void {
    const { store } = this.options;
    const rows = new Map<string, TaskRunRow>();
    for (const row of store.taskRuns(this.run.id)) {
      if (row.child_run_id !== null) this.childRuns.set(row.task_key, row.child_run_id);
      if (row.parent_task_key === null) rows.set(row.task_key, row);
      else {
        const list = this.iterationRows.get(row.parent_task_key) ?? [];
        list.push(row);
        this.iterationRows.set(row.parent_task_key, list);
      }
    }
    for (const [key, values] of store.values(this.run.id)) this.values.set(key, values);
    for (const spec of this.pipeline.tasks) {
      const row = rows.get(spec.key);
      this.nodes.set(spec.key, {
        spec, dependents: [], remaining: 0, state: row?.state ?? 'PENDING', attempts: row?.attempt_count ?? 0,
        roundFirstAttempt: row?.round_first_attempt ?? 1, retryAtMs: row?.retry_at_ms ?? null,
      });
    }
    for (const node of this.nodes.values()) {
      if (!isTerminalTaskState(node.state)) this.unsettled++;
      for (const dependency of node.spec.dependsOn) {
        const upstream = this.nodes.get(dependency.taskKey)!;
        upstream.dependents.push(node);
        if (!isTerminalTaskState(upstream.state)) node.remaining++;
      }
    }
  }

  private startReadyTasks(): void {
    if (this.unsettled === 0) {
      this.finish(this.finalState());
      return;
    }
    const ready: Node[] = [];
    for (const node of this.nodes.values()) {
      if (!isTerminalTaskState(node.state) && node.remaining === 0) ready.push(node);
    }
    this.decide(ready);
  }

  /** Runs or settles each task whose dependencies have all settled; settling may make more ready. */
  private decide(ready: Node[]): void {
    while (ready.length > 0) {
      const node = ready.pop()!;
      const outcome = this.decideOne(node);
      if (outcome) ready.push(...this.settle(node, outcome.state, outcome.message, outcome.values, true));
    }
  }

  private decideOne(node: Node): { state: TerminalTaskState; message?: string; values?: Record<string, string> } | undefined {
    if (this.stopping) return { state: 'CANCELED', message: this.stopping.message };
    if (node.spec.disabled) return { state: 'DISABLED', message: 'disabled in the pipeline' };
    const decision = decideRunIf(node.spec.runIf, node.spec.dependsOn.map((dependency) => this.finished(dependency)));
    if (!decision.run) return { state: decision.state, message: decision.message };
    const body = node.spec.body;
    if (body.type === 'condition') return runCondition(body, this.scope());
    this.begin(node);
    return undefined;
  }

  private finished(dependency: Dependency) {
    const upstream = this.nodes.get(dependency.taskKey)!;
    const state = upstream.state as TerminalTaskState;
    const outcome = this.values.get(dependency.taskKey)?.outcome;
    const outcomeMismatch = dependency.outcome !== undefined && state === 'SUCCESS' && outcome !== dependency.outcome;
    return { taskKey: dependency.taskKey, state, outcomeMismatch };
  }

  /** Starts a task that needs more than a decision: a process, a loop, a child run. */
  private begin(node: Node): void {
    const { spec } = node;
    const body = spec.body;
    if (body.type === 'for_each') {
      this.beginLoop(node, body);
      return;
    }
    const unit: Unit = {
      key: spec.key, settings: spec, body, scope: this.scope(), attempts: node.attempts, roundFirstAttempt: node.roundFirstAttempt,
      onSettled: (state, message) => this.decide(this.settle(node, state, message, undefined, false)),
    };
    const retryIn = node.state === 'RETRY_WAIT' && node.retryAtMs !== null ? Math.max(0, node.retryAtMs - Date.now()) : 0;
    node.state = 'RUNNING';
    this.schedule(unit, retryIn);
  }

  private beginLoop(node: Node, body: Extract<TaskBody, { type: 'for_each' }>): void {
    const { store } = this.options;
    let inputs: unknown[];
    try {
      inputs = renderLoopInputs(body.inputs, this.scope());
    } catch (error) {
      queueMicrotask(() => this.decide(this.settle(node, 'FAILED', (error as Error).message)));
      return;
    }
    node.state = 'RUNNING';
    store.setTaskState(this.run.id, node.spec.key, 'RUNNING', Date.now(), { started: true });
    this.emit({ kind: 'task', runId: this.run.id, taskKey: node.spec.key, state: 'RUNNING', message: `${inputs.length} iterations` });
    let rows = this.iterationRows.get(node.spec.key) ?? [];
    if (rows.length !== inputs.length) {
      store.addIterations(this.run.id, node.spec.key, inputs.length);
      rows = store.taskRuns(this.run.id).filter((row) => row.parent_task_key === node.spec.key);
    }
    rows.sort((a, b) => a.iteration! - b.iteration!);
    // A repair whose upstream now yields fewer inputs leaves iterations that no longer exist.
    for (const stale of rows.slice(inputs.length)) {
      if (stale.state !== 'SKIPPED') store.setTaskState(this.run.id, stale.task_key, 'SKIPPED', Date.now(), { message: 'no longer among the inputs' });
    }
    rows = rows.slice(0, inputs.length);
    const loop: Loop = { node, concurrency: body.concurrency, inputs, states: rows.map((row) => row.state), waiting: [], active: 0, open: 0 };
    this.loops.add(loop);
    inputs.forEach((input, index) => {
      const row = rows[index]!;
      if (row.state === 'SUCCESS') return;
      loop.open++;
      loop.waiting.push({
        key: iterationKey(node.spec.key, index), settings: body.task, body: body.task.body, scope: this.scope(input),
        attempts: row.attempt_count, roundFirstAttempt: row.round_first_attempt,
        onSettled: (state) => {
          loop.states[index] = state;
          loop.active--;
          loop.open--;
          this.fillLoop(loop);
        },
      });
    });
    if (loop.open === 0) queueMicrotask(() => this.fillLoop(loop));
    else this.fillLoop(loop);
  }

  /** Starts iterations up to the loop's concurrency; once stopping, cancels those not started. */
  private fillLoop(loop: Loop): void {
    // Settling an iteration calls back here; the outer call does the work.
    if (loop.filling) return;
    loop.filling = true;
    while (loop.waiting.length > 0 && (this.stopping || loop.active < loop.concurrency)) {
      const unit = loop.waiting.shift()!;
      loop.active++;
      if (this.stopping) this.settleUnit(unit, 'CANCELED', this.stopping.message);
      else this.schedule(unit, 0);
    }
    loop.filling = false;
    if (loop.open === 0 && this.loops.delete(loop)) this.finishLoop(loop);
  }

  private finishLoop(loop: Loop): void {
    const key = loop.node.spec.key;
    const prefix = `${key}[`;
    const values = fanInValues(loop.inputs.map((_, index) => this.values.get(iterationKey(key, index)) ?? {}));
    const bad = loop.states.flatMap((state, index) => (state === 'SUCCESS' ? [] : [`${prefix}${index}] ${state}`]));
    let state: TerminalTaskState = 'SUCCESS';
    if (this.stopping) state = 'CANCELED';
    else if (bad.length > 0) state = 'FAILED';
    const message = bad.length > 0 ? `${bad.length} of ${loop.inputs.length} iterations did not succeed: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}` : undefined;
    this.decide(this.settle(loop.node, state, message, values));
  }

  /** Queues a unit for its next attempt, after `delayMs`. */
  private schedule(unit: Unit, delayMs: number): void {
    this.units.add(unit);
    const go = () => {
      unit.retryTimer = undefined;
      if (startsProcess(unit.body)) {
        unit.slot = this.options.slots.request(() => {
          unit.slot = undefined;
          unit.hasSlot = true;
          this.attempt(unit);
        });
      } else {
        this.attempt(unit);
      }
    };
    if (delayMs > 0) unit.retryTimer = setTimeout(go, delayMs);
    else go();
  }

  private attempt(unit: Unit): void {
    if (this.stopping) {
      this.release(unit);
      this.settleUnit(unit, 'CANCELED', this.stopping.message);
      return;
    }
    const number = unit.attempts + 1;
    unit.attempts = number;
    const body = unit.body;
    let running: RunningAttempt;
    if (startsProcess(body)) {
      running = startProcessAttempt(this.attemptContext, { key: unit.key, settings: unit.settings, body, scope: unit.scope }, number);
    } else if (body.type === 'condition') {
      const result = runCondition(body, unit.scope);
      this.options.store.startAttempt(this.run.id, unit.key, number, Date.now(), null);
      running = { attempt: number, cancel() {}, outcome: Promise.resolve({ state: result.state, exitCode: null, message: result.message, values: result.values ?? {}, retryable: false }) };
    } else if (body.type === 'run_pipeline') {
      running = this.startChild(unit, body, number);
    } else {
      running = { attempt: number, cancel() {}, outcome: Promise.resolve({ state: 'FAILED', exitCode: null, message: `task type '${body.type}' cannot run inside this task`, values: {}, retryable: false }) };
      this.options.store.startAttempt(this.run.id, unit.key, number, Date.now(), null);
    }
    unit.running = running;
    this.emit({ kind: 'task', runId: this.run.id, taskKey: unit.key, state: 'RUNNING', attempt: number });
    running.outcome.then((outcome) => this.attemptEnded(unit, number, outcome), (error: unknown) => {
      this.attemptEnded(unit, number, { state: 'FAILED', exitCode: null, message: `internal error: ${(error as Error).stack ?? String(error)}`, values: {}, retryable: false });
    });
  }

  private attemptEnded(unit: Unit, attempt: number, outcome: AttemptOutcome): void {
    unit.running = undefined;
    const { store } = this.options;
    const now = Date.now();
    const end = { state: outcome.state, endMs: now, exitCode: outcome.exitCode, signal: outcome.signal, error: outcome.message ?? null };
    const failure = outcome.state === 'TIMEDOUT' ? 'timedout' as const : 'failed' as const;
    const retry = !this.stopping && outcome.retryable && outcome.state !== 'SUCCESS' && outcome.state !== 'CANCELED' &&
      shouldRetry(unit.settings, attempt - unit.roundFirstAttempt + 1, { kind: failure, exitCode: outcome.exitCode });
    if (retry) {
      const delay = retryDelayMillis(unit.settings, attempt - unit.roundFirstAttempt + 1);
      store.finishAttempt(this.run.id, unit.key, attempt, end, { state: 'RETRY_WAIT', message: outcome.message, retryAtMs: now + delay });
      this.release(unit);
      this.emit({ kind: 'task', runId: this.run.id, taskKey: unit.key, state: 'RETRY_WAIT', attempt, message: outcome.message, retryInMs: delay });
      this.schedule(unit, delay);
      return;
    }
    this.units.delete(unit);
    const state: TerminalTaskState = outcome.state === 'CANCELED' ? 'CANCELED' : outcome.state;
    const message = outcome.state === 'CANCELED' ? this.stopping?.message ?? outcome.message : outcome.message;
    store.finishAttempt(this.run.id, unit.key, attempt, end, { state, message, values: outcome.values });
    // Only now: the next process must not start before this one's end is recorded.
    this.release(unit);
    if (Object.keys(outcome.values).length > 0) this.values.set(unit.key, { ...outcome.values });
    this.emit({ kind: 'task', runId: this.run.id, taskKey: unit.key, state, attempt, message });
    unit.onSettled(state, message);
  }

  /** Ends a unit that has no attempt to end (stopped while it waited for a slot or a retry). */
  private settleUnit(unit: Unit, state: TerminalTaskState, message: string): void {
    this.units.delete(unit);
    this.options.store.setTaskState(this.run.id, unit.key, state, Date.now(), { message });
    this.emit({ kind: 'task', runId: this.run.id, taskKey: unit.key, state, message });
    unit.onSettled(state, message);
  }

  private release(unit: Unit): void {
    if (unit.hasSlot) {
      unit.hasSlot = false;
      this.options.slots.release();
    }
  }

  private startChild(unit: Unit, body: Extract<TaskBody, { type: 'run_pipeline' }>, attempt: number): RunningAttempt {
    const { store, startChildRun } = this.options;
    store.startAttempt(this.run.id, unit.key, attempt, Date.now(), null);
    if (!startChildRun) {
      return { attempt, cancel() {}, outcome: Promise.resolve({ state: 'FAILED', exitCode: null, message: 'run_pipeline needs the pipeline folder', values: {}, retryable: false }) };
    }
    let parameters: Record<string, string>;
    try {
      parameters = Object.fromEntries(Object.entries(body.parameters).map(([name, value]) => [name, renderWithScope(value, unit.scope)]));
    } catch (error) {
      return { attempt, cancel() {}, outcome: Promise.resolve({ state: 'FAILED', exitCode: null, message: (error as Error).message, values: {}, retryable: false }) };
    }
    let child: RunExecutor | undefined;
    const outcome = startChildRun({
      parent: this.run, taskKey: unit.key, pipeline: body.pipeline, parameters, existingChildRunId: this.childRuns.get(unit.key),
      register: (executor) => {
        child = executor;
        this.children.add(executor);
        this.childRuns.set(unit.key, executor.runId);
        store.setChildRun(this.run.id, unit.key, executor.runId);
        if (this.stopping) executor.stop(this.stopping.state, this.stopping.message);
      },
    }).then((result): AttemptOutcome => {
      if (child) this.children.delete(child);
      const values = { run_id: String(result.runId), result_state: result.state };
      const ok = result.state === 'SUCCESS' || result.state === 'SUCCESS_WITH_FAILURES';
      return ok ? { state: 'SUCCESS', exitCode: null, values, retryable: false }
        : { state: result.state === 'CANCELED' ? 'CANCELED' : 'FAILED', exitCode: null, values,
          message: `child run ${result.runId} of '${body.pipeline}' ended ${result.state}${result.message ? `: ${result.message}` : ''}`, retryable: true };
    }, (error: unknown): AttemptOutcome => ({ state: 'FAILED', exitCode: null, message: (error as Error).message, values: {}, retryable: false }));
    return { attempt, outcome, cancel: () => child?.stop('CANCELED', this.stopping?.message ?? 'canceled') };
  }

  /**
   * Marks a task settled, recording the state unless its last attempt
   * already did, and returns the dependents that became ready.
   */
  private settle(node: Node, state: TerminalTaskState, message?: string, values?: Record<string, string>, record = true): Node[] {
    if (isTerminalTaskState(node.state)) return [];
    node.state = state;
    if (values && Object.keys(values).length > 0) this.values.set(node.spec.key, values);
    if (record) {
      this.options.store.setTaskState(this.run.id, node.spec.key, state, Date.now(), { message, values });
      this.emit({ kind: 'task', runId: this.run.id, taskKey: node.spec.key, state, message });
    }
    this.unsettled--;
    const ready: Node[] = [];
    for (const dependent of node.dependents) {
      dependent.remaining--;
      if (dependent.remaining === 0 && dependent.state === 'PENDING') ready.push(dependent);
    }
    if (this.unsettled === 0) queueMicrotask(() => this.finish(this.finalState()));
    return ready;
  }

  private finalState(): TerminalRunState {
    if (this.stopping) return this.stopping.state;
    const leaves = [...this.nodes.values()].filter((node) => node.dependents.length === 0);
    const failed = (state: TaskState) => state !== 'SUCCESS' && state !== 'EXCLUDED' && state !== 'DISABLED' && state !== 'SKIPPED';
    if (leaves.some((leaf) => failed(leaf.state))) return 'FAILED';
    if ([...this.nodes.values()].some((node) => failed(node.state))) return 'SUCCESS_WITH_FAILURES';
    return 'SUCCESS';
  }

  private finalMessage(state: RunState): string | undefined {
    if (this.stopping) return this.stopping.message;
    if (state === 'SUCCESS') return undefined;
    const failed = [...this.nodes.values()].filter((node) => node.state === 'FAILED' || node.state === 'TIMEDOUT').map((node) => node.spec.key);
    return failed.length > 0 ? `failed: ${failed.join(', ')}` : undefined;
  }

  private scope(input?: unknown): ReferenceScope {
    const scope: ReferenceScope = {
      run: this.facts,
      values: (key) => this.values.get(key),
      resultState: (key) => {
        const state = this.nodes.get(key)?.state;
        return state && isTerminalTaskState(state) ? state : undefined;
      },
      env: process.env,
    };
    if (arguments.length > 0) scope.input = input;
    return scope;
  }

  private emit(event: RunEvent): void {
    this.options.onEvent?.(event);
  }
}

