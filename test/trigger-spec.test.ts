// The trigger, health and notification keys: what a valid pipeline turns
// into, and the checks that need the whole folder (upstream pipelines exist,
// no pipelines trigger each other in a circle).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { findPipelineFiles, loadPipelineSet } from '../engine/spec/pipeline-set.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { tempFolder } from './run-helpers.js';

const loader = new PipelineLoader(builtinTaskTypes);
const messages = (folder: string) => loadPipelineSet(loader, findPipelineFiles([folder]))
  .flatMap((loaded) => loaded.diagnostics.map((d) => `${d.file.slice(folder.length + 1)}:${d.line}:${d.col}: ${d.message}`));

describe('triggers, health and notifications in the typed pipeline', () => {
  it('carries triggers with their defaults and the interval in milliseconds', () => {
    const { pipeline, diagnostics } = loader.loadText('t.yaml', `name: t
trigger:
  on_success_of: [ingest]
  file_arrival: { path: incoming }
  periodic: { interval: 90, unit: minutes }
tasks: [{ task_key: a, shell: "true" }]
`);
    expect(diagnostics).toEqual([]);
    expect(pipeline!.trigger).toEqual({
      onSuccessOf: ['ingest'], onDriftOf: [],
      fileArrival: { path: 'incoming', minTimeBetweenTriggersSeconds: 0, waitAfterLastChangeSeconds: 0 },
      periodic: { interval: 90, unit: 'minutes', intervalMillis: 90 * 60_000 },
    });
  });

  it('gathers webhooks and commands per event, and takes the lowest duration threshold', () => {
    const { pipeline } = loader.loadText('n.yaml', `name: n
health: { rules: [{ metric: RUN_DURATION_SECONDS, op: GREATER_THAN, value: 600 }, { metric: RUN_DURATION_SECONDS, op: GREATER_THAN, value: 60 }] }
webhook_notifications: { on_failure: [{ url: "http://127.0.0.1:1/hook" }], on_duration_warning_threshold_exceeded: [{ url: "https://x.example/h" }] }
command_notifications: { on_failure: [{ command: [echo, 1] }] }
tasks:
  - task_key: a
    shell: "true"
    webhook_notifications: { on_start: [{ url: "http://127.0.0.1:1/a" }] }
`);
    expect(pipeline!.monitoring).toEqual({
      maxDurationSeconds: 60,
      notifications: {
        start: [], success: [],
        failure: [{ kind: 'webhook', url: 'http://127.0.0.1:1/hook' }, { kind: 'command', argv: ['echo', '1'] }],
        health: [{ kind: 'webhook', url: 'https://x.example/h' }],
      },
    });
    expect(pipeline!.tasks[0]!.monitoring.notifications.start).toEqual([{ kind: 'webhook', url: 'http://127.0.0.1:1/a' }]);
  });
});

describe('validating a folder of triggered pipelines', () => {
  const pipeline = (name: string, trigger = '') => `name: ${name}\n${trigger}tasks: [{ task_key: a, shell: "true" }]\n`;

  it('names an on_success_of pipeline that does not exist, with a did-you-mean', () => {
    const folder = tempFolder('triggers', {
      'ingest.yaml': pipeline('ingest'),
      'train.yaml': pipeline('train', 'trigger: { on_success_of: [ingset], on_drift_of: [monitor] }\n'),
    });
    expect(messages(folder)).toEqual([
      "train.yaml:2:28: on_success_of names unknown pipeline 'ingset'; did you mean 'ingest'?",
      "train.yaml:2:51: on_drift_of names unknown pipeline 'monitor'",
    ]);
  });

  it('refuses pipelines that trigger each other in a circle', () => {
    const folder = tempFolder('trigger-cycle', {
      'a.yaml': pipeline('a', 'trigger: { on_success_of: [b] }\n'),
      'b.yaml': pipeline('b', 'trigger: { on_success_of: [a] }\n'),
    });
    const found = messages(folder);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^[ab]\.yaml:2:28: trigger cycle between pipelines a, b: each run would start the next, forever$/);
  });

  it('accepts a chain of triggers', () => {
    const folder = tempFolder('trigger-chain', {
      'a.yaml': pipeline('a'),
      'b.yaml': pipeline('b', 'trigger: { on_success_of: [a] }\n'),
      'c.yaml': pipeline('c', 'trigger: { on_success_of: [a, b], on_drift_of: [b] }\n'),
    });
    writeFileSync(join(folder, 'notes.txt'), 'not a pipeline');
    expect(messages(folder)).toEqual([]);
  });
});
