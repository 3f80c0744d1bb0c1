import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { HttpError } from './query.js';
import { routes, type ApiDeps, type Reply } from './routes.js';

export interface ApiOptions {
  port: number;
  host: string;
  /** Without a token every write endpoint answers 403: the API is read-only. */
  token?: string | undefined;
}

const send = (res: ServerResponse, status: number, r: Reply) => {
  const body = r.html ?? r.text ?? JSON.stringify(r.json ?? {});
  res.writeHead(status, {
    'content-type': r.text !== undefined ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...r.headers,
  });
  res.end(body);
};

function authorised(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return false;
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  const given = Buffer.from(m?.[1] ?? '');
  const want = Buffer.from(token);
  // Constant time, so the token cannot be guessed a byte at a time from response times.
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The operator's HTTP JSON API. Every failure is a JSON error with a 4xx/5xx status; nothing a client sends can throw past here. */
export function startApi(deps: ApiDeps, opts: ApiOptions, log: Logger): Promise<Server> {
  const table = routes(deps);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        let url: URL;
        try {
          url = new URL(req.url ?? '/', 'http://gateway');
        } catch {
          throw new HttpError(400, 'bad request URL');
        }
        const matches = table.filter((r) => r.path.test(url.pathname));
        if (!matches.length) throw new HttpError(404, `no such endpoint: ${url.pathname.slice(0, 100)}`);
        const route = matches.find((r) => r.method === req.method);
        if (!route) throw new HttpError(405, `${req.method} not allowed here`);
        if (route.write && !authorised(req, opts.token)) throw new HttpError(opts.token ? 401 : 403, opts.token ? 'bearer token required' : 'the API is read-only (no token configured)');
        req.resume(); // no endpoint reads a body yet; drain it so the socket is reusable
        const params = route.path.exec(url.pathname)!.slice(1);
        const reply = await route.handler(url.searchParams, params);
        send(res, reply.status ?? 200, reply);
      } catch (e) {
        const status = e instanceof HttpError ? e.status : 500;
        if (status >= 500) log.error({ url: req.url?.slice(0, 200), err: (e as Error).message }, 'api request failed');
        if (!res.headersSent) send(res, status, { json: { error: status >= 500 ? 'internal error' : (e as Error).message } });
        else res.destroy();
      }
    })();
  });
  server.on('clientError', (_e, socket) => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\r\n{"error":"bad request"}'));
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok(server));
  });
}
