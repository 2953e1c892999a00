import { describe, expect, it } from 'vitest';
import { TaskGraph, type DependencyEdge } from '../engine/spec/task-graph.js';

/** A deterministic DAG: each task depends on up to three earlier ones. */
function randomDag(size: number, seed: number): { keys: string[]; edges: DependencyEdge[] } {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const keys = Array.from({ length: size }, (_, i) => `t${i}`);
  const edges: DependencyEdge[] = [];
  for (let i = 1; i < size; i++) {
    for (let k = 0; k < 3; k++) if (next() < 0.6) edges.push({ from: `t${Math.floor(next() * i)}`, to: `t${i}` });
  }
  return { keys, edges };
}

function reachesByWalking(edges: DependencyEdge[], from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const e of edges) {
      if (e.from !== node || seen.has(e.to)) continue;
      if (e.to === to) return true;
      seen.add(e.to);
      stack.push(e.to);
    }
  }
  return false;
}

describe('task graph', () => {
  it('knows which tasks run upstream of which, across bitset word boundaries', () => {
    const { keys, edges } = randomDag(90, 7);
    const graph = new TaskGraph(keys, edges);
    for (const a of keys) {
      for (const b of keys) {
        if (a !== b) expect(graph.isUpstream(a, b), `${a} upstream of ${b}`).toBe(reachesByWalking(edges, a, b));
      }
    }
  });

  it('puts each task one level below its deepest dependency', () => {
    const graph = new TaskGraph(['a', 'b', 'c', 'd'], [
      { from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'a', to: 'c' }, { from: 'a', to: 'd' },
    ]);
    expect(graph.levels()).toEqual([['a'], ['b', 'd'], ['c']]);
  });

  it('finds one concrete cycle per strongly connected group', () => {
    const graph = new TaskGraph(['a', 'b', 'c', 'x', 'y'], [
      { from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'x', to: 'y' }, { from: 'y', to: 'x' },
    ]);
    const cycles = graph.cycles().map((c) => c.join(' ')).sort();
    expect(cycles).toEqual(['a c b a', 'x y x']);
    expect(graph.isAcyclic()).toBe(false);
  });
});
