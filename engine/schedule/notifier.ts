// Delivers notification events: an HTTP POST of the event as JSON to each
// webhook, retried with exponential backoff and jitter on network errors,
// 429 and 5xx; and commands, started through the task launcher with the event
// in $SLUICE_EVENT. Delivery never throws: a failed notification is logged,
// it never fails or blocks a run.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskLauncher } from '../execute/launcher.js';
import type { NotificationEvent, NotificationTarget } from '../spec/model.js';

export interface NotificationPayload {
  event: NotificationEvent;
  pipeline: string;
  run_id: number;
  /** Set when the event is about one task of the run. */
  task_key?: string;
  state?: string;
  message?: string;
  trigger_type?: string;
  duration_seconds?: number;
  threshold_seconds?: number;
  time: string;
}

export interface NotifierOptions {
  launcher: TaskLauncher;
  /** Folder for the output of notification commands. */
  logDir: string;
  log: (line: string) => void;
  /** Attempts per webhook (default 4) and the first wait between them (default 1 s), doubling after each. */
  webhookAttempts?: number;
  firstRetryMillis?: number;
  requestTimeoutMillis?: number;
  commandTimeoutMillis?: number;
  killGraceMillis?: number;
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();
  private counter = 0;

  constructor(private readonly options: NotifierOptions) {}

  send(targets: readonly NotificationTarget[], payload: NotificationPayload, cwd: string): void {
    for (const target of targets) {
      const delivery = target.kind === 'webhook' ? this.post(target.url, payload) : this.runCommand(target.argv, payload, cwd);
      this.pending.add(delivery);
      void delivery.finally(() => this.pending.delete(delivery));
    }
  }

  /** Waits for deliveries in flight (at shutdown), at most `timeoutMillis`. */
  async drain(timeoutMillis: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMillis); });
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
  }

  private async post(url: string, payload: NotificationPayload): Promise<void> {
    const attempts = this.options.webhookAttempts ?? 4;
    const body = JSON.stringify(payload);
    let wait = this.options.firstRetryMillis ?? 1000;
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        const response = await fetch(url, {
          method: 'POST', body, headers: { 'content-type': 'application/json', 'user-agent': 'sluice' },
          signal: AbortSignal.timeout(this.options.requestTimeoutMillis ?? 10_000),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        problem = `HTTP ${response.status}`;
        if (response.status !== 429 && response.status < 500) {
          this.options.log(`webhook ${url} refused the ${payload.event} event of run ${payload.run_id}: ${problem}; not retried`);
          return;
        }
      } catch (error) {
        problem = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
      }
      if (attempt >= attempts) {
        this.options.log(`webhook ${url} failed for the ${payload.event} event of run ${payload.run_id} after ${attempts} attempts: ${problem}`);
        return;
      }
      // Full jitter between half and all of the wait, so that many daemons do not retry in step.
      await new Promise((resolve) => setTimeout(resolve, wait / 2 + Math.random() * (wait / 2)));
      wait *= 2;
    }
  }

  private async runCommand(argv: readonly string[], payload: NotificationPayload, cwd: string): Promise<void> {
    mkdirSync(this.options.logDir, { recursive: true });
    const name = `${Date.now()}-${process.pid}-${++this.counter}-run-${payload.run_id}-${payload.event}`;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    env.SLUICE_EVENT = JSON.stringify(payload);
    const launched = this.options.launcher.launch({
      argv, cwd, env, stdoutPath: join(this.options.logDir, `${name}.stdout.log`), stderrPath: join(this.options.logDir, `${name}.stderr.log`),
    });
    const timer = setTimeout(() => launched.terminate(this.options.killGraceMillis ?? 5000), this.options.commandTimeoutMillis ?? 60_000);
    const exit = await launched.exit;
    clearTimeout(timer);
    if (exit.startError || exit.exitCode !== 0) {
      const why = exit.startError ?? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`);
      this.options.log(`notification command ${argv[0]} failed for the ${payload.event} event of run ${payload.run_id}: ${why} (output in ${this.options.logDir}/${name}.*.log)`);
    }
  }
}
