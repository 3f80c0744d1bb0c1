import type { Logger } from 'pino';
import { addressOfKey, type Router } from '../../../protocol/src/index.js';
import type { RouterCache } from '../store/store.js';
import type { RouterInfo } from '../store/types.js';
import type { RouterRegistry } from './registry.js';

/** The one read the registry needs; QlinkClient has it. */
export interface RouterSource {
  getRouter(key: string): Promise<Router | null>;
}

export interface ChainRegistryOptions {
  /** How long a registered router is trusted without asking the chain again. */
  ttlMs: number;
  /** How long "not registered" is remembered, so a stranger's resends do not each cost an RPC call. */
  negativeTtlMs: number;
  clock?: () => number;
}

/**
 * Registered routers from the chain, cached twice: in memory, and in the
 * store (so a restarted gateway, or a second one, needs no RPC for known
 * routers). When the chain cannot be reached a stale entry still answers.
 */
export class ChainRegistry implements RouterRegistry {
  readonly #memory = new Map<string, { info: RouterInfo | null; at: number }>();
  readonly #clock: () => number;

  constructor(
    private readonly chain: RouterSource,
    private readonly store: RouterCache,
    private readonly opts: ChainRegistryOptions,
    private readonly log?: Logger,
  ) {
    this.#clock = opts.clock ?? Date.now;
  }

  /** Drops a remembered "not registered" (the registration page saw the router on chain), so the router's next request is let in at once. */
  forgetUnknown(publicKey: string): void {
    if (this.#memory.get(publicKey)?.info === null) this.#memory.delete(publicKey);
  }

  async lookup(publicKey: string): Promise<RouterInfo | null> {
    const now = this.#clock();
    const hit = this.#memory.get(publicKey);
    if (hit && now - hit.at < (hit.info ? this.opts.ttlMs : this.opts.negativeTtlMs)) return hit.info;
    const address = addressOfKey(publicKey);
    const stored = await this.store.getRouter(address);
    if (stored && stored.publicKey === publicKey && now - stored.checkedAt < this.opts.ttlMs) {
      this.#memory.set(publicKey, { info: stored, at: stored.checkedAt });
      return stored;
    }
    let r: Router | null;
    try {
      r = await this.chain.getRouter(publicKey);
    } catch (e) {
      const stale = hit?.info ?? (stored?.publicKey === publicKey ? stored : null);
      if (stale) {
        this.log?.warn({ router: address, err: (e as Error).message }, 'chain unreachable; using the cached registration');
        return stale;
      }
      throw e;
    }
    const info = r ? toInfo(address, r, now) : null;
    if (info) await this.store.putRouter(info);
    this.#memory.set(publicKey, { info, at: now });
    return info;
  }
}

const toInfo = (address: string, r: Router, now: number): RouterInfo => ({
  address,
  publicKey: r.key,
  owner: r.owner,
  active: r.active,
  checkedAt: now,
});
