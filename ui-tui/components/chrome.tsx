// What surrounds every view (k9s and lazygit habits): a breadcrumb that says
// where you are and which views tab cycles through, a message line, and a
// footer with the keys that work here.
import { Box, Text } from 'ink';
import { cutTo, fit, Painted } from '../theme.js';

export interface KeyHelp {
  keys: string;
  does: string;
}

export function Breadcrumb({ crumbs, tabs, current, width }: { crumbs: string[]; tabs: readonly string[]; current: string; width: number }) {
  const trail = ['sluice', ...crumbs].join(' › ');
  const tabText = tabs.join('  ');
  const room = Math.max(0, width - tabText.length - 2);
  return (
    <Box width={width}>
      <Text bold>{fit(trail, room)}</Text>
      <Text>  </Text>
      {tabs.map((tab, i) => (
        <Text key={tab}>
          {i > 0 ? '  ' : ''}
          <Text inverse={tab === current} bold={tab === current}>{tab}</Text>
        </Text>
      ))}
    </Box>
  );
}

/** The keys of the current view, as many as fit, the global ones last. */
/** The keys that fit, in order; `pinned` ones (help, quit) always, at the end, so a narrow terminal drops view keys first. */
export function KeyFooter({ keys, pinned = [], width }: { keys: readonly KeyHelp[]; pinned?: readonly KeyHelp[]; width: number }) {
  const text = ({ keys: k, does }: KeyHelp) => `${k} ${does}`;
  // Parts are joined by two spaces: n parts take their lengths plus 2·(n−1).
  let used = pinned.reduce((sum, key) => sum + text(key).length + 2, -2);
  const parts: string[] = [];
  for (const key of keys) {
    const part = text(key);
    if (used + part.length + 2 > width) break;
    parts.push(part);
    used += part.length + 2;
  }
  parts.push(...pinned.map(text));
  return (
    <Box width={width}>
      <Text>
        {parts.map((part, i) => {
          const [k, ...rest] = part.split(' ');
          return (
            <Text key={part}>
              {i > 0 ? '  ' : ''}
              <Text bold>{k}</Text> <Painted paint="dim">{rest.join(' ')}</Painted>
            </Text>
          );
        })}
      </Text>
    </Box>
  );
}

export type Tone = 'info' | 'good' | 'bad' | 'ask';

export function MessageLine({ text, tone, width }: { text: string; tone: Tone; width: number }) {
  const paint = tone === 'bad' ? 'red' : tone === 'good' ? 'green' : tone === 'ask' ? 'yellow' : 'dim';
  return <Painted paint={paint} bold={tone === 'ask'}>{cutTo(text, width)}</Painted>;
}

export function HelpPanel({ sections, width }: { sections: { title: string; keys: readonly KeyHelp[] }[]; width: number }) {
  const keyWidth = Math.max(...sections.flatMap((s) => s.keys.map((k) => k.keys.length)), 4);
  return (
    <Box flexDirection="column" width={width}>
      {sections.map((section) => (
        <Box key={section.title} flexDirection="column" marginBottom={1}>
          <Text bold>{section.title}</Text>
          {section.keys.map((k) => (
            <Text key={k.keys + k.does}>  <Text bold>{k.keys.padEnd(keyWidth)}</Text>  {fit(k.does, width - keyWidth - 4)}</Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}
