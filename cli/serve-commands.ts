// The scheduler's commands: `serve`, `trigger`, `backfill`, `schedules`,
// `pause` and `unpause`. Only their options are defined here; what they do
// is loaded when one runs, so that `sluice validate` never loads the daemon.
import type { Command } from 'commander';
import { collect } from './run-commands.js';

const DEFAULT_PIPELINES_DIR = 'pipelines';
const DEFAULT_GRACE_SECONDS = 30;
const STATE_HELP = 'state database (default: .sluice/state.db, or $SLUICE_HOME/state.db)';

const serveActions = () => import('./serve-actions.js');
const scheduleActions = () => import('./schedule-actions.js');

export function registerServeCommands(program: Command): void {
  program.command('serve')
    .description('Run the scheduler: fire cron schedules and triggers of every pipeline in a folder, follow edits to it, keep running through failures.')
    .option('--pipelines <folder>', 'folder of pipelines to serve', DEFAULT_PIPELINES_DIR)
    .option('-c, --concurrency <n>', 'task processes that may run at once, over all runs (default: number of CPUs)')
    .option('--grace-seconds <n>', 'on SIGTERM or Ctrl-C, how long running runs may go on before they are canceled', String(DEFAULT_GRACE_SECONDS))
    .option('--state <file>', STATE_HELP)
    .addHelpText('after', '\nLogs go to serve.log beside the state database. A second Ctrl-C cancels running runs at once.')
    .action(async (options) => (await serveActions()).serve(options));

  requestOptions(program.command('trigger')
    .description('Start a run of a pipeline: a running `sluice serve` picks it up at once; with --wait it runs here when no daemon is running.')
    .argument('<pipeline>', 'pipeline name (in --pipelines) or file')
    .option('-p, --param <name=value>', 'set a parameter (repeatable)', collect, [])
    .option('--queued', 'add no request: start the runs already requested for the pipeline (by a drift monitor, an upstream run…), as a daemon would'),
  'wait for the run to end, and exit with its outcome; without a daemon, run it here')
    .action(async (name: string, options) => {
      process.exitCode = await (await serveActions()).trigger(name, options);
    });

  requestOptions(program.command('backfill')
    .description("Start one run per fire time of a pipeline's schedule in a range, each with that time as {{job.trigger.time.*}}.")
    .argument('<pipeline>', 'pipeline name (in --pipelines) or file')
    .requiredOption('--from <time>', "first day (YYYY-MM-DD, in the schedule's time zone) or date-time (2026-03-01T06:00, or with an offset)")
    .requiredOption('--to <time>', 'last day (the whole day counts) or date-time, inclusive'),
  'wait for every run to end; without a daemon, run them here (max_concurrent_runs at a time)')
    .action(async (name: string, options) => {
      process.exitCode = await (await serveActions()).backfill(name, options);
    });

  program.command('schedules')
    .description('List the scheduled and triggered pipelines of a folder: next fire times in their zone, last run, paused.')
    .option('--pipelines <folder>', 'folder of pipelines', DEFAULT_PIPELINES_DIR)
    .option('--json', 'print a JSON array instead of a table')
    .option('--state <file>', STATE_HELP)
    .action(async (options) => (await scheduleActions()).listSchedules(options));

  for (const paused of [true, false]) {
    program.command(paused ? 'pause' : 'unpause')
      .description(paused ? "Stop a pipeline's schedule and triggers from starting runs (manual triggers still run); overrides the YAML's paused."
        : "Let a pipeline's schedule and triggers start runs again; overrides the YAML's paused.")
      .argument('<pipeline>', 'pipeline name')
      .option('--pipelines <folder>', 'folder of pipelines', DEFAULT_PIPELINES_DIR)
      .option('--state <file>', STATE_HELP)
      .action(async (name: string, options) => (await scheduleActions()).setPaused(name, paused, options));
  }
}

/** What trigger and backfill share: waiting, where the pipeline is, and the foreground run's settings. */
function requestOptions(command: Command, waitHelp: string): Command {
  return command
    .option('--wait', waitHelp)
    .option('--pipelines <folder>', 'folder to find the pipeline in', DEFAULT_PIPELINES_DIR)
    .option('-c, --concurrency <n>', 'with --wait and no daemon: task processes that may run at once')
    .option('--state <file>', STATE_HELP);
}
