import { num, one, type SqlDriver } from './sql.js';
import type { ProofStore } from './store.js';
import type { RoundPlace, RouterRound } from './types.js';

const OWNED = 'SELECT address FROM routers WHERE owner = ?';
/** The confirmed transaction of the round of `rb` (at most one: the contract takes a round once). */
const CONFIRMED = `SELECT x.txid FROM round_txs x JOIN chain_txs t ON t.txid = x.txid
  WHERE x.anchorer = rb.anchorer AND x.round = rb.round AND t.status = 'confirmed'`;

/** The ProofStore over either SQL driver. */
export class SqlProofStore implements ProofStore {
  constructor(private readonly db: SqlDriver) {}

  async locate(router: string, seq: number): Promise<{ hash: string; place: RoundPlace | null } | null> {
    const r = await one<Record<string, unknown>>(
      this.db,
      `SELECT b.hash, rb.anchorer, rb.round, rb.idx, r.size, r.root, r.created_at,
      (${CONFIRMED} LIMIT 1) AS txid
      FROM batches b LEFT JOIN round_batches rb ON rb.router = b.router AND rb.seq = b.seq
      LEFT JOIN rounds r ON r.anchorer = rb.anchorer AND r.round = rb.round WHERE b.router = ? AND b.seq = ?`,
      [router, seq],
    );
    if (!r) return null;
    const place: RoundPlace | null =
      r.round === null || r.round === undefined
        ? null
        : {
            anchorer: String(r.anchorer),
            round: num(r.round),
            index: num(r.idx),
            size: num(r.size),
            root: String(r.root),
            createdAt: num(r.created_at),
            txid: (r.txid as string | null) ?? null,
          };
    return { hash: String(r.hash), place };
  }

  async roundHashes(anchorer: string, round: number): Promise<string[]> {
    const rows = await this.db.all<{ hash: string }>(
      `SELECT b.hash FROM round_batches rb JOIN batches b ON b.router = rb.router AND b.seq = rb.seq
      WHERE rb.anchorer = ? AND rb.round = ? ORDER BY rb.idx`,
      [anchorer, round],
    );
    return rows.map((r) => r.hash);
  }

  async routerRounds(owner?: string): Promise<RouterRound[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT router, anchorer, round, last_seq, created_at, txid, anchored FROM (
      SELECT rb.router, rb.anchorer, rb.round, MAX(rb.seq) AS last_seq, r.created_at, MIN(x.txid) AS txid,
        SUM(COUNT(*)) OVER (PARTITION BY rb.router) AS anchored,
        ROW_NUMBER() OVER (PARTITION BY rb.router ORDER BY r.created_at DESC, rb.round DESC) AS n
      FROM round_batches rb JOIN rounds r ON r.anchorer = rb.anchorer AND r.round = rb.round
      JOIN round_txs x ON x.anchorer = rb.anchorer AND x.round = rb.round JOIN chain_txs t ON t.txid = x.txid AND t.status = 'confirmed'
      ${owner ? `WHERE rb.router IN (${OWNED})` : ''}
      GROUP BY rb.router, rb.anchorer, rb.round, r.created_at) w WHERE n = 1 ORDER BY router`,
      owner ? [owner] : [],
    );
    return rows.map((r) => ({
      router: String(r.router),
      anchorer: String(r.anchorer),
      round: num(r.round),
      txid: String(r.txid),
      lastSeq: num(r.last_seq),
      anchoredBatches: num(r.anchored),
      createdAt: num(r.created_at),
    }));
  }
}
