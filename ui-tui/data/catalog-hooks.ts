// The data hooks of the schedules and models views.
import { useMemo } from 'react';
import type { DriftVerdict, ModelSummary } from '../../engine/state/run-queries.js';
import type { RunRow } from '../../engine/state/run-store.js';
import { shownState } from '../../cli/run-format.js';
import { cronSchedule, nextFireTimes } from '../../engine/schedule/cron-schedule.js';
import type { PipelineEntry } from '../services.js';
import { useRead, useServices, type Read } from './live.js';

export interface ScheduleItem {
  entry: PipelineEntry;
  next?: Date;
  /** `sluice pause/unpause` when used, else the YAML's `paused`. */
  paused: boolean;
  /** Its newest scheduled run, else its newest run of any trigger. */
  last?: { run: RunRow; state: string };
}

/**
 * The pipelines folder's pipelines, scheduled ones first. The folder is read
 * once per `reload` (files change rarely and parsing them is not free); runs
 * and next fire times follow the database and the clock.
 */
export function useSchedules(reload: number, now: number): Read<ScheduleItem[]> {
  const services = useServices();
  const entries = useMemo(() => {
    try {
      return { data: services.pipelines() };
    } catch (error) {
      return { error: `cannot read the pipelines folder: ${(error as Error).message}` };
    }
  }, [services, reload]);
  const minute = Math.floor(now / 60_000);
  const runs = useRead(({ queries, runnerStatus }) => {
    const pauses = queries.schedulePauses();
    return (entries.data ?? []).map((entry) => {
      const run = queries.latestRun(entry.name, 'schedule') ?? queries.latestRun(entry.name);
      return {
        last: run ? { run, state: shownState(run, runnerStatus(run)) } : undefined,
        paused: pauses.get(entry.name) ?? entry.schedule?.paused ?? false,
      };
    });
  }, [entries]);
  // Next fire times move on as time passes: recomputed every minute, with the
  // scheduler's own reading of cron and time zones.
  const next = useMemo(() => (entries.data ?? []).map((entry) => (entry.schedule
    ? nextFireTimes(cronSchedule(entry.schedule.cron, entry.schedule.timezone), new Date(), 1)[0]
    : undefined)), [entries, minute]);
  if (entries.error) return { error: entries.error };
  if (runs.error) return { error: runs.error };
  const items = (entries.data ?? []).map((entry, i) => ({
    entry, next: next[i], last: runs.data?.[i]?.last, paused: runs.data?.[i]?.paused ?? entry.schedule?.paused ?? false,
  }));
  items.sort((a, b) => Number(!a.entry.schedule) - Number(!b.entry.schedule) || a.entry.name.localeCompare(b.entry.name));
  return { data: items };
}

export interface ModelsData {
  /** False until the model registry exists in this database. */
  registry: boolean;
  models: ModelSummary[];
  /** By model name. */
  drift: Map<string, DriftVerdict>;
}

/** The registered models, their versions and aliases, and each one's last drift verdict. */
export function useModels(): Read<ModelsData> {
  return useRead(({ queries }) => {
    const models = queries.registeredModels();
    if (!models) return { registry: false, models: [], drift: new Map() };
    return { registry: true, models, drift: queries.lastDriftVerdicts() };
  }, []);
}
