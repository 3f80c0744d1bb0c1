/**
 * Stand-ins for the router's own services (ssh on 22, LuCI on 80), so tests
 * can prove that guests never reach them. Run: node router-stubs.js
 */
import { createServer as tcpServer } from 'node:net';
import { createServer as httpServer } from 'node:http';

const ANY = { host: '::', ipv6Only: false } as const;

const ssh = tcpServer((sock) => {
  sock.on('error', () => {});
  sock.setTimeout(30_000, () => sock.destroy());
  // A real sshd sends its banner first and then waits for the client's.
  sock.write('SSH-2.0-testbed\r\n');
  sock.resume();
});
ssh.listen({ port: Number(process.env.QL_SSH_PORT ?? 22), ...ANY });

const luci = httpServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '4' });
  res.end('LuCI');
});
luci.listen({ port: Number(process.env.QL_LUCI_PORT ?? 80), ...ANY });
