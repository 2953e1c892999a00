// A row of block characters for a series of durations: at a glance, whether
// a pipeline got slower. Scaled between the series' own minimum and maximum.
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const low = Math.min(...values);
  const high = Math.max(...values);
  if (high === low) return BLOCKS[3]!.repeat(values.length);
  return values.map((v) => BLOCKS[Math.round(((v - low) / (high - low)) * (BLOCKS.length - 1))]!).join('');
}
