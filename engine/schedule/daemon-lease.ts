// A daemon's lease on its runs: a row with its process and a heartbeat. Any
// number of daemons may serve one state database (each fire is still one
// run); when one dies, another ends its lease, once, and goes on with the
// runs it was driving, as `sluice resume` would.
import { randomUUID } from 'node:crypto';
import { isProcessAlive, processStartTime } from '../execute/process-control.js';
import type { RunRow } from '../state/run-store.js';
import type { DaemonRow, ScheduleStore } from '../state/schedule-store.js';

/** How often a daemon renews its lease, and after how long without renewal another one looks closer. */
export const HEARTBEAT_MILLIS = 2000;
export const STALE_AFTER_MILLIS = 10_000;

export interface TakenOver {
  daemon: DaemonRow;
  runs: RunRow[];
}

export class DaemonLease {
  readonly id = randomUUID();
  private readonly warned = new Set<string>();

  constructor(private readonly store: ScheduleStore, private readonly now: () => number = Date.now) {}

  acquire(pipelinesDir: string): void {
    this.store.registerDaemon({ id: this.id, pid: process.pid, processStarted: processStartTime(process.pid), pipelinesDir, nowMs: this.now() });
  }

  /** False when another daemon ended this lease (it believed this one dead): stop at once. */
  renew(): boolean {
    return this.store.heartbeat(this.id, this.now());
  }

  release(reason: string): void {
    this.store.endDaemon(this.id, reason, this.now());
  }

  /**
   * Ends the leases of daemons whose process is gone and returns their
   * unfinished runs, for this daemon to resume. A daemon that is alive but
   * has not renewed its lease is only reported: its runs are still its own
   * while it lives, and resuming them would run their tasks twice.
   */
  takeOverDead(log: (line: string) => void): TakenOver[] {
    const taken: TakenOver[] = [];
    for (const daemon of this.store.liveDaemons()) {
      if (daemon.id === this.id) continue;
      const alive = isProcessAlive(daemon.pid, daemon.process_started);
      if (alive) {
        const silentFor = this.now() - daemon.heartbeat_ms;
        if (silentFor > STALE_AFTER_MILLIS && !this.warned.has(daemon.id)) {
          this.warned.add(daemon.id);
          log(`daemon ${daemon.pid} has not renewed its lease for ${Math.round(silentFor / 1000)} s; its runs stay with it while its process lives`);
        }
        continue;
      }
      // Only one daemon wins this update; the others leave the runs alone.
      if (!this.store.endDaemon(daemon.id, `its process died; taken over by daemon ${process.pid}`, this.now())) continue;
      taken.push({ daemon, runs: this.store.runsDrivenBy(daemon.pid, daemon.process_started) });
    }
    return taken;
  }
}
