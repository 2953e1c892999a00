// Checks of `schedule`, `trigger`, `health` and the notifications that the
// schema cannot express. Checks that need the other pipelines (does an
// on_success_of target exist?) are in pipeline-set.ts.
import type { CheckContext } from './check-context.js';
import type { PathSegment } from './finding.js';
import { isRecord } from './path-names.js';

export function checkTriggers(ctx: CheckContext): void {
  const { root } = ctx;
  const trigger = isRecord(root.trigger) ? root.trigger : undefined;
  checkSelfTrigger(ctx, trigger);
  if (isRecord(root.schedule) || trigger) checkParametersHaveDefaults(ctx, isRecord(root.schedule) ? 'schedule' : 'trigger');
  checkHealthNotifications(ctx, root, [], 'the pipeline');
  for (const task of ctx.tasks) checkHealthNotifications(ctx, task.value, task.path, `task '${task.key}'`);
}

/** A pipeline that starts itself when it succeeds would never stop. */
function checkSelfTrigger(ctx: CheckContext, trigger: Record<string, unknown> | undefined): void {
  if (!trigger || typeof ctx.root.name !== 'string') return;
  for (const key of ['on_success_of', 'on_drift_of']) {
    const names = trigger[key];
    if (!Array.isArray(names)) continue;
    const index = names.indexOf(ctx.root.name);
    if (index >= 0) {
      ctx.error(['trigger', key, index], 'pipeline-cycle',
        `pipeline '${ctx.root.name}' names itself in ${key}: each run would start the next, forever`);
    }
  }
}

/** Runs that start by themselves set no parameters, so each needs a default. */
function checkParametersHaveDefaults(ctx: CheckContext, cause: 'schedule' | 'trigger'): void {
  if (!Array.isArray(ctx.root.parameters)) return;
  ctx.root.parameters.forEach((parameter, index) => {
    if (!isRecord(parameter) || typeof parameter.name !== 'string' || 'default' in parameter) return;
    ctx.error(['parameters', index, 'name'], 'missing-default',
      `parameter '${parameter.name}' has no default, but runs started by the ${cause} set no parameters; give it a default` +
      (cause === 'schedule' ? ' (a scheduled run can read its fire time as {{job.trigger.time.iso_date}})' : ''));
  });
}

function checkHealthNotifications(ctx: CheckContext, owner: Record<string, unknown>, path: PathSegment[], who: string): void {
  if (isRecord(owner.health)) return;
  for (const key of ['webhook_notifications', 'command_notifications']) {
    const notifications = owner[key];
    if (isRecord(notifications) && 'on_duration_warning_threshold_exceeded' in notifications) {
      ctx.warning([...path, key, 'on_duration_warning_threshold_exceeded'], 'no-health-rule',
        `on_duration_warning_threshold_exceeded never fires: ${who} has no health rule; add health: { rules: [{ metric: RUN_DURATION_SECONDS, op: GREATER_THAN, value: <seconds> }] }`,
        'key');
    }
  }
}
