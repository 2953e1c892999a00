// The terminal's size, following resizes.
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface Size {
  columns: number;
  rows: number;
}

/** A terminal that reports no size gets the classic 80×24. */
export function useTerminalSize(fixed?: Size): Size {
  const { stdout } = useStdout();
  const measure = (): Size => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(measure);
  useEffect(() => {
    if (fixed) return undefined;
    const resized = () => setSize(measure());
    stdout.on('resize', resized);
    return () => {
      stdout.off('resize', resized);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}
