/**
 * Bytes as every wire format here writes them: lowercase hex, fixed-width
 * little-endian integers (as NEO does), and script hashes in VM order. Plain
 * Uint8Array, so the guest's page builds the same bytes as the router.
 */

const MAX_U64 = (1n << 64n) - 1n;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Hex (an optional 0x is dropped) to bytes; `bytes` fixes the length. */
export function fromHex(hex: string, bytes?: number, what = 'value'): Uint8Array {
  const clean = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (!HEX.test(clean)) throw new TypeError(`${what} is not hex`);
  if (bytes !== undefined && clean.length !== bytes * 2) throw new RangeError(`${what} must be ${bytes} bytes, got ${clean.length / 2}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u32le(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`not a uint32: ${n}`);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** Takes bigint or a safe non-negative integer. */
export function u64le(n: bigint | number): Uint8Array {
  if (typeof n === 'number' && (!Number.isSafeInteger(n) || n < 0)) throw new RangeError(`not an unsigned integer: ${n}`);
  const v = BigInt(n);
  if (v < 0n || v > MAX_U64) throw new RangeError(`not a uint64: ${v}`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * `0x…` script hashes are shown big-endian; the VM, and so every message the
 * contract builds, holds them reversed.
 */
export function scriptHashToVm(hash: string): Uint8Array {
  return fromHex(hash, 20, 'script hash').reverse();
}

export function vmToScriptHash(bytes: Uint8Array): string {
  if (bytes.length !== 20) throw new RangeError(`a script hash is 20 bytes, got ${bytes.length}`);
  return '0x' + toHex(Uint8Array.from(bytes).reverse());
}

/** `0x` + 40 lowercase hex digits, whatever case or prefix came in. */
export function normalizeScriptHash(hash: string): string {
  return '0x' + toHex(fromHex(hash, 20, 'script hash'));
}

export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0x7f);
