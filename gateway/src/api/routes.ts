import {
  decodePlanTerms,
  planTermsJson,
  scriptHashOfAddress,
  toHex,
  type Deployment,
  type GatewayRoutes,
  type RouteInput,
  type RouteJson,
  type RouteName,
} from '../../../protocol/src/index.js';
import type { Counters } from '../ingest/metrics.js';
import type { StatusBook } from '../ingest/status.js';
import type { JsonRpc } from '../../../chain/src/json-rpc.js';
import type { IngestStore, OwnerViewStore, ProofStore, ReportStore, RouterCache, SponsorStore } from '../store/store.js';
import { renderMetrics } from './metrics.js';
import type { AuditOptions } from './owner/chain-audit.js';
import { errorPage, ownerPage } from './owner/route.js';
import type { BlockLookup } from './owner/tx-blocks.js';
import { escapeHtml } from './owner/html.js';
import { registerRoutes } from './owner/register.js';
import { PAGE_HEADERS, STYLE } from './owner/style.js';
import type { PlanCatalog } from '../plans/catalog.js';
import { ProofBuilder } from './proof.js';
import { HttpError } from './query.js';
import { SESSION_MS, type Access, type OwnerSessions } from './sessions.js';
import type { z } from 'zod';

/** What the API reads, and the one write it makes: an anomaly marked resolved. */
export interface ApiStores {
  reports: ReportStore;
  owner: OwnerViewStore;
  routers: RouterCache;
  proofs: ProofStore;
  ingest: Pick<IngestStore, 'resolve'>;
  /** The sponsor's books, for the owner's page (what the hotspot paid of guests' fees). */
  sponsor?: Pick<SponsorStore, 'spend'>;
}

export interface ApiDeps {
  stores: ApiStores;
  statuses: StatusBook;
  counters: Counters;
  /** Network and contract of the batches: the owner's page checks each stored batch's hash and signature with it. */
  deployment: Deployment;
  /** A settlement transaction's block, for the owner's page (the chain's gettransactionheight). */
  blockOf?: BlockLookup;
  /** POST /enroll: broker certificates for registered routers, when the gateway holds the fleet CA. */
  enroll?: (body: unknown) => Promise<z.input<GatewayRoutes['enroll']['reply']>>;
  /** Owners' logins (GET /login/challenge, POST /login); without it only the operator's token reads anything. */
  sessions?: OwnerSessions;
  /** Set-Cookie with Secure: the API is reached over HTTPS (directly or through a proxy). */
  secureCookies?: boolean;
  /** Standard JSON-RPC to the chain, for the owner's page's proof checks. */
  chainRpc?: JsonRpc;
  /** The settlement wallet's address, when this gateway settles: the anchorer the owner's page pins. */
  anchorer?: string;
  clock?: () => number;
  audit?: AuditOptions;
  /** The registration page saw this router registered on chain (the registry forgets a cached "not registered"). */
  onRegistered?: (router: string) => void;
  /** Owners' plans read from the chain (GET /owners/{owner}/plans). */
  plans?: PlanCatalog;
}

/** A JSON answer of route K (typed by its reply schema), or a page, text or redirect. */
export type Reply<K extends RouteName = RouteName> = GatewayRoutes[K]['reply'] extends z.ZodType
  ? { status?: number; json: RouteJson<K>; headers?: Record<string, string> }
  : { status?: number; html?: string; text?: string; headers?: Record<string, string> };
export type Handler<K extends RouteName> = (input: RouteInput<K>, access: Access) => Promise<Reply<K>>;
/** A handler per route the gateway serves; a route without one (enrollment without the CA, say) is 404. */
export type Handlers = { [K in RouteName]?: Handler<K> };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The owner a viewer may see (null: the operator, all of them); a router filter of another owner's is refused. */
async function scope(d: ApiDeps, access: Access, router?: string): Promise<{ owner?: string; router?: string }> {
  if (access.kind !== 'owner') return router ? { router } : {};
  if (router) {
    const r = await d.stores.routers.getRouter(router);
    if (r?.owner.toLowerCase() !== access.owner.toLowerCase()) throw new HttpError(403, 'that router is not yours');
    return { router };
  }
  return { owner: access.owner };
}

export function handlers(d: ApiDeps, openapi: () => Record<string, unknown>): Handlers {
  const clock = d.clock ?? Date.now;
  const page = ownerPage(d);
  const registration = registerRoutes(d);
  const sessions = d.sessions;
  const proofs = new ProofBuilder(d.stores.proofs, d.deployment);
  const cookie = (token: string) =>
    `qlink_session=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}${d.secureCookies ? '; Secure' : ''}`;
  // A browser that is nobody yet gets the log-in page, not a JSON error.
  const ownerOrLogin = async ({ query }: { query: RouteInput<'page'>['query'] }, access: Access) =>
    access.kind === 'public' ? loginPage() : page(query, access);
  const own = (access: Access, owner: string) => access.kind !== 'owner' || owner.toLowerCase() === access.owner.toLowerCase();
  return {
    page: ownerOrLogin,
    ownerPage: ownerOrLogin,
    openapi: async () => ({ json: openapi() }),
    health: async (_i, access) => ({ json: access.kind === 'operator' ? { ok: true, totals: await d.stores.reports.totals() } : { ok: true } }),
    routers: async (_i, access) => {
      const known = (await d.stores.routers.listRouters()).filter((r) => own(access, r.owner));
      const out: RouteJson<'routers'>['routers'] = known.map((r) => {
        const s = d.statuses.get(r.address);
        return { ...r, online: s?.online ?? false, statusAt: s?.receivedAt ?? null, status: s?.status ?? null };
      });
      // Routers that report status but never sent usage are worth seeing too: by the operator (their owner is not known yet).
      if (access.kind === 'operator') {
        for (const [address, s] of d.statuses.entries()) {
          if (!known.some((r) => r.address === address)) out.push({ address, online: s.online, statusAt: s.receivedAt, status: s.status });
        }
      }
      return { json: { routers: out } };
    },
    sessions: async ({ query: r }, access) => ({
      json: { sessions: await d.stores.reports.sessions({ ...(await scope(d, access, r.router)), fromMs: r.from, toMs: r.to, limit: r.limit }) },
    }),
    usageDaily: async ({ query: r }, access) => {
      const days = await d.stores.reports.usagePerDay({ ...(await scope(d, access, r.router)), fromMs: r.from, toMs: r.to, limit: r.limit });
      return { json: { days, today: day(clock()) } };
    },
    earnings: async (_i, access) => ({ json: { owners: (await d.stores.reports.earnings()).filter((e) => own(access, e.owner)) } }),
    transactions: async ({ query }) => ({ json: { transactions: await d.stores.reports.transactions(query) } }),
    anomalies: async ({ query: r }, access) => {
      const sc = await scope(d, access, r.router);
      const mine = sc.owner ? new Set((await d.stores.routers.listRouters()).filter((x) => own(access, x.owner)).map((x) => x.address)) : null;
      // The held batch itself can be large; the API shows that it is there, not its records.
      const list = (await d.stores.reports.anomalies(r))
        .filter((a) => !mine || mine.has(a.router))
        .map(({ payload, ...a }) => ({ ...a, held: payload !== null }));
      return { json: { anomalies: list } };
    },
    resolveAnomaly: async ({ params }) => {
      await d.stores.ingest.resolve(params.id, clock());
      return { json: { ok: true } };
    },
    proof: async ({ query }) => ({ json: await proofs.proof(query.router, query.seq) }),
    register: async ({ query }) => registration.page(query),
    ...(d.chainRpc ? { registerStatus: async ({ query }: RouteInput<'registerStatus'>) => ({ json: await registration.status(query.router) }) } : {}),
    ...(d.plans ? { ownerPlans: ownerPlans(d.plans, clock) } : {}),
    metrics: async () => ({ text: await renderMetrics(d) }),
    ...(d.enroll ? { enroll: async ({ body }: RouteInput<'enroll'>) => ({ json: await d.enroll!(body) }) } : {}),
    ...(sessions
      ? {
          loginChallenge: async ({ query }: RouteInput<'loginChallenge'>) => ({ json: sessions.challenge(query.owner) }),
          loginPage: async () => loginPage(undefined, 200),
          loginToken: async ({ body }: RouteInput<'loginToken'>) => {
            const token = body.token.trim();
            if (!sessions.verify(token)) return loginPage('That token is not a valid session of this gateway (or it expired).', 403);
            return { status: 303, text: '', headers: { 'set-cookie': cookie(token), location: './owner' } };
          },
          login: async ({ body }: RouteInput<'login'>) => {
            const s = sessions.login(body);
            return { json: { owner: s.owner, token: s.token, expires: s.expires }, headers: { 'set-cookie': cookie(s.token) } };
          },
        }
      : {}),
  };
}

/** The answer of an HTML endpoint to a request it refuses: a page that says why. */
export const htmlError = (status: number, message: string) => errorPage(status, message);

/** The owners' log-in page: no script, so nothing for a page to inject; the wallet log-in (NeoLine's signMessage) is GET/POST /login/challenge and /login. */
function loginPage(problem?: string, status = 401): { status: number; html: string; headers: Record<string, string> } {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qlink: log in</title><style>${STYLE}</style></head><body><main><h1>Log in to see your hotspots</h1>
${problem ? `<p class="bad">${escapeHtml(problem)}</p>` : ''}
<p>Sign the gateway's challenge with your owner key:</p>
<pre>scripts/qlink-gateway owner-login --url &lt;this gateway&gt; --wif-file owner.wif</pre>
<p>and paste the token it prints:</p>
<form method="post" action="./login/token"><input name="token" size="60" autocomplete="off" required> <button type="submit">Log in</button></form>
</main></body></html>`;
  return {
    status,
    html,
    headers: { ...PAGE_HEADERS, 'content-security-policy': PAGE_HEADERS['content-security-policy']!.replace("form-action 'none'", "form-action 'self'") },
  };
}

/** GET /owners/{owner}/plans: the chain's current versions, decoded; a chain that does not answer is 503. */
function ownerPlans(catalog: PlanCatalog, clock: () => number): Handler<'ownerPlans'> {
  return async ({ params }) => {
    const owner = scriptHashOfAddress(params.owner);
    const list = await catalog.current(owner).catch((e: Error) => {
      throw new HttpError(503, `the chain did not answer: ${e.message.slice(0, 200)}`);
    });
    const now = BigInt(clock());
    const plans = list.map(({ planId, plan }) => {
      const t = decodePlanTerms(plan.terms);
      return { planId, version: plan.version, onOffer: t.validFrom <= now && now < t.validUntil, ...planTermsJson(t), terms: toHex(plan.terms) };
    });
    return { json: { owner, address: params.owner, plans } };
  };
}
