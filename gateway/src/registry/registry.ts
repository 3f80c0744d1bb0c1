import { addressOf, scriptHashOf } from '../../../agent/src/identity/neo-address.js';
import type { RouterInfo } from '../store/types.js';

/**
 * Who may send usage: a router key registered on chain (and still active).
 * lookup() answers null for a key the chain does not know, and throws when it
 * cannot tell (RPC down, nothing cached): the batch then waits for a resend
 * instead of being refused for the chain's sake.
 */
export interface RouterRegistry {
  lookup(publicKey: string): Promise<RouterInfo | null>;
}

export const addressOfKey = (publicKey: string): string => addressOf(scriptHashOf(publicKey));

/** Routers fixed in memory: unit tests and benchmarks, where the chain is not the question. */
export class MemoryRegistry implements RouterRegistry {
  readonly #routers = new Map<string, RouterInfo>();

  add(publicKey: string, owner: string, opts: Partial<Pick<RouterInfo, 'pricePerMB' | 'pricePerMinute' | 'active'>> = {}): RouterInfo {
    const r: RouterInfo = {
      address: addressOfKey(publicKey), publicKey, owner, pricePerMB: opts.pricePerMB ?? 0, pricePerMinute: opts.pricePerMinute ?? 0,
      active: opts.active ?? true, checkedAt: Date.now(),
    };
    this.#routers.set(publicKey, r);
    return r;
  }

  async lookup(publicKey: string): Promise<RouterInfo | null> {
    return this.#routers.get(publicKey) ?? null;
  }
}
