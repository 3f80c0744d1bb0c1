import type { JsonRpc } from '../../../chain/src/json-rpc.js';
import { LimitExceeded } from '../limits/refusal.js';
import type { Logger } from '../log.js';
import type { GatewayRpc } from '../uplink/gateway-rpc.js';
import { RpcFailure } from '../uplink/rpc-client.js';
import {
  type HeldChannel,
  type Notification,
  type OfferAnswer,
  parseEvents,
  type Relayed,
  type TxContext,
  type TxExport,
} from '../../../protocol/src/index.js';
import { HttpError } from './http.js';

/** How long the router follows a wallet's transaction to its block before saying "not in a block yet". */
const WAIT_MS = 60_000;

type Gateway = Pick<GatewayRpc, 'offer' | 'sponsored' | 'watch' | 'channels' | 'rekey'>;

/**
 * The guest's wallet, as the router sees it: it builds nothing and signs
 * nothing, it asks the gateway (over the uplink) for the channel opening a
 * wallet signs, hands the wallet's signature back to the gateway, follows a
 * transaction the wallet sent itself, and looks up the channels a guest's
 * account holds. One request per guest at a time.
 */
export class WalletDesk {
  readonly #busy = new Set<string>();

  constructor(
    private readonly d: {
      gateway?: Gateway;
      /** Without an uplink: a NEO node's JSON-RPC (portal.rpcUrl), to read a transaction's application log. */
      chainRpc?: JsonRpc;
      contract: string;
      log: Logger;
    },
  ) {}

  /** The gateway builds openings (and may sponsor them). */
  get offers(): boolean {
    return !!this.d.gateway;
  }

  async offer(p: Parameters<Gateway['offer']>[0]): Promise<OfferAnswer | { unavailable: string }> {
    const g = this.d.gateway;
    if (!g) return { unavailable: 'this router has no gateway to build the transaction' };
    try {
      return await g.offer(p);
    } catch (e) {
      if (!(e instanceof RpcFailure)) throw e;
      if (e.code === 'insufficient-funds') throw new HttpError(409, `Not enough GAS: ${e.message}.`, 'insufficient-funds');
      if (e.code === 'refused') throw new HttpError(409, e.message, 'refused');
      if (e.code === 'unknown-router') throw new HttpError(503, 'this router is not registered on chain: it cannot take payments', 'unknown-router');
      // The gateway or the link is down: the wallet can still open the channel itself, paying the fee it shows.
      this.d.log.warn({ err: e.message, code: e.code }, 'offer: the gateway did not answer');
      return { unavailable: `the hotspot's gateway did not answer (${e.code})` };
    }
  }

  /** The wallet's signature of a sponsored offer, to the gateway; answered once the opening is in a block. */
  sponsored(mac: string, txid: string, signed: { transaction?: TxExport; context?: TxContext }): Promise<{ status: number; body: Relayed | object }> {
    const g = this.d.gateway;
    if (!g) throw new HttpError(503, 'this router has no gateway to send the transaction');
    return this.#one(mac, async () =>
      this.#answer(await g.sponsored(txid, signed, WAIT_MS, (id) => this.d.log.info({ mac, txid: id }, 'sponsored opening relayed'))),
    );
  }

  /** A transaction the wallet sent itself, followed to its block for the channel it opened. */
  opened(mac: string, txid: string): Promise<{ status: number; body: Relayed | object }> {
    return this.#one(mac, async () => {
      if (this.d.gateway) return this.#answer(await this.d.gateway.watch(txid, WAIT_MS));
      if (!this.d.chainRpc) throw new HttpError(503, 'this router can follow no transaction (no gateway, no portal.rpcUrl)');
      return this.#answer(await this.#watchChain(this.d.chainRpc, txid));
    });
  }

  async channels(account: string): Promise<{ channels: HeldChannel[]; indexedTo: number }> {
    const g = this.d.gateway;
    if (!g) throw new HttpError(503, 'this router cannot look channels up (no gateway)');
    const a = await g.channels(account).catch((e: Error) => {
      throw this.#failure(e);
    });
    return {
      indexedTo: a.indexedTo,
      channels: a.channels.map((c) => {
        const spent = [c.redeemed, c.newest ?? 0n].reduce((x, y) => (x > y ? x : y));
        return {
          id: c.id.toString(),
          voucherKey: c.voucherKey,
          deposit: c.deposit.toString(),
          spent: spent.toString(),
          expiry: Number(c.expiry),
          planId: c.planId,
          planVersion: c.planVersion,
        };
      }),
    };
  }

  rekey(
    mac: string,
    channelId: bigint,
    newKey: string,
    proof: { publicKey: string; salt: string; signature: string },
  ): Promise<{ status: number; body: Relayed | object }> {
    const g = this.d.gateway;
    if (!g) throw new HttpError(503, 'this router cannot send a rekey (no gateway)');
    return this.#one(mac, async () => this.#answer(await g.rekey(channelId, newKey, proof, WAIT_MS)));
  }

  async #one<T>(mac: string, f: () => Promise<T>): Promise<T> {
    if (this.#busy.has(mac)) throw new LimitExceeded('transactions-in-flight', 5_000, 'a transaction of yours is already on its way; wait for it');
    this.#busy.add(mac);
    try {
      return await f();
    } catch (e) {
      throw this.#failure(e as Error);
    } finally {
      this.#busy.delete(mac);
    }
  }

  #failure(e: Error): Error {
    if (!(e instanceof RpcFailure)) return e;
    if (e.code === 'refused') return new HttpError(422, e.message, 'refused');
    if (e.code === 'not-sponsored') return new HttpError(409, e.message, 'not-sponsored');
    if (e.code === 'unknown-router') return new HttpError(503, 'this router is not registered on chain', 'unknown-router');
    return new HttpError(503, `the gateway could not do it now (${e.code}); try again`);
  }

  #answer(out: { state: string; txid: string; exception?: string | null; channelId?: bigint | null }): { status: number; body: Relayed | object } {
    if (out.state === 'unconfirmed') return { status: 202, body: { state: 'unconfirmed', txid: out.txid } };
    if (out.state === 'faulted')
      return { status: 422, body: { error: `the transaction failed on chain: ${out.exception ?? 'FAULT'}`, reason: 'faulted', txid: out.txid } };
    return {
      status: 200,
      body: { state: 'confirmed', txid: out.txid, channelId: out.channelId === null || out.channelId === undefined ? null : out.channelId.toString() },
    };
  }

  async #watchChain(rpc: JsonRpc, txid: string): Promise<{ state: string; txid: string; exception?: string | null; channelId?: bigint | null }> {
    const until = Date.now() + WAIT_MS;
    for (;;) {
      const log = await rpc
        .call<{ executions: Array<{ vmstate: string; exception?: string | null; notifications: Notification[] }> }>('getapplicationlog', [txid])
        .catch(() => null);
      const ex = log?.executions[0];
      if (ex) {
        const opened = parseEvents(this.d.contract, ex.notifications).find((e) => e.name === 'ChannelOpened');
        return {
          state: ex.vmstate === 'HALT' ? 'confirmed' : 'faulted',
          txid,
          exception: ex.exception ?? null,
          channelId: opened ? (opened.params.id as bigint) : null,
        };
      }
      if (Date.now() > until) return { state: 'unconfirmed', txid };
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
