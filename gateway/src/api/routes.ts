import type { Deployment } from '../../../agent/src/usage/format.js';
import type { Counters } from '../ingest/metrics.js';
import type { StatusBook } from '../ingest/status.js';
import type { GatewayStore } from '../store/store.js';
import { renderMetrics } from './metrics.js';
import type { AuditOptions } from './owner/chain-audit.js';
import { ownerPage } from './owner/route.js';
import type { BlockLookup } from './owner/tx-blocks.js';
import { anomalyQuery, emptyQuery, HttpError, idParam, parseQuery, rangeQuery, txQuery } from './query.js';

export interface ApiDeps {
  store: GatewayStore;
  statuses: StatusBook;
  counters: Counters;
  /** Network and contract of the batches: the owner's page checks each stored batch's hash and signature with it. */
  deployment: Deployment;
  /** A settlement transaction's block, for the owner's page (the chain's gettransactionheight). */
  blockOf?: BlockLookup;
  clock?: () => number;
  audit?: AuditOptions;
}

export interface Reply { status?: number; json?: unknown; text?: string; html?: string; headers?: Record<string, string> }
type Handler = (q: URLSearchParams, params: string[]) => Promise<Reply>;
export interface Route { method: 'GET' | 'POST'; path: RegExp; write: boolean; handler: Handler }

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function routes(d: ApiDeps): Route[] {
  const clock = d.clock ?? Date.now;
  const get = (path: RegExp, handler: Handler): Route => ({ method: 'GET', path, write: false, handler });
  const page = ownerPage(d);
  return [
    get(/^\/(owner)?$/, (q) => page(q)),
    get(/^\/health$/, async (q) => (parseQuery(emptyQuery, q), { json: { ok: true, totals: await d.store.totals() } })),
    get(/^\/routers$/, async (q) => {
      parseQuery(emptyQuery, q);
      const known = await d.store.listRouters();
      const out = known.map((r) => {
        const s = d.statuses.get(r.address);
        return { ...r, online: s?.online ?? false, statusAt: s?.receivedAt ?? null, status: s?.status ?? null };
      });
      // Routers that report status but never sent usage are worth seeing too.
      for (const [address, s] of d.statuses.entries()) {
        if (!known.some((r) => r.address === address)) out.push({ address, online: s.online, statusAt: s.receivedAt, status: s.status } as never);
      }
      return { json: { routers: out } };
    }),
    get(/^\/sessions$/, async (q) => {
      const r = parseQuery(rangeQuery, q);
      return { json: { sessions: await d.store.sessions({ router: r.router, fromMs: r.from, toMs: r.to, limit: r.limit }) } };
    }),
    get(/^\/usage\/daily$/, async (q) => {
      const r = parseQuery(rangeQuery, q);
      const days = await d.store.usagePerDay({ router: r.router, fromMs: r.from, toMs: r.to, limit: r.limit });
      return { json: { days, today: day(clock()) } };
    }),
    get(/^\/earnings$/, async (q) => (parseQuery(emptyQuery, q), { json: { owners: await d.store.earnings() } })),
    get(/^\/transactions$/, async (q) => {
      const r = parseQuery(txQuery, q);
      return { json: { transactions: await d.store.transactions(r) } };
    }),
    get(/^\/anomalies$/, async (q) => {
      const r = parseQuery(anomalyQuery, q);
      // The held batch itself can be large; the API shows that it is there, not its records.
      const list = (await d.store.anomalies(r)).map(({ payload, ...a }) => ({ ...a, held: payload !== null }));
      return { json: { anomalies: list } };
    }),
    {
      method: 'POST', path: /^\/anomalies\/([^/]+)\/resolve$/, write: true,
      handler: async (q, [id]) => {
        parseQuery(emptyQuery, q);
        const n = idParam.safeParse(id);
        if (!n.success) throw new HttpError(400, 'anomaly id must be a positive integer');
        await d.store.resolve(n.data, clock());
        return { json: { ok: true } };
      },
    },
    get(/^\/metrics$/, async (q) => (parseQuery(emptyQuery, q), { text: await renderMetrics(d) })),
  ];
}
