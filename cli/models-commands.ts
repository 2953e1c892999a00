// `sluice models ls/show/promote/diff`: the model registry from the command
// line. Only promote writes (one alias, in one transaction); a run that has
// already resolved the alias keeps the version it pinned.
import type { Command } from 'commander';
import { UsageError } from '../engine/diagnostics.js';
import { openStateDatabase } from '../engine/state/database.js';
import { checkAliasName, formatModelUri, ModelRegistry, parseModelUri } from '../engine/state/model-registry.js';
import { locateState } from '../engine/state/state-home.js';
import { diffText, metricDiff, modelListJson, modelListTable, paramDiff, versionDetail, versionJson } from './models-format.js';
import { styleFor } from './terminal-style.js';

const STATE_OPTION = ['--state <file>', 'the state database (default: $SLUICE_HOME/state.db, else the nearest .sluice/state.db)'] as const;
const URI_HELP = 'models:/<name>/<version> or models:/<name>@<alias>';

interface Options {
  state?: string;
  json?: boolean;
}

export function registerModelsCommands(program: Command): void {
  const models = program.command('models')
    .description('The model registry: registered models, their versions, metrics, lineage and aliases.')
    .addHelpText('after', `\nModel URIs: ${URI_HELP}, e.g. models:/churn/3 or models:/churn@champion.`);

  models.command('ls')
    .description('List registered models: versions, aliases and the newest version\'s main metrics.')
    .option('--json', 'print a JSON array instead of a table')
    .option(...STATE_OPTION)
    .action((options: Options) => withRegistry(options, (registry) => {
      const list = registry.models().map((model) => ({ model, latest: registry.versions(model.name).at(-1) }));
      if (options.json) return print(modelListJson(list));
      if (list.length === 0) {
        process.stdout.write('no models registered yet; a register task adds one (see docs/models.md)\n');
        return;
      }
      process.stdout.write(modelListTable(list, styleFor(process.stdout)));
    }));

  models.command('show')
    .description('Show a model version: metrics, parameters, lineage, tags, file and aliases.')
    .argument('<uri>', URI_HELP)
    .option('--json', 'print one JSON object instead of text')
    .option(...STATE_OPTION)
    .action((uri: string, options: Options) => {
      const reference = parseModelUri(uri);
      return withRegistry(options, (registry) => {
        const version = registry.resolve(reference);
        const aliases = registry.aliasesOf(version.name);
        if (options.json) return print(versionJson(version, aliases));
        process.stdout.write(versionDetail(version, aliases, styleFor(process.stdout)));
      });
    });

  models.command('promote')
    .description('Point an alias (champion by default) at a version of a model.')
    .argument('<name>', 'the registered model')
    .argument('<version>', 'the version, a whole number')
    .option('--alias <alias>', 'the alias to set', 'champion')
    .option('--json', 'print one JSON object instead of text')
    .option(...STATE_OPTION)
    .addHelpText('after', '\nRuns that already resolved the alias keep the version they pinned; runs that start later get this one.')
    .action((name: string, versionText: string, options: Options & { alias: string }) => {
      const version = parseVersion(versionText);
      checkAliasName(options.alias, '--alias');
      return withRegistry(options, (registry) => {
        const { previous } = registry.setAlias(name, options.alias, version, { setBy: 'sluice models promote' });
        const uri = formatModelUri({ name, alias: options.alias });
        if (options.json) return print({ name, alias: options.alias, uri, version, previous: previous ?? null });
        const was = previous === undefined ? 'a new alias' : previous === version ? 'it already was' : `was ${previous}`;
        process.stdout.write(`${uri} → version ${version} (${was})\n`);
      });
    });

  models.command('diff')
    .description('Compare two model versions: metrics side by side with the difference, and parameters that differ.')
    .argument('<a>', URI_HELP)
    .argument('<b>', URI_HELP)
    .option('--json', 'print one JSON object instead of a table')
    .option(...STATE_OPTION)
    .action((aText: string, bText: string, options: Options) => {
      const [aUri, bUri] = [parseModelUri(aText), parseModelUri(bText)];
      return withRegistry(options, (registry) => {
        const a = registry.resolve(aUri);
        const b = registry.resolve(bUri);
        if (options.json) {
          const side = (asked: string, v: typeof a) => ({ asked, uri: v.uri, name: v.name, version: v.version });
          return print({ a: side(aText, a), b: side(bText, b), metrics: metricDiff(a, b), params: paramDiff(a, b) });
        }
        process.stdout.write(diffText({ asked: aText, version: a }, { asked: bText, version: b }, styleFor(process.stdout)));
      });
    });
}

function withRegistry(options: Options, use: (registry: ModelRegistry) => void): void {
  const db = openStateDatabase(locateState({ state: options.state }).databaseFile, { mustExist: true });
  try {
    use(new ModelRegistry(db));
  } finally {
    db.close();
  }
}

function parseVersion(text: string): number {
  const version = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(version) || version < 1) {
    throw new UsageError(`'${text}' is not a model version; versions are whole numbers from 1 (\`sluice models ls\` shows the latest)`);
  }
  return version;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
