/** Amounts as people read them: GAS with its 8 decimals trimmed, megabytes and megabits in decimal units. */
export function gas(units: bigint): string {
  const neg = units < 0n;
  const a = neg ? -units : units;
  const frac = (a % 100_000_000n).toString().padStart(8, '0').replace(/0+$/, '');
  return `${neg ? '−' : ''}${a / 100_000_000n}${frac ? '.' + frac : ''} GAS`;
}

export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
export const mbit = (bitsPerSecond: number): string => `${(bitsPerSecond / 1e6).toFixed(2)} Mbit/s`;
export const short = (hash: string): string => (hash.length > 18 ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : hash);

/** Columns padded to their widest cell, the first left-aligned and the rest as given. */
export function table(rows: string[][], right: boolean[] = []): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
