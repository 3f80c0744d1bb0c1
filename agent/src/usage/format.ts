import { createHash } from 'node:crypto';

/** The fixed binary layouts of docs/usage-batches.md. All integers are unsigned 64-bit little-endian, as NEO writes them. */

export interface UsageRecord {
  id: number;
  sessionId: number;
  /** Payment channel id; null (encoded 0) while the session has none. Channel ids on chain start at 1. */
  channelId: number | null;
  startMs: number;
  endMs: number;
  bytesDown: number;
  bytesUp: number;
  seconds: number;
  cost: number;
  voucher: { amount: number; signature: string } | null;
}

export interface Deployment {
  networkMagic: number;
  /** Script hash as NEO displays it: 0x + 40 hex digits, big-endian. */
  contract: string;
}

export const RECORD_VERSION = 1;
export const RECORD_BYTES = 1 + 33 + 8 * 10 + 64;
export const ANCHOR_TAG = Buffer.from('qlink-anchor-v1\0', 'latin1');
export const ANCHOR_BYTES = 145;
export const ZERO_HASH = '00'.repeat(32);

const u64 = (n: number): Buffer => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an unsigned integer: ${n}`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

const hex = (s: string, len: number, what: string): Buffer => {
  const b = Buffer.from(s, 'hex');
  if (b.length !== len || b.toString('hex') !== s.toLowerCase()) throw new RangeError(`${what} must be ${len} bytes of hex`);
  return b;
};

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** 178 bytes: version, router public key, then the record's fields in declaration order, then the voucher signature. */
export function recordBytes(routerPublicKey: string, r: UsageRecord): Buffer {
  return Buffer.concat([
    Buffer.of(RECORD_VERSION),
    hex(routerPublicKey, 33, 'router public key'),
    u64(r.id), u64(r.sessionId), u64(r.channelId ?? 0), u64(r.startMs), u64(r.endMs),
    u64(r.bytesDown), u64(r.bytesUp), u64(r.seconds), u64(r.cost),
    u64(r.voucher?.amount ?? 0),
    r.voucher ? hex(r.voucher.signature, 64, 'voucher signature') : Buffer.alloc(64),
  ]);
}

/** The contract's AnchorMessage (contract/qlink/messages.go): what the router signs, and whose SHA-256 is the batch hash. */
export function anchorMessage(d: Deployment, routerPublicKey: string, seq: number, prev: string, root: string): Buffer {
  if (seq < 1) throw new RangeError('batch sequence starts at 1');
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(d.networkMagic);
  return Buffer.concat([
    ANCHOR_TAG, magic,
    hex(d.contract.replace(/^0x/i, ''), 20, 'contract').reverse(),
    hex(routerPublicKey, 33, 'router public key'),
    u64(seq), hex(prev, 32, 'previous hash'), hex(root, 32, 'root'),
  ]);
}
