// The run's process slots (--concurrency), shared with the child runs that
// run_pipeline tasks start, so that a child never multiplies the limit.
// Requests are served first come, first served.

export interface SlotRequest {
  /** Withdraws a request that has not been served yet. */
  cancel(): void;
}

export class SlotPool {
  private free: number;
  private readonly waiting: { grant: () => void; canceled: boolean }[] = [];
  private head = 0;

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Calls `grant` once a slot is free; the holder must call release() once. */
  request(grant: () => void): SlotRequest {
    const entry = { grant, canceled: false };
    if (this.free > 0 && this.head === this.waiting.length) {
      this.free--;
      grant();
    } else {
      this.waiting.push(entry);
    }
    return { cancel: () => { entry.canceled = true; } };
  }

  release(): void {
    while (this.head < this.waiting.length) {
      const next = this.waiting[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      if (!next.canceled) {
        next.grant();
        return;
      }
    }
    this.free++;
  }
}
