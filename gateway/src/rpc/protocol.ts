import { z } from 'zod';

/** Channel service topics; see docs/channel-rpc.md. */
export const RPC_SHARE_GROUP = 'qlink-gateway';
export const rpcSubscription = `$share/${RPC_SHARE_GROUP}/qlink/v1/+/rpc`;
export const resultTopic = (router: string) => `qlink/v1/${router}/rpc/result`;
export const RPC_TOPIC = /^qlink\/v1\/([1-9A-HJ-NP-Za-km-z]{25,40})\/rpc$/;

/** A guest's signed transaction is a few hundred bytes; 16 KB leaves room for any wallet's witnesses. */
export const MAX_TX_BYTES = 16 * 1024;
export const MAX_REQUEST_BYTES = 64 * 1024;
export const MAX_VOUCHERS = 100;

const uint = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes} bytes of hex`);
const id = z.string().min(1).max(64);
const voucher = z.object({ amount: uint.min(1), signature: hex(64) }).strict();

export const requestSchema = z.discriminatedUnion('method', [
  z.object({ v: z.literal(1), id, method: z.literal('channel'), params: z.object({ channelId: uint.min(1) }).strict() }).strict(),
  z.object({
    v: z.literal(1), id, method: z.literal('relay'),
    params: z.object({
      /** The signed transaction, base64. */
      tx: z.string().min(1).max(Math.ceil((MAX_TX_BYTES * 4) / 3) + 4).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
      /** How long to watch for the block, ms (default 60 s). */
      waitMs: z.int().min(0).max(300_000).default(60_000),
    }).strict(),
  }).strict(),
  z.object({
    v: z.literal(1), id, method: z.literal('vouchers'),
    params: z.object({
      /** The router's public key; its address must be the topic's <router-id>. */
      router: hex(33),
      vouchers: z.array(voucher.extend({ channelId: uint.min(1) }).strict()).min(1).max(MAX_VOUCHERS),
    }).strict(),
  }).strict(),
  z.object({
    v: z.literal(1), id, method: z.literal('close'),
    params: z.object({
      /** The router's public key; its address must be the topic's <router-id>, and its owner the channel's. */
      router: hex(33),
      channelId: uint.min(1),
      /** The newest voucher the router holds, checked and kept like one passed on by `vouchers`, so the close cannot miss it. */
      voucher: voucher.nullable().default(null),
      /** How long to watch for the block, ms (default 30 s). */
      waitMs: z.int().min(0).max(300_000).default(30_000),
    }).strict(),
  }).strict(),
]);

export type RpcRequest = z.infer<typeof requestSchema>;

export type ErrorCode = 'bad-request' | 'too-large' | 'busy' | 'unknown-router' | 'chain-unavailable' | 'refused' | 'no-owner-key' | 'internal';

export type RpcResponse =
  | { v: 1; id: string; ok: true; result: unknown }
  | { v: 1; id: string | null; ok: false; error: { code: ErrorCode; message: string } };

export class RpcError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** JSON with bigints as decimal strings (amounts and times can pass 2^53 on chain). */
export function encode(r: RpcResponse): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
