import { z } from 'zod';
import { address, anyHex, bigintText, lowerHex, publicKeyHex, scriptHash, txid, uint } from './fields.js';
import { requestAuthSchema } from './signed.js';
import { txContextSchema, txExportSchema, walletArgSchema } from './wallet-tx.js';

/**
 * The channel service between a router and the gateway (docs/channel-rpc.md):
 * requests on `…/rpc`, answers on `…/rpc/result`, matched by id. A request
 * that does a thing on chain (relay, close) is answered twice: first when
 * the transaction is sent, then with the block's verdict.
 */

/** A guest's signed transaction is a few hundred bytes; 16 KB leaves room for any wallet's witnesses. */
export const MAX_TX_BYTES = 16 * 1024;
export const MAX_REQUEST_BYTES = 64 * 1024;
export const MAX_VOUCHERS = 100;

const id = z.string().min(1).max(64);
const voucher = z.object({ amount: uint.min(1), signature: anyHex(64) }).strict();
/** The router's public key; its address must be the topic's <router-id>. */
const routerKey = anyHex(33);

export const rpcRequestSchema = z.discriminatedUnion('method', [
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('channel'),
      params: z
        .object({
          channelId: uint.min(1),
          /** The router's public key; its address must be the topic's <router-id>. The answer says whom its channels pay. */
          router: anyHex(33),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('plan'),
      params: z
        .object({
          /** The router's public key; its address must be the topic's <router-id>. The plan is its owner's. */
          router: anyHex(33),
          planId: z.int().min(1).max(255),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('plans'),
      params: z
        .object({
          /** The router's public key; its address must be the topic's <router-id>. The plans are its owner's. */
          router: anyHex(33),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('planVersion'),
      params: z
        .object({
          router: anyHex(33),
          /** The plan's owner (0x, big-endian): a channel's payee, whose plan it was opened under. */
          owner: scriptHash,
          planId: z.int().min(1).max(255),
          version: z.int().min(1).max(65_535),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('relay'),
      params: z
        .object({
          /** The signed transaction, base64. */
          tx: z
            .string()
            .min(1)
            .max(Math.ceil((MAX_TX_BYTES * 4) / 3) + 4)
            .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
          /** How long to watch for the block, ms (default 60 s). */
          waitMs: z.int().min(0).max(300_000).default(60_000),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('vouchers'),
      params: z
        .object({
          /** The router's public key; its address must be the topic's <router-id>. */
          router: anyHex(33),
          vouchers: z
            .array(voucher.extend({ channelId: uint.min(1) }).strict())
            .min(1)
            .max(MAX_VOUCHERS),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('close'),
      params: z
        .object({
          /** The router's public key; its address must be the topic's <router-id>, and its owner the channel's. */
          router: anyHex(33),
          channelId: uint.min(1),
          /** The newest voucher the router holds, checked and kept like one passed on by `vouchers`, so the close cannot miss it. */
          voucher: voucher.nullable().default(null),
          /** How long to watch for the block, ms (default 30 s). */
          waitMs: z.int().min(0).max(300_000).default(30_000),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('offer'),
      params: z
        .object({
          router: routerKey,
          /** The guest's account (0x, big-endian): who pays the deposit and signs second. */
          guest: scriptHash,
          /** The guest's public key, when the wallet told it: it goes in the NEP-21 context's item for the guest. */
          guestKey: publicKeyHex.optional(),
          amount: uint.min(1),
          voucherKey: publicKeyHex,
          expiry: uint.min(1),
          planId: z.int().min(1).max(255),
          planVersion: z.int().min(1).max(65_535),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('sponsored'),
      params: z
        .object({
          router: routerKey,
          /** The offer's txid: the gateway signs nothing but the transaction it built under it. */
          txid,
          transaction: txExportSchema.optional(),
          context: txContextSchema.optional(),
          waitMs: z.int().min(0).max(300_000).default(60_000),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('watch'),
      params: z.object({ router: routerKey, txid, waitMs: z.int().min(0).max(300_000).default(60_000) }).strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('channels'),
      params: z.object({ router: routerKey, guest: scriptHash }).strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(1),
      id,
      auth: requestAuthSchema,
      method: z.literal('rekey'),
      params: z
        .object({
          router: routerKey,
          channelId: uint.min(1),
          newKey: publicKeyHex,
          /** What the guest's wallet signMessage returned for rekeyStatement(rekeyMessage(channel, current key, newKey)). */
          proof: z.object({ publicKey: publicKeyHex, salt: z.string().regex(/^[0-9a-f]{0,64}$/), signature: anyHex(64) }).strict(),
          waitMs: z.int().min(0).max(300_000).default(60_000),
        })
        .strict(),
    })
    .strict(),
]);

export type RpcRequest = z.infer<typeof rpcRequestSchema>;
export type RpcMethod = RpcRequest['method'];
export type RpcParams<M extends RpcMethod> = Extract<RpcRequest, { method: M }>['params'];

export type RpcErrorCode =
  | 'bad-request'
  | 'bad-signature'
  | 'too-large'
  | 'busy'
  | 'over-quota'
  | 'unknown-router'
  | 'chain-unavailable'
  | 'refused'
  | 'no-owner-key'
  | 'internal'
  | 'insufficient-funds'
  | 'not-sponsored';

export type RpcResponse =
  | { v: 1; id: string; ok: true; result: unknown }
  | { v: 1; id: string | null; ok: false; error: { code: RpcErrorCode; message: string } };

/** Every answer carries the gateway's signature (signed.ts gatewaySigningBytes), checked against the key the router pins. */
export const rpcResponseSchema = z.union([
  z.object({ v: z.literal(1), id: z.string().max(64), ok: z.literal(true), result: z.unknown(), sig: lowerHex(64) }),
  z.object({
    v: z.literal(1),
    id: z.string().max(64).nullable(),
    ok: z.literal(false),
    error: z.object({ code: z.string().max(32), message: z.string().max(2_000) }),
    sig: lowerHex(64),
  }),
]);

// Answers, one schema per method and step.

export const channelAnswerSchema = z.object({
  channel: z
    .object({
      id: bigintText,
      guest: scriptHash,
      owner: scriptHash,
      token: scriptHash,
      voucherKey: publicKeyHex,
      deposit: bigintText,
      redeemed: bigintText,
      expiry: bigintText,
      closed: z.boolean(),
      planId: z.int().min(1).max(255),
      planVersion: z.int().min(1).max(65_535),
    })
    .nullable(),
  voucher: z.object({ amount: bigintText, signature: anyHex(64) }).nullable(),
  time: bigintText,
  settlementWindowMs: bigintText,
  /** The owner the asking router's channels must pay, as the chain has it; null while it is not registered (or retired). */
  routerOwner: scriptHash.nullable(),
});
export type ChannelAnswer = z.infer<typeof channelAnswerSchema>;

/** The owner's plan as the chain has it now; terms as hex (decode with decodePlanTerms). */
export const planAnswerSchema = z.object({
  plan: z
    .object({ version: z.int().min(1).max(65_535), validFrom: bigintText, validUntil: bigintText, terms: z.string().regex(/^([0-9a-f]{2}){56,1024}$/) })
    .nullable(),
});

const termsHex = z.string().regex(/^([0-9a-f]{2}){56,1024}$/);

/** The router owner's plans as the chain has them now (current versions; a withdrawn one has validUntil in the past). */
export const plansAnswerSchema = z.object({
  /** Null while the router is not registered (or retired): then it has no plans. */
  owner: scriptHash.nullable(),
  plans: z
    .array(
      z.object({
        planId: z.int().min(1).max(255),
        version: z.int().min(1).max(65_535),
        validFrom: bigintText,
        validUntil: bigintText,
        terms: termsHex,
      }),
    )
    .max(255),
});
export type PlansAnswer = z.infer<typeof plansAnswerSchema>;

/** One published version's terms (they never change), or null when the owner never published it. */
export const planVersionAnswerSchema = z.object({ terms: termsHex.nullable() });

export const vouchersAnswerSchema = z.object({
  results: z.array(z.object({ channelId: z.int(), amount: z.int(), kept: z.boolean(), error: z.string().max(200).optional() })).max(MAX_VOUCHERS),
});

export const relaySentSchema = z.object({ state: z.literal('relayed'), txid });
export const relayDoneSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.enum(['confirmed', 'faulted']),
    txid,
    vmstate: z.enum(['HALT', 'FAULT']),
    exception: z.string().max(2_000).nullable(),
    channelId: bigintText.nullable(),
  }),
  z.object({ state: z.literal('unconfirmed'), txid }),
]);
export type RelayOutcome = z.infer<typeof relayDoneSchema>;

/** What `offer` answers: the guest's balance, the sponsored transaction (or why not), and the same opening for the wallet's own invoke. */
export const offerAnswerSchema = z.object({
  balance: bigintText,
  sponsored: z
    .object({
      txid,
      transaction: txExportSchema,
      context: txContextSchema,
      magicNumber: z.int().min(0).max(0xffff_ffff),
      sponsor: address,
      fee: bigintText,
      validUntilBlock: z.int().min(0),
    })
    .nullable(),
  refusal: z.string().max(300).nullable(),
  invoke: z
    .object({
      scriptHash,
      operation: z.literal('transfer'),
      args: z.array(walletArgSchema).max(8),
      abortOnFail: z.literal(true),
      signers: z.array(z.object({ account: scriptHash, scopes: z.literal('CalledByEntry') })).length(1),
      validUntilBlock: z.int().min(0),
      systemFee: bigintText,
      networkFee: bigintText,
      fee: bigintText,
    })
    .nullable(),
});
export type OfferAnswer = z.infer<typeof offerAnswerSchema>;

/** What `channels` answers: the guest's open channels that pay the asking router's owner, from the gateway's index. */
export const channelsAnswerSchema = z.object({
  channels: z
    .array(
      z.object({
        id: bigintText,
        voucherKey: publicKeyHex,
        deposit: bigintText,
        redeemed: bigintText,
        newest: bigintText.nullable(),
        expiry: bigintText,
        planId: z.int().min(1).max(255),
        planVersion: z.int().min(1).max(65_535),
      }),
    )
    .max(100),
  /** The block the index has read up to: a channel opened after it is not listed yet. */
  indexedTo: z.int().min(-1),
});
export type ChannelsAnswer = z.infer<typeof channelsAnswerSchema>;

export const closeSentSchema = z.object({ state: z.literal('sent'), txid, amount: bigintText });
export const closeDoneSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed'), txid: txid.nullable(), cumulative: bigintText, paid: bigintText, refunded: bigintText, already: z.boolean() }),
  z.object({ state: z.literal('faulted'), txid, exception: z.string().max(2_000).nullable() }),
  z.object({ state: z.literal('unconfirmed'), txid }),
]);
export type CloseOutcome = z.infer<typeof closeDoneSchema>;
