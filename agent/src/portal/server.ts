import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ConnectionCaps } from '../limits/connections.js';
import { asGuest } from '../limits/guest.js';
import { GuestLimits } from '../limits/guest-limits.js';
import { LimitExceeded } from '../limits/refusal.js';
import type { Logger } from '../log.js';
import { handleApi, type ApiDeps } from './api.js';
import { answerCaptiveApi } from './captive-api.js';
import { sniffingListener } from './listener.js';
import { HttpError, NO_STORE, clientIp, localHost, send, sendError, sendJson } from './http.js';
import { chooseLang, loadPage, localize, planView, renderPage, type Page } from './pages.js';
import { answerOnline, redirectToPortal } from './probes.js';
import { chainPlanView } from '../plans/offer.js';

const VIEWS = new Set(['/', '/plans', '/pay', '/status', '/topup', '/logout']);
const LOGO_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml' };

export interface PortalDeps extends ApiDeps {
  log: Logger;
  /** The guest behind a client address; undefined for anyone not on the guest network. */
  macOf(ip: string): Promise<string | undefined>;
  /** The guest (MAC) a connection's address belongs to, when known at once (the connection cap counts by it). */
  connectionKey?(ip: string): string;
  /** Per-guest token buckets (limits/guest-limits.ts); made from config.portal.limits when not given. */
  guestLimits?: GuestLimits;
  /** Test hooks: shorter limits so slow-client tests run in seconds. */
  limits?: { headersTimeoutMs?: number; requestTimeoutMs?: number; idleSocketMs?: number };
}

export interface RunningPortal {
  port: number;
  close(): Promise<void>;
}

/**
 * The portal: plain HTTP, and HTTPS on the same port when a certificate is
 * configured (the first byte of a connection tells a TLS ClientHello from a
 * request line), so the gate opens one port to held guests for both.
 */
export async function startPortal(deps: PortalDeps): Promise<RunningPortal> {
  const p = deps.config.portal;
  const page: Page = loadPage();
  const logo = p.logoFile
    ? { body: readFileSync(p.logoFile), type: LOGO_TYPES[p.logoFile.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream' }
    : null;
  if (logo && logo.body.length > 64 * 1024) throw new Error(`portal.logoFile is over 64 KB: pages must stay small`);
  const tls = p.certFile && p.keyFile ? { cert: readFileSync(p.certFile), key: readFileSync(p.keyFile) } : null;
  // What the router's DNS answers for it: the configured host name, else the system's (OpenWrt's dnsmasq answers the router's own name on the LAN).
  const shortUrl = `http://${(p.hostname ?? hostname()).toLowerCase()}${p.port === 80 ? '' : `:${p.port}`}/`;
  const limits = { headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, idleSocketMs: 10_000, ...deps.limits };
  const opts = {
    maxHeaderSize: 8 * 1024,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };

  const guestLimits = deps.guestLimits ?? new GuestLimits(p.limits);
  const handler = (secure: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    res.on('error', () => {});
    handle(req, res, secure).catch((e: unknown) => {
      if (e instanceof LimitExceeded) return refuse(res, e);
      if (e instanceof HttpError) return sendError(res, e.status, e.message, e.reason);
      deps.log.error({ err: (e as Error).message, url: req.url?.slice(0, 200) }, 'portal request failed');
      sendError(res, 500, 'internal error');
    });
  };
  const http = createHttp(opts, (req, res) => handler(!!(req.socket as TLSSocket).encrypted)(req, res));

  // The owner's plans on chain at their current versions; without a way to read them (no chain configured) the UCI plans, and paying is off.
  const listed = async () => (deps.desk.canPay ? (await deps.desk.offered()).map((o) => chainPlanView(o.plan, o.label)) : deps.config.plans.map(planView));

  async function handle(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    const raw = req.url ?? '';
    if (!raw.startsWith('/') || raw.length > 2048) throw new HttpError(400, 'bad request target');
    const [path = '/', query = ''] = raw.split('?', 2);
    // Nothing is served from the file system by path, but a path that tries to climb is refused by name.
    if (/\.\.|%2e|%2f|%5c|\\|\/\//i.test(path)) throw new HttpError(400, 'bad path');
    const ip = clientIp(req);
    const mac = await deps.macOf(ip);
    // Every request counts, the redirected probes too; what it causes further down (look-ups, gateway calls) is charged to the same guest.
    guestLimits.charge('requests', mac ?? `ip ${ip}`);
    if (mac) return asGuest(mac, () => route(req, res, secure, path, query, mac));
    return route(req, res, secure, path, query, mac);
  }

  async function route(req: IncomingMessage, res: ServerResponse, secure: boolean, path: string, query: string, mac: string | undefined): Promise<void> {
    const head = req.method === 'HEAD';
    const local = localHost(req);
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    const own = hostHeader === `${local}:${p.port}` || (!!p.hostname && hostHeader === `${p.hostname.toLowerCase()}:${p.port}`);
    const portalUrl = secure && p.hostname ? `https://${p.hostname}:${p.port}/` : `http://${local}:${p.port}/`;
    if (!own) {
      // A redirected request for another site: a probe, or a page the guest tried to open.
      if (mac && (deps.desk.online(mac) || deps.desk.paying(mac)) && (req.method === 'GET' || head) && answerOnline(path, res, head)) return;
      return redirectToPortal(req, res, portalUrl);
    }
    if (path === '/api/captive' && req.method === 'GET') {
      if (!secure) throw new HttpError(404, 'the Captive Portal API is served over HTTPS only');
      return answerCaptiveApi(res, mac ? deps.desk.state(mac) : null, portalUrl);
    }
    if (path.startsWith('/api/')) {
      if (!mac) throw new HttpError(403, 'not a guest of this network');
      return handleApi(req, res, path, mac, { ...deps, guestLimits });
    }
    if (req.method !== 'GET' && !head) throw new HttpError(405, 'GET only');
    if (path === '/logo' && logo) return send(res, 200, { 'content-type': logo.type, 'cache-control': 'max-age=3600' }, logo.body, head);
    if (!VIEWS.has(path)) throw new HttpError(404, 'no such page');
    const lang = chooseLang(req.headers['accept-language'], new URLSearchParams(query).get('lang'));
    const html = renderPage(page, {
      lang,
      view: path === '/' ? 'plans' : path.slice(1),
      name: localize(p.name, lang) ?? 'Guest Wi-Fi',
      terms: localize(p.terms, lang),
      logo: !!logo,
      plans: await listed(),
      paying: deps.desk.canPay,
      relay: !!deps.relayer,
      deposit: p.deposit,
      creditWindow: p.creditWindow,
      secure,
      network: deps.config.chain?.networkMagic ?? null,
      contract: deps.config.chain?.contract ?? null,
      router: deps.routerKey,
      shortUrl,
      walletTimeoutMs: p.walletTimeoutSeconds * 1000,
    });
    send(
      res,
      200,
      { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp, 'content-language': lang, vary: 'Accept-Language', ...NO_STORE },
      html,
      head,
    );
  }

  const caps = new ConnectionCaps(p.limits.connectionsPerGuest, p.limits.connections);
  const { net, sockets } = sniffingListener(http, tls, limits.idleSocketMs, { caps, keyOf: deps.connectionKey ?? ((ip) => ip) });
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen({ port: p.port, host: '::' }, () => resolve());
  });
  const port = (net.address() as { port: number }).port;
  // The HTTP server never listens itself; 'listening' starts its header and request timeout checks.
  http.emit('listening');
  deps.log.info({ port, https: !!tls }, 'portal listening');
  function refuse(res: ServerResponse, e: LimitExceeded): void {
    if (res.headersSent) return void res.destroy();
    res.setHeader('retry-after', String(e.retryAfterSeconds));
    sendJson(res, 429, e.body());
  }

  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        http.close(() => {});
        net.close(() => resolve());
      }),
  };
}
