import type { Db } from '../store/driver.js';

export interface OutboxEntry {
  seq: number;
  payload: string;
}

/** Sealed batches waiting for the gateway's ack, kept in the store so a restart resends them. */
export class Outbox {
  readonly #after;
  readonly #count;
  readonly #countUpTo;
  readonly #ack;

  constructor(private readonly db: Db) {
    this.#after = db.prepare<[number, number], OutboxEntry>('SELECT seq, payload FROM usage_outbox WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM usage_outbox');
    this.#countUpTo = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM usage_outbox WHERE seq <= ?');
    this.#ack = db.prepare('DELETE FROM usage_outbox WHERE seq = ?');
  }

  /** Up to `limit` unacked batches after `seq`, oldest first. */
  after(seq: number, limit: number): OutboxEntry[] {
    return this.#after.all(seq, limit);
  }

  size(): number {
    return this.#count.get()!.n;
  }

  /** Unacked batches up to and including `seq`: those in flight when `seq` is the last one sent. */
  countUpTo(seq: number): number {
    return this.#countUpTo.get(seq)!.n;
  }

  /**
   * Drops acked batches and the records they carried (the gateway holds them now);
   * the batch row stays, as the chain's head and a short history. Returns the seqs that were pending.
   */
  ack(seqs: readonly number[], now: number): number[] {
    return this.db.transaction(() => {
      const done: number[] = [];
      for (const seq of seqs) {
        if (!this.#ack.run(seq).changes) continue;
        this.db.prepare('DELETE FROM usage_records WHERE batch_seq = ?').run(seq);
        this.db.prepare('UPDATE usage_batches SET acked_at = ? WHERE seq = ?').run(now, seq);
        done.push(seq);
      }
      return done;
    });
  }
}
