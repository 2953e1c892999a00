// The churn demo end to end, as `npm start` runs it, driving the sluice CLI
// the way a user or a CI job would:
//   1. run churn.yaml: train two models, gate, register (the first becomes
//      @champion), score a drifted batch, monitor it;
//   2. the monitor found drift and requested a retraining run: start it here
//      (`sluice trigger churn --queued --wait`), as `sluice serve` would;
//   3. print what happened and where to look.
// Usage: node pipelines/churn/demo.mjs [extra `sluice run` options, e.g. --state <file>]
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const folder = dirname(fileURLToPath(import.meta.url));
const sluiceBin = join(folder, '..', '..', 'dist', 'bin', 'sluice.js');
const extra = process.argv.slice(2);

function sluice(args, { show = true } = {}) {
  const result = spawnSync(process.execPath, [sluiceBin, ...args, ...extra], { stdio: show ? 'inherit' : ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}
const json = (args) => {
  const result = sluice([...args, '--json'], { show: false });
  if (result.status !== 0) process.exit(result.status ?? 1);
  return JSON.parse(result.stdout);
};
const values = (runId) => Object.fromEntries(json(['show', String(runId)]).tasks.filter((t) => t.values).map((t) => [t.key, t.values]));
const say = (line = '') => process.stdout.write(`${line}\n`);

say('== churn: train, gate, register, score a drifted batch, monitor it');
const first = sluice(['run', join(folder, 'churn.yaml')]);
if (first.status !== 0) process.exit(first.status ?? 1);
const firstRun = json(['runs', '--pipeline', 'churn', '--limit', '1'])[0];
const firstValues = values(firstRun.id);

let lastRun = firstRun;
let lastValues = firstValues;
if (firstValues.monitor?.triggered) {
  say();
  say(`== drift in ${firstValues.monitor.drifted_features}: the monitor requested a retraining run; starting it as sluice serve would`);
  const retrain = sluice(['trigger', 'churn', '--pipelines', folder, '--queued', '--wait']);
  if (retrain.status !== 0) process.exit(retrain.status ?? 1);
  lastRun = json(['runs', '--pipeline', 'churn', '--limit', '1'])[0];
  lastValues = values(lastRun.id);
}

const champion = json(['models', 'show', 'models:/churn@champion']);
const version = champion;
const metric = (name) => Number(version.metrics?.[name]).toFixed(4);
const where = (file) => relative(process.cwd(), file) || file;
say();
say('== summary');
say(`  run ${firstRun.id}: ${firstValues.pick_model?.name ?? 'a model'} won (validation ROC AUC ${Number(firstValues.pick_model?.validation_roc_auc).toFixed(4)}), ` +
  `test ROC AUC ${Number(firstValues.evaluate?.roc_auc).toFixed(4)}, registered ${firstValues.register?.uri} (aliases: ${firstValues.register?.aliases})`);
const drift = (monitor) => monitor?.drift_detected !== 'true' ? 'none'
  : `yes, in ${monitor.drifted_features || 'no feature'}${monitor.prediction_drift === 'true' ? ', and in the predictions' : ''}`;
say(`  drift on the new batch: ${drift(firstValues.monitor)}` +
  ` (report: ${where(firstValues.monitor?.report ?? '')})`);
if (lastRun.id !== firstRun.id) {
  say(`  run ${lastRun.id} (trigger: ${lastRun.trigger}): retrained on data like the batch; test ROC AUC ${Number(lastValues.evaluate?.roc_auc).toFixed(4)} ` +
    `against the champion's ${Number(lastValues.evaluate?.champion_roc_auc).toFixed(4)}: ${lastValues.evaluate?.beats_champion === 'true' ? 'it beats it' : 'it does not beat it'}; registered ${lastValues.register?.uri} (aliases: ${lastValues.register?.aliases})`);
  say(`  drift after retraining: ${drift(lastValues.monitor)} (report: ${where(lastValues.monitor?.report ?? '')})`);
}
say(`  champion now: ${version.uri} — ROC AUC ${metric('roc_auc')}, accuracy ${metric('accuracy')}, log loss ${metric('log_loss')}`);
say(`  predictions: ${lastValues.batch_infer?.dataset} (${Number(lastValues.batch_infer?.rows).toLocaleString('en')} rows) in ${where(lastValues.batch_infer?.file ?? '')}`);
say();
say('  look further: npx sluice runs · npx sluice show ' + lastRun.id + ' · npx sluice models ls · npx sluice models show models:/churn@champion · npx sluice ui');
