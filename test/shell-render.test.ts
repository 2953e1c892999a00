// A shell task's references, wherever they sit in the script, reach bash as
// text and never as syntax: checked by running bash on the rendered script.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderShellScript } from '../engine/template/shell-render.js';

const HOSTILE = [
  '"; touch pwned #', '$(touch pwned)', '`touch pwned`', "' ; touch pwned ; '", 'a | touch pwned', 'x\ntouch pwned',
  '$HOME', '*', '\\', '  two  spaces  ', '', '--flag=1', 'EOF',
];

/** Runs the rendered script with bash; prints each argument of `args` on its own line, quoted in []. */
function run(script: string, value: string): string {
  const rendered = renderShellScript(script, () => value);
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', `args() { for a in "$@"; do printf '[%s]\\n' "$a"; done; }\n${rendered.script}`],
    // stdin from /dev/null, as Sluice's tasks get it: on a socket, bash would read /etc/bash.bashrc as if run by sshd.
    { encoding: 'utf8', env: { ...process.env, ...rendered.env }, cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(result.stderr).toBe('');
  return result.stdout;
}

describe('references in shell scripts', () => {
  it.each([
    ['a bare word', 'args {{job.parameters.x}}', (v: string) => `[${v}]\n`],
    ['inside double quotes', 'args "prefix {{job.parameters.x}} suffix"', (v: string) => `[prefix ${v} suffix]\n`],
    ['inside single quotes', "args 'prefix {{job.parameters.x}} suffix'", (v: string) => `[prefix ${v} suffix]\n`],
    ["inside $'…'", "args $'tab\\t{{job.parameters.x}}'", (v: string) => `[tab\t${v}]\n`],
    ['glued to other words', 'args pre{{job.parameters.x}}"mid"{{job.parameters.x}}', (v: string) => `[pre${v}mid${v}]\n`],
    ['in $(…) inside double quotes', 'args "$(printf %s {{job.parameters.x}})"', (v: string) => `[${v}]\n`],
    ['in an assignment', 'v={{job.parameters.x}}; args "$v"', (v: string) => `[${v}]\n`],
    ['before a #', 'args {{job.parameters.x}}#not-a-comment', (v: string) => `[${v}#not-a-comment]\n`],
    ['in an unquoted here-document', 'cat <<END\n<{{job.parameters.x}}>\nEND', (v: string) => `<${v}>\n`],
    ['in a quoted here-document', "cat <<'END'\n<{{job.parameters.x}}>\nEND", (v: string) => `<${v}>\n`],
  ])('%s: hostile values stay text', (_, script, expected) => {
    for (const value of HOSTILE) expect(run(script, value), JSON.stringify(value)).toBe(expected(value));
  });

  it('passes values in environment variables, never in the script text', () => {
    const rendered = renderShellScript('echo {{a}} "{{b}}"', (ref) => ref.raw);
    expect(rendered.script).toBe('echo "${SLUICE_REF_1}" "${SLUICE_REF_2}"');
    expect(rendered.env).toEqual({ SLUICE_REF_1: '{{a}}', SLUICE_REF_2: '{{b}}' });
  });

  it('refuses a value that would end a quoted here-document early', () => {
    expect(() => renderShellScript("cat <<'END'\n{{x}}\nEND\n", () => 'ok\nEND\ntouch pwned'))
      .toThrow("{{x}} holds the line 'END', which would end the here-document it is written in");
  });

  it('refuses a NUL byte, which no variable can carry', () => {
    expect(() => renderShellScript('echo {{x}}', () => 'a\0b')).toThrow('holds a NUL byte');
  });
});
