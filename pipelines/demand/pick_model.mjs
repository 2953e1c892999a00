// Fan-in of a for_each that trained one model per algorithm: given the loop's
// arrays (in input order) of validation scores, model files and names, report
// the best model as values. Each pipeline folder has its own copy, so that a
// folder copied elsewhere still runs.
// Usage: node pick_model.mjs <metric> <max|min> '<scores JSON>' '<models JSON>' '<names JSON>'
import { appendFileSync } from 'node:fs';

const [metric, goal, scoresJson, modelsJson, namesJson] = process.argv.slice(2);
if (!metric || !['max', 'min'].includes(goal) || namesJson === undefined) {
  console.error("usage: node pick_model.mjs <metric> <max|min> '<scores JSON>' '<models JSON>' '<names JSON>'");
  process.exit(2);
}
const scores = JSON.parse(scoresJson);
const models = JSON.parse(modelsJson);
const names = JSON.parse(namesJson);
if (scores.length !== names.length || models.length !== names.length) {
  console.error(`expected one score and one model per name (${names.length}), got ${scores.length} scores and ${models.length} models`);
  process.exit(2);
}
let best = -1;
scores.forEach((score, i) => {
  if (typeof score !== 'number') return;
  if (best < 0 || (goal === 'max' ? score > scores[best] : score < scores[best])) best = i;
});
if (best < 0) {
  console.error(`no model reported validation ${metric}`);
  process.exit(1);
}
const others = scores.filter((score, i) => i !== best && typeof score === 'number');
const runnerUp = others.length === 0 ? undefined : goal === 'max' ? Math.max(...others) : Math.min(...others);
names.forEach((name, i) => console.log(`${i === best ? '*' : ' '} ${name.padEnd(22)} validation ${metric} ${scores[i] ?? '(none)'}`));
const values = {
  model: models[best],
  name: names[best],
  [`validation_${metric}`]: scores[best],
  // How much better the winner is than the next best, in the metric's own units.
  margin: runnerUp === undefined ? 0 : Number(Math.abs(scores[best] - runnerUp).toFixed(6)),
  scores: JSON.stringify(Object.fromEntries(names.map((name, i) => [name, scores[i]]))),
};
appendFileSync(process.env.SLUICE_OUTPUT ?? '/dev/stdout', `${JSON.stringify(values)}\n`);
