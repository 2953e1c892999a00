// The dependency graph of a pipeline's tasks, on @dagrejs/graphlib. An edge
// runs from a dependency to the task that depends on it.
import { alg, Graph } from '@dagrejs/graphlib';

export interface DependencyEdge {
  from: string;
  to: string;
  outcome?: 'true' | 'false';
}

export class TaskGraph {
  readonly graph = new Graph({ directed: true, multigraph: false });
  private ancestors?: Map<string, Uint32Array>;
  private indexOf?: Map<string, number>;

  constructor(keys: Iterable<string>, edges: Iterable<DependencyEdge>) {
    for (const key of keys) this.graph.setNode(key);
    for (const edge of edges) {
      if (this.graph.hasNode(edge.from) && this.graph.hasNode(edge.to)) this.graph.setEdge(edge.from, edge.to, edge.outcome);
    }
  }

  dependencies(key: string): string[] {
    return this.graph.predecessors(key) ?? [];
  }

  dependents(key: string): string[] {
    return this.graph.successors(key) ?? [];
  }

  /**
   * One concrete cycle per strongly connected component, written in
   * depends_on order: [a, b, c, a] means a depends on b, b on c, c on a.
   */
  cycles(): string[][] {
    const components = alg.findCycles(this.graph);
    return components.map((component) => this.cycleWithin(new Set(component)));
  }

  private cycleWithin(members: Set<string>): string[] {
    const start = [...members].sort()[0]!;
    // Walk dependencies (predecessors) until we come back to start.
    const parent = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const dependency of this.dependencies(node)) {
        if (!members.has(dependency)) continue;
        if (dependency === start) {
          const path = [node];
          while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
          return [...path, start];
        }
        if (!parent.has(dependency)) {
          parent.set(dependency, node);
          queue.push(dependency);
        }
      }
    }
    return [start, start];
  }

  isAcyclic(): boolean {
    return alg.isAcyclic(this.graph);
  }

  /** Tasks in an order where every dependency comes first; only for acyclic graphs. */
  topologicalOrder(): string[] {
    return alg.topsort(this.graph);
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
    return levels;
  }

  /** Whether `candidate` runs before `key` through some chain of dependencies; only for acyclic graphs. */
  isUpstream(candidate: string, key: string): boolean {
    if (this.graph.hasEdge(candidate, key)) return true;
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
