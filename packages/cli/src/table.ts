/** A column of a text table; numbers read best right-aligned. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Renders rows as aligned text columns with a header and a rule under it. */
export function renderTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const render = (cells: string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        return column.align === 'right' ? cell.padStart(widths[index]) : cell.padEnd(widths[index]);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [render(columns.map((column) => column.header)), rule, ...rows.map(render)].join('\n');
}

/** 1234567 → "1,234,567", in a fixed locale so output is the same everywhere. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** Milliseconds as "850 ms", "12.3 s" or "4 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}
