import { connect } from 'node:net';
import type { RequestInput, Response } from './protocol.js';

export class DaemonUnreachableError extends Error {}

/** Sends one request to the daemon and waits for its one-line answer. */
export function callDaemon(socketPath: string, req: RequestInput, timeoutMs = 10_000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(timeoutMs, () => fail(new Error(`daemon did not answer within ${timeoutMs / 1000} s`)));
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'is it running?' : e.message;
      fail(new DaemonUnreachableError(`cannot reach the qlink daemon at ${socketPath} (${why})`));
    });
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as Response);
      } catch {
        reject(new Error('daemon sent a malformed answer'));
      }
    });
  });
}
