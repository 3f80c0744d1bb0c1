/** Figures as a café owner reads them. */

const GAS_UNIT = 100_000_000;

/** GAS from its smallest unit (8 decimals), exact, trailing zeros dropped: 62000000 → "0.62". */
export function gas(units: number): string {
  const neg = units < 0;
  const n = Math.abs(Math.round(units));
  const whole = Math.floor(n / GAS_UNIT);
  const frac = String(n % GAS_UNIT)
    .padStart(8, '0')
    .replace(/0+$/, '');
  return `${neg ? '−' : ''}${whole.toLocaleString('en-US')}${frac ? '.' + frac : ''}`;
}

/** GAS rounded for an axis or a tile: at most `digits` decimals. */
export function gasShort(units: number, digits = 4): string {
  return (units / GAS_UNIT).toLocaleString('en-US', { maximumFractionDigits: digits });
}

const SI = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes in SI units, three significant digits: 1234567 → "1.23 MB". */
export function bytes(n: number): string {
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toLocaleString('en-US', { maximumSignificantDigits: 3 })} ${SI[i]}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago"; "never" for 0. */
export function ago(at: number, now: number): string {
  if (!at) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86_400);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** "2026-11-25 14:03 UTC". */
export const utc = (at: number): string => new Date(at).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

export const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
