import { z } from 'zod';

const UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };
export const MIN_RATE_BPS = 8_000;
export const MAX_RATE_BPS = 10_000_000_000;

/** Bits per second from `5mbit`, `500kbit`, `1.5gbit` or a plain number of bit/s; null when malformed or out of range. */
export function parseRate(text: string | number): number | null {
  const m = typeof text === 'number' ? [String(text), String(text), 'bit'] : /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)?$/i.exec(text.trim());
  if (!m) return null;
  const bps = Math.round(Number(m[1]) * UNITS[(m[2] ?? 'bit').toLowerCase()]!);
  return Number.isFinite(bps) && bps >= MIN_RATE_BPS && bps <= MAX_RATE_BPS ? bps : null;
}

function rateOrIssue(v: string | number, ctx: z.RefinementCtx): number {
  const bps = parseRate(v);
  if (bps !== null) return bps;
  ctx.addIssue({ code: 'custom', message: `expected a rate between 8kbit and 10gbit such as "5mbit", got ${JSON.stringify(v)}` });
  return z.NEVER;
}

export const rateSchema = z.union([z.string(), z.number()]).transform(rateOrIssue);

/** A rate, or "none" to lift a limit. */
export const rateOrNoneSchema = z.union([z.string(), z.number()]).transform((v, ctx): number | 'none' => (v === 'none' ? 'none' : rateOrIssue(v, ctx)));

export function formatRate(bps: number | null): string {
  if (bps === null) return '-';
  if (bps >= 1e9 && bps % 1e6 === 0) return `${bps / 1e9}gbit`;
  if (bps >= 1e6 && bps % 1e3 === 0) return `${bps / 1e6}mbit`;
  if (bps >= 1e3) return `${bps / 1e3}kbit`;
  return `${bps}bit`;
}

/** tc prints rates as `5Mbit`, `500Kbit`, `1Gbit` or `800bit`. */
export function parseTcRate(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)bit$/.exec(text);
  if (!m) return null;
  return Math.round(Number(m[1]) * ({ '': 1, K: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]!]!);
}
