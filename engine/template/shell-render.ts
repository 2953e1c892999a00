// Renders a `shell` task's script so that no value can ever become shell
// syntax, wherever the reference sits: each value goes to the process in an
// environment variable, and the reference becomes an expansion of that
// variable written for its quoting context. bash never re-parses the result
// of an expansion, so `$(…)`, backticks, quotes and newlines in a value stay
// text.
import { parseTemplate, type TemplateReference } from './parse.js';

export interface RenderedScript {
  script: string;
  /** Variables that hold the values, SLUICE_REF_1, SLUICE_REF_2, … */
  env: Record<string, string>;
}

type Context = 'plain' | 'double' | 'single' | 'ansi' | 'heredoc' | 'quoted-heredoc';

export function renderShellScript(script: string, resolve: (reference: TemplateReference) => string): RenderedScript {
  const parsed = parseTemplate(script);
  if (parsed.errors.length > 0) throw new Error(parsed.errors[0]!.message);
  const scanner = new QuoteScanner();
  const env: Record<string, string> = {};
  let out = '';
  for (const part of parsed.parts) {
    if (typeof part === 'string') {
      scanner.feed(part);
      out += part;
      continue;
    }
    const value = resolve(part);
    if (value.includes('\0')) throw new Error(`${part.raw} holds a NUL byte, which a shell variable cannot carry`);
    const name = `SLUICE_REF_${Object.keys(env).length + 1}`;
    env[name] = value;
    out += expansion(name, value, scanner, part);
    scanner.afterExpansion();
  }
  return { script: out, env };
}

function expansion(name: string, value: string, scanner: QuoteScanner, reference: TemplateReference): string {
  switch (scanner.context()) {
    case 'plain': return `"\${${name}}"`;
    case 'double': case 'heredoc': return `\${${name}}`;
    // Close the quotes, expand in double quotes, reopen them.
    case 'single': return `'"\${${name}}"'`;
    case 'ansi': return `'"\${${name}}"$'`;
    case 'quoted-heredoc': {
      // Nothing expands in a quoted here-document: the text goes in as it is,
      // unless it holds the line that would end the document early.
      const delimiter = scanner.heredocDelimiter();
      if (value.split('\n').some((line) => line.replace(/^\t+/, '') === delimiter)) {
        throw new Error(`${reference.raw} holds the line '${delimiter}', which would end the here-document it is written in`);
      }
      return value;
    }
  }
}

interface Frame {
  context: Context;
  /** For `$(…)`: open parentheses inside it. */
  depth?: number;
  /** For a command substitution in backticks. */
  backtick?: boolean;
  delimiter?: string;
  stripTabs?: boolean;
}

/**
 * Follows bash's quoting through a script, enough to tell the context of
 * each reference: plain words, "…", '…', $'…', $(…) and `…` (which start
 * plain words again), comments, and here-documents.
 */
class QuoteScanner {
  private readonly stack: Frame[] = [{ context: 'plain' }];
  private escaped = false;
  private comment = false;
  private previous = '\n';
  private pendingHeredocs: Frame[] = [];
  private heredocLine = '';

  context(): Context {
    return this.top().context;
  }

  /** An expansion is part of a word: a `#` right after it starts no comment. */
  afterExpansion(): void {
    this.previous = 'x';
  }

  heredocDelimiter(): string {
    return this.top().delimiter ?? '';
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      this.step(text[i]!, text, i);
    }
  }

  private top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  private step(c: string, text: string, i: number): void {
    const frame = this.top();
    const next = text[i + 1];
    if (frame.context === 'heredoc' || frame.context === 'quoted-heredoc') {
      this.stepHeredoc(c, frame);
      return;
    }
    if (this.escaped) {
      this.escaped = false;
      this.previous = c;
      return;
    }
    if (this.comment) {
      if (c === '\n') {
        this.comment = false;
        this.startHeredocs();
      }
      this.previous = c;
      return;
    }
    switch (frame.context) {
      case 'single':
        if (c === "'") this.stack.pop();
        break;
      case 'ansi':
        if (c === '\\') this.escaped = true;
        else if (c === "'") this.stack.pop();
        break;
      case 'double':
        if (c === '\\') this.escaped = true;
        else if (c === '"') this.stack.pop();
        else this.substitution(c, next);
        break;
      case 'plain':
        this.stepPlain(c, frame, text, i);
        break;
    }
    this.previous = c;
  }

  private stepPlain(c: string, frame: Frame, text: string, i: number): void {
    const next = text[i + 1];
    if (c === '\\') this.escaped = true;
    else if (c === "'") this.stack.push({ context: this.previous === '$' ? 'ansi' : 'single' });
    else if (c === '"') this.stack.push({ context: 'double' });
    else if (c === '#' && /[\s;&|()]/.test(this.previous)) this.comment = true;
    else if (c === '`' && frame.backtick) this.stack.pop();
    else if (c === '(' && frame.depth !== undefined) frame.depth++;
    else if (c === ')' && frame.depth !== undefined) {
      if (--frame.depth === 0) this.stack.pop();
    } else if (c === '<' && next === '<' && text[i - 1] !== '<' && text[i + 2] !== '<') this.readHeredocStart(text, i + 2);
    else if (c === '\n') this.startHeredocs();
    else this.substitution(c, next);
  }

  /** `$(` and backticks start plain words again, in plain words and in "…". */
  private substitution(c: string, next: string | undefined): void {
    if (c === '$' && next === '(') this.stack.push({ context: 'plain', depth: 0 });
    else if (c === '`') this.stack.push({ context: 'plain', backtick: true });
  }

  /** `<<WORD`, `<<-WORD`, `<<'WORD'`, `<<"WORD"`, `<<\WORD`: the document starts after this line. */
  private readHeredocStart(text: string, from: number): void {
    const match = /^(-?)[ \t]*(?:'([^']*)'|"([^"]*)"|(\\?)([A-Za-z0-9_.-]+))/.exec(text.slice(from));
    if (!match) return;
    const quoted = match[2] !== undefined || match[3] !== undefined || match[4] === '\\';
    const delimiter = match[2] ?? match[3] ?? match[5]!;
    this.pendingHeredocs.push({ context: quoted ? 'quoted-heredoc' : 'heredoc', delimiter, stripTabs: match[1] === '-' });
  }

  private startHeredocs(): void {
    // The first document named on the line comes first: push in reverse.
    for (const heredoc of this.pendingHeredocs.reverse()) this.stack.push(heredoc);
    this.pendingHeredocs = [];
    this.heredocLine = '';
  }

  private stepHeredoc(c: string, frame: Frame): void {
    if (c !== '\n') {
      this.heredocLine += c;
      if (frame.context === 'heredoc' && !this.escaped) {
        // Expansions in an unquoted document are followed like those in "…".
        if (c === '\\') this.escaped = true;
      } else this.escaped = false;
      return;
    }
    const line = frame.stripTabs ? this.heredocLine.replace(/^\t+/, '') : this.heredocLine;
    this.heredocLine = '';
    this.escaped = false;
    if (line === frame.delimiter) this.stack.pop();
  }
}
