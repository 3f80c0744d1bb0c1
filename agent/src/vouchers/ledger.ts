import type { Db } from '../store/driver.js';
import { costOf } from '../plans.js';
import type { PricedRow, PricingOf } from '../plans/pricing.js';

interface Row extends PricedRow {
  id: number;
  started_at: number;
  ended_at: number | null;
  bytes_down: number;
  bytes_up: number;
}

/**
 * A channel's cost across every session it paid for: a guest held at zero
 * credit and let back in after a top up keeps one running total, so one
 * voucher covers them all. A guest who roamed here from another of the
 * owner's routers starts at what the vouchers there came to.
 */
export class ChannelLedger {
  readonly #sessions;
  readonly #link;
  readonly #channelOf;
  readonly #last;
  readonly #elsewhere;

  /** pricingOf: what each session is priced by (plans/pricing.ts), the version of the plan its channel was opened under. */
  constructor(
    db: Db,
    private readonly pricingOf: PricingOf,
  ) {
    this.#sessions = db.prepare<[number], Row>(
      'SELECT id, plan, plan_owner, plan_id, plan_version, started_at, ended_at, bytes_down, bytes_up FROM sessions WHERE channel_id = ?',
    );
    this.#link = db.prepare('UPDATE sessions SET channel_id = ? WHERE id = ?');
    this.#channelOf = db.prepare<[number], { channel_id: number | null }>('SELECT channel_id FROM sessions WHERE id = ?');
    this.#last = db.prepare<[number], { id: number }>('SELECT id FROM sessions WHERE channel_id = ? ORDER BY id DESC LIMIT 1');
    this.#elsewhere = db.prepare<[string], { elsewhere: string }>('SELECT elsewhere FROM vouchers WHERE channel_id = ?');
  }

  channelOf(sessionId: number): bigint | null {
    const v = this.#channelOf.get(sessionId)?.channel_id;
    return v === undefined || v === null ? null : BigInt(v);
  }

  /** The newest session the channel paid for. */
  lastSession(channelId: bigint): number | undefined {
    return this.#last.get(Number(channelId))?.id;
  }

  /** Binds a session to the channel that pays for it (the usage records carry it from then on). */
  link(sessionId: number, channelId: bigint): void {
    this.#link.run(Number(channelId), sessionId);
  }

  /** What the owner's other routers took on the channel above what this one held (roaming), as the gateway said. */
  elsewhere(channelId: bigint): bigint {
    return BigInt(this.#elsewhere.get(channelId.toString())?.elsewhere ?? '0');
  }

  /** What the channel's service cost here, plus what the owner's other routers took on it before (roaming). */
  cost(channelId: bigint, now: number): bigint {
    let total = BigInt(this.#elsewhere.get(channelId.toString())?.elsewhere ?? '0');
    for (const s of this.#sessions.all(Number(channelId))) {
      const plan = this.pricingOf(s);
      if (!plan) continue;
      const seconds = Math.max(0, Math.floor(((s.ended_at ?? now) - s.started_at) / 1000));
      total += BigInt(costOf(plan, s.bytes_down + s.bytes_up, seconds));
    }
    return total;
  }
}
