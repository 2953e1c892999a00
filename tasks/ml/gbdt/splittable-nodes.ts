// The queue of nodes waiting to be split, highest gain first. It is a binary
// heap laid out and reordered exactly as Python's heapq, which scikit-learn's
// grower uses, so that nodes of equal gain are split in the same order.

export interface Prioritized {
  /** The gain of the node's best split. */
  priority: number;
}

export class SplittableNodes<Node extends Prioritized> {
  private readonly heap: Node[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(node: Node): void {
    this.heap.push(node);
    this.siftTowardRoot(0, this.heap.length - 1);
  }

  /** Removes and returns the node of highest priority. */
  pop(): Node | undefined {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return last;
    const top = this.heap[0]!;
    this.heap[0] = last;
    this.siftTowardLeaves(0);
    return top;
  }

  /** Empties the queue, returning its nodes in no particular order. */
  drain(): Node[] {
    return this.heap.splice(0, this.heap.length);
  }

  private siftTowardRoot(start: number, from: number): void {
    const heap = this.heap;
    const item = heap[from]!;
    let position = from;
    while (position > start) {
      const parent = (position - 1) >> 1;
      if (!(item.priority > heap[parent]!.priority)) break;
      heap[position] = heap[parent]!;
      position = parent;
    }
    heap[position] = item;
  }

  /** heapq's _siftup: walk the hole down to a leaf along the better children, then sift the item back up. */
  private siftTowardLeaves(from: number): void {
    const heap = this.heap;
    const item = heap[from]!;
    let position = from;
    let child = 2 * position + 1;
    while (child < heap.length) {
      const right = child + 1;
      if (right < heap.length && !(heap[child]!.priority > heap[right]!.priority)) child = right;
      heap[position] = heap[child]!;
      position = child;
      child = 2 * position + 1;
    }
    heap[position] = item;
    this.siftTowardRoot(from, position);
  }
}
