// Virtual scrolling: only the rows on screen are read and rendered, so a
// list of 10,000 runs costs what a list of 20 does.

/** The first row to show so that `selected` stays in a window of `height` rows. */
export function windowStart(selected: number, previousStart: number, height: number, total: number): number {
  if (height <= 0 || total <= height) return 0;
  let start = Math.min(previousStart, total - height);
  if (selected < start) start = selected;
  if (selected >= start + height) start = selected - height + 1;
  return Math.max(0, Math.min(start, total - height));
}

/** The selection after a movement key, kept within the list. */
export function moveSelection(selected: number, by: number, total: number): number {
  if (total === 0) return 0;
  return Math.max(0, Math.min(total - 1, selected + by));
}
