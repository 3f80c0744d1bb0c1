import { z } from 'zod';
import { LimitExceeded } from '../limits/refusal.js';
import { guestTag, type Logger } from '../log.js';
import type { GatewayRpc } from '../uplink/gateway-rpc.js';
import { RpcFailure } from '../uplink/rpc-client.js';
import { HttpError } from './http.js';

/** The gateway takes transactions up to 16 KB (docs/channel-rpc.md); a guest's open or top up is about 300 bytes. */
export const MAX_TX_BYTES = 16 * 1024;
/** Hex doubles the bytes; the JSON around it is small. */
export const RELAY_BODY_BYTES = MAX_TX_BYTES * 2 + 1024;
/** How long the agent follows a relayed transaction before saying "not in a block yet". */
const WAIT_MS = 60_000;
const MAX_RELAYS = 4;

export const relayBody = z
  .object({
    /** The signed NEO N3 transaction as a wallet exports it: base64 or hex. */
    tx: z
      .string()
      .min(1)
      .max(MAX_TX_BYTES * 2 + 2),
  })
  .strict();

/** What the page is told, with the HTTP status that goes with it. */
export type RelayReply =
  | { status: 200; body: { state: 'confirmed'; txid: string; channelId: string | null } }
  | { status: 202; body: { state: 'unconfirmed'; txid: string } }
  | { status: 422; body: { error: string; reason: 'faulted'; txid: string } };

/**
 * A guest's signed channel-opening (or top-up) transaction, for wallets that
 * cannot reach the chain themselves: checked here enough to give a clear
 * error, sent through the gateway (agent → gateway → chain), followed to its
 * block. The router relays only transactions that touch its own contract,
 * and a few at a time, so the portal is no free relay for anything else.
 */
export class Relayer {
  readonly #busy = new Set<string>();
  readonly #contractVm: Buffer;

  constructor(
    private readonly gateway: Pick<GatewayRpc, 'relay'>,
    contract: string,
    private readonly log: Logger,
  ) {
    this.#contractVm = Buffer.from(contract.slice(2), 'hex').reverse();
  }

  async relay(mac: string, text: string): Promise<RelayReply> {
    const raw = this.decode(text);
    if (this.#busy.has(mac)) throw new LimitExceeded('transactions-in-flight', 5_000, 'a transaction of yours is already being sent; wait for it');
    if (this.#busy.size >= MAX_RELAYS)
      throw new LimitExceeded('relays-in-flight', 30_000, "the router is sending other guests' transactions; try again in a minute");
    this.#busy.add(mac);
    try {
      const out = await this.gateway.relay(raw.toString('base64'), WAIT_MS, (txid) => this.log.info({ guest: guestTag(mac), txid }, 'guest tx relayed'));
      if (out.state === 'unconfirmed') return { status: 202, body: { state: 'unconfirmed', txid: out.txid } };
      if (out.state === 'faulted')
        return { status: 422, body: { error: `the transaction failed on chain: ${out.exception ?? 'FAULT'}`, reason: 'faulted', txid: out.txid } };
      return { status: 200, body: { state: 'confirmed', txid: out.txid, channelId: out.channelId === null ? null : out.channelId.toString() } };
    } catch (e) {
      if (!(e instanceof RpcFailure)) throw e;
      if (e.code === 'refused') throw new HttpError(422, `the network refused the transaction: ${e.message}`);
      if (e.code === 'too-large') throw new HttpError(413, e.message);
      throw new HttpError(503, `the gateway could not send it now (${e.code}); try again`);
    } finally {
      this.#busy.delete(mac);
    }
  }

  /** base64 or hex (a 0x prefix allowed) → bytes that look like a NEO N3 transaction for this contract; else a 4xx that says why. */
  decode(text: string): Buffer {
    const t = text.trim();
    const hex = t.replace(/^0x/i, '');
    let raw: Buffer;
    if (/^([0-9a-fA-F]{2})+$/.test(hex)) raw = Buffer.from(hex, 'hex');
    else if (/^[A-Za-z0-9+/]+={0,2}$/.test(t) && t.length % 4 === 0) raw = Buffer.from(t, 'base64');
    else throw new HttpError(422, 'expected the signed transaction as base64 or hex');
    if (raw.length > MAX_TX_BYTES) throw new HttpError(413, `transaction over ${MAX_TX_BYTES} bytes`);
    // version 0, nonce, two fees, validUntilBlock, then at least one signer, a script and a witness.
    if (raw.length < 60 || raw[0] !== 0) throw new HttpError(422, 'not a signed NEO N3 transaction');
    if (raw.indexOf(this.#contractVm) < 0) throw new HttpError(422, "this transaction does not pay this hotspot's contract");
    return raw;
  }
}
