import { z } from 'zod';
import { RpcFailure, type RpcClient } from './rpc-client.js';

// Integers read from the chain come as decimal strings; the gateway's own amounts as JSON numbers.
const big = z.union([z.string().regex(/^-?[0-9]{1,40}$/), z.int()]).transform((v) => BigInt(v));
const hash = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const key = z.string().regex(/^0[23][0-9a-fA-F]{64}$/);
const sig = z.string().regex(/^[0-9a-fA-F]{128}$/);
const txid = z.string().regex(/^0x[0-9a-fA-F]{64}$/);

const channelAnswer = z.object({
  channel: z.object({
    id: big, guest: hash, owner: hash, router: key, token: hash, voucherKey: key,
    deposit: big, redeemed: big, expiry: big, closed: z.boolean(),
  }).nullable(),
  voucher: z.object({ amount: big, signature: sig }).nullable(),
  time: big,
  settlementWindowMs: big,
});
export type ChannelAnswer = z.infer<typeof channelAnswer>;

const vouchersAnswer = z.object({
  results: z.array(z.object({ channelId: z.int(), amount: z.int(), kept: z.boolean(), error: z.string().max(200).optional() })).max(100),
});

const relayed = z.object({ state: z.literal('relayed'), txid });
const relayDone = z.discriminatedUnion('state', [
  z.object({ state: z.enum(['confirmed', 'faulted']), txid, vmstate: z.enum(['HALT', 'FAULT']), exception: z.string().max(2_000).nullable(), channelId: big.nullable() }),
  z.object({ state: z.literal('unconfirmed'), txid }),
]);
export type RelayOutcome = z.infer<typeof relayDone>;

const closeSent = z.object({ state: z.literal('sent'), txid, amount: big });
const closeDone = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed'), txid: txid.nullable(), cumulative: big, paid: big, refunded: big, already: z.boolean() }),
  z.object({ state: z.literal('faulted'), txid, exception: z.string().max(2_000).nullable() }),
  z.object({ state: z.literal('unconfirmed'), txid }),
]);
export type CloseOutcome = z.infer<typeof closeDone>;

function parse<S extends z.ZodType>(schema: S, value: unknown, method: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new RpcFailure('bad-answer', `${method}: ${r.error.issues.slice(0, 2).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

const isState = (...states: string[]) => (r: unknown) => states.includes((r as { state?: unknown } | null)?.state as string);

/** The gateway's channel service (docs/channel-rpc.md), typed, every answer checked. */
export class GatewayRpc {
  constructor(private readonly rpc: RpcClient, private readonly routerKey: string) {}

  async channel(id: bigint, timeoutMs?: number): Promise<ChannelAnswer> {
    return parse(channelAnswer, await this.rpc.call('channel', { channelId: Number(id) }, { timeoutMs }), 'channel');
  }

  async vouchers(list: Array<{ channelId: bigint; amount: bigint; signature: string }>): Promise<z.infer<typeof vouchersAnswer>['results']> {
    const params = { router: this.routerKey, vouchers: list.map((v) => ({ channelId: Number(v.channelId), amount: Number(v.amount), signature: v.signature })) };
    return parse(vouchersAnswer, await this.rpc.call('vouchers', params), 'vouchers').results;
  }

  /** A guest's signed transaction, sent by the gateway; onRelayed hears its txid as soon as the node took it. */
  async relay(txBase64: string, waitMs: number, onRelayed?: (txid: string) => void): Promise<RelayOutcome> {
    const r = await this.rpc.call('relay', { tx: txBase64, waitMs }, {
      timeoutMs: waitMs + 20_000, last: isState('confirmed', 'faulted', 'unconfirmed'),
      onAnswer: (a) => onRelayed?.(parse(relayed, a, 'relay').txid),
    });
    return parse(relayDone, r, 'relay');
  }

  /** The owner's cooperative close with the newest voucher (this router's is passed along so it cannot be missed). */
  async close(channelId: bigint, voucher: { amount: bigint; signature: string } | null, waitMs: number,
    onSent?: (s: { txid: string; amount: bigint }) => void): Promise<CloseOutcome> {
    const params = {
      router: this.routerKey, channelId: Number(channelId), waitMs,
      voucher: voucher && { amount: Number(voucher.amount), signature: voucher.signature },
    };
    const r = await this.rpc.call('close', params, {
      // The gateway's own wait is bounded by waitMs; on top: its chain reads and building the transaction.
      timeoutMs: waitMs + 15_000, last: isState('closed', 'faulted', 'unconfirmed'),
      onAnswer: (a) => onSent?.(parse(closeSent, a, 'close')),
    });
    return parse(closeDone, r, 'close');
  }
}
