/** Fixed-width little-endian fields and NEO script-hash byte order. */

const MAX_U64 = (1n << 64n) - 1n;

export function u32le(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not a uint32: ${n}`);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

export function u64le(n: bigint): Buffer {
  if (n < 0n || n > MAX_U64) throw new RangeError(`not a uint64: ${n}`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

export function fromHex(hex: string, bytes?: number): Buffer {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new TypeError(`not hex: ${hex}`);
  const b = Buffer.from(clean, 'hex');
  if (bytes !== undefined && b.length !== bytes) throw new RangeError(`want ${bytes} bytes, got ${b.length}`);
  return b;
}

/**
 * '0x…' script hashes are shown reversed; the VM (and so every message the
 * contract builds) holds them in the opposite order.
 */
export function scriptHashToVm(hash: string): Buffer {
  return Buffer.from(fromHex(hash, 20)).reverse();
}

export function vmToScriptHash(bytes: Uint8Array): string {
  if (bytes.length !== 20) throw new RangeError(`want 20 bytes, got ${bytes.length}`);
  return '0x' + Buffer.from(bytes).reverse().toString('hex');
}

export function normalizeHash(hash: string): string {
  return '0x' + fromHex(hash, 20).toString('hex');
}
