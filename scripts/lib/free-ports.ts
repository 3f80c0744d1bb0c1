import { createServer } from 'node:net';

/**
 * n distinct free ports, all held open until each is known: two ports taken one after the other can
 * be the same one (the kernel hands back the port just closed), which gave neo-go the same RPC and
 * P2P port and a "TCP listen error" (2026-12-02).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (s) =>
          new Promise<number>((ok, fail) => {
            s.once('error', fail);
            s.listen(0, '127.0.0.1', () => {
              const addr = s.address();
              if (typeof addr === 'object' && addr) ok(addr.port);
              else fail(new Error('no port'));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  }
}
