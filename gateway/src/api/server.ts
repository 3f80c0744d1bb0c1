import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { GATEWAY_ROUTES, gatewayOpenApi, type RouteName, type RouteSpec } from '../../../protocol/src/index.js';
import { HttpError, parseQuery, parseWith } from './query.js';
import { renderMetrics } from './metrics.js';
import { handlers, htmlError, type ApiDeps, type Handler, type Reply } from './routes.js';
import type { Access, OwnerSessions } from './sessions.js';

export interface ApiOptions {
  port: number;
  host: string;
  /** Without a token every write endpoint answers 403: the API is read-only. */
  token?: string | undefined;
  /**
   * Called with every answer as it is sent (the route's name, or null when
   * no route matched): the tests check each against /openapi.json.
   */
  onReply?: (route: RouteName | null, status: number, contentType: string, body: string) => void;
}

type AnyReply = { status?: number; json?: unknown; html?: string; text?: string; headers?: Record<string, string> };

/** Writes the answer; returns its content type and body (for onReply). */
const send = (res: ServerResponse, status: number, r: AnyReply): [string, string] => {
  const body = r.html ?? r.text ?? JSON.stringify(r.json ?? {});
  const type =
    r.html !== undefined ? 'text/html; charset=utf-8' : r.text !== undefined ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...r.headers });
  res.end(body);
  return [type, body];
};

/** /metrics alone, without a token, on a listener of its own (the operator's scraper). */
export function startMetrics(deps: ApiDeps, port: number, host: string, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void send(res, 404, { json: { error: 'only GET /metrics here' } });
    renderMetrics(deps).then(
      (text) => send(res, 200, { text }),
      (e: Error) => {
        log.error({ err: e.message }, 'metrics failed');
        send(res, 500, { json: { error: 'internal error' } });
      },
    );
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

/** Bodies are small JSON (a signed enrollment is a few hundred bytes). */
export const MAX_BODY_BYTES = 16 * 1024;

/** JSON, or a form's fields (the log-in page's form) as an object of strings. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  const form = /^application\/x-www-form-urlencoded\b/.test(type);
  if (!form && !/^application\/json\b/.test(type)) throw new HttpError(415, 'send the body as application/json');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
    parts.push(c as Buffer);
  }
  if (form) return Object.fromEntries(new URLSearchParams(Buffer.concat(parts).toString('utf8')));
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

/** Who is asking: the operator's token, an owner's session (bearer token or cookie), or nobody. */
function accessOf(req: IncomingMessage, token: string | undefined, sessions: OwnerSessions | undefined): Access {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (bearer && token) {
    const given = Buffer.from(bearer);
    const want = Buffer.from(token);
    // Constant time, so the token cannot be guessed a byte at a time from response times.
    if (given.length === want.length && timingSafeEqual(given, want)) return { kind: 'operator' };
  }
  const cookie = /(?:^|;\s*)qlink_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const owner = sessions && (bearer ?? cookie) ? sessions.verify((bearer ?? cookie)!) : null;
  return owner ? { kind: 'owner', ...owner } : { kind: 'public' };
}

interface Compiled {
  name: RouteName;
  spec: RouteSpec;
  pattern: RegExp;
  names: string[];
}

/** The route table's path templates as patterns: `/anomalies/{id}/resolve` matches `/anomalies/7/resolve` with id = '7'. */
function compile(): Compiled[] {
  return (Object.entries(GATEWAY_ROUTES) as Array<[RouteName, RouteSpec]>).map(([name, spec]) => {
    const names: string[] = [];
    const pattern = new RegExp('^' + spec.path.replace(/\{(\w+)\}/g, (_m, n: string) => (names.push(n), '([^/]+)')) + '$');
    return { name, spec, pattern, names };
  });
}

const htmlReply = (spec: RouteSpec | undefined) => spec?.reply === 'html' || spec?.reply === 'redirect';

/**
 * The gateway's HTTP API: exactly the routes of GATEWAY_ROUTES, each
 * request's query, path and body parsed by the route's schemas before its
 * handler sees them. Every failure is an error with a 4xx/5xx status (JSON,
 * or a page for the HTML endpoints); nothing a client sends can throw past here.
 */
export function startApi(deps: ApiDeps, opts: ApiOptions, log: Logger): Promise<Server> {
  let doc: Record<string, unknown> | undefined;
  const table = handlers(deps, () => (doc ??= gatewayOpenApi()));
  const routes = compile();
  const server = createServer((req, res) => {
    let route: Compiled | undefined;
    const reply = (status: number, r: AnyReply) => {
      const [type, body] = send(res, status, r);
      opts.onReply?.(route?.name ?? null, status, type, body);
    };
    void (async () => {
      try {
        let url: URL;
        try {
          url = new URL(req.url ?? '/', 'http://gateway');
        } catch {
          throw new HttpError(400, 'bad request URL');
        }
        const matches = routes.filter((r) => r.pattern.test(url.pathname));
        if (!matches.length) throw new HttpError(404, `no such endpoint: ${url.pathname.slice(0, 100)}`);
        route = matches.find((r) => r.spec.method === req.method);
        if (!route) throw new HttpError(405, `${req.method} not allowed here`);
        const handler = table[route.name] as Handler<RouteName> | undefined;
        if (!handler) throw new HttpError(404, `not served by this gateway: ${route.spec.summary} (only when ${route.spec.when ?? 'configured'})`);
        const access = accessOf(req, opts.token, deps.sessions);
        if (route.spec.access === 'operator' && access.kind !== 'operator') throw new HttpError(401, "the operator's bearer token is required");
        if (route.spec.access === 'viewer' && access.kind === 'public')
          throw new HttpError(401, "log in: the operator's bearer token, or an owner's session (GET /login/challenge, then POST /login)");
        const values = route.pattern.exec(url.pathname)!.slice(1);
        const input = {
          query: route.spec.query ? parseQuery(route.spec.query, url.searchParams) : undefined,
          params: route.spec.params
            ? parseWith(route.spec.params, Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(values[i]!)])), 'path')
            : undefined,
          body: route.spec.body ? parseWith(route.spec.body, await readJsonBody(req), route.name) : (req.resume(), undefined),
        };
        const r = (await handler(input as never, access)) as Reply;
        reply(r.status ?? 200, r);
      } catch (e) {
        const status = e instanceof HttpError ? e.status : 500;
        if (status >= 500) log.error({ url: req.url?.slice(0, 200), err: (e as Error).message }, 'api request failed');
        const message = status >= 500 ? 'internal error' : (e as Error).message;
        if (res.headersSent) res.destroy();
        else if (htmlReply(route?.spec)) reply(status, htmlError(status, message));
        else reply(status, { json: { error: message } });
      }
    })();
  });
  server.on('clientError', (_e, socket) => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\r\n{"error":"bad request"}'));
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok(server));
  });
}
