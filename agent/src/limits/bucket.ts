/** A token bucket's terms: tokens refill at perSecond up to burst. */
export interface Rate {
  perSecond: number;
  burst: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Token buckets by key (a guest's MAC). A key not seen for a while has a full
 * bucket, so buckets that are full are the first to go when more than
 * maxKeys are held; past that the least recently used goes (Map order is
 * kept as recency: a take moves its key to the end).
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: Rate,
    private readonly clock: () => number = Date.now,
    private readonly maxKeys = 4_096,
  ) {
    if (!(rate.perSecond > 0) || !(rate.burst >= 1)) throw new Error('a rate needs perSecond > 0 and burst >= 1');
  }

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string): Take {
    const now = this.clock();
    const b = this.#buckets.get(key);
    const tokens = b ? Math.min(this.rate.burst, b.tokens + ((now - b.at) / 1000) * this.rate.perSecond) : this.rate.burst;
    this.#buckets.delete(key);
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterMs: Math.ceil(((1 - tokens) / this.rate.perSecond) * 1000) };
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > this.maxKeys) this.#evict(now);
    return { ok: true };
  }

  #evict(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (this.#buckets.size <= this.maxKeys) return;
      if (b.tokens + ((now - b.at) / 1000) * this.rate.perSecond >= this.rate.burst) this.#buckets.delete(k);
    }
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size <= this.maxKeys) return;
      this.#buckets.delete(k);
    }
  }
}
