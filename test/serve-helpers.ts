// Helpers for tests of `sluice serve`: a folder of pipelines and a state
// database per test, daemons started as real processes, and read-only looks
// into the database while they run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { openStateReadonly, startSluice, tempFolder, waitFor, type Finished, type RunningSluice } from './run-helpers.js';

export interface ServeFixture {
  root: string;
  pipelines: string;
  stateFile: string;
  /** Writes (or rewrites) pipelines/<name>.yaml. */
  write(name: string, yaml: string): string;
  serve(...args: string[]): RunningSluice;
  /** Runs another sluice command against the same state and folder, to its end. */
  sluice(...args: string[]): Promise<Finished>;
  /** A query against the state database, opened read-only for it. */
  query<T>(sql: string, ...params: unknown[]): T[];
  waitFor<T>(what: string, check: () => T | undefined, timeoutMs?: number): Promise<T>;
}

export function serveFixture(prefix: string): ServeFixture {
  const root = tempFolder(prefix);
  const pipelines = join(root, 'pipelines');
  const stateFile = join(root, 'home', 'state.db');
  const fixture: ServeFixture = {
    root, pipelines, stateFile,
    write(name, yaml) {
      const file = join(pipelines, `${name}.yaml`);
      writeFileSync(file, yaml);
      return file;
    },
    serve: (...args) => startSluice(['serve', '--pipelines', pipelines, '--state', stateFile, ...args], root),
    sluice: (...args) => startSluice([...args, '--state', stateFile], root).exited,
    query<T>(sql: string, ...params: unknown[]): T[] {
      let db: BetterSqlite3.Database;
      try {
        db = openStateReadonly(stateFile);
      } catch {
        return [];
      }
      try {
        return db.prepare(sql).all(...params) as T[];
      } catch (error) {
        if (/no such table/.test((error as Error).message)) return [];
        throw error;
      } finally {
        db.close();
      }
    },
    waitFor: (what, check, timeoutMs = 30_000) => waitFor(what, check, timeoutMs),
  };
  mkdirSync(pipelines, { recursive: true });
  return fixture;
}

/** Stops a daemon with SIGTERM and waits for it to exit. */
export async function stopDaemon(daemon: RunningSluice): Promise<Finished> {
  daemon.child.kill('SIGTERM');
  return daemon.exited;
}

/** What the daemon has printed so far, stdout and stderr together. */
export function outputOf(daemon: RunningSluice): () => string {
  let text = '';
  daemon.child.stdout!.on('data', (chunk: Buffer | string) => { text += chunk.toString(); });
  daemon.child.stderr!.on('data', (chunk: Buffer | string) => { text += chunk.toString(); });
  return () => text;
}
