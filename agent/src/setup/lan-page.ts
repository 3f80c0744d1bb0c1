import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AgentConfig } from '../config/schema.js';
import type { RouterIdentity } from '../identity/router-key.js';
import type { Logger } from '../log.js';
import { clientIp, HttpError, NO_STORE, send, sendError } from '../portal/http.js';
import { ownerParam } from '../../../protocol/src/index.js';
import { claimedLink, registrationLink } from './link.js';
import type { RegistrationState } from './registration.js';

export interface LanPageDeps {
  config: AgentConfig;
  identity: Pick<RouterIdentity, 'publicKey' | 'address' | 'sign'>;
  log: Logger;
  /** The guest behind a client address (the guest interface's neighbours and leases); undefined for anyone else. */
  macOf(ip: string): Promise<string | undefined>;
  registration(): RegistrationState;
  clock?: () => number;
}

const claimQuery = z.object({ owner: ownerParam }).strict();
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1c2230}code{word-break:break-all}' +
  'a.button{display:inline-block;padding:.6rem 1.1rem;background:#2f6fde;color:#fff;border-radius:8px;text-decoration:none;font-weight:600}.ok{color:#1d8a55}.muted{color:#687083}';
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/**
 * The router's setup page on the owner's LAN: its registration link to the
 * gateway's owner page, and GET /claim?owner=, which signs the router's claim
 * for that account and sends the browser back to the gateway with it. It
 * listens on setup.listen alone (the owner's LAN address, not the guest
 * interface's) and refuses any client seen on the guest network, so a guest
 * never gets a claim (one would let them register the router to themselves).
 */
export async function startLanPage(d: LanPageDeps): Promise<{ port: number; close(): Promise<void> }> {
  const s = d.config.setup!;
  const clock = d.clock ?? Date.now;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const ip = clientIp(req);
    if (await d.macOf(ip)) throw new HttpError(403, 'not served to the guest network');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET only');
    const url = new URL(req.url ?? '/', 'http://router');
    if (url.pathname === '/claim') {
      const q = claimQuery.safeParse(Object.fromEntries(url.searchParams));
      if (!q.success) throw new HttpError(400, 'owner: a NEO N3 address or 0x script hash');
      const link = claimedLink(d.config, d.identity, q.data.owner, clock());
      d.log.info({ owner: q.data.owner }, 'setup: claim signed for the owner page');
      return send(res, 303, { location: link, ...NO_STORE }, '');
    }
    if (url.pathname !== '/') throw new HttpError(404, 'no such page');
    const r = d.registration();
    const link = registrationLink(d.config, d.identity)!;
    const state = r.registered
      ? `<p class="ok">Registered on chain to <code>${esc(r.owner!)}</code>: this hotspot is selling.</p>`
      : r.registered === false
        ? '<p>Not registered yet: guests cannot pay until it is.</p>'
        : `<p class="muted">Reading the chain…${r.error ? ` (${esc(r.error)})` : ''}</p>`;
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Set up this hotspot</title>
<style>${STYLE}</style></head><body><h1>Set up this hotspot</h1>
<p>Router <code>${esc(d.identity.address)}</code>, key <code id="router-key">${esc(d.identity.publicKey)}</code></p>
${state}
<p><a class="button" id="register-link" href="${esc(link)}">Register with your wallet</a></p>
<p class="muted">The link opens the gateway's owner page with this router's key and its plans. Your wallet signs the registration there; this router signs a claim for your account when the page asks (only on this LAN).</p>
<form method="get" action="/claim"><p>No wallet in this browser? Your NEO address: <input name="owner" size="36" required> <button type="submit">Get the claim</button></p></form>
</body></html>`;
    send(res, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, ...NO_STORE }, html, req.method === 'HEAD');
  };
  const server = createServer({ maxHeaderSize: 8 * 1024, requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) return sendError(res, e.status, e.message);
      d.log.error({ err: (e as Error).message }, 'setup page request failed');
      sendError(res, 500, 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: s.port, host: s.listen }, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  d.log.info({ listen: s.listen, port }, 'setup page listening on the owner LAN');
  return {
    port,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
