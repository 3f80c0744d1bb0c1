import { z } from 'zod';

const rate = (perSecond: number, burst: number) =>
  z
    .object({
      perSecond: z.number().positive().max(10_000).default(perSecond),
      burst: z.int().min(1).max(100_000).default(burst),
    })
    .strict()
    .default({ perSecond, burst });

/**
 * portal.limits: what one guest (one MAC) may ask of the router. The
 * defaults leave a paying guest's page several times what it uses (a status
 * poll every 3 s, a voucher every few seconds, one transaction to relay) and
 * cut a flood at the first second.
 */
export const limitsSchema = z
  .object({
    /** Every portal request: pages, probes redirected to the portal, the API. */
    requests: rate(20, 60),
    /** Vouchers checked (POST /api/voucher). */
    voucherChecks: rate(2, 10),
    /** Channel and account look-ups that cost a gateway or chain RPC (cache hits are free). */
    lookups: rate(2, 10),
    /** Transactions relayed, sponsored, followed or rekeyed, and openings quoted by the gateway. */
    relays: rate(0.2, 4),
    /** Of the gateway RPC's in-flight slots, the most one guest holds. */
    rpcSlotsPerGuest: z.int().min(1).max(64).default(4),
    /** Slots guests together leave to the router's own calls (voucher pushes, closes). */
    rpcSlotsReserved: z.int().min(0).max(64).default(4),
    /** Open connections to the portal from one guest, and from everyone. */
    connectionsPerGuest: z.int().min(1).max(1_024).default(16),
    connections: z.int().min(16).max(65_536).default(1_024),
    /** A channel look-up that found nothing is answered from memory this long (the page asks again each second while a channel confirms). */
    missCacheSeconds: z.int().min(0).max(300).default(5),
    /** A channel's voucher key, once read, checks vouchers before any look-up; read again at most this often when one fails. */
    keyRecheckSeconds: z.int().min(1).max(3_600).default(30),
  })
  .strict();

export type LimitsConfig = z.infer<typeof limitsSchema>;

export const LIMITS_DEFAULTS: LimitsConfig = limitsSchema.parse({});

/** The gateway RPC's slots (uplink/rpc-client.ts): all in-flight calls of the router. */
export const RPC_SLOTS = 32;
