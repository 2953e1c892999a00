// The pipelines a daemon serves: every valid pipeline in its folder, kept
// current as files change (an edit, `git pull`). A file that stops being
// valid keeps its last valid version in service, and the findings go to the
// log, so that a typo pushed to git never unschedules a pipeline.
import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../diagnostics.js';
import type { PipelineSource } from '../execute/run-service.js';
import type { LoadedPipeline, PipelineLoader } from '../spec/pipeline-loader.js';
import { findPipelineFiles, loadPipelineSet } from '../spec/pipeline-set.js';

export interface CatalogChange {
  added: string[];
  changed: string[];
  removed: string[];
  /** Files with errors; where they had a valid version, it stays in service. */
  invalid: { loaded: LoadedPipeline; kept?: string }[];
}

/** Changes close together (a `git pull` touching many files) are read once. */
const SETTLE_MILLIS = 150;

export class PipelineCatalog {
  private byName = new Map<string, PipelineSource>();
  private nameByFile = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(readonly folder: string, private readonly loader: PipelineLoader) {}

  get(name: string): PipelineSource | undefined {
    return this.byName.get(name);
  }

  all(): PipelineSource[] {
    return [...this.byName.values()];
  }

  /** Reads the folder again and says what changed. */
  reload(): CatalogChange {
    let files: string[];
    try {
      files = findPipelineFiles([this.folder]);
    } catch (error) {
      if (this.byName.size === 0) throw error;
      // The folder went away for a moment (a checkout); keep serving what we have.
      return { added: [], changed: [], removed: [], invalid: [] };
    }
    const next = new Map<string, PipelineSource>();
    const nextNames = new Map<string, string>();
    const invalid: CatalogChange['invalid'] = [];
    for (const loaded of loadPipelineSet(this.loader, files)) {
      const file = resolve(loaded.file);
      if (loaded.pipeline && !next.has(loaded.pipeline.name)) {
        next.set(loaded.pipeline.name, { pipeline: loaded.pipeline, text: loaded.text ?? '' });
        nextNames.set(file, loaded.pipeline.name);
        continue;
      }
      const previousName = this.nameByFile.get(file);
      const previous = previousName === undefined ? undefined : this.byName.get(previousName);
      if (previous && previousName !== undefined && !next.has(previousName)) {
        next.set(previousName, previous);
        nextNames.set(file, previousName);
      }
      invalid.push({ loaded, kept: previous ? previousName : undefined });
    }
    const change: CatalogChange = {
      added: [...next.keys()].filter((name) => !this.byName.has(name)),
      changed: [...next.keys()].filter((name) => this.byName.has(name) && this.byName.get(name)!.pipeline.sourceHash !== next.get(name)!.pipeline.sourceHash),
      removed: [...this.byName.keys()].filter((name) => !next.has(name)),
      invalid,
    };
    this.byName = next;
    this.nameByFile = nextNames;
    return change;
  }

  /** Calls `onChange` after files under the folder change; fs.watch, recursive (Linux since Node 20). */
  watch(onChange: () => void): void {
    try {
      this.watcher = watch(this.folder, { recursive: true }, () => {
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(onChange, SETTLE_MILLIS);
      });
      this.watcher.on('error', () => undefined); // the periodic rescan still catches changes
    } catch (error) {
      throw new UsageError(`cannot watch ${this.folder} for changes: ${(error as Error).message}`);
    }
  }

  close(): void {
    clearTimeout(this.settleTimer);
    this.watcher?.close();
  }
}
