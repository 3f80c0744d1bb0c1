import type { ZeroRated } from './plan.js';

/** Plan fields as people write them, without zod (the registration page's script bundles this). */

/** "0.0001" GAS (at most 8 decimals) in token units; null when it is not such an amount. */
export function gasToUnits(text: string): bigint | null {
  const m = /^(\d{1,10})(?:\.(\d{1,8}))?$/.exec(text.trim());
  return m ? BigInt(m[1]!) * 100_000_000n + BigInt((m[2] ?? '').padEnd(8, '0')) : null;
}

/** Token units as GAS with no trailing zeros: 10000n → "0.0001". */
export function unitsToGas(units: bigint): string {
  const whole = units / 100_000_000n;
  const frac = (units % 100_000_000n).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** A zero-rated destination as written: a host name, or an IPv4 prefix `a.b.c.d/len` (IPv6 prefixes are published with encodePlanTerms). */
export function zeroRatedFromText(text: string): ZeroRated {
  const m = V4.exec(text);
  if (!m) return { kind: 'host', host: text.toLowerCase() };
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new RangeError(`zero-rated prefix ${text} malformed`);
  return { kind: 'ipv4', address: Uint8Array.from(octets), prefix };
}

export const zeroRatedToText = (z: ZeroRated): string => (z.kind === 'host' ? z.host : z.kind === 'ipv4' ? `${[...z.address].join('.')}/${z.prefix}` : '');
