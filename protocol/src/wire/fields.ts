import { z } from 'zod';

/** Field schemas every wire format shares, so a key or a hash is checked the same way everywhere. */
export const uint = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
export const lowerHex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lowercase hex`);
export const anyHex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes} bytes of hex`);
export const publicKeyHex = z.string().regex(/^0[23][0-9a-fA-F]{64}$/, 'expected a compressed public key (33 bytes of hex)');
export const scriptHash = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected 0x and 40 hex digits');
export const txid = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x and 64 hex digits');
export const address = z.string().regex(/^N[1-9A-HJ-NP-Za-km-z]{33}$/, 'expected a NEO N3 address');
/** Integers read from the chain travel as decimal strings (they can pass 2^53); small ones as JSON numbers. */
export const bigintText = z.union([z.string().regex(/^-?[0-9]{1,40}$/), z.int()]).transform((v) => BigInt(v));

/** JSON with bigints as decimal strings. */
export function jsonWithBigints(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
