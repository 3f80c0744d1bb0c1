import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChainConfig } from '../chain/src/config.js';
import { TEST_GATEWAY_WIF } from '../test/helpers/gateway-key.js';
import { freePort, until } from '../test/helpers/mosquitto.js';

const MAIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../gateway/src/main.js');

export interface GatewayProcess {
  name: string;
  exited(): boolean;
  pid: number;
  log: string;
  /** SIGTERM and wait: the gateway finishes what it holds, then exits. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Whatever way the bench ends, no gateway outlives it.
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/**
 * qlink-gateway as an operator runs it (`node dist/gateway/src/main.js
 * --config …`), one OS process each, so CPU and memory are per process.
 * Resolves when every one has logged its broker connection.
 */
export async function startGateways(
  n: number,
  o: {
    dir: string;
    broker: string;
    store: { sqlite: string } | { postgres: string; poolSize?: number };
    chain: ChainConfig;
    /** Each gateway's client certificate at the broker (CN = its ACL user, which is also its client id). */
    tls: Array<{ user: string; ca: string; cert: string; key: string }>;
  },
): Promise<GatewayProcess[]> {
  const gws = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = `gw${i + 1}`;
      const config = join(o.dir, `${name}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          broker: { url: o.broker, clientId: o.tls[i]!.user, caFile: o.tls[i]!.ca, certFile: o.tls[i]!.cert, keyFile: o.tls[i]!.key },
          store: o.store,
          chain: o.chain,
          // Every gateway of the group signs with the one key the routers pin.
          signingKey: { wif: TEST_GATEWAY_WIF },
          api: { port: await freePort() },
          log: { level: 'info' },
        }),
      );
      const log = join(o.dir, `${name}.log`);
      const fd = openSync(log, 'a');
      const p = spawn(process.execPath, [MAIN, '--config', config], { stdio: ['ignore', fd, fd] });
      running.add(p);
      const gone = new Promise<void>((r) =>
        p.once('exit', () => {
          running.delete(p);
          r();
        }),
      );
      return {
        name,
        pid: p.pid!,
        log,
        exited: () => p.exitCode !== null || p.signalCode !== null,
        async stop() {
          if (p.exitCode !== null || p.signalCode !== null) return;
          p.kill('SIGTERM');
          await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
          if (running.has(p)) p.kill('SIGKILL');
          await gone;
        },
      };
    }),
  );
  const connected = (g: GatewayProcess) => {
    if (g.exited()) throw new Error(`gateway ${g.name} exited; see ${g.log}:\n${readFileSync(g.log, 'utf8').slice(-2000)}`);
    return readFileSync(g.log, 'utf8').includes('broker connected');
  };
  await until('gateways connected to the broker', () => gws.every(connected), 30_000);
  // The log line comes on CONNACK; the shared subscription follows one round trip later.
  await new Promise((r) => setTimeout(r, 500));
  return gws;
}
