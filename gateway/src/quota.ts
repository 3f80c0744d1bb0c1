/**
 * Per-router budgets (issue 15): a token bucket per router and kind, so one
 * router flooding the gateway with batches, requests or relays spends its
 * own budget and nobody else's. A refusal names its limit.
 */
export interface Limit {
  /** What the limit is for, as a refusal names it. */
  name: string;
  /** Tokens per interval, and the interval. */
  rate: number;
  perMs: number;
  /** How many may come at once after a quiet spell. */
  burst: number;
}

export class Quota {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: Limit,
    private readonly clock: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; false when its budget is spent. */
  take(key: string): boolean {
    const now = this.clock();
    const { rate, perMs, burst } = this.limit;
    const b = this.#buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * rate) / perMs);
    b.at = now;
    if (!this.#buckets.has(key) && this.#buckets.size >= this.maxKeys) this.#buckets.clear();
    this.#buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** "600 a minute (burst 120)": what a refusal says. */
  describe(): string {
    const per = this.limit.perMs === 60_000 ? 'a minute' : this.limit.perMs === 3_600_000 ? 'an hour' : `per ${this.limit.perMs} ms`;
    return `${this.limit.name}: at most ${this.limit.rate} ${per} a router (bursts of ${this.limit.burst})`;
  }
}
