// The `sluice` command. It composes engine/ and tasks/; keep heavy modules
// (ink, onnxruntime, DuckDB) out of the validate path: they load per command.
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { UsageError } from '../engine/diagnostics.js';
import { buildPipelineSchema } from '../engine/spec/pipeline-schema.js';
import { findPipelineFiles, loadPipelineSet } from '../engine/spec/pipeline-set.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { count, formatGithub, formatJson, formatText, type DiagnosticFormat, type FileReport } from './diagnostic-format.js';
import { formatGraph, type GraphFormat } from './graph-format.js';
import { INTERNAL_ERROR_EXIT, internalErrorMessage } from './internal-error.js';
import { registerInspectCommands } from './inspect-commands.js';
import { registerModelsCommands } from './models-commands.js';
import { registerRunCommands } from './run-commands.js';
import { registerServeCommands } from './serve-commands.js';
import { createLoader } from './pipeline-loader.js';
import { styleFor } from './terminal-style.js';
import { registerUiCommand } from './ui-command.js';

export function createProgram(): Command {
  const program = new Command('sluice')
    .description('Declarative ML pipelines: validate, schedule and run DAGs of tasks written in YAML.')
    .version(packageJson.version)
    .showHelpAfterError('(run sluice --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  program.command('validate')
    .description('Check pipeline files against the schema and the graph rules; report every error with file:line:col.')
    .argument('[paths...]', 'pipeline files or folders (folders: every *.yaml and *.yml inside)', ['pipelines'])
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .option('--json', 'same as --format json')
    .option('--strict', 'treat warnings (unused parameter, a task that can never run, …) as errors')
    .addHelpText('after', '\nExit status: 0 valid, 1 invalid, 2 usage or I/O error, 70 internal error (a bug in Sluice).')
    .action(async (paths: string[], options: { format: DiagnosticFormat; json?: boolean; strict?: boolean }) => {
      const format: DiagnosticFormat = options.json ? 'json' : options.format;
      process.exitCode = await validate(paths, format, options.strict ?? false);
    });

  program.command('graph')
    .description("Print a pipeline's DAG: by levels (text), as Mermaid, or as Graphviz DOT.")
    .argument('<paths...>', 'pipeline files or folders')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'mermaid', 'dot']).default('text'))
    .action(async (paths: string[], options: { format: GraphFormat }) => {
      process.exitCode = await graph(paths, options.format);
    });

  program.command('schema')
    .description('Print the JSON Schema of pipeline files (composed from the built-in task types).')
    .option('-o, --output <file>', 'write it to a file instead of standard output')
    .action((options: { output?: string }) => {
      const text = `${JSON.stringify(buildPipelineSchema(builtinTaskTypes), null, 2)}\n`;
      if (options.output) writeFileSync(options.output, text);
      else process.stdout.write(text);
    });

  // Started by the executor for built-in task types (ingest, train…), not by people.
  program.command('exec-task', { hidden: true })
    .argument('<type>').argument('<params-file>')
    .action(async (type: string, paramsFile: string) => {
      const { execTask } = await import('../tasks/runtime/exec-task.js');
      process.exitCode = await execTask(builtinTaskTypes, type, paramsFile);
    });

  registerRunCommands(program);
  registerInspectCommands(program);
  registerModelsCommands(program);
  registerServeCommands(program);
  registerUiCommand(program);
  return program;
}

async function loadReports(paths: string[]) {
  const files = findPipelineFiles(paths);
  return loadPipelineSet(await createLoader(), files);
}

async function validate(paths: string[], format: DiagnosticFormat, strict: boolean): Promise<number> {
  const loaded = await loadReports(paths);
  const reports: FileReport[] = loaded.map((l) => ({
    file: l.file,
    text: l.text,
    diagnostics: l.diagnostics,
    summary: l.pipeline ? { name: l.pipeline.name, tasks: l.pipeline.tasks.length } : undefined,
  }));
  if (reports.length === 0) throw new UsageError(`no pipeline files (*.yaml, *.yml) in ${paths.join(', ')}`);
  const out = format === 'json' ? formatJson(reports, strict)
    : format === 'github' ? formatGithub(reports, strict)
      : formatText(reports, styleFor(process.stdout), strict);
  process.stdout.write(out);
  return count(reports, strict).errors > 0 ? 1 : 0;
}

async function graph(paths: string[], format: GraphFormat): Promise<number> {
  const loaded = await loadReports(paths);
  let failed = false;
  const style = styleFor(process.stdout);
  loaded.forEach((item, i) => {
    if (!item.pipeline || !item.graph) {
      failed = true;
      process.stderr.write(formatText([{ file: item.file, text: item.text, diagnostics: item.diagnostics }], styleFor(process.stderr), false));
      return;
    }
    if (i > 0) process.stdout.write('\n');
    process.stdout.write(formatGraph(item.pipeline, item.graph, format, style));
  });
  return failed ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`sluice: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(internalErrorMessage(error));
    return INTERNAL_ERROR_EXIT;
  }
}

/** `sluice … | head` closes the pipe early: that is the reader's choice, not an error. */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});
process.exitCode = await main(process.argv);
