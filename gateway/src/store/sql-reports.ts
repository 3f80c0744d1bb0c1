import { num, numOrNull, one, type Param, type SqlDriver } from './sql.js';
import { toAnomaly, type AnomalyRow } from './sql-ingest.js';
import type { ReportStore } from './store.js';
import type { Anomaly, ChainTx, DayUsage, OwnerEarnings, Range, SessionUsage, Totals, TxStatus } from './types.js';

const DAY_MS = 86_400_000;

/** WHERE from the conditions whose value is given; PostgreSQL cannot type a bare `? IS NULL`, so absent filters are left out. */
function where(conds: Array<[string, Param | undefined]>): { sql: string; params: Param[] } {
  const used = conds.filter((c): c is [string, Param] => c[1] !== undefined);
  return { sql: used.length ? 'WHERE ' + used.map((c) => c[0]).join(' AND ') : '', params: used.map((c) => c[1]) };
}

const rangeWhere = (r: Range) =>
  where([
    ['router = ?', r.router],
    ['router IN (SELECT address FROM routers WHERE owner = ?)', r.owner],
    ['start_ms >= ?', r.fromMs],
    ['start_ms < ?', r.toMs],
  ]);

/** The ReportStore over either SQL driver. */
export class SqlReportStore implements ReportStore {
  constructor(private readonly db: SqlDriver) {}

  async totals(): Promise<Totals> {
    const n = async (sql: string) => num((await one<{ n: number }>(this.db, sql))?.n);
    return {
      batches: await n('SELECT COUNT(*) AS n FROM batches'),
      records: await n('SELECT COUNT(*) AS n FROM records'),
      anomalies: await n(`SELECT COUNT(*) AS n FROM anomalies WHERE status <> 'resolved'`),
      pendingTxs: await n(`SELECT COUNT(*) AS n FROM chain_txs WHERE status = 'pending'`),
    };
  }

  async usagePerDay(r: Range): Promise<DayUsage[]> {
    const w = rangeWhere(r);
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT start_ms / ${DAY_MS} AS day, router, COUNT(DISTINCT session_id) AS sessions,
      COUNT(*) AS records, SUM(bytes_down) AS down, SUM(bytes_up) AS up, SUM(zero_down) AS zdown, SUM(zero_up) AS zup, SUM(seconds) AS seconds, SUM(cost) AS cost
      FROM records ${w.sql} GROUP BY start_ms / ${DAY_MS}, router ORDER BY day, router LIMIT ?`,
      [...w.params, r.limit ?? 1000],
    );
    return rows.map((x) => ({
      day: new Date(num(x.day) * DAY_MS).toISOString().slice(0, 10),
      router: String(x.router),
      sessions: num(x.sessions),
      records: num(x.records),
      bytesDown: num(x.down),
      bytesUp: num(x.up),
      zeroDown: num(x.zdown),
      zeroUp: num(x.zup),
      seconds: num(x.seconds),
      cost: num(x.cost),
    }));
  }

  async sessions(r: Range): Promise<SessionUsage[]> {
    const w = rangeWhere(r);
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT router, session_id, MAX(channel_id) AS channel, MIN(start_ms) AS start_ms,
      MAX(end_ms) AS end_ms, SUM(bytes_down) AS down, SUM(bytes_up) AS up, SUM(zero_down) AS zdown, SUM(zero_up) AS zup, SUM(seconds) AS seconds, SUM(cost) AS cost,
      MAX(voucher_amount) AS voucher FROM records ${w.sql} GROUP BY router, session_id ORDER BY MAX(end_ms) DESC, router, session_id LIMIT ?`,
      [...w.params, r.limit ?? 100],
    );
    return rows.map((x) => ({
      router: String(x.router),
      sessionId: num(x.session_id),
      channelId: numOrNull(x.channel),
      startMs: num(x.start_ms),
      endMs: num(x.end_ms),
      bytesDown: num(x.down),
      bytesUp: num(x.up),
      zeroDown: num(x.zdown),
      zeroUp: num(x.zup),
      seconds: num(x.seconds),
      cost: num(x.cost),
      voucherAmount: num(x.voucher),
    }));
  }

  async earnings(): Promise<OwnerEarnings[]> {
    const metered = await this.db.all<Record<string, unknown>>(`SELECT o.owner, COUNT(DISTINCT o.address) AS routers, SUM(r.cost) AS metered
      FROM routers o LEFT JOIN records r ON r.router = o.address GROUP BY o.owner`);
    // A redeem pays the rise over what the channel had redeemed, so a channel earned its newest confirmed voucher.
    const settled = await this.db.all<Record<string, unknown>>(`SELECT owner, SUM(amount) AS settled FROM (
      SELECT i.owner, i.channel_id, MAX(i.amount) AS amount FROM tx_items i JOIN chain_txs t ON t.txid = i.txid
      WHERE i.kind = 'redeem' AND t.status = 'confirmed' GROUP BY i.owner, i.channel_id) c GROUP BY owner`);
    const out = new Map<string, OwnerEarnings>();
    for (const m of metered) out.set(String(m.owner), { owner: String(m.owner), routers: num(m.routers), metered: num(m.metered), settled: 0 });
    for (const s of settled) {
      const e = out.get(String(s.owner)) ?? { owner: String(s.owner), routers: 0, metered: 0, settled: 0 };
      e.settled = num(s.settled);
      out.set(e.owner, e);
    }
    return [...out.values()].sort((a, b) => a.owner.localeCompare(b.owner));
  }

  async transactions(o: { status?: TxStatus; limit?: number }): Promise<ChainTx[]> {
    const filter = o.status ? 'WHERE c.status = ?' : '';
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT c.*, (SELECT COUNT(*) FROM tx_items i WHERE i.txid = c.txid) AS items,
      (SELECT rt.round FROM round_txs rt WHERE rt.txid = c.txid) AS round
      FROM chain_txs c ${filter} ORDER BY c.created_at DESC, c.txid LIMIT ?`,
      [...(o.status ? [o.status] : []), o.limit ?? 100],
    );
    return rows.map((r) => ({
      txid: String(r.txid),
      kind: r.kind as ChainTx['kind'],
      status: r.status as TxStatus,
      validUntilBlock: num(r.valid_until_block),
      items: num(r.items),
      round: numOrNull(r.round),
      createdAt: num(r.created_at),
      settledAt: numOrNull(r.settled_at),
      vmstate: (r.vmstate as string | null) ?? null,
      detail: (r.detail as string | null) ?? null,
      gasFee: numOrNull(r.gas_fee),
    }));
  }

  async anomalies(o: { status?: Anomaly['status']; router?: string; limit?: number }): Promise<Anomaly[]> {
    const w = where([
      ['status = ?', o.status],
      ['router = ?', o.router],
    ]);
    const rows = await this.db.all<AnomalyRow>(`SELECT * FROM anomalies ${w.sql} ORDER BY last_at DESC, id DESC LIMIT ?`, [...w.params, o.limit ?? 100]);
    return rows.map(toAnomaly);
  }
}
