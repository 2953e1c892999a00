// Lists of values in messages: a few, then how many more, so that a target
// with hundreds of classes does not bury the point of an error.
export function shortList(items: readonly string[], shown = 10): string {
  if (items.length <= shown) return items.join(', ');
  return `${items.slice(0, shown).join(', ')}, … ${items.length - shown} more`;
}
