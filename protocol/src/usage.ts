import { concat, fromHex, u64le } from './bytes.js';

/**
 * One usage record: what a session used over an interval, and the newest
 * voucher that paid for it (docs/usage-batches.md).
 */
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
  /** Bytes to and from the plan's zero-rated destinations, not in bytesDown/bytesUp and never in cost; absent when none. */
  zeroDown?: number;
  zeroUp?: number;
}

export const RECORD_VERSION = 1;
/** A record with zero-rated bytes: version 1's fields, then zeroDown and zeroUp. */
export const RECORD_VERSION_ZERO = 2;
export const RECORD_BYTES = 1 + 33 + 8 * 10 + 64;
export const RECORD_BYTES_ZERO = RECORD_BYTES + 16;
const NO_SIGNATURE = new Uint8Array(64);

/**
 * 178 bytes: version, router public key, the fields in declaration order, the
 * voucher signature. A record with zero-rated bytes is version 2, 194 bytes:
 * the same with zeroDown and zeroUp after it; one without any is version 1, so
 * the batches signed before zero-rating verify as they did.
 */
export function recordBytes(routerKey: string, r: UsageRecord): Uint8Array {
  const zero = !!(r.zeroDown || r.zeroUp);
  return concat(
    Uint8Array.of(zero ? RECORD_VERSION_ZERO : RECORD_VERSION),
    fromHex(routerKey, 33, 'router public key'),
    u64le(r.id),
    u64le(r.sessionId),
    u64le(r.channelId ?? 0),
    u64le(r.startMs),
    u64le(r.endMs),
    u64le(r.bytesDown),
    u64le(r.bytesUp),
    u64le(r.seconds),
    u64le(r.cost),
    u64le(r.voucher?.amount ?? 0),
    r.voucher ? fromHex(r.voucher.signature, 64, 'voucher signature') : NO_SIGNATURE,
    ...(zero ? [u64le(r.zeroDown ?? 0), u64le(r.zeroUp ?? 0)] : []),
  );
}
