import { z } from 'zod';
import { anyHex, publicKeyHex, scriptHash, txid } from './wire/fields.js';
import { txContextSchema, txExportSchema, type InvokeOffer, type SponsoredOffer } from './wire/wallet-tx.js';

/**
 * The portal's JSON API between the guest's page and the router
 * (`/api/*`). The page imports only the types, so none of zod reaches its
 * bundle; the agent validates every body with the schemas.
 */

/** What the page and the RFC 8908 API are told about one guest. */
export interface GuestState {
  online: boolean;
  paying: boolean;
  plan: string | null;
  channelId: string | null;
  /** Everything as decimal strings of the token's smallest unit (GAS: 10^-8). */
  paid: string;
  cost: string;
  credit: string;
  creditWindow: string;
  secondsLeft: number | null;
  bytesLeft: number | null;
  bytesUsed: number;
  /** Bytes to and from the plan's zero-rated destinations: free, not in bytesUsed. */
  zeroBytesUsed: number;
  endReason: string | null;
  /** The channel's deposit as the chain has it now (it grows with a top up); null without a channel. */
  deposit: string | null;
  /** The router's clock (ms): what a session action's signature must name. */
  time: number;
  /** When the open session started (router ms); null without one. The page bounds what it signs by the time since. */
  startedAt: number | null;
}

/** A plan as its owner published it on chain: what the page shows before the wallet's prompt and bounds its vouchers by. */
export interface PlanOffer {
  /** The router's name for it (what /api/pay takes). */
  id: string;
  chainId: number;
  version: number;
  name: string;
  /** Token units per 1,000,000 bytes and per minute, decimal strings. */
  pricePerMB: string;
  pricePerMinute: string;
  /** 0 = unlimited / none. */
  downKbps: number;
  upKbps: number;
  dataCapBytes: string;
  timeCapSeconds: number;
  /** ms since the epoch: the terms are on offer until then. */
  validUntil: string;
}

/**
 * The channel-opening payment the page asks the guest's wallet for: a
 * transfer of `amount` to the contract with `data` =
 * [0, router, voucherKey, expiry, planId, planVersion]. With the guest's
 * account given, the gateway also built it: `sponsored` (the hotspot pays
 * the fees; the wallet signs as second signer) unless sponsoring is off or
 * refused (`sponsorRefusal` says why), and `invoke` (the wallet sends it
 * itself and the guest pays `invoke.fee` beyond the deposit).
 */
export interface PayRequest {
  network: number;
  contract: string;
  /** The contract's address: where the deposit goes. */
  to: string;
  token: string;
  amount: string;
  data: unknown[];
  expiry: number;
  /** The router's public key (who the channel names). */
  router: string;
  /** The hotspot's name, as the page shows it. */
  hotspot: string;
  plan: PlanOffer;
  /** The guest's balance of the token, as the chain has it; null when the account was not given or could not be read. */
  balance: string | null;
  sponsored: SponsoredOffer | null;
  sponsorRefusal: string | null;
  invoke: InvokeOffer | null;
}

/** A channel a guest's account holds at this owner's hotspots, from the gateway's index of the contract's events. */
export interface HeldChannel {
  id: string;
  voucherKey: string;
  deposit: string;
  /** What is spent of it already: the newest voucher any of the owner's routers took, or what was redeemed. */
  spent: string;
  /** ms since the epoch. */
  expiry: number;
  planId: number;
  planVersion: number;
}

/**
 * What the guest is told at log out about the deposit, amounts as decimal
 * strings of the token's smallest unit. `closed`: the gateway closed the
 * channel on chain; charged is what the owner was paid in all, refunded went
 * back to the guest's wallet. `pending`: the close is sent but not in a block
 * yet. `at-expiry`: no close (no gateway, or it holds no key for the owner):
 * the owner redeems the newest voucher and the guest's `refund` call opens
 * at `refundAfter` (ms since the epoch, chain time).
 */
export type CloseReport =
  | { state: 'closed'; txid: string | null; charged: string; refunded: string }
  | { state: 'pending'; txid: string; refund: string | null; refundAfter: number | null }
  | { state: 'at-expiry'; reason: string; refund: string | null; refundAfter: number | null };

/** A relayed transaction, as the page is told (HTTP 200, 202 or 422). */
export type Relayed = { state: 'confirmed'; txid: string; channelId: string | null } | { state: 'unconfirmed'; txid: string };

/**
 * Every error answer: `reason` names the check that refused, `minimum` the lowest voucher the router takes.
 * A guest over one of its limits gets HTTP 429, Retry-After, reason 'rate-limit' and the limit's name.
 */
export interface ApiErrorBody {
  error: string;
  reason?: string;
  minimum?: string;
  txid?: string;
  limit?:
    | 'requests'
    | 'voucher-checks'
    | 'lookups'
    | 'relays'
    | 'rpc-slots'
    | 'connections-per-guest'
    | 'connections'
    /** One transaction of a guest's at a time; a few of all guests' at a time (the relay). */
    | 'transactions-in-flight'
    | 'relays-in-flight';
  retryAfterSeconds?: number;
}

const decimal = z.string().regex(/^[0-9]{1,19}$/, 'expected a decimal integer');

/** The transfer data that opens a channel (contract/README.md "onNEP17Payment"): [0, router, voucherKey, expiry, planId, planVersion]. */
export const openDataSchema = z.tuple([z.literal(0), publicKeyHex, publicKeyHex, z.int().min(1), z.int().min(1).max(255), z.int().min(1).max(65_535)]);

/** A payment request as a client of the API reads it (the page's own code reads the type only). */
export const payRequestSchema = z
  .object({
    network: z.int().min(0).max(0xffff_ffff),
    contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    to: z.string(),
    token: z.string(),
    amount: decimal,
    data: openDataSchema,
    expiry: z.int().min(1),
  })
  .passthrough();

/** account: the guest's script hash (0x, big-endian), so the gateway can build the opening for the wallet to sign. */
export const payBodySchema = z
  .object({ plan: z.string().min(1).max(32), voucherKey: publicKeyHex, account: scriptHash.optional(), publicKey: publicKeyHex.optional() })
  .strict();
/** The wallet's signature of the sponsored opening: NeoLine's signTransaction result, or NEP-21 sign(context)'s. */
export const sponsoredBodySchema = z
  .object({ txid, transaction: txExportSchema.optional(), context: txContextSchema.optional() })
  .strict()
  .refine((b) => !!b.transaction !== !!b.context, { message: 'send the signed transaction or the signed context, one of them' });
/** A transaction the wallet sent itself (its own invoke): the router follows it to its block for the channel id. */
export const openedBodySchema = z.object({ txid }).strict();
export const channelsBodySchema = z.object({ account: scriptHash }).strict();
const actionSignature = { channelId: decimal, time: z.int().min(0).max(Number.MAX_SAFE_INTEGER), signature: anyHex(64) };
/** A session action (protocol sessionActionMessage) signed by the channel's voucher key. */
export const resumeBodySchema = z.object(actionSignature).strict();
/** Log out: the guest keeps the channel for next time (the default) or has the rest refunded now (a cooperative close). */
export const logoutBodySchema = z.union([z.object({ ...actionSignature, refund: z.boolean().default(false) }).strict(), z.object({}).strict()]);
/** A new voucher key for a channel whose key this browser lost, proved by the guest's wallet signMessage over the rekey statement. */
export const rekeyBodySchema = z
  .object({
    channelId: decimal,
    newKey: publicKeyHex,
    proof: z.object({ publicKey: publicKeyHex, salt: z.string().regex(/^[0-9a-f]{0,64}$/), signature: anyHex(64) }).strict(),
  })
  .strict();
export const voucherBodySchema = z
  .object({
    channelId: decimal,
    amount: decimal,
    signature: anyHex(64),
    networkMagic: z.int().min(0).max(0xffff_ffff).optional(),
    contract: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/)
      .optional(),
  })
  .strict();
export const emptyBodySchema = z.object({}).strict();
