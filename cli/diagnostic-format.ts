// Prints diagnostics as text (with the source line and a caret), as JSON, or
// as GitHub Actions annotations. The engine never prints; this module does.
import type { Diagnostic } from '../engine/diagnostics.js';
import type { Style } from './terminal-style.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';

export interface FileReport {
  file: string;
  text?: string;
  diagnostics: Diagnostic[];
  /** Pipeline name and task count, for valid files. */
  summary?: { name: string; tasks: number };
}

export function formatText(reports: readonly FileReport[], style: Style, strict: boolean): string {
  const lines: string[] = [];
  for (const report of reports) {
    const sourceLines = report.text?.split(/\r?\n/);
    for (const d of report.diagnostics) {
      const severity = d.severity === 'error' || strict ? style.red(style.bold('error')) : style.yellow(style.bold('warning'));
      lines.push(`${style.bold(`${d.file}:${d.line}:${d.col}`)}: ${severity}: ${d.message}`);
      const source = sourceLines?.[d.line - 1];
      if (source !== undefined && source.length <= 500) lines.push(...caretLines(source, d, style));
    }
  }
  const counted = count(reports, strict);
  const files = reports.length === 1 ? '1 file' : `${reports.length} files`;
  if (counted.errors === 0 && counted.warnings === 0) {
    for (const report of reports) {
      if (report.summary) lines.push(`${style.green('✓')} ${report.file}: pipeline '${report.summary.name}', ${plural(report.summary.tasks, 'task')}`);
    }
    lines.push(style.green(`${files} valid`));
  } else {
    const parts = [plural(counted.errors, 'error'), ...(counted.warnings > 0 ? [plural(counted.warnings, 'warning')] : [])];
    lines.push(`${parts.join(', ')} in ${files}`);
  }
  return `${lines.join('\n')}\n`;
}

function caretLines(source: string, d: Diagnostic, style: Style): string[] {
  const gutter = String(d.line);
  const pad = ' '.repeat(gutter.length);
  const shown = source.replaceAll('\t', ' ');
  const start = Math.min(d.col - 1, shown.length);
  const width = d.endCol !== undefined && d.endCol > d.col ? Math.min(d.endCol - d.col, shown.length - start) : 1;
  const marker = `^${'~'.repeat(Math.max(0, width - 1))}`;
  return [
    `${style.dim(` ${gutter} |`)} ${shown}`,
    `${style.dim(` ${pad} |`)} ${' '.repeat(start)}${style.red(marker)}`,
  ];
}

export function formatJson(reports: readonly FileReport[], strict: boolean): string {
  const counted = count(reports, strict);
  return `${JSON.stringify({
    valid: counted.errors === 0,
    errors: counted.errors,
    warnings: counted.warnings,
    files: reports.map((r) => ({
      file: r.file,
      valid: !r.diagnostics.some((d) => d.severity === 'error' || strict),
      ...(r.summary ? { pipeline: r.summary.name, tasks: r.summary.tasks } : {}),
      diagnostics: r.diagnostics.map((d) => ({ ...d, severity: strict ? 'error' : d.severity })),
    })),
  }, null, 2)}\n`;
}

/** GitHub Actions workflow commands; data is escaped as the runner expects. */
export function formatGithub(reports: readonly FileReport[], strict: boolean): string {
  const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
  const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');
  const lines: string[] = [];
  for (const report of reports) {
    for (const d of report.diagnostics) {
      const level = d.severity === 'error' || strict ? 'error' : 'warning';
      const end = d.endCol !== undefined ? `,endColumn=${d.endCol}` : '';
      lines.push(`::${level} file=${escapeProperty(d.file)},line=${d.line},col=${d.col}${end}::${escapeData(d.message)}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function count(reports: readonly FileReport[], strict: boolean): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const r of reports) {
    for (const d of r.diagnostics) {
      if (d.severity === 'error' || strict) errors++;
      else warnings++;
    }
  }
  return { errors, warnings };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
