import { randomBytes } from 'node:crypto';
import { currentGuest } from '../limits/guest.js';
import { SlotShare } from '../limits/slots.js';
import type { Logger } from '../log.js';
import type { MqttLink } from './link.js';
import type { RouterIdentity } from '../identity/router-key.js';
import { signedByGateway } from './gateway-key.js';
import { readJsonMessage } from './message.js';
import { requestSigningBytes, rpcResponseSchema } from '../../../protocol/src/index.js';

/** An answer is a channel record or a relay's events: a few KB. Anything far larger is not the gateway's. */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * Why a call failed: the gateway's error code (docs/channel-rpc.md), or one
 * of the client's own: `offline` (never connected within the timeout),
 * `disconnected` (the link dropped while waiting: the answer is lost),
 * `timeout`, `overloaded` (too many calls in flight here), `bad-answer`.
 */
export class RpcFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** Worth trying again (or another way): the gateway or the link, not the request, was the problem. */
  get transient(): boolean {
    return ['offline', 'disconnected', 'timeout', 'overloaded', 'busy', 'chain-unavailable'].includes(this.code);
  }
}

export interface CallOptions {
  timeoutMs?: number;
  /** How long a call made while the link is down waits for it (within timeoutMs); default 5 s. */
  connectMs?: number;
  /** For methods that answer more than once (relay, close): true for the last answer; the others go to onAnswer. */
  last?: (result: unknown) => boolean;
  onAnswer?: (result: unknown) => void;
}

interface Pending {
  payload: string;
  sent: boolean;
  opts: CallOptions;
  resolve(result: unknown): void;
  reject(e: RpcFailure): void;
  timer: NodeJS.Timeout;
  connectTimer?: NodeJS.Timeout;
  release(): void;
}

export interface RpcClientOptions {
  timeoutMs: number;
  maxInFlight: number;
  /** Of maxInFlight, the most one guest's calls hold, and what guests leave to the router's own (limits/slots.ts). */
  perGuest?: number;
  reserved?: number;
}

const CONNECT_MS = 5_000;
/** A request outlives no answer: the longest call (a close or relay watching for its block) is well under this. */
const REQUEST_LIFETIME_MS = 4 * 60_000;

/**
 * Request/response over the router's MQTT link: requests on …/rpc, answers
 * on …/rpc/result matched by id. Ids carry a random prefix per process, so
 * an answer meant for an earlier run is never taken for one of ours. A call
 * made while the link is down waits a few seconds (connectMs) for the next
 * connect; a call already sent when the link drops fails at once, since the
 * broker keeps no answers for a clean session. A call made for a guest (a
 * portal request, limits/guest.ts) takes a slot of that guest's fair share.
 */
export class RpcClient {
  readonly #calls = new Map<string, Pending>();
  readonly #prefix = randomBytes(6).toString('hex');
  readonly #topics;
  readonly #slots: SlotShare;
  #seq = 0;

  constructor(
    private readonly link: MqttLink,
    private readonly signer: Pick<RouterIdentity, 'publicKey' | 'sign'>,
    private readonly log: Logger,
    private readonly opts: RpcClientOptions = { timeoutMs: 20_000, maxInFlight: 32 },
    private readonly clock: () => number = Date.now,
  ) {
    const perGuest = Math.min(opts.perGuest ?? 4, opts.maxInFlight);
    this.#slots = new SlotShare(opts.maxInFlight, perGuest, Math.min(opts.reserved ?? 4, opts.maxInFlight - perGuest));
    this.#topics = { request: link.topics.rpc, result: link.topics.rpcResult };
    link.handle(this.#topics.result, (payload) => this.#onAnswer(payload));
    link.onConnect(() => {
      for (const [id, p] of this.#calls) if (!p.sent) this.#send(id, p);
    });
    link.onClose(() => {
      for (const [id, p] of this.#calls)
        if (p.sent) this.#finish(id, p, () => p.reject(new RpcFailure('disconnected', 'the uplink dropped before the answer came')));
    });
  }

  get inFlight(): number {
    return this.#calls.size;
  }

  /** The slots: in flight in all, and what one guest holds. */
  get slots(): Pick<SlotShare, 'inFlight' | 'held'> {
    return this.#slots;
  }

  /** Rejects with LimitExceeded ('rpc-slots') when the calling guest holds its share already. */
  call(method: string, params: unknown, opts: CallOptions = {}): Promise<unknown> {
    let release: (() => void) | false;
    try {
      release = this.#slots.take(currentGuest());
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (!release) return Promise.reject(new RpcFailure('overloaded', `${this.opts.maxInFlight} gateway requests already in flight`));
    const slot = release;
    const id = `${this.#prefix}-${++this.#seq}`;
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs;
      const connectMs = Math.min(opts.connectMs ?? CONNECT_MS, timeoutMs);
      const offline = () => this.#finish(id, p, () => reject(new RpcFailure('offline', `the uplink was not connected for ${connectMs} ms`)));
      const p: Pending = {
        payload: this.#signed(id, method, params),
        sent: false,
        opts,
        resolve,
        reject,
        release: slot,
        timer: setTimeout(
          () => (p.sent ? this.#finish(id, p, () => reject(new RpcFailure('timeout', `no answer to ${method} in ${timeoutMs} ms`))) : offline()),
          timeoutMs,
        ),
      };
      this.#calls.set(id, p);
      if (this.link.connected) this.#send(id, p);
      if (!p.sent)
        p.connectTimer = setTimeout(() => {
          if (!p.sent) offline();
        }, connectMs);
    });
  }

  /** Every request carries the router's signature, a nonce and an expiry, which the gateway checks against the registered key. */
  #signed(id: string, method: string, params: unknown): string {
    const auth = { key: this.signer.publicKey, nonce: randomBytes(16).toString('hex'), expires: this.clock() + REQUEST_LIFETIME_MS };
    const request = { v: 1, id, method, params, auth };
    const sig = this.signer.sign(requestSigningBytes(this.link.routerId, request)).toString('hex');
    return JSON.stringify({ ...request, auth: { ...auth, sig } });
  }

  #send(id: string, p: Pending): void {
    p.sent = this.link.publish(this.#topics.request, p.payload, { qos: 1 }, (err) => {
      if (err) this.#finish(id, p, () => p.reject(new RpcFailure('disconnected', `request not sent: ${err.message}`)));
    });
  }

  #finish(id: string, p: Pending, settle: () => void): void {
    if (this.#calls.get(id) !== p) return;
    clearTimeout(p.timer);
    clearTimeout(p.connectTimer);
    this.#calls.delete(id);
    p.release();
    settle();
  }

  #onAnswer(payload: Buffer): void {
    const a = readJsonMessage(payload, rpcResponseSchema, MAX_ANSWER_BYTES);
    if (!a.ok) return void this.log.warn(`rpc answer refused: ${a.why}`);
    const answer = a.value;
    if (!signedByGateway(this.link.routerId, this.link.config.gatewayKey, a.raw))
      return void this.log.warn({ id: answer.id }, 'rpc answer refused: not signed by the pinned gateway key');
    const p = answer.id === null ? undefined : this.#calls.get(answer.id);
    if (!p) {
      // An answer after its timeout, or an error the gateway could not tie to a request.
      return void this.log.debug({ id: answer.id }, 'rpc answer for no waiting request');
    }
    const id = answer.id!;
    if (!answer.ok) return this.#finish(id, p, () => p.reject(new RpcFailure(answer.error.code, answer.error.message)));
    if (p.opts.last && !p.opts.last(answer.result)) {
      try {
        p.opts.onAnswer?.(answer.result);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'rpc progress handler failed');
      }
      return;
    }
    this.#finish(id, p, () => p.resolve(answer.result));
  }

  /** Fails every waiting call; the link itself is its owner's to stop. */
  stop(): void {
    for (const [id, p] of this.#calls) this.#finish(id, p, () => p.reject(new RpcFailure('disconnected', 'the agent is stopping')));
  }
}
