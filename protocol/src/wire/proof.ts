import { z } from 'zod';
import { address, lowerHex, scriptHash, txid, uint } from './fields.js';

/**
 * What the gateway answers on GET /api/proof?router=<address>&seq=N: the
 * batch's place in an anchored settlement round (protocol/src/round.ts) and
 * the transaction that anchored it. Anyone can check it against the chain
 * with standard RPC (chain/src/verify-proof.ts, `qlink-gateway verify`).
 */
export const proofSchema = z
  .object({
    v: z.literal(1),
    /** The network magic the round was anchored on. */
    network: z.int().min(0).max(0xffff_ffff),
    contract: scriptHash,
    /** The account that anchored the round (the gateway's settlement wallet): verifiers pin it. */
    anchorer: address,
    round: uint.min(1),
    txid,
    /** The batch's leaf position in the round, and the round's number of batches. */
    index: uint,
    size: uint.min(1),
    router: address,
    seq: uint.min(1),
    /** The batch hash the leaf is made of. */
    leaf: lowerHex(32),
    path: z.array(lowerHex(32)).max(64),
    root: lowerHex(32),
  })
  .strict();

export type Proof = z.infer<typeof proofSchema>;
