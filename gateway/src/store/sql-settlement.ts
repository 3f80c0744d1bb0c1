import { num, one, type ColumnType, type Queryable, type SqlDriver } from './sql.js';
import type { SettlementStore } from './store.js';
import type { NewRound, OpenRound, PassedVoucher, PendingTx, QueuedBatch, TxSettlement, TxStatus, VoucherToRedeem } from './types.js';

const ROUND_BATCH_COLUMNS: Array<[string, ColumnType]> = [
  ['router', 'text'],
  ['seq', 'bigint'],
  ['anchorer', 'text'],
  ['round', 'bigint'],
  ['idx', 'bigint'],
];
/** A round's transactions of one status (alias r for the round). */
const roundTx = (status: TxStatus) => `SELECT x.txid FROM round_txs x JOIN chain_txs t ON t.txid = x.txid
  WHERE x.anchorer = r.anchorer AND x.round = r.round AND t.status = '${status}'`;

// "Covered" = a pending or confirmed transaction already carries it: neither
// is built again, so a crash between recording and sending pays nobody twice.
const COVERED = `t.status IN ('pending', 'confirmed')`;

// Vouchers from usage records and from the channel RPC, as one set: only
// vouchers that passed the check at ingest (records' voucher_* columns) or at
// the RPC (the vouchers table).
const ALL_VOUCHERS = `SELECT channel_id, voucher_amount AS amount, voucher_sig AS sig, router FROM records
  WHERE channel_id IS NOT NULL AND voucher_amount IS NOT NULL
  UNION ALL SELECT channel_id, amount, signature AS sig, router FROM vouchers`;

/** The newest voucher the gateway holds for a channel, from records or the RPC. */
async function newestIn(q: Queryable, channelId: number): Promise<{ amount: number; signature: string; router: string } | null> {
  const rows = await q.all<Record<string, unknown>>(
    `WITH v AS (${ALL_VOUCHERS})
    SELECT amount, sig, router FROM v WHERE channel_id = ? ORDER BY amount DESC, sig LIMIT 1`,
    [channelId],
  );
  const r = rows[0];
  return r ? { amount: num(r.amount), signature: String(r.sig), router: String(r.router) } : null;
}

/** The SettlementStore over either SQL driver. */
export class SqlSettlementStore implements SettlementStore {
  constructor(private readonly db: SqlDriver) {}

  async addPending(p: PendingTx): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run(`INSERT INTO chain_txs (txid, kind, status, raw, valid_until_block, created_at) VALUES (?, ?, 'pending', ?, ?, ?)`, [
        p.txid,
        p.kind,
        p.raw,
        p.validUntilBlock,
        p.at,
      ]);
      for (const i of p.items) {
        if (i.kind === 'redeem') {
          await q.run(`INSERT INTO tx_items (txid, kind, channel_id, amount, owner) VALUES (?, 'redeem', ?, ?, ?)`, [p.txid, i.channelId, i.amount, i.owner]);
        }
      }
      if (p.round) await q.run('INSERT INTO round_txs (txid, anchorer, round) VALUES (?, ?, ?)', [p.txid, p.round.anchorer, p.round.round]);
    });
  }

  async settle(txid: string, s: TxSettlement): Promise<void> {
    await this.db.run(`UPDATE chain_txs SET status = ?, settled_at = ?, vmstate = ?, detail = ?, gas_fee = ? WHERE txid = ? AND status = 'pending'`, [
      s.status,
      s.at,
      s.vmstate,
      s.detail,
      s.gasFee,
      txid,
    ]);
  }

  async pendingRaw(): Promise<Array<{ txid: string; raw: string; validUntilBlock: number }>> {
    const rows = await this.db.all<{ txid: string; raw: string; valid_until_block: number }>(
      `SELECT txid, raw, valid_until_block FROM chain_txs WHERE status = 'pending' ORDER BY created_at, txid`,
    );
    return rows.map((r) => ({ txid: r.txid, raw: r.raw, validUntilBlock: num(r.valid_until_block) }));
  }

  async vouchersToRedeem(limit: number): Promise<VoucherToRedeem[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      `WITH v AS (${ALL_VOUCHERS})
      SELECT v.channel_id, v.amount, MIN(v.sig) AS sig, MIN(v.router) AS router
      FROM v JOIN (SELECT channel_id, MAX(amount) AS amount FROM v GROUP BY channel_id) m
      ON m.channel_id = v.channel_id AND m.amount = v.amount
      WHERE NOT EXISTS (SELECT 1 FROM tx_items i JOIN chain_txs t ON t.txid = i.txid
        WHERE i.kind = 'redeem' AND i.channel_id = v.channel_id AND i.amount >= v.amount AND ${COVERED})
      GROUP BY v.channel_id, v.amount ORDER BY v.channel_id LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ channelId: num(r.channel_id), amount: num(r.amount), signature: String(r.sig), router: String(r.router) }));
  }

  async settleLate(txid: string, s: TxSettlement): Promise<void> {
    await this.db.run(`UPDATE chain_txs SET status = ?, settled_at = ?, vmstate = ?, detail = ?, gas_fee = ? WHERE txid = ? AND status = 'expired'`, [
      s.status,
      s.at,
      s.vmstate,
      s.detail,
      s.gasFee,
      txid,
    ]);
  }

  async roundQueue(limit: number): Promise<QueuedBatch[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT q.router, q.seq, b.hash FROM round_queue q
      JOIN batches b ON b.router = q.router AND b.seq = q.seq ORDER BY b.received_at, q.router, q.seq LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ router: String(r.router), seq: num(r.seq), hash: String(r.hash) }));
  }

  async cutRound(r: NewRound): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run('INSERT INTO rounds (anchorer, round, root, size, created_at) VALUES (?, ?, ?, ?, ?)', [r.anchorer, r.round, r.root, r.batches.length, r.at]);
      await q.insertMany(
        'round_batches',
        ROUND_BATCH_COLUMNS,
        r.batches.map((b, i) => [b.router, b.seq, r.anchorer, r.round, i]),
      );
      const taken = await q.run(
        `DELETE FROM round_queue WHERE EXISTS (SELECT 1 FROM round_batches rb
        WHERE rb.router = round_queue.router AND rb.seq = round_queue.seq AND rb.anchorer = ? AND rb.round = ?)`,
        [r.anchorer, r.round],
      );
      // The primary key of round_batches already keeps a batch out of a second round; this keeps a round to queued batches.
      if (taken !== r.batches.length) throw new Error(`round ${r.round}: ${r.batches.length - taken} of its batches are not waiting for a round`);
    });
  }

  async openRounds(anchorer: string): Promise<OpenRound[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT r.anchorer, r.round, r.root, r.size, r.created_at,
      (${roundTx('pending')} ORDER BY t.created_at LIMIT 1) AS pending
      FROM rounds r WHERE r.anchorer = ? AND NOT EXISTS (${roundTx('confirmed')}) ORDER BY r.round`,
      [anchorer],
    );
    return rows.map((r) => ({
      anchorer: String(r.anchorer),
      round: num(r.round),
      root: String(r.root),
      size: num(r.size),
      createdAt: num(r.created_at),
      pending: (r.pending as string | null) ?? null,
    }));
  }

  async lastRound(anchorer: string): Promise<{ round: number; root: string; createdAt: number } | null> {
    const r = await one<Record<string, unknown>>(this.db, 'SELECT round, root, created_at FROM rounds WHERE anchorer = ? ORDER BY round DESC LIMIT 1', [
      anchorer,
    ]);
    return r ? { round: num(r.round), root: String(r.root), createdAt: num(r.created_at) } : null;
  }

  async roundTxs(anchorer: string, round: number): Promise<Array<{ txid: string; status: TxStatus }>> {
    return this.db.all<{ txid: string; status: TxStatus }>(
      `SELECT t.txid, t.status FROM round_txs x JOIN chain_txs t ON t.txid = x.txid
      WHERE x.anchorer = ? AND x.round = ? ORDER BY t.created_at, t.txid`,
      [anchorer, round],
    );
  }

  putVoucher(v: PassedVoucher): Promise<boolean> {
    return this.db.tx(async (q) => {
      const cur = await newestIn(q, v.channelId);
      if (cur && cur.amount >= v.amount) return false;
      await q.run(
        `INSERT INTO vouchers (channel_id, amount, signature, router, received_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (channel_id) DO UPDATE SET amount = excluded.amount, signature = excluded.signature, router = excluded.router,
        received_at = excluded.received_at WHERE excluded.amount > vouchers.amount`,
        [v.channelId, v.amount, v.signature, v.router, v.at],
      );
      return true;
    });
  }

  newestVoucher(channelId: number): Promise<{ amount: number; signature: string; router: string } | null> {
    return newestIn(this.db, channelId);
  }

  async pendingFor(channelId: number): Promise<string | null> {
    const rows = await this.db.all<{ txid: string }>(
      `SELECT t.txid FROM tx_items i JOIN chain_txs t ON t.txid = i.txid
      WHERE i.kind = 'redeem' AND i.channel_id = ? AND t.status = 'pending' ORDER BY t.created_at LIMIT 1`,
      [channelId],
    );
    return rows[0]?.txid ?? null;
  }
}
