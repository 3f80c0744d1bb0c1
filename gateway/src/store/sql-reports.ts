import { batchSchema } from '../../../agent/src/usage/wire.js';
import { num, numOrNull, one, type Param, type Queryable } from './sql.js';
import type { Anomaly, AnomalyInput, DayUsage, OwnerEarnings, Range, SessionUsage, Totals } from './types.js';

const DAY_MS = 86_400_000;

interface AnomalyRow {
  id: number; router: string; kind: Anomaly['kind']; seq: number; hash: string; detail: string; payload: string | null;
  status: Anomaly['status']; count: number; first_at: number; last_at: number;
}
const toAnomaly = (r: AnomalyRow): Anomaly => ({
  id: num(r.id), router: r.router, kind: r.kind, seq: num(r.seq), hash: r.hash, detail: r.detail,
  // Stored by this gateway after verification; parsed again so a hand-edited row cannot smuggle a bad batch in.
  payload: r.payload === null ? null : batchSchema.parse(JSON.parse(r.payload)),
  status: r.status, count: num(r.count), firstAt: num(r.first_at), lastAt: num(r.last_at),
});

export async function report(q: Queryable, a: AnomalyInput, status: 'held' | 'reported'): Promise<number> {
  const row = await one<{ id: number }>(q, `INSERT INTO anomalies (router, kind, seq, hash, detail, payload, status, count, first_at, last_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (router, kind, seq, hash)
    DO UPDATE SET count = anomalies.count + 1, last_at = excluded.last_at, detail = excluded.detail RETURNING id`,
  [a.router, a.kind, a.seq, a.hash, a.detail.slice(0, 500), a.payload ? JSON.stringify(a.payload) : null, status, a.at, a.at]);
  return num(row?.id);
}

export async function held(q: Queryable, router: string, seq: number): Promise<Anomaly[]> {
  const rows = await q.all<AnomalyRow>(`SELECT * FROM anomalies WHERE status = 'held' AND router = ? AND seq = ? ORDER BY id`, [router, seq]);
  return rows.map(toAnomaly);
}

export async function anomalies(q: Queryable, o: { status?: Anomaly['status']; router?: string; limit?: number }): Promise<Anomaly[]> {
  const w = where([['status = ?', o.status], ['router = ?', o.router]]);
  const rows = await q.all<AnomalyRow>(`SELECT * FROM anomalies ${w.sql} ORDER BY last_at DESC, id DESC LIMIT ?`, [...w.params, o.limit ?? 100]);
  return rows.map(toAnomaly);
}

/** WHERE from the conditions whose value is given; PostgreSQL cannot type a bare `? IS NULL`, so absent filters are left out. */
function where(conds: Array<[string, Param | undefined]>): { sql: string; params: Param[] } {
  const used = conds.filter((c): c is [string, Param] => c[1] !== undefined);
  return { sql: used.length ? 'WHERE ' + used.map((c) => c[0]).join(' AND ') : '', params: used.map((c) => c[1]) };
}

const rangeWhere = (r: Range) => where([['router = ?', r.router], ['start_ms >= ?', r.fromMs], ['start_ms < ?', r.toMs]]);

export async function usagePerDay(q: Queryable, r: Range): Promise<DayUsage[]> {
  const w = rangeWhere(r);
  const rows = await q.all<Record<string, unknown>>(`SELECT start_ms / ${DAY_MS} AS day, router, COUNT(DISTINCT session_id) AS sessions,
    COUNT(*) AS records, SUM(bytes_down) AS down, SUM(bytes_up) AS up, SUM(seconds) AS seconds, SUM(cost) AS cost
    FROM records ${w.sql} GROUP BY start_ms / ${DAY_MS}, router ORDER BY day, router LIMIT ?`, [...w.params, r.limit ?? 1000]);
  return rows.map((x) => ({
    day: new Date(num(x.day) * DAY_MS).toISOString().slice(0, 10), router: String(x.router), sessions: num(x.sessions),
    records: num(x.records), bytesDown: num(x.down), bytesUp: num(x.up), seconds: num(x.seconds), cost: num(x.cost),
  }));
}

export async function sessions(q: Queryable, r: Range): Promise<SessionUsage[]> {
  const w = rangeWhere(r);
  const rows = await q.all<Record<string, unknown>>(`SELECT router, session_id, MAX(channel_id) AS channel, MIN(start_ms) AS start_ms,
    MAX(end_ms) AS end_ms, SUM(bytes_down) AS down, SUM(bytes_up) AS up, SUM(seconds) AS seconds, SUM(cost) AS cost,
    MAX(voucher_amount) AS voucher FROM records ${w.sql} GROUP BY router, session_id ORDER BY MAX(end_ms) DESC, router, session_id LIMIT ?`,
  [...w.params, r.limit ?? 100]);
  return rows.map((x) => ({
    router: String(x.router), sessionId: num(x.session_id), channelId: numOrNull(x.channel), startMs: num(x.start_ms),
    endMs: num(x.end_ms), bytesDown: num(x.down), bytesUp: num(x.up), seconds: num(x.seconds), cost: num(x.cost), voucherAmount: num(x.voucher),
  }));
}

export async function earnings(q: Queryable): Promise<OwnerEarnings[]> {
  const metered = await q.all<Record<string, unknown>>(`SELECT o.owner, COUNT(DISTINCT o.address) AS routers, SUM(r.cost) AS metered
    FROM routers o LEFT JOIN records r ON r.router = o.address GROUP BY o.owner`);
  // A redeem pays the rise over what the channel had redeemed, so a channel earned its newest confirmed voucher.
  const settled = await q.all<Record<string, unknown>>(`SELECT owner, SUM(amount) AS settled FROM (
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

export async function totals(q: Queryable): Promise<Totals> {
  const n = async (sql: string) => num((await one<{ n: number }>(q, sql))?.n);
  return {
    batches: await n('SELECT COUNT(*) AS n FROM batches'),
    records: await n('SELECT COUNT(*) AS n FROM records'),
    anomalies: await n(`SELECT COUNT(*) AS n FROM anomalies WHERE status <> 'resolved'`),
    pendingTxs: await n(`SELECT COUNT(*) AS n FROM chain_txs WHERE status = 'pending'`),
  };
}
