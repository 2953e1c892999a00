// The histograms of one fit, reused from tree to tree. With a helper thread
// they are slots of one shared block, so either thread can fill a node's
// histogram or search it for a split; slot 0 holds the second row halves of
// the node being summed. Past the block's capacity (huge max_leaf_nodes),
// histograms are private and the main thread handles them alone.

export interface Histogram {
  values: Float64Array;
  /** Index in the shared block, or -1 for a private histogram. */
  slot: number;
}

/** Shared slots at most: enough for the default 31 leaves with room to spare. */
const MAX_SHARED_SLOTS = 64;

export class HistogramPool {
  /** The shared block (empty without a helper thread). */
  readonly block: Float64Array;
  /** The second-half sums of the node being summed (slot 0). */
  readonly secondHalves: Float64Array;
  private readonly freeSlots: number[] = [];
  private readonly freePrivate: Float64Array[] = [];

  /** `leaves` bounds how many histograms a tree holds at once (leaves + 2). */
  constructor(readonly length: number, leaves: number, shared: boolean) {
    const slots = shared ? Math.min(MAX_SHARED_SLOTS, leaves + 3) : 0;
    this.block = shared ? new Float64Array(new SharedArrayBuffer(slots * length * 8)) : new Float64Array(0);
    this.secondHalves = shared ? slotView(this.block, length, 0) : new Float64Array(length);
    for (let slot = slots - 1; slot >= 1; slot--) this.freeSlots.push(slot);
  }

  take(): Histogram {
    const slot = this.freeSlots.pop();
    if (slot !== undefined) return { values: slotView(this.block, this.length, slot), slot };
    return { values: this.freePrivate.pop() ?? new Float64Array(this.length), slot: -1 };
  }

  release(histogram: Histogram | undefined): void {
    if (!histogram) return;
    if (histogram.slot >= 0) this.freeSlots.push(histogram.slot);
    else this.freePrivate.push(histogram.values);
  }
}

/** Slot `slot` of a shared block of histograms of `length` values each. */
export function slotView(block: Float64Array, length: number, slot: number): Float64Array {
  return block.subarray(slot * length, (slot + 1) * length);
}
