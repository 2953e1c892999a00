// The pipelines a daemon serves: every valid pipeline in its folder, kept
// current as files change (an edit, `git pull`). A file that stops being
// valid keeps its last valid version in service, and the findings go to the
// log, so that a typo pushed to git never unschedules a pipeline.
import { statSync, watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../diagnostics.js';
import type { PipelineSource } from '../execute/run-service.js';
import type { LoadedPipeline, PipelineLoader } from '../spec/pipeline-loader.js';
import { findPipelineFiles, loadPipelineSet, pipelineFolderTree } from '../spec/pipeline-set.js';

export interface CatalogChange {
  added: string[];
  changed: string[];
  removed: string[];
  /** Files with errors; where they had a valid version, it stays in service. */
  invalid: { loaded: LoadedPipeline; kept?: string }[];
}

/** Changes close together (a `git pull` touching many files) are read once. */
const SETTLE_MILLIS = 150;
/** How often the folder is compared with what was last read, in case no watcher reported a change. */
export const POLL_MILLIS = 2000;

export class PipelineCatalog {
  private byName = new Map<string, PipelineSource>();
  private nameByFile = new Map<string, string>();
  private readonly watchers = new Map<string, { watcher: FSWatcher; inode: number | undefined }>();
  private onChange: (() => void) | undefined;
  private signature = '';
  private settleTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;

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

  /**
   * Calls `onChange` after files under the folder change. Each folder is
   * watched on its own, not with `recursive: true`: Node 20's recursive
   * watcher on Linux watches files, and loses a file once it is replaced by
   * a rename (`sed -i`, an editor's save, `git pull`), while a folder's own
   * watch reports every rename into it. The folders' contents are also
   * compared every `pollMillis`, for what no watcher reports (a network file
   * system, a folder replaced as a whole, no inotify watches left).
   */
  watch(onChange: () => void, pollMillis = POLL_MILLIS): void {
    this.onChange = onChange;
    this.watchFolder(this.folder);
    this.armWatchers();
    this.signature = folderSignature(this.folder);
    this.pollTimer = setInterval(() => this.poll(), pollMillis);
  }

  close(): void {
    this.onChange = undefined;
    clearTimeout(this.settleTimer);
    clearInterval(this.pollTimer);
    for (const watched of this.watchers.values()) watched.watcher.close();
    this.watchers.clear();
  }

  private changed(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      if (!this.onChange) return;
      this.armWatchers();
      this.signature = folderSignature(this.folder);
      this.onChange();
    }, SETTLE_MILLIS);
  }

  private poll(): void {
    const now = folderSignature(this.folder);
    if (now === this.signature) return;
    this.signature = now;
    this.armWatchers();
    this.onChange?.();
  }

  /** Watches the folders there are now: new ones get a watcher, gone or replaced ones lose theirs. */
  private armWatchers(): void {
    let dirs: string[];
    try {
      dirs = pipelineFolderTree(this.folder).dirs;
    } catch {
      return; // the folder is away for a moment; the poll arms it again
    }
    const wanted = new Set(dirs);
    for (const [dir, watched] of this.watchers) {
      if (!wanted.has(dir) || inodeOf(dir) !== watched.inode) {
        watched.watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        this.watchFolder(dir);
      } catch {
        // No watch for it (gone again, or no inotify watches left): the poll still sees its files.
      }
    }
  }

  private watchFolder(dir: string): void {
    if (this.watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, () => this.changed());
    } catch (error) {
      if (dir === this.folder) throw new UsageError(`cannot watch ${this.folder} for changes: ${(error as Error).message}`);
      throw error;
    }
    watcher.on('error', () => {
      // The folder went away: forget its watcher, and look again.
      watcher.close();
      if (this.watchers.get(dir)?.watcher === watcher) this.watchers.delete(dir);
      this.changed();
    });
    this.watchers.set(dir, { watcher, inode: inodeOf(dir) });
  }
}

/**
 * What the folder holds, as one string: its folders, and each pipeline
 * file's inode, size and modification time. A file replaced by a rename has
 * a new inode even when its size and time look the same.
 */
export function folderSignature(folder: string): string {
  let tree: { dirs: string[]; files: string[] };
  try {
    tree = pipelineFolderTree(folder);
  } catch {
    return '';
  }
  const parts = tree.dirs.map((dir) => `${dir}/ ${inodeOf(dir)}`);
  for (const file of tree.files) {
    const stat = statSync(file, { throwIfNoEntry: false });
    parts.push(stat ? `${file} ${stat.ino} ${stat.size} ${stat.mtimeMs}` : file);
  }
  return parts.join('\n');
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}
