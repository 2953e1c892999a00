// The UI's one poller. Every `pollMs` it asks SQLite whether another process
// committed (PRAGMA data_version, next to free) and bumps `version` when so;
// data hooks recompute only then. `now` moves once a second, for the
// durations of what is still running. A locked or unreadable database
// becomes a `problem` to show, and the next poll tries again.
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { isLockedError } from '../../engine/state/run-queries.js';
import type { UiServices } from '../services.js';

export interface Live {
  version: number;
  now: number;
  problem?: string;
}

const LiveContext = createContext<Live>({ version: 0, now: 0 });
const ServicesContext = createContext<UiServices | undefined>(undefined);

export function LiveData({ services, children }: { services: UiServices; children: ReactNode }) {
  const [live, setLive] = useState<Live>(() => ({ version: 0, now: wholeSecond(services.now()) }));
  // Taken before the views first read, so that a commit between that read and the first poll counts as a change.
  const firstSeen = useRef<number | undefined>(undefined);
  if (firstSeen.current === undefined) firstSeen.current = versionOrUndefined(services);
  useEffect(() => {
    let seen = firstSeen.current;
    const poll = () => {
      let changed = false;
      let problem: string | undefined;
      try {
        const version = services.queries.dataVersion();
        changed = seen !== undefined && version !== seen;
        seen = version;
      } catch (error) {
        problem = describeReadError(error);
      }
      const now = wholeSecond(services.now());
      setLive((prev) => {
        // A problem that went away counts as a change: whatever failed to read is read again.
        const bump = changed || (prev.problem !== undefined && problem === undefined);
        if (!bump && prev.now === now && prev.problem === problem) return prev;
        return { version: prev.version + (bump ? 1 : 0), now, problem };
      });
    };
    const timer = setInterval(poll, services.pollMs);
    return () => clearInterval(timer);
  }, [services]);
  return (
    <ServicesContext.Provider value={services}>
      <LiveContext.Provider value={live}>{children}</LiveContext.Provider>
    </ServicesContext.Provider>
  );
}

export function useLive(): Live {
  return useContext(LiveContext);
}

export function useServices(): UiServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <LiveData>');
  return services;
}

export interface Read<T> {
  data?: T;
  error?: string;
}

/** Runs a synchronous read of the database again whenever it changed or `deps` did. */
export function useRead<T>(read: (services: UiServices) => T, deps: readonly unknown[]): Read<T> {
  const services = useServices();
  const { version } = useLive();
  // `read` is a new closure on every render; `deps` name what it reads.
  return useMemo(() => {
    try {
      return { data: read(services) };
    } catch (error) {
      return { error: describeReadError(error) };
    }
  }, [services, version, ...deps]);
}

export function describeReadError(error: unknown): string {
  if (isLockedError(error)) return 'the state database is locked by another process; retrying…';
  return `cannot read the state database: ${(error as Error).message ?? String(error)}`;
}

function versionOrUndefined(services: UiServices): number | undefined {
  try {
    return services.queries.dataVersion();
  } catch {
    return undefined;
  }
}

function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
