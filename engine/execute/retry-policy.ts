// When a failed attempt is tried again, and after how long.
import type { ExecutionSettings } from '../spec/model.js';

export type FailureKind = 'failed' | 'timedout' | 'lost';

export interface AttemptFailure {
  kind: FailureKind;
  exitCode?: number | null;
}

/** `attemptsSoFar`: attempts of the task in this run (or repair), the failed one included. */
export function shouldRetry(settings: ExecutionSettings, attemptsSoFar: number, failure: AttemptFailure): boolean {
  // The runner died, not the task: run it again whatever the retry settings.
  if (failure.kind === 'lost') return true;
  if (settings.maxRetries !== -1 && attemptsSoFar > settings.maxRetries) return false;
  if (failure.kind === 'timedout') return settings.retryOnTimeout;
  if (settings.retryOnExitCodes) {
    return failure.exitCode !== undefined && failure.exitCode !== null && settings.retryOnExitCodes.includes(failure.exitCode);
  }
  return true;
}

/** Milliseconds to wait before retry number `retry` (1 for the first retry). */
export function retryDelayMillis(settings: ExecutionSettings, retry: number, random: () => number = Math.random): number {
  let delay = settings.minRetryIntervalMillis * settings.retryBackoff ** (retry - 1);
  if (settings.maxRetryIntervalMillis !== undefined) delay = Math.min(delay, settings.maxRetryIntervalMillis);
  if (!Number.isFinite(delay)) delay = settings.maxRetryIntervalMillis ?? 2 ** 31 - 1;
  if (settings.retryJitter) delay = delay / 2 + random() * (delay / 2);
  // setTimeout cannot wait longer than about 24.8 days.
  return Math.min(Math.round(delay), 2 ** 31 - 1);
}
