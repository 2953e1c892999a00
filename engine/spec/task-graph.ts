// The dependency graph of a pipeline's tasks. An edge runs from a dependency
// to the task that depends on it. Plain adjacency arrays rather than
// @dagrejs/graphlib: measured on a 10,000-task pipeline (npm run bench),
// graphlib's string-keyed edges cost ~200 ms of a 1 s budget, and its topsort
// and findCycles recurse once per task, overflowing the stack on long chains.
// graphlib still serves the small graph of pipelines (pipeline-set.ts).

export interface DependencyEdge {
  from: string;
  to: string;
  outcome?: 'true' | 'false';
}

export class TaskGraph {
  /** Task keys in file order. */
  readonly keys: readonly string[];
  private readonly dependenciesOf = new Map<string, string[]>();
  private readonly dependentsOf = new Map<string, string[]>();
  /** `from\0to` of every edge: membership in O(1), where a sink may have thousands of dependencies. */
  private readonly edgeKeys = new Set<string>();
  private ordering?: { ordered: readonly string[]; blocked: ReadonlySet<string> };
  private ancestors?: Map<string, Uint32Array>;
  private indexOf?: Map<string, number>;

  constructor(keys: Iterable<string>, edges: Iterable<DependencyEdge>) {
    this.keys = [...keys];
    for (const key of this.keys) {
      this.dependenciesOf.set(key, []);
      this.dependentsOf.set(key, []);
    }
    for (const { from, to } of edges) {
      const dependencies = this.dependenciesOf.get(to);
      const dependents = this.dependentsOf.get(from);
      const edgeKey = `${from}\0${to}`;
      if (!dependencies || !dependents || this.edgeKeys.has(edgeKey)) continue;
      this.edgeKeys.add(edgeKey);
      dependencies.push(from);
      dependents.push(to);
    }
  }

  dependencies(key: string): readonly string[] {
    return this.dependenciesOf.get(key) ?? [];
  }

  dependents(key: string): readonly string[] {
    return this.dependentsOf.get(key) ?? [];
  }

  /**
   * Tasks in an order where every dependency comes first (Kahn's algorithm),
   * and the tasks left over because they sit on or behind a cycle.
   */
  private order(): { ordered: readonly string[]; blocked: ReadonlySet<string> } {
    if (this.ordering) return this.ordering;
    const waiting = new Map<string, number>();
    const ready: string[] = [];
    for (const key of this.keys) {
      const count = this.dependencies(key).length;
      waiting.set(key, count);
      if (count === 0) ready.push(key);
    }
    // A queue, not a stack: tasks come out level by level, in file order within a level.
    const ordered: string[] = [];
    for (let next = 0; next < ready.length; next++) {
      const key = ready[next]!;
      ordered.push(key);
      for (const dependent of this.dependents(key)) {
        const left = waiting.get(dependent)! - 1;
        waiting.set(dependent, left);
        if (left === 0) ready.push(dependent);
      }
    }
    const blocked = new Set([...waiting].filter(([, left]) => left > 0).map(([key]) => key));
    this.ordering = { ordered, blocked };
    return this.ordering;
  }

  isAcyclic(): boolean {
    return this.order().blocked.size === 0;
  }

  /** Tasks in an order where every dependency comes first; only for acyclic graphs. */
  topologicalOrder(): readonly string[] {
    return this.order().ordered;
  }

  /**
   * Concrete cycles, each written in depends_on order: [a, b, c, a] means a
   * depends on b, b on c, c on a. Every task left after ordering has a
   * dependency that is also left, so walking such dependencies must come back
   * to a task already seen; that loop is a cycle. Its tasks are then taken out
   * and the rest peeled again, until nothing is left.
   */
  cycles(): string[][] {
    let blocked = new Set(this.order().blocked);
    const cycles: string[][] = [];
    while (blocked.size > 0) {
      const start = [...blocked].sort()[0]!;
      const walk: string[] = [];
      const position = new Map<string, number>();
      let current = start;
      while (!position.has(current)) {
        position.set(current, walk.length);
        walk.push(current);
        current = this.dependencies(current).filter((d) => blocked.has(d)).sort()[0]!;
      }
      const cycle = [...walk.slice(position.get(current)!), current];
      cycles.push(cycle);
      for (const key of cycle) blocked.delete(key);
      blocked = this.peel(blocked);
    }
    return cycles;
  }

  /** Drops tasks that no longer wait on a remaining task: they were only behind a cycle. */
  private peel(remaining: Set<string>): Set<string> {
    const left = new Set(remaining);
    const waiting = new Map<string, number>();
    const free: string[] = [];
    for (const key of left) {
      const count = this.dependencies(key).filter((d) => left.has(d)).length;
      waiting.set(key, count);
      if (count === 0) free.push(key);
    }
    while (free.length > 0) {
      const key = free.pop()!;
      left.delete(key);
      for (const dependent of this.dependents(key)) {
        if (!left.has(dependent)) continue;
        const count = waiting.get(dependent)! - 1;
        waiting.set(dependent, count);
        if (count === 0) free.push(dependent);
      }
    }
    return left;
  }

  /** Level 0 holds tasks without dependencies; each other task sits one below its deepest dependency. */
  levels(): string[][] {
    const level = new Map<string, number>();
    const levels: string[][] = [];
    for (const key of this.topologicalOrder()) {
      const depth = Math.max(-1, ...this.dependencies(key).map((d) => level.get(d)!)) + 1;
      level.set(key, depth);
      (levels[depth] ??= []).push(key);
    }
    const position = new Map(this.keys.map((key, i) => [key, i]));
    return levels.map((keys) => keys.sort((a, b) => position.get(a)! - position.get(b)!));
  }

  /** Whether `candidate` runs before `key` through some chain of dependencies; only for acyclic graphs. */
  isUpstream(candidate: string, key: string): boolean {
    if (this.edgeKeys.has(`${candidate}\0${key}`)) return true;
    this.computeAncestors();
    const bits = this.ancestors!.get(key);
    const index = this.indexOf!.get(candidate);
    if (!bits || index === undefined) return false;
    return (bits[index >>> 5]! & (1 << (index & 31))) !== 0;
  }

  /** Ancestor sets as bitsets, built once in topological order: fast enough for 10,000-task pipelines. */
  private computeAncestors(): void {
    if (this.ancestors) return;
    const order = this.topologicalOrder();
    this.indexOf = new Map(order.map((key, i) => [key, i]));
    const words = Math.ceil(order.length / 32);
    this.ancestors = new Map();
    for (const key of order) {
      const bits = new Uint32Array(words);
      for (const dependency of this.dependencies(key)) {
        const parentBits = this.ancestors.get(dependency)!;
        for (let w = 0; w < words; w++) bits[w] = bits[w]! | parentBits[w]!;
        const i = this.indexOf.get(dependency)!;
        bits[i >>> 5] = bits[i >>> 5]! | (1 << (i & 31));
      }
      this.ancestors.set(key, bits);
    }
  }
}
