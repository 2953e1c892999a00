// The daemon's view of its pipelines folder, against the real file system:
// files replaced by a rename (how `sed -i`, editors and `git pull` write) are
// seen every time, by the folder watchers and by the poll behind them.
import { mkdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSignature, PipelineCatalog } from '../engine/schedule/pipeline-catalog.js';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { sleep, tempFolder } from './run-helpers.js';

const loader = new PipelineLoader(builtinTaskTypes);
const version = (word: string) => `name: swapped\ntasks:\n  - task_key: t\n    command: [echo, ${word}]\n`;

/** Writes a temporary file beside `file` and renames it over `file`. */
function replace(file: string, text: string): void {
  const temporary = join(file, '..', `.${Date.now()}.tmp`);
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe('the pipelines folder of sluice serve', () => {
  it('reports a file replaced by a rename every time, in the folder and in a subfolder made later', async () => {
    const folder = tempFolder('catalog-watch');
    const file = join(folder, 'swapped.yaml');
    writeFileSync(file, version('zero'));
    const catalog = new PipelineCatalog(folder, loader);
    catalog.reload();
    let changes = 0;
    // A poll slower than the test: what is seen here, the watchers saw.
    catalog.watch(() => { changes++; }, 60_000);
    try {
      for (const word of ['one', 'two', 'three', 'four']) {
        const before = changes;
        replace(file, version(word));
        await until(`the change to '${word}'`, () => changes > before, 1500);
        expect(catalog.reload().changed).toEqual(['swapped']);
        expect(catalog.get('swapped')!.text).toContain(word);
      }
      mkdirSync(join(folder, 'team'));
      await sleep(400);
      const nested = join(folder, 'team', 'nested.yaml');
      writeFileSync(nested, version('x').replace('swapped', 'nested'));
      for (const word of ['five', 'six']) {
        const before = changes;
        replace(nested, version(word).replace('swapped', 'nested'));
        await until(`the nested change to '${word}'`, () => changes > before, 1500);
        catalog.reload();
        expect(catalog.get('nested')!.text).toContain(word);
      }
    } finally {
      catalog.close();
    }
  });

  it('polls as a safety net: a folder replaced as a whole, or no watcher event at all, is still seen', async () => {
    const root = tempFolder('catalog-poll');
    const folder = join(root, 'pipelines');
    mkdirSync(folder);
    writeFileSync(join(folder, 'swapped.yaml'), version('old'));
    const catalog = new PipelineCatalog(folder, loader);
    catalog.reload();
    let changes = 0;
    catalog.watch(() => { changes++; }, 200);
    try {
      // `mv new pipelines`: the old folder's watcher sees nothing of the new one.
      const next = join(root, 'next');
      mkdirSync(next);
      writeFileSync(join(next, 'swapped.yaml'), version('new'));
      renameSync(folder, join(root, 'previous'));
      renameSync(next, folder);
      await until('the replaced folder', () => changes > 0, 2000);
      expect(catalog.reload().changed).toEqual(['swapped']);
      const seen = changes;
      replace(join(folder, 'swapped.yaml'), version('newer'));
      await until('a change in the replaced folder', () => changes > seen, 2000);
      expect(catalog.reload().changed).toEqual(['swapped']);
    } finally {
      catalog.close();
    }
  });

  it('tells a replaced file from the old one even with the same size and modification time', () => {
    const folder = tempFolder('catalog-signature');
    const file = join(folder, 'p.yaml');
    writeFileSync(file, version('aaa'));
    const { mtime } = statSync(file);
    const before = folderSignature(folder);
    replace(file, version('bbb'));
    utimesSync(file, mtime, mtime);
    expect(folderSignature(folder)).not.toBe(before);
    expect(folderSignature(folder)).toBe(folderSignature(folder));
  });
});
