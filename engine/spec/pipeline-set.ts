// Loads every pipeline under the given files and folders, then checks what
// only the whole set can tell: unique names and run_pipeline targets.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { alg, Graph } from '@dagrejs/graphlib';
import { UsageError } from '../diagnostics.js';
import { didYouMean, hint } from '../suggest.js';
import { isRecord } from './path-names.js';
import type { Finding, PathSegment } from './finding.js';
import { addFindings, type LoadedPipeline, type PipelineLoader } from './pipeline-loader.js';

const PIPELINE_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Files given by name are taken as they are; folders contribute their *.yaml and *.yml files, recursively. */
export function findPipelineFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UsageError(`${path}: no such file or folder`);
    }
    if (isDirectory) files.push(...walk(path));
    else files.push(path);
  }
  return files;
}

function walk(dir: string): string[] {
  return pipelineFolderTree(dir).files;
}

/**
 * The folders and pipeline files under `dir` (itself included), as
 * findPipelineFiles reads them: hidden entries and node_modules are left out.
 * `sluice serve` watches exactly these folders.
 */
export function pipelineFolderTree(dir: string): { dirs: string[]; files: string[] } {
  const tree = { dirs: [dir], files: [] as string[] };
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const below = pipelineFolderTree(path);
      tree.dirs.push(...below.dirs);
      tree.files.push(...below.files);
    } else if (entry.isFile() && PIPELINE_EXTENSIONS.has(extname(entry.name))) tree.files.push(path);
  }
  return tree;
}

export function loadPipelineSet(loader: PipelineLoader, files: readonly string[]): LoadedPipeline[] {
  const loaded = files.map((file) => loader.loadFile(file));
  if (loaded.length > 1) checkAcrossPipelines(loaded);
  return loaded;
}

interface RunPipelineCall {
  from: LoadedPipeline;
  target: string;
  /** Path of the run_pipeline map. */
  path: PathSegment[];
  parameters: Record<string, unknown>;
}

function checkAcrossPipelines(loaded: LoadedPipeline[]): void {
  const findings = new Map<LoadedPipeline, Finding[]>();
  const report = (item: LoadedPipeline, path: PathSegment[], code: string, message: string, part: 'key' | 'value' = 'value') => {
    findings.set(item, [...(findings.get(item) ?? []), { severity: 'error', code, message, path, part }]);
  };
  const byName = new Map<string, LoadedPipeline>();
  const calls: RunPipelineCall[] = [];
  for (const item of loaded) {
    const root = item.value;
    if (!isRecord(root) || typeof root.name !== 'string') continue;
    const first = byName.get(root.name);
    if (first) {
      report(item, ['name'], 'duplicate-pipeline', `pipeline name '${root.name}' is also used by ${first.file}; names must be unique`);
    } else byName.set(root.name, item);
    calls.push(...runPipelineCalls(item, root));
  }
  const graph = new Graph();
  for (const call of calls) {
    const target = byName.get(call.target);
    if (!target) {
      report(call.from, [...call.path, 'pipeline'], 'unknown-pipeline',
        `run_pipeline names unknown pipeline '${call.target}'${didYouMean(call.target, byName.keys())}`);
      continue;
    }
    graph.setEdge(nameOf(call.from), call.target);
    checkChildParameters(call, target, report);
  }
  for (const cycle of alg.findCycles(graph)) {
    const members = new Set(cycle);
    const call = calls.find((c) => members.has(nameOf(c.from)) && members.has(c.target))!;
    report(call.from, [...call.path, 'pipeline'], 'pipeline-cycle', `run_pipeline cycle between pipelines ${[...cycle].sort().join(', ')}; a run would never end`);
  }
  checkUpstreamTriggers(loaded, byName, report);
  for (const [item, found] of findings) addFindings(item, found);
}

/** on_success_of and on_drift_of name pipelines of the set, and do not start each other in a circle. */
function checkUpstreamTriggers(loaded: LoadedPipeline[], byName: Map<string, LoadedPipeline>, report: Report): void {
  const graph = new Graph();
  const edges: { from: LoadedPipeline; upstream: string; path: PathSegment[] }[] = [];
  for (const item of loaded) {
    const root = item.value;
    if (!isRecord(root) || typeof root.name !== 'string' || !isRecord(root.trigger)) continue;
    for (const key of ['on_success_of', 'on_drift_of']) {
      const names = root.trigger[key];
      if (!Array.isArray(names)) continue;
      names.forEach((upstream, index) => {
        if (typeof upstream !== 'string' || upstream === root.name) return;
        const path: PathSegment[] = ['trigger', key, index];
        if (!byName.has(upstream)) {
          report(item, path, 'unknown-pipeline', `${key} names unknown pipeline '${upstream}'${didYouMean(upstream, byName.keys())}`);
          return;
        }
        graph.setEdge(upstream, root.name as string);
        edges.push({ from: item, upstream, path });
      });
    }
  }
  for (const cycle of alg.findCycles(graph)) {
    const members = new Set(cycle);
    const edge = edges.find((e) => members.has(e.upstream) && members.has(nameOf(e.from)))!;
    report(edge.from, edge.path, 'pipeline-cycle', `trigger cycle between pipelines ${[...cycle].sort().join(', ')}: each run would start the next, forever`);
  }
}

type Report = (item: LoadedPipeline, path: PathSegment[], code: string, message: string, part?: 'key' | 'value') => void;

function runPipelineCalls(item: LoadedPipeline, root: Record<string, unknown>): RunPipelineCall[] {
  const calls: RunPipelineCall[] = [];
  const tasks = Array.isArray(root.tasks) ? root.tasks : [];
  tasks.forEach((task, i) => {
    if (!isRecord(task)) return;
    const candidates: [unknown, PathSegment[]][] = [[task.run_pipeline, ['tasks', i, 'run_pipeline']]];
    if (isRecord(task.for_each)) candidates.push([(task.for_each.task as Record<string, unknown> | undefined)?.run_pipeline, ['tasks', i, 'for_each', 'task', 'run_pipeline']]);
    for (const [run, path] of candidates) {
      if (isRecord(run) && typeof run.pipeline === 'string') {
        calls.push({ from: item, target: run.pipeline, path, parameters: isRecord(run.parameters) ? run.parameters : {} });
      }
    }
  });
  return calls;
}

/** The child's parameters decide what a run_pipeline may pass, and what it must. */
function checkChildParameters(call: RunPipelineCall, target: LoadedPipeline, report: Report): void {
  const declared = (target.value as { parameters?: unknown }).parameters;
  const parameters = Array.isArray(declared) ? declared.filter(isRecord) : [];
  const names = parameters.map((p) => p.name).filter((n): n is string => typeof n === 'string');
  for (const given of Object.keys(call.parameters)) {
    if (!names.includes(given)) {
      report(call.from, [...call.path, 'parameters', given], 'unknown-child-parameter',
        `pipeline '${call.target}' has no parameter '${given}'${hint(given, names, names.length > 0 ? `it takes ${names.join(', ')}` : 'it takes none')}`, 'key');
    }
  }
  const missing = parameters.filter((p) => !('default' in p) && typeof p.name === 'string' && !(p.name in call.parameters));
  if (missing.length > 0) {
    report(call.from, [...call.path, 'pipeline'], 'missing-child-parameter',
      `pipeline '${call.target}' needs ${missing.map((p) => `'${String(p.name)}'`).join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no default; pass ${missing.length === 1 ? 'it' : 'them'} under run_pipeline.parameters`);
  }
}

function nameOf(item: LoadedPipeline): string {
  return (item.value as { name: string }).name;
}
