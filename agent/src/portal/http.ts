import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** Largest request body the portal reads (a voucher or a signed transaction is far smaller). */
export const MAX_BODY_BYTES = 16 * 1024;

export class HttpError extends Error {
  /** reason: a short name for the check that refused, which the page can act on (ApiErrorBody.reason). */
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** Headers every answer carries: nothing external may load, nothing frames the portal, no referrer leaves it. */
export const BASE_HEADERS: Record<string, string> = {
  // Says "this answer is the hotspot's portal, not the site you asked for": for support and for the tests.
  'x-qlink-portal': '1',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** State changes with every byte a guest uses: no cache (the OS sheet's included) may keep an answer. */
export const NO_STORE = { 'cache-control': 'no-store, max-age=0', pragma: 'no-cache' };

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer, head = false): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...BASE_HEADERS, 'content-security-policy': API_CSP, ...headers, 'content-length': String(buf.length) });
  res.end(head ? undefined : buf);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, type = 'application/json'): void {
  const body = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  send(res, status, { 'content-type': `${type}; charset=utf-8`, ...NO_STORE }, body);
}

export function sendError(res: ServerResponse, status: number, message: string, reason?: string): void {
  if (res.headersSent) return void res.destroy();
  // Whatever the client said it wants, an error is a small JSON object: { error, reason? }.
  sendJson(res, status, reason ? { error: message, reason } : { error: message });
}

/** Reads a JSON body of at most `limit` bytes and parses it with the schema; each way to fail is its own 4xx. */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S, limit = MAX_BODY_BYTES): Promise<z.infer<S>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'send application/json');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    throw new HttpError(413, `body over ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new HttpError(
      422,
      parsed.error.issues
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ')
        .slice(0, 500),
    );
  return parsed.data as z.infer<S>;
}

/** The client's address without the IPv4-mapped prefix. */
export const clientIp = (req: IncomingMessage): string => (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');

/** The router address the client reached (a redirected probe arrives on the guest interface's address). */
export function localHost(req: IncomingMessage): string {
  const a = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  return a.includes(':') ? `[${a}]` : a;
}
