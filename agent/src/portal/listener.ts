import type { Server as HttpServer } from 'node:http';
import { createServer as createNet, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';

/**
 * One port for HTTP and HTTPS: the first byte of a connection tells a TLS
 * ClientHello (0x16) from a request line, so the gate, which opens only the
 * portal's port to guests, needs no second port for the RFC 8908 API.
 */
export function sniffingListener(http: HttpServer, tls: { cert: Buffer; key: Buffer } | null, idleMs: number): { net: NetServer; sockets: Set<Socket> } {
  const context = tls && createSecureContext(tls);
  const sockets = new Set<Socket>();
  const net = createNet({ pauseOnConnect: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
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
  net.maxConnections = 1024;
  return { net, sockets };
}

function secure(sock: Socket, first: Buffer, secureContext: ReturnType<typeof createSecureContext>, http: HttpServer): void {
  // A TLSSocket over a plain stream (not the socket's handle) sees the bytes already read; the handle would not.
  const raw = new Duplex({
    read: () => void sock.resume(),
    write: (chunk: Buffer, _enc, cb) => void sock.write(chunk, cb),
    final: (cb) => void sock.end(cb),
    destroy: (err, cb) => { sock.destroy(); cb(err); },
  });
  sock.on('data', (c: Buffer) => { if (!raw.push(c)) sock.pause(); });
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
