import { addressOfKey } from '../../protocol/src/index.js';
import type { RouterRegistry } from '../../gateway/src/registry/registry.js';
import type { RouterInfo } from '../../gateway/src/store/types.js';

/** Routers fixed in memory: unit tests and benchmarks, where the chain is not the question. */
export class MemoryRegistry implements RouterRegistry {
  readonly #routers = new Map<string, RouterInfo>();

  add(publicKey: string, owner: string, opts: Partial<Pick<RouterInfo, 'active'>> = {}): RouterInfo {
    const r: RouterInfo = {
      address: addressOfKey(publicKey),
      publicKey,
      owner,
      active: opts.active ?? true,
      checkedAt: Date.now(),
    };
    this.#routers.set(publicKey, r);
    return r;
  }

  async lookup(publicKey: string): Promise<RouterInfo | null> {
    return this.#routers.get(publicKey) ?? null;
  }
}
