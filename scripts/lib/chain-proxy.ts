/**
 * A JSON-RPC proxy in front of the chain, for tests and the fault suite: it
 * passes every call through, and with holdAfterRelay it stops answering
 * `getapplicationlog` for a transaction it relayed, so a gateway is caught
 * between relay and confirmation (the moment a kill -9 must not turn into a
 * double payment) without any hook in the gateway itself.
 *
 *   node dist/scripts/lib/chain-proxy.js --listen IP:PORT --to URL [--hold-after-relay]
 *
 * prints one JSON line per event on stdout: {"event":"listening","url"},
 * {"event":"relayed","txid"}, {"event":"holding","txid"}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export interface ChainProxyOptions {
  host: string;
  port: number;
  upstream: string;
  holdAfterRelay?: boolean;
  onEvent?: (e: { event: 'relayed' | 'holding'; txid: string }) => void;
}

export interface ChainProxy {
  url: string;
  /** Transactions relayed through the proxy, in order. */
  relayed: string[];
  close(): Promise<void>;
}

interface RpcCall {
  id?: unknown;
  method?: string;
  params?: unknown[];
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/**
 * A proxy that holds what it relays (holdAfterRelay), and `held`: the first
 * transaction a caller then waits on in vain, the moment to kill the caller.
 */
export async function startHoldingProxy(upstream: string): Promise<ChainProxy & { held: Promise<string> }> {
  let holding: (txid: string) => void = () => undefined;
  const held = new Promise<string>((r) => {
    holding = r;
  });
  const proxy = await startChainProxy({
    host: '127.0.0.1',
    port: 0,
    upstream,
    holdAfterRelay: true,
    onEvent: (e) => {
      if (e.event === 'holding') holding(e.txid);
    },
  });
  return Object.assign(proxy, { held });
}

export async function startChainProxy(o: ChainProxyOptions): Promise<ChainProxy> {
  const relayed: string[] = [];
  const held = new Set<string>();
  const parked = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await body(req);
      let call: RpcCall = {};
      try {
        call = JSON.parse(raw.toString('utf8')) as RpcCall;
      } catch {
        /* not ours to judge: the node answers it */
      }
      const txid = typeof call.params?.[0] === 'string' ? (call.params[0] as string).toLowerCase().replace(/^(?!0x)/, '0x') : '';
      if (call.method === 'getapplicationlog' && held.has(txid)) {
        o.onEvent?.({ event: 'holding', txid });
        parked.add(res);
        return; // never answered: the caller waits as for a block that does not come
      }
      const up = await fetch(o.upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      const text = await up.text();
      if (call.method === 'sendrawtransaction') {
        const hash = (JSON.parse(text) as { result?: { hash?: string } }).result?.hash?.toLowerCase();
        if (hash) {
          relayed.push(hash);
          if (o.holdAfterRelay) held.add(hash);
          o.onEvent?.({ event: 'relayed', txid: hash });
        }
      }
      res.writeHead(up.status, { 'content-type': 'application/json' }).end(text);
    })().catch((e: Error) => {
      if (!res.headersSent) res.writeHead(502).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: e.message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port, o.host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    relayed,
    close: async () => {
      for (const r of parked) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && import.meta.url === new URL(process.argv[1], 'file:').href) {
  const { values } = parseArgs({ options: { listen: { type: 'string' }, to: { type: 'string' }, 'hold-after-relay': { type: 'boolean' } } });
  const [host, port] = (values.listen ?? '').split(/:(?=\d+$)/);
  if (!host || !port || !values.to) {
    console.error('usage: chain-proxy --listen IP:PORT --to URL [--hold-after-relay]');
    process.exit(2);
  }
  const say = (e: object) => process.stdout.write(JSON.stringify(e) + '\n');
  const p = await startChainProxy({ host, port: Number(port), upstream: values.to, holdAfterRelay: values['hold-after-relay'] ?? false, onEvent: say });
  say({ event: 'listening', url: p.url });
  const stop = () => void p.close().then(() => process.exit(0));
  process.on('SIGTERM', stop).on('SIGINT', stop);
}
