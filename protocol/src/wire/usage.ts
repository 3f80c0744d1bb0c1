import { z } from 'zod';
import { lowerHex as hexOf, uint } from './fields.js';

/** A batch as it travels on `qlink/v1/<router>/usage`: JSON, every hash and key lowercase hex. */

export const recordSchema = z
  .object({
    id: uint.min(1),
    sessionId: uint.min(1),
    channelId: uint.min(1).nullable(),
    startMs: uint,
    endMs: uint,
    bytesDown: uint,
    bytesUp: uint,
    seconds: uint,
    cost: uint,
    voucher: z
      .object({ amount: uint, signature: hexOf(64) })
      .strict()
      .nullable(),
    /** Zero-rated bytes (issue 19), apart from bytesDown/bytesUp; absent in records without any (and in every record before them). */
    zeroDown: uint.optional(),
    zeroUp: uint.optional(),
  })
  .strict();

export const batchSchema = z
  .object({
    v: z.literal(1),
    router: hexOf(33),
    networkMagic: z.int().min(0).max(0xffff_ffff),
    contract: z.string().regex(/^0x[0-9a-f]{40}$/),
    seq: uint.min(1),
    prev: hexOf(32),
    root: hexOf(32),
    hash: hexOf(32),
    fromMs: uint,
    toMs: uint,
    records: z.array(recordSchema).min(1).max(10_000),
    signature: hexOf(64),
  })
  .strict();

export type Batch = z.infer<typeof batchSchema>;

/** The gateway's answer on `qlink/v1/<router>/ack`: every batch sequence it has stored, signed (signed.ts gatewaySigningBytes). */
export const ackSchema = z
  .object({
    v: z.literal(1),
    seqs: z.array(uint.min(1)).min(1).max(10_000),
    sig: hexOf(64),
  })
  .strict();

export type Ack = z.infer<typeof ackSchema>;
