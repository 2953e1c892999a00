// What the user reads when Sluice itself is at fault: a bug to report, with
// the trace, never mistaken for a problem in their pipeline.
export const INTERNAL_ERROR_EXIT = 70;

export function internalErrorMessage(error: unknown): string {
  return `sluice: internal error — this is a bug in Sluice, not in your pipeline.\n` +
    `Please report it to the Sluice maintainers with the command you ran and this trace:\n${(error as Error).stack ?? String(error)}\n`;
}
