// The `{{ reference }}` syntax of pipeline strings. `\{{` writes a literal `{{`
// (for Go templates, Jinja, and other tools that use braces themselves).

export interface TemplateReference {
  /** Dotted path split into segments: `tasks.train.values.auc` → ['tasks', 'train', 'values', 'auc']. */
  path: string[];
  /** The reference as written, braces included. */
  raw: string;
  /** Offset of `{{` in the string and length of the whole reference. */
  offset: number;
  length: number;
}

export interface TemplateSyntaxError {
  offset: number;
  length: number;
  message: string;
}

export type TemplatePart = string | TemplateReference;

export interface ParsedTemplate {
  parts: TemplatePart[];
  references: TemplateReference[];
  errors: TemplateSyntaxError[];
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const references: TemplateReference[] = [];
  const errors: TemplateSyntaxError[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) break;
    if (open > 0 && text[open - 1] === '\\') {
      literal += `${text.slice(i, open - 1)}{{`;
      i = open + 2;
      continue;
    }
    literal += text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    const nextOpen = text.indexOf('{{', open + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      errors.push({ offset: open, length: 2, message: "'{{' is not closed by '}}'; write '\\{{' for a literal '{{'" });
      literal += '{{';
      i = open + 2;
      continue;
    }
    const raw = text.slice(open, close + 2);
    const inner = raw.slice(2, -2).trim();
    const path = inner.split('.');
    if (inner === '' || !path.every((s) => SEGMENT.test(s))) {
      errors.push({ offset: open, length: raw.length,
        message: `malformed reference ${raw}; a reference is a dotted name such as {{job.parameters.date}}` +
          " (write '\\{{' for a literal '{{')" });
      literal += raw;
    } else {
      if (literal) parts.push(literal);
      literal = '';
      const reference = { path, raw, offset: open, length: raw.length };
      parts.push(reference);
      references.push(reference);
    }
    i = close + 2;
  }
  literal += text.slice(i);
  if (literal) parts.push(literal);
  return { parts, references, errors };
}
