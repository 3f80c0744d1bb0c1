import type { z } from 'zod';
import { RpcFailure, type RpcClient } from './rpc-client.js';
import {
  type ChannelAnswer,
  channelAnswerSchema,
  type ChannelsAnswer,
  channelsAnswerSchema,
  closeDoneSchema,
  type CloseOutcome,
  closeSentSchema,
  fromHex,
  type OfferAnswer,
  offerAnswerSchema,
  plansAnswerSchema,
  planVersionAnswerSchema,
  relayDoneSchema,
  type RelayOutcome,
  relaySentSchema,
  type TxContext,
  type TxExport,
  vouchersAnswerSchema,
} from '../../../protocol/src/index.js';

function parse<S extends z.ZodType>(schema: S, value: unknown, method: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new RpcFailure(
      'bad-answer',
      `${method}: ${r.error.issues
        .slice(0, 2)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  return r.data;
}

const isState =
  (...states: string[]) =>
  (r: unknown) =>
    states.includes((r as { state?: unknown } | null)?.state as string);

/** The gateway's channel service (docs/channel-rpc.md), typed, every answer checked. */
export class GatewayRpc {
  constructor(
    private readonly rpc: RpcClient,
    private readonly routerKey: string,
  ) {}

  async channel(id: bigint, timeoutMs?: number): Promise<ChannelAnswer> {
    return parse(channelAnswerSchema, await this.rpc.call('channel', { channelId: Number(id), router: this.routerKey }, { timeoutMs }), 'channel');
  }

  /** The router owner's plans at their current versions (owner null: the router is not registered). */
  async plans(): Promise<{ owner: string | null; plans: Array<{ planId: number; version: number; terms: Uint8Array }> }> {
    const a = parse(plansAnswerSchema, await this.rpc.call('plans', { router: this.routerKey }), 'plans');
    return { owner: a.owner, plans: a.plans.map((p) => ({ planId: p.planId, version: p.version, terms: fromHex(p.terms) })) };
  }

  /** One published version's terms (they never change), or null when the owner never published it. */
  async planVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null> {
    const a = parse(planVersionAnswerSchema, await this.rpc.call('planVersion', { router: this.routerKey, owner, planId, version }), 'planVersion');
    return a.terms === null ? null : fromHex(a.terms);
  }

  async vouchers(list: Array<{ channelId: bigint; amount: bigint; signature: string }>): Promise<z.infer<typeof vouchersAnswerSchema>['results']> {
    const params = {
      router: this.routerKey,
      vouchers: list.map((v) => ({ channelId: Number(v.channelId), amount: Number(v.amount), signature: v.signature })),
    };
    return parse(vouchersAnswerSchema, await this.rpc.call('vouchers', params), 'vouchers').results;
  }

  /** A guest's signed transaction, sent by the gateway; onRelayed hears its txid as soon as the node took it. */
  async relay(txBase64: string, waitMs: number, onRelayed?: (txid: string) => void): Promise<RelayOutcome> {
    const r = await this.rpc.call(
      'relay',
      { tx: txBase64, waitMs },
      {
        timeoutMs: waitMs + 20_000,
        last: isState('confirmed', 'faulted', 'unconfirmed'),
        onAnswer: (a) => onRelayed?.(parse(relaySentSchema, a, 'relay').txid),
      },
    );
    return parse(relayDoneSchema, r, 'relay');
  }

  /** The channel opening for a guest's wallet: the invoke quote, and the sponsored transaction unless the gateway refuses to pay (it says why). */
  async offer(p: {
    guest: string;
    guestKey?: string;
    amount: bigint;
    voucherKey: string;
    expiry: number;
    planId: number;
    planVersion: number;
  }): Promise<OfferAnswer> {
    const params = {
      router: this.routerKey,
      guest: p.guest,
      ...(p.guestKey ? { guestKey: p.guestKey } : {}),
      amount: Number(p.amount),
      voucherKey: p.voucherKey,
      expiry: p.expiry,
      planId: p.planId,
      planVersion: p.planVersion,
    };
    return parse(offerAnswerSchema, await this.rpc.call('offer', params, { timeoutMs: 30_000 }), 'offer');
  }

  /** The guest's signature of a sponsored offer: the gateway checks it is for its transaction, signs, relays and follows it. */
  async sponsored(
    txid: string,
    signed: { transaction?: TxExport; context?: TxContext },
    waitMs: number,
    onRelayed?: (txid: string) => void,
  ): Promise<RelayOutcome> {
    const r = await this.rpc.call(
      'sponsored',
      { router: this.routerKey, txid, ...signed, waitMs },
      {
        timeoutMs: waitMs + 20_000,
        last: isState('confirmed', 'faulted', 'unconfirmed'),
        onAnswer: (a) => onRelayed?.(parse(relaySentSchema, a, 'sponsored').txid),
      },
    );
    return parse(relayDoneSchema, r, 'sponsored');
  }

  /** A transaction the guest's wallet sent itself, followed to its block. */
  async watch(txid: string, waitMs: number): Promise<RelayOutcome> {
    return parse(relayDoneSchema, await this.rpc.call('watch', { router: this.routerKey, txid, waitMs }, { timeoutMs: waitMs + 20_000 }), 'watch');
  }

  /** The open channels a guest account holds that pay this router's owner. */
  async channels(guest: string): Promise<ChannelsAnswer> {
    return parse(channelsAnswerSchema, await this.rpc.call('channels', { router: this.routerKey, guest }), 'channels');
  }

  /** A new voucher key for a channel, proved by the guest's wallet signMessage; the gateway sends it and follows it. */
  async rekey(channelId: bigint, newKey: string, proof: { publicKey: string; salt: string; signature: string }, waitMs: number): Promise<RelayOutcome> {
    const r = await this.rpc.call(
      'rekey',
      { router: this.routerKey, channelId: Number(channelId), newKey, proof, waitMs },
      {
        timeoutMs: waitMs + 20_000,
        last: isState('confirmed', 'faulted', 'unconfirmed'),
      },
    );
    return parse(relayDoneSchema, r, 'rekey');
  }

  /** The owner's cooperative close with the newest voucher (this router's is passed along so it cannot be missed). */
  async close(
    channelId: bigint,
    voucher: { amount: bigint; signature: string } | null,
    waitMs: number,
    onSent?: (s: { txid: string; amount: bigint }) => void,
  ): Promise<CloseOutcome> {
    const params = {
      router: this.routerKey,
      channelId: Number(channelId),
      waitMs,
      voucher: voucher && { amount: Number(voucher.amount), signature: voucher.signature },
    };
    const r = await this.rpc.call('close', params, {
      // The gateway's own wait is bounded by waitMs; on top: its chain reads and building the transaction.
      timeoutMs: waitMs + 15_000,
      last: isState('closed', 'faulted', 'unconfirmed'),
      onAnswer: (a) => onSent?.(parse(closeSentSchema, a, 'close')),
    });
    return parse(closeDoneSchema, r, 'close');
  }
}
