import type { Server as HttpServer } from 'node:http';
import { createServer as createNet, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { ConnectionCaps } from '../limits/connections.js';
import { LimitExceeded, rawRefusal } from '../limits/refusal.js';

/** Open connections counted per guest (keyOf: the guest's MAC for a client address, else the address) and in all. */
export interface ConnectionLimit {
  caps: ConnectionCaps;
  keyOf(ip: string): string;
}

/**
 * One port for HTTP and HTTPS: the first byte of a connection tells a TLS
 * ClientHello (0x16) from a request line, so the gate, which opens only the
 * portal's port to guests, needs no second port for the RFC 8908 API. A
 * guest over its connection cap is answered 429 (plain HTTP) or let go (TLS)
 * before any parser sees its bytes.
 */
export function sniffingListener(
  http: HttpServer,
  tls: { cert: Buffer; key: Buffer } | null,
  idleMs: number,
  limit: ConnectionLimit,
): { net: NetServer; sockets: Set<Socket> } {
  const context = tls && createSecureContext(tls);
  const sockets = new Set<Socket>();
  const net = createNet({ pauseOnConnect: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let close: () => void;
    try {
      close = limit.caps.open(limit.keyOf((sock.remoteAddress ?? '').replace(/^::ffff:/, '')));
    } catch (e) {
      if (!(e instanceof LimitExceeded)) throw e;
      return refuse(sock, e, idleMs);
    }
    sock.on('close', close);
    // A client that connects and never sends a byte (or never finishes a handshake) is let go.
    sock.setTimeout(idleMs, () => sock.destroy());
    sock.once('data', (first: Buffer) => {
      sock.pause();
      if (first[0] === 0x16 && context) return secure(sock, first, context, http);
      sock.setTimeout(0);
      sock.unshift(first);
      http.emit('connection', sock);
      sock.resume();
    });
    sock.resume();
  });
  // The kernel-side backstop: the caps above count first and answer by name.
  net.maxConnections = limit.caps.total + 64;
  return { net, sockets };
}

function refuse(sock: Socket, e: LimitExceeded, idleMs: number): void {
  sock.setTimeout(Math.min(idleMs, 2_000), () => sock.destroy());
  sock.once('data', (first: Buffer) => {
    if (first[0] === 0x16) return void sock.destroy();
    sock.end(rawRefusal(e));
  });
  sock.resume();
}

function secure(sock: Socket, first: Buffer, secureContext: ReturnType<typeof createSecureContext>, http: HttpServer): void {
  // A TLSSocket over a plain stream (not the socket's handle) sees the bytes already read; the handle would not.
  const raw = new Duplex({
    read: () => void sock.resume(),
    write: (chunk: Buffer, _enc, cb) => void sock.write(chunk, cb),
    final: (cb) => void sock.end(cb),
    destroy: (err, cb) => {
      sock.destroy();
      cb(err);
    },
  });
  sock.on('data', (c: Buffer) => {
    if (!raw.push(c)) sock.pause();
  });
  sock.on('end', () => raw.push(null));
  sock.on('close', () => raw.destroy());
  raw.push(first);
  const ts = new TLSSocket(raw, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
  // The wrapper has no address of its own: give the request handler the client's.
  for (const k of ['remoteAddress', 'remotePort', 'localAddress', 'localPort', 'remoteFamily'] as const) {
    Object.defineProperty(ts, k, { value: sock[k], enumerable: true });
  }
  ts.on('error', () => sock.destroy());
  ts.once('secure', () => {
    sock.setTimeout(0);
    http.emit('connection', ts);
  });
}
