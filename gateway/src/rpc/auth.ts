import { addressOfKey, fromHex, MAX_REQUEST_LIFETIME_MS, requestAuthSchema, requestSigningBytes } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import { RpcError } from './errors.js';

/**
 * Checks a request's signature before anything else is done for it: the key
 * must be the topic router's, the signature good over the request as it came,
 * the expiry near, and the nonce new. Nonces are kept in memory until they
 * expire: a replay that reaches another gateway of the group, or this one
 * after a restart, finds every method idempotent (a second close of a closed
 * channel, an older voucher, a transaction the node already has), so the
 * memory bounds cost, not safety. Registration is checked after this, by the
 * caller, against the chain.
 */
export class RequestAuth {
  readonly #nonces = new Map<string, number>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxNonces = 200_000,
  ) {}

  /** The router's public key, or an RpcError naming what failed. */
  check(routerId: string, raw: Record<string, unknown>): string {
    const a = requestAuthSchema.safeParse(raw.auth);
    if (!a.success) throw new RpcError('bad-signature', `auth: ${a.error.issues[0]?.path.join('.') ?? ''} ${a.error.issues[0]?.message ?? 'missing'}`.trim());
    const { key, nonce, expires, sig } = a.data;
    const now = this.clock();
    if (addressOfKey(key.toLowerCase()) !== routerId) throw new RpcError('bad-signature', "auth.key is not the topic router's key");
    if (expires <= now) throw new RpcError('bad-signature', 'request expired');
    if (expires > now + MAX_REQUEST_LIFETIME_MS + 30_000) throw new RpcError('bad-signature', `request valid too long (at most ${MAX_REQUEST_LIFETIME_MS} ms)`);
    let good = false;
    try {
      good = verifyP256(requestSigningBytes(routerId, raw as Parameters<typeof requestSigningBytes>[1]), fromHex(sig, 64), key.toLowerCase());
    } catch {
      good = false;
    }
    if (!good) throw new RpcError('bad-signature', "not signed by the router's key");
    const id = `${routerId}:${nonce}`;
    if (this.#nonces.has(id)) throw new RpcError('bad-signature', 'nonce already used (a replayed request)');
    this.#prune(now);
    this.#nonces.set(id, expires);
    return key.toLowerCase();
  }

  #prune(now: number): void {
    if (this.#nonces.size < this.maxNonces) return;
    for (const [id, exp] of this.#nonces) if (exp <= now) this.#nonces.delete(id);
    // Still full of live nonces: a flood; the oldest go (a replay of those is still harmless, as above).
    for (const id of this.#nonces.keys()) {
      if (this.#nonces.size < this.maxNonces * 0.9) break;
      this.#nonces.delete(id);
    }
  }
}
