import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { describeIssues } from '../config/schema.js';
import type { Logger } from '../log.js';
import { MAX_LINE_BYTES, requestSchema, UserError, type Request, type Response } from './protocol.js';

export type Handler = (req: Request) => Promise<unknown>;

/**
 * The local admin socket. Only root can open it (0600 in a 0700 directory);
 * every line is validated, and a bad one gets an error, never a crash.
 */
export function startControlServer(path: string, handle: Handler, log: Logger): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  const server = createServer((sock) => serveConnection(sock, handle, log));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      server.off('error', reject);
      server.on('error', (e) => log.error({ err: e.message }, 'control socket error'));
      resolve(server);
    });
  });
}

function serveConnection(sock: Socket, handle: Handler, log: Logger): void {
  let buffered = '';
  let chain = Promise.resolve();
  const send = (r: Response) => {
    if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
  };
  sock.setEncoding('utf8');
  sock.setTimeout(30_000, () => sock.destroy());
  sock.on('error', () => {});
  sock.on('data', (chunk: string) => {
    buffered += chunk;
    if (Buffer.byteLength(buffered) > MAX_LINE_BYTES && !buffered.includes('\n')) {
      send({ ok: false, error: `request line over ${MAX_LINE_BYTES} bytes` });
      sock.end();
      sock.removeAllListeners('data');
      return;
    }
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      chain = chain.then(() => answer(line, handle, log).then(send));
    }
  });
}

async function answer(line: string, handle: Handler, log: Logger): Promise<Response> {
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) return { ok: false, error: `request line over ${MAX_LINE_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  const req = requestSchema.safeParse(json);
  if (!req.success) return { ok: false, error: `bad request: ${describeIssues(req.error)}` };
  try {
    return { ok: true, result: await handle(req.data) };
  } catch (e) {
    if (e instanceof UserError) return { ok: false, error: e.message };
    log.error({ err: (e as Error).message, cmd: req.data.cmd }, 'control command failed');
    return { ok: false, error: `internal error: ${(e as Error).message}` };
  }
}

export function closeControlServer(server: Server, path: string): void {
  server.close();
  rmSync(path, { force: true });
}
