/**
 * "The internet" for the testbed: bulk bytes for metering tests and the OS
 * captive-portal probes answered exactly as the real probe servers do.
 * Run: node upstream-http.js [port]
 */
import { pathToFileURL } from 'node:url';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';

const APPLE = '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>';

interface Probe {
  type: string;
  body: string;
  status?: number;
  headers?: Record<string, string>;
}

const PROBES: Record<string, Probe> = {
  '/generate_204': { type: '', body: '', status: 204 },
  '/gen_204': { type: '', body: '', status: 204 },
  '/hotspot-detect.html': { type: 'text/html', body: APPLE },
  '/library/test/success.html': { type: 'text/html', body: APPLE },
  '/connecttest.txt': { type: 'text/plain', body: 'Microsoft Connect Test' },
  '/ncsi.txt': { type: 'text/plain', body: 'Microsoft NCSI' },
  '/success.txt': { type: 'text/plain', body: 'success\n' },
  '/check_network_status.txt': {
    type: 'text/plain',
    body: 'NetworkManager is online\n',
    headers: { 'X-NetworkManager-Status': 'online' },
  },
};

const CHUNK = Buffer.alloc(256 * 1024, 0x61);

/** Streams n bytes with backpressure, so gigabytes cost no memory. */
function sendBytes(res: ServerResponse, n: number, head: boolean): void {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(n) });
  if (head) return void res.end();
  let left = n;
  const pump = (): void => {
    while (left > 0) {
      const part = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= part.length;
      if (!res.write(part)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}

/**
 * Paces n bytes at `rate` bytes/s in 10 ms slices. A client-side rate limit
 * (curl --limit-rate) lets its socket buffer take megabytes in a burst; a paced
 * sender is what the wire really carries, which metering-loss bounds need.
 */
function sendPaced(res: ServerResponse, n: number, rate: number): void {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(n) });
  const slice = Math.max(1, Math.floor(rate / 100));
  let left = n;
  const timer = setInterval(() => {
    const part = Math.min(slice, left);
    left -= part;
    res.write(Buffer.alloc(part, 0x61));
    if (left <= 0) {
      clearInterval(timer);
      res.end();
    }
  }, 10);
  res.on('close', () => clearInterval(timer));
}

function countUpload(req: IncomingMessage, res: ServerResponse): void {
  let bytes = 0;
  req.on('data', (b: Buffer) => {
    bytes += b.length;
  });
  req.on('end', () => {
    const body = JSON.stringify({ bytes });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
}

function reply(res: ServerResponse, head: boolean, p: Probe): void {
  // Google's generate_204 carries no body headers at all.
  const body = p.status === 204 ? {} : { 'Content-Type': p.type, 'Content-Length': String(Buffer.byteLength(p.body)) };
  res.writeHead(p.status ?? 200, { 'Cache-Control': 'no-cache', ...body, ...p.headers });
  res.end(head ? undefined : p.body);
}

export function handle(req: IncomingMessage, res: ServerResponse): void {
  const [path = '/', query = ''] = (req.url ?? '/').split('?');
  const head = req.method === 'HEAD';
  const bytes = /^\/bytes\/([0-9]{1,15})$/.exec(path);
  if (bytes?.[1] !== undefined) {
    const rate = Number(new URLSearchParams(query).get('rate') ?? 0);
    if (rate > 0 && !head) return sendPaced(res, Number(bytes[1]), rate);
    return sendBytes(res, Number(bytes[1]), head);
  }
  if (path === '/upload' && req.method === 'POST') return countUpload(req, res);
  const probe = PROBES[path];
  if (probe) return reply(res, head, probe);
  reply(res, head, { type: 'text/plain', body: 'upstream ok' });
}

export function listen(port: number): Promise<Server> {
  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) => server.listen({ port, host: '::', ipv6Only: false }, () => resolve(server)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await listen(Number(process.argv[2] ?? 80));
}
