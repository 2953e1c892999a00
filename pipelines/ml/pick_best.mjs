// Fan-in of a hyperparameter search: given the for_each's arrays of scores
// and models (in grid order), report the best one as values.
// Usage: node pick_best.mjs <metric> '<scores JSON>' '<models JSON>' '<grid JSON>' [min|max]
import { appendFileSync } from 'node:fs';

const [metric, scoresJson, modelsJson, gridJson, goal = 'max'] = process.argv.slice(2);
const scores = JSON.parse(scoresJson);
const models = JSON.parse(modelsJson);
const grid = JSON.parse(gridJson);
let best = -1;
scores.forEach((score, i) => {
  if (score === null) return;
  if (best < 0 || (goal === 'max' ? score > scores[best] : score < scores[best])) best = i;
});
if (best < 0) {
  console.error('no grid point produced a score');
  process.exit(1);
}
scores.forEach((score, i) => console.log(`${i === best ? '*' : ' '} ${JSON.stringify(grid[i])}  ${metric} ${score}`));
appendFileSync(process.env.SLUICE_OUTPUT, `${JSON.stringify({ model: models[best], [metric]: scores[best], hyperparameters: JSON.stringify(grid[best]) })}\n`);
