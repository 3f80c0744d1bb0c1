import { type Rate, TokenBuckets } from './bucket.js';
import type { LimitsConfig } from './config.js';
import { LimitExceeded, type LimitName } from './refusal.js';

type Kind = Extract<LimitName, 'requests' | 'voucher-checks' | 'lookups' | 'relays'>;

const WHAT: Record<Kind, string> = {
  requests: 'portal requests',
  'voucher-checks': 'voucher checks',
  lookups: 'channel look-ups',
  relays: 'transactions relayed',
};

/** One token bucket per guest MAC for each kind of request; charge() takes a token or throws LimitExceeded naming the limit. */
export class GuestLimits {
  readonly #buckets: Record<Kind, TokenBuckets>;

  constructor(c: Pick<LimitsConfig, 'requests' | 'voucherChecks' | 'lookups' | 'relays'>, clock: () => number = Date.now) {
    const b = (r: Rate) => new TokenBuckets(r, clock);
    this.#buckets = { requests: b(c.requests), 'voucher-checks': b(c.voucherChecks), lookups: b(c.lookups), relays: b(c.relays) };
  }

  charge(kind: Kind, guest: string): void {
    const bucket = this.#buckets[kind];
    const r = bucket.take(guest);
    if (!r.ok)
      throw new LimitExceeded(kind, r.retryAfterMs, `too many ${WHAT[kind]}: at most ${bucket.rate.perSecond}/s (bursts of ${bucket.rate.burst}) per guest`);
  }

  /** For a caller with a guest that may be absent (the router's own work is never charged). */
  chargeIf(kind: Kind, guest: string | undefined): void {
    if (guest !== undefined) this.charge(kind, guest);
  }
}
