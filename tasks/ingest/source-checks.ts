// What an ingest can tell about its files before and after DuckDB reads
// them: a file that is plainly another format than the one ingest reads it
// as, a CSV line with more or fewer fields than its header, and DuckDB's
// errors in Sluice's terms (DuckDB's hints name read_csv settings that an
// ingest task does not have).
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { columnTypeOf } from '../data/column-types.js';
import { TaskInputError } from '../runtime/task-context.js';
import type { SourceFormat } from './source-files.js';

type FileKind =
  | { kind: 'parquet' }
  | { kind: 'binary'; what: string }
  | { kind: 'text'; start: string };

const HEAD_BYTES = 4096;

const MAGIC: [bytes: number[], what: string][] = [
  [[0x7f, 0x45, 0x4c, 0x46], 'an ELF executable'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (an .xlsx workbook is one)'],
  [[0x1f, 0x8b], 'a gzip-compressed file'],
];

/** What a file's first bytes say it is. */
function sniff(file: string): FileKind {
  const head = Buffer.alloc(HEAD_BYTES);
  const descriptor = openSync(file, 'r');
  let length: number;
  try {
    length = readSync(descriptor, head, 0, HEAD_BYTES, 0);
  } finally {
    closeSync(descriptor);
  }
  const bytes = head.subarray(0, length);
  if (bytes.subarray(0, 4).toString('latin1') === 'PAR1') return { kind: 'parquet' };
  const magic = MAGIC.find(([prefix]) => prefix.every((byte, i) => bytes[i] === byte));
  if (magic) return { kind: 'binary', what: magic[1] };
  if (bytes.includes(0)) return { kind: 'binary', what: 'binary data (or UTF-16 text: save it as UTF-8)' };
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return { kind: 'text', start: text.split(/\r?\n/)[0]!.slice(0, 40) };
}

/**
 * Refuses a file that is plainly not `format` before DuckDB reads it: DuckDB
 * would fail with a parser's message, or worse, read a JSON lines file as
 * a one-column CSV and a JSON array as one row.
 */
export function checkFileFormats(files: string[], format: SourceFormat, workingDir: string): void {
  for (const file of files) {
    const found = sniff(file);
    const shown = relative(workingDir, file) || file;
    const problem = formatProblem(found, format, shown);
    if (problem) throw new TaskInputError(`cannot read ${shown} as ${format}: ${problem}`);
  }
}

function formatProblem(found: FileKind, format: SourceFormat, shown: string): string | undefined {
  const named = { csv: 'CSV', jsonl: 'JSON lines', parquet: 'Parquet' }[format];
  const otherwise = (formats: string) => `is it another format? set format: ${formats} if it is one of those, or point source: at the ${named} files`;
  if (found.kind === 'parquet') return format === 'parquet' ? undefined : 'it is a Parquet file; set format: parquet';
  if (found.kind === 'binary') {
    const others = { csv: 'jsonl or parquet', jsonl: 'csv or parquet', parquet: 'csv or jsonl' }[format];
    return `it does not look like ${format === 'parquet' ? 'a Parquet file' : `${format === 'csv' ? 'CSV' : 'JSON lines'} text`} (it starts like ${found.what}); ${otherwise(others)}`;
  }
  const start = found.start;
  if (start === '') return undefined;
  const startsWith = `it starts with '${start}'`;
  if (format === 'parquet') {
    const looks = start.startsWith('{') || start.startsWith('[') ? 'JSON' : 'text, perhaps CSV';
    return `it is not a Parquet file (no PAR1 magic bytes; it looks like ${looks}: ${startsWith}); set format: csv or jsonl`;
  }
  if (start.startsWith('[')) {
    return format === 'jsonl'
      ? `it holds a JSON array (${startsWith}), and ingest reads JSON lines: one object per line; convert it, e.g. jq -c '.[]' ${shown} > ${shown.replace(/\.json$/, '')}.jsonl`
      : `it holds JSON (${startsWith}); convert it to JSON lines (one object per line) and set format: jsonl`;
  }
  if (format === 'csv' && start.startsWith('{')) return `it holds JSON (${startsWith}); set format: jsonl for JSON lines`;
  if (format === 'jsonl' && !start.startsWith('{')) return `it does not look like JSON lines, one object per line (${startsWith}); set format: csv if it is CSV`;
  return undefined;
}

const DELIMITERS = [',', ';', '\t', '|'];

/**
 * DuckDB reads a CSV file whose rows do not all have the header's number of
 * fields as a single column named after the whole header line ("x,y,label"):
 * find the line that broke it. Nothing when every line fits (a header
 * field may really hold a comma, quoted).
 */
export async function checkSingleColumnCsv(columns: string[], files: string[], workingDir: string): Promise<void> {
  if (columns.length !== 1) return;
  const delimiter = DELIMITERS.find((candidate) => columns[0]!.includes(candidate));
  if (!delimiter) return;
  await reportRaggedLine(files, workingDir, [delimiter], undefined);
}

/**
 * The first line of `files` whose field count differs from its file's
 * header, as an error; nothing when all fit. A delimiter counts only when
 * it splits the header into `columns` fields (DuckDB's count, when known),
 * or into more than one.
 */
async function reportRaggedLine(files: string[], workingDir: string, delimiters: string[], columns: number | undefined): Promise<void> {
  for (const file of files) {
    for (const delimiter of delimiters) {
      const ragged = await firstRaggedLine(file, delimiter, columns);
      if (!ragged) continue;
      const shown = relative(workingDir, file) || file;
      const name = delimiter === '\t' ? 'a tab' : `'${delimiter}'`;
      throw new TaskInputError(`cannot read ${shown} as csv: line ${ragged.line} has ${ragged.fields} fields but the header (line 1) has ${ragged.header}: ` +
        `'${ragged.text.slice(0, 80)}'; fix that line, or quote a value that holds ${name} ("a${delimiter}b")`);
    }
  }
}

interface RaggedLine {
  /** 1-based line of the file; the header is line 1. */
  line: number;
  fields: number;
  header: number;
  text: string;
}

/** Counts fields per record, minding quotes (a quoted value may hold the delimiter, a quote as "" or a line break). */
async function firstRaggedLine(file: string, delimiter: string, columns: number | undefined): Promise<RaggedLine | undefined> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header: number | undefined;
  let line = 0;
  let start = 0;
  let fields = 1;
  let quoted = false;
  let text = '';
  try {
    for await (const part of lines) {
      line += 1;
      if (!quoted) {
        start = line;
        fields = 1;
        text = part;
      } else {
        text += `\n${part}`;
      }
      for (const char of part) {
        if (char === '"') quoted = !quoted;
        else if (char === delimiter && !quoted) fields += 1;
      }
      if (quoted || text.trim() === '') continue;
      if (header === undefined) {
        if (columns === undefined ? fields < 2 : fields !== columns) return undefined;
        header = fields;
      } else if (fields !== header) return { line: start, fields, header, text };
    }
    return undefined;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/**
 * DuckDB's read error as a TaskInputError: its first line without the hints
 * about read_csv settings, the file named relative to the pipeline, and for
 * a CSV line with the wrong number of fields, that line.
 */
export async function explainReadError(
  error: unknown, files: string[], format: SourceFormat, pattern: string, workingDir: string, columns: number | undefined,
): Promise<TaskInputError> {
  const message = (error as Error).message ?? String(error);
  if (format === 'csv' && /Expected Number of Columns|Error when sniffing file/.test(message)) {
    try {
      await reportRaggedLine(files, workingDir, DELIMITERS, files.length === 1 ? columns : undefined);
    } catch (ragged) {
      if (ragged instanceof TaskInputError) return ragged;
      throw ragged;
    }
  }
  const conversion = /Error when converting column "(.+?)"\. Could not convert string "(.*?)" to '(\w+)'/.exec(message);
  if (conversion) {
    const [, column, value, type] = conversion;
    const file = /^\s*file = (.+)$/m.exec(message)?.[1]?.replaceAll(`${workingDir}/`, '') ?? pattern;
    const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
    return new TaskInputError(`cannot read ${file} as csv: ${line ? `line ${line} holds` : 'a line holds'} '${value}' in column '${column}', which its first lines made look like ` +
      `${columnTypeOf(type!)}; declare the column's type under schema: (e.g. ${column}: string), or fix the value`);
  }
  const first = message.split('\n')[0]!
    .replace(/^[A-Za-z ]+ Error: /, '')
    .replace(/ ?Try auto-detecting the JSON format\.?/, '')
    .replaceAll(`${workingDir}/`, '')
    .trim();
  if (format === 'csv' && first.startsWith('Error when sniffing file')) {
    return new TaskInputError(`cannot read ${pattern} as csv: DuckDB cannot tell how its lines are laid out (which delimiter, which quotes); ` +
      'ingest reads text with a header line and values separated by commas, semicolons, tabs or |');
  }
  if (format === 'parquet' && /magic bytes|too small|Footer|footer|metadata/.test(first)) {
    return new TaskInputError(`cannot read ${pattern} as parquet: ${first}; the file may be truncated or damaged, or another format (set format: csv or jsonl)`);
  }
  const detail = message.split('\n').slice(1).find((line) => /^(Original Line|Expected Number)/.test(line));
  return new TaskInputError(`cannot read ${pattern} as ${format}: ${first}${detail ? ` (${detail.trim()})` : ''}`);
}
