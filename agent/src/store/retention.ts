import type { Db } from './driver.js';

/**
 * How long the router keeps what it knows of guests (docs/privacy.md): a
 * guest's MAC, host name and addresses, ended sessions (which tie a MAC to
 * the channel that paid, and so to a wallet on chain) and the event log go
 * once they are older than `days`. What is still owed is never pruned: an
 * open session, records not yet in an acked batch, the newest batch (the
 * next one names its hash), the newest voucher per channel (only it is ever
 * redeemed, and a returning guest's channel needs it).
 */
export interface Pruned {
  guests: number;
  addresses: number;
  sessions: number;
  events: number;
  batches: number;
}

/** What pruneStale removed: addresses and guests of MACs that never had a session. */
export interface PrunedStale {
  addresses: number;
  guests: number;
}

/** A MAC that never had a session here (paid or not): a passer-by, or an entry a spoofer made up. */
const NEVER_PAID = `mac NOT IN (SELECT mac FROM sessions)`;

export class Retention {
  readonly #statements;
  readonly #stale;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare<[number]>(sql);
    this.#statements = {
      addresses: p(`DELETE FROM guest_addresses WHERE last_seen < ? AND mac NOT IN (SELECT mac FROM sessions WHERE state != 'ended')`),
      guests: p(`DELETE FROM guests WHERE last_seen < ? AND mac NOT IN (SELECT mac FROM sessions WHERE state != 'ended')`),
      // Ended, and every record of it already left in an acked batch (records of acked batches are deleted on ack).
      sessions: p(`DELETE FROM sessions WHERE state = 'ended' AND ended_at < ?
        AND id NOT IN (SELECT session_id FROM usage_records)`),
      events: p(`DELETE FROM events WHERE at < ?`),
      batches: p(`DELETE FROM usage_batches WHERE acked_at IS NOT NULL AND acked_at < ? AND seq < (SELECT MAX(seq) FROM usage_batches)`),
    };
    this.#stale = {
      addresses: db.prepare<[number]>(`DELETE FROM guest_addresses WHERE last_seen < ? AND ${NEVER_PAID}`),
      guests: db.prepare<[number]>(`DELETE FROM guests WHERE last_seen < ? AND ${NEVER_PAID} AND mac NOT IN (SELECT mac FROM guest_addresses)`),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM guests'),
      overAddresses: db.prepare<[number]>(`DELETE FROM guest_addresses WHERE mac IN
        (SELECT mac FROM guests WHERE ${NEVER_PAID} ORDER BY last_seen LIMIT ?)`),
      overGuests: db.prepare<[number]>(`DELETE FROM guests WHERE mac IN
        (SELECT mac FROM guests WHERE ${NEVER_PAID} ORDER BY last_seen LIMIT ?)`),
    };
  }

  /**
   * Spoofed and stale entries, long before retentionDays: the addresses of
   * MACs that never had a session, not seen for maxAgeMs (a guest still there
   * is seen again every minute), then such guests with no address left; and
   * past maxGuests, the least recently seen of them. A guest sending ARP or
   * ND from made-up MACs fills the tables for at most that long.
   */
  pruneStale(now: number, maxAgeMs: number, maxGuests: number): PrunedStale {
    const before = now - maxAgeMs;
    return this.db.transaction(() => {
      let addresses = this.#stale.addresses.run(before).changes;
      let guests = this.#stale.guests.run(before).changes;
      const over = this.#stale.count.get()!.n - maxGuests;
      if (over > 0) {
        addresses += this.#stale.overAddresses.run(over).changes;
        guests += this.#stale.overGuests.run(over).changes;
      }
      return { addresses, guests };
    });
  }

  /** Deletes what is older than `days` before `now`; the counts of what went. */
  prune(now: number, days: number): Pruned {
    const before = now - days * 86_400_000;
    return this.db.transaction(() => {
      const s = this.#statements;
      return {
        addresses: s.addresses.run(before).changes,
        guests: s.guests.run(before).changes,
        sessions: s.sessions.run(before).changes,
        events: s.events.run(before).changes,
        batches: s.batches.run(before).changes,
      };
    });
  }
}
