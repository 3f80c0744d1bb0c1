import type { RouterIdentity } from '../identity/router-key.js';
import type { UsageRecordRow } from '../store/db.js';
import type { Db } from '../store/driver.js';
import { type Batch, batchHeader, type Deployment, merkleRoot, recordBytes, sha256, toHex, type UsageRecord, ZERO_HASH } from '../../../protocol/src/index.js';

const toRecord = (r: UsageRecordRow): UsageRecord => ({
  id: r.id,
  sessionId: r.session_id,
  channelId: r.channel_id,
  startMs: r.start_ms,
  endMs: r.end_ms,
  bytesDown: r.bytes_down,
  bytesUp: r.bytes_up,
  seconds: r.seconds,
  cost: r.cost,
  voucher: r.voucher_amount === null || r.voucher_sig === null ? null : { amount: r.voucher_amount, signature: r.voucher_sig },
  // Only where there are any: a record without them is the version-1 record, byte for byte.
  ...(r.zero_down || r.zero_up ? { zeroDown: r.zero_down, zeroUp: r.zero_up } : {}),
});

/**
 * Seals unbatched records into signed, hash-chained batches. Sealing, linking
 * the records to the batch and queueing it in the outbox is one transaction:
 * a crash leaves either a whole batch or the records still unbatched.
 */
export class UsageBatcher {
  readonly #unbatched;
  readonly #head;
  readonly #insertBatch;
  readonly #link;
  readonly #queue;

  constructor(
    private readonly db: Db,
    private readonly identity: RouterIdentity,
    private readonly deployment: Deployment,
  ) {
    this.#unbatched = db.prepare<[number], UsageRecordRow>('SELECT * FROM usage_records WHERE batch_seq IS NULL ORDER BY id LIMIT ?');
    this.#head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM usage_batches ORDER BY seq DESC LIMIT 1');
    this.#insertBatch = db.prepare(`INSERT INTO usage_batches
      (seq, hash, prev, root, from_ms, to_ms, first_record, last_record, records, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#link = db.prepare('UPDATE usage_records SET batch_seq = ? WHERE batch_seq IS NULL AND id BETWEEN ? AND ?');
    this.#queue = db.prepare('INSERT INTO usage_outbox (seq, payload) VALUES (?, ?)');
  }

  /** Seals at most `max` of the oldest unbatched records; returns the batch, or null when there were none. */
  seal(now: number, max: number): Batch | null {
    return this.db.transaction(() => {
      const records = this.#unbatched.all(max).map(toRecord);
      if (!records.length) return null;
      const head = this.#head.get();
      const seq = (head?.seq ?? 0) + 1;
      const prev = head?.hash ?? ZERO_HASH;
      const router = this.identity.publicKey;
      const root = toHex(merkleRoot(records.map((r) => recordBytes(router, r))));
      const msg = batchHeader(this.deployment, router, seq, prev, root);
      const batch: Batch = {
        v: 1,
        router,
        networkMagic: this.deployment.networkMagic,
        contract: this.deployment.contract.toLowerCase(),
        seq,
        prev,
        root,
        hash: toHex(sha256(msg)),
        fromMs: Math.min(...records.map((r) => r.startMs)),
        toMs: Math.max(...records.map((r) => r.endMs)),
        records,
        signature: this.identity.sign(msg).toString('hex'),
      };
      const first = records[0]!.id;
      const last = records[records.length - 1]!.id;
      this.#insertBatch.run(seq, batch.hash, prev, root, batch.fromMs, batch.toMs, first, last, records.length, now);
      this.#link.run(seq, first, last);
      this.#queue.run(seq, JSON.stringify(batch));
      return batch;
    });
  }

  /** Seals until no unbatched record is left; returns how many batches it made. */
  sealAll(now: number, max: number): number {
    let n = 0;
    while (this.seal(now, max)) n++;
    return n;
  }
}
