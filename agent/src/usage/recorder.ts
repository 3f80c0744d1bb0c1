import { costOf } from '../plans.js';
import type { PricingOf } from '../plans/pricing.js';
import type { Db } from '../store/driver.js';
import type { UsageHook } from '../store/sessions.js';

export interface RecorderOptions {
  /** A record is cut once a session's open interval is at least this long. */
  intervalMs: number;
  /** The terms a session's usage is priced by (none: free); plans/pricing.ts. */
  pricingOf?: PricingOf;
}

interface Cursor {
  started_at: number;
  usage_from: number | null;
  bytes_down: number;
  bytes_up: number;
  usage_down: number;
  usage_up: number;
  channel_id: number | null;
  plan: string | null;
  zero_down: number;
  zero_up: number;
  usage_zero_down: number;
  usage_zero_up: number;
  zero_only: number;
  plan_owner: string | null;
  plan_id: number | null;
  plan_version: number | null;
}

/**
 * Cuts usage records out of a session's metered totals. It runs inside the
 * transaction that advanced the totals, and moves the session's record cursor
 * in the same write, so a crash keeps both or neither: no record is lost or
 * made twice.
 */
export class UsageRecorder implements UsageHook {
  readonly #cursor;
  readonly #insert;
  readonly #advance;
  readonly #voucher;

  constructor(
    db: Db,
    private readonly opts: RecorderOptions,
  ) {
    this.#cursor = db.prepare<[number], Cursor>(
      `SELECT started_at, usage_from, bytes_down, bytes_up, usage_down, usage_up, channel_id, plan,
        zero_down, zero_up, usage_zero_down, usage_zero_up, zero_only, plan_owner, plan_id, plan_version FROM sessions WHERE id = ?`,
    );
    this.#insert = db.prepare(`INSERT INTO usage_records
      (session_id, channel_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost, voucher_amount, voucher_sig, zero_down, zero_up)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#advance = db.prepare('UPDATE sessions SET usage_from = ?, usage_down = ?, usage_up = ?, usage_zero_down = ?, usage_zero_up = ? WHERE id = ?');
    this.#voucher = db.prepare<[string], { amount: string; signature: string }>('SELECT amount, signature FROM vouchers WHERE channel_id = ?');
  }

  /** Must be called inside the caller's transaction; `final` closes the session's last interval whatever its length. */
  cut(sessionId: number, now: number, final: boolean, openFrom?: number): void {
    // Most polls cut nothing: answer that without reading the session again.
    if (!final && openFrom !== undefined && Math.max(now, openFrom) - openFrom < this.opts.intervalMs) return;
    const c = this.#cursor.get(sessionId);
    if (!c) return;
    const from = c.usage_from ?? c.started_at;
    // A router without a clock battery can step back in time before NTP syncs: never make an interval run backwards.
    const to = Math.max(now, from);
    if (!final && to - from < this.opts.intervalMs) return;
    const down = c.bytes_down - c.usage_down;
    const up = c.bytes_up - c.usage_up;
    // Whole seconds of the session clock, so the seconds of consecutive records add up exactly.
    const seconds = Math.floor((to - c.started_at) / 1000) - Math.floor((from - c.started_at) / 1000);
    const zeroDown = c.zero_down - c.usage_zero_down;
    const zeroUp = c.zero_up - c.usage_zero_up;
    if (down === 0 && up === 0 && seconds === 0 && zeroDown === 0 && zeroUp === 0) return;
    // The channel's newest voucher rides in the record: the gateway redeems from what the batches carry.
    const v = c.channel_id === null ? undefined : this.#voucher.get(String(c.channel_id));
    this.#insert.run(
      sessionId,
      c.channel_id,
      from,
      to,
      down,
      up,
      seconds,
      this.#cost(c, from, to),
      v ? Number(v.amount) : null,
      v?.signature ?? null,
      zeroDown,
      zeroUp,
    );
    this.#advance.run(to, c.bytes_down, c.bytes_up, c.zero_down, c.zero_up, sessionId);
  }

  /**
   * The rise of the session's cumulative cost over this interval: rounding the
   * running total, not each record, keeps the records' sum equal to the
   * session's cost to the last fraction.
   */
  #cost(c: Cursor, from: number, to: number): number {
    // A zero-only session (credit out, only the plan's zero-rated destinations) costs nothing, its time included.
    const plan = c.zero_only ? undefined : this.opts.pricingOf?.(c);
    if (!plan) return 0;
    const secs = (t: number) => Math.floor((t - c.started_at) / 1000);
    return costOf(plan, c.bytes_down + c.bytes_up, secs(to)) - costOf(plan, c.usage_down + c.usage_up, secs(from));
  }
}
