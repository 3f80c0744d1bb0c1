import type { PlanReader } from '../../../chain/src/reader.js';
import type { PlanRecord } from '../../../protocol/src/index.js';

export interface OwnerPlan {
  planId: number;
  plan: PlanRecord;
}

/**
 * Owners' plans as the chain has them, for routers (`plans`, `planVersion`)
 * and the HTTP API. A published version's terms never change, so they are
 * kept for good; an owner's current list is read again after `ttlMs`, so a
 * change on chain reaches the routers within it. Concurrent misses for one
 * owner share one read.
 */
export class PlanCatalog {
  readonly #versions = new Map<string, Uint8Array>();
  readonly #current = new Map<string, { at: number; plans: OwnerPlan[] }>();
  readonly #reading = new Map<string, Promise<OwnerPlan[]>>();

  constructor(
    private readonly reader: Pick<PlanReader, 'getPlans' | 'getPlanVersion'>,
    private readonly opts: { ttlMs: number; maxOwners?: number; clock?: () => number } = { ttlMs: 5_000 },
  ) {}

  async current(owner: string): Promise<OwnerPlan[]> {
    const key = owner.toLowerCase();
    const clock = this.opts.clock ?? Date.now;
    const hit = this.#current.get(key);
    if (hit && clock() - hit.at < this.opts.ttlMs) return hit.plans;
    const pending = this.#reading.get(key);
    if (pending) return pending;
    const read = this.reader
      .getPlans(key)
      .then((plans) => {
        if (this.#current.size >= (this.opts.maxOwners ?? 10_000)) this.#current.clear();
        this.#current.set(key, { at: clock(), plans });
        for (const p of plans) this.#versions.set(versionKey(key, p.planId, p.plan.version), p.plan.terms);
        return plans;
      })
      .finally(() => this.#reading.delete(key));
    this.#reading.set(key, read);
    return read;
  }

  /** One version's terms; null (not kept: it may be published in the next block) when the owner never published it. */
  async version(owner: string, planId: number, version: number): Promise<Uint8Array | null> {
    const key = versionKey(owner.toLowerCase(), planId, version);
    const hit = this.#versions.get(key);
    if (hit) return hit;
    const terms = await this.reader.getPlanVersion(owner, planId, version);
    if (terms) {
      // Bounded: at most 1 KB a version; a gateway that has seen 100,000 versions starts over.
      if (this.#versions.size >= 100_000) this.#versions.clear();
      this.#versions.set(key, terms);
    }
    return terms;
  }
}

const versionKey = (owner: string, planId: number, version: number) => `${owner}:${planId}:${version}`;
