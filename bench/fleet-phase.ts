import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Deployment } from '../protocol/src/index.js';
import { privateKeyFromHex } from '../protocol/src/node/index.js';
import type { Account, ChainConfig } from '../chain/src/index.js';
import type { GatewayStores } from '../gateway/src/store/store.js';
import { SimRouter } from '../test/gateway-sim.js';
import { freePort } from '../test/helpers/mosquitto.js';
import { TlsBroker } from '../test/helpers/tls-broker.js';
import { checkExactlyOnce } from './fleet-check.js';
import { startGateways, type GatewayProcess } from './fleet-gateways.js';
import type { PhaseResult } from './fleet-report.js';
import { FleetRouter } from './fleet-router.js';
import { connectFleet, runLoad, warmUp, type LoadOptions } from './fleet-run.js';
import { cpuMs } from './lib.js';
import { cpuMeter, peakRssMb, treeCpuMs } from './proc-stats.js';

const LAG_RESOLUTION_MS = 10;
const cpuOf = (m: ReturnType<typeof cpuMeter>) => {
  const r = m.read();
  return { cpu: r.percent, cpuMs: r.ms };
};

export interface PhaseSetup {
  name: string;
  dir: string;
  gateways: number;
  store: { sqlite: string } | { postgres: string };
  /** Opens the same store from the bench, for the exactly-once check after the gateways stopped. */
  openStore(): Promise<GatewayStores>;
  chain: ChainConfig;
  chainPid: number;
  postgresPid: number | null;
  routers: Account[];
  deployment: Deployment;
  window: number;
  /**
   * Leave mosquitto's default (Nagle's algorithm on its sockets): each small
   * ack then waits for the TCP ACK of what went before it, up to the
   * kernel's 40 ms delayed ACK. Off by default, as the README advises.
   */
  brokerNagle: boolean;
  load: LoadOptions;
}

/**
 * One fleet run against fresh gateways on a fresh broker and store: every
 * router starts its hash chain at seq 1. CPU is read from /proc for the
 * measured run (sealing to the last ack), not the warm-up.
 */
export async function runPhase(p: PhaseSetup, log: (s: string) => void): Promise<PhaseResult> {
  mkdirSync(p.dir, { recursive: true });
  // Its log (kept with the gateways' when a run fails) says when it dropped messages for a slow subscriber.
  const brokerLog = join(p.dir, 'mosquitto.log');
  writeFileSync(brokerLog, '');
  chmodSync(brokerLog, 0o666);
  // As production runs it (docs/broker/): TLS, a fleet-CA certificate per router and per gateway, the ACL.
  const users = Array.from({ length: p.gateways }, (_, i) => `bench-gw${i + 1}`);
  const broker = new TlsBroker(join(p.dir, 'broker'), await freePort(), users, { nodelay: !p.brokerNagle, extra: `log_dest file ${brokerLog}`, audit: false });
  await broker.start();
  const gatewayTls = await Promise.all(users.map((u) => broker.gatewayTls(u)));
  const killBroker = () => {
    try {
      process.kill(broker.pid!);
    } catch {
      /* gone */
    }
  };
  process.once('exit', killBroker);
  const fleet: FleetRouter[] = [];
  let gws: GatewayProcess[] = [];
  try {
    gws = await startGateways(p.gateways, {
      dir: p.dir,
      broker: broker.url,
      store: p.store,
      chain: p.chain,
      tls: gatewayTls.map((t, i) => ({ ...t, user: users[i]! })),
    });
    log(`${p.name}: ${gws.map((g) => `${g.name} pid ${g.pid}`).join(', ')}, broker pid ${broker.pid}`);
    for (const [i, a] of p.routers.entries()) {
      const key = privateKeyFromHex(a.privateKey);
      fleet.push(new FleetRouter(new SimRouter(key, p.deployment), broker.url, p.window, await broker.routerTls(key, `r${i}`)));
    }
    const c0 = performance.now();
    await connectFleet(fleet);
    const connectMs = performance.now() - c0;
    const warm = await warmUp(fleet, p.load.records);

    const meters = {
      gateways: gws.map((g) => cpuMeter(() => cpuMs(g.pid))),
      broker: cpuMeter(() => cpuMs(broker.pid!)),
      chain: cpuMeter(() => cpuMs(p.chainPid)),
      postgres: p.postgresPid === null ? null : cpuMeter(() => treeCpuMs(p.postgresPid!)),
      generator: cpuMeter(() => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      }),
    };
    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    for (const m of [...meters.gateways, meters.broker, meters.chain, meters.postgres, meters.generator]) m?.start();
    lag.enable();
    const run = await runLoad(fleet, p.load);
    lag.disable();
    const result = {
      gateways: gws.map((g, i) => ({ name: g.name, ...cpuOf(meters.gateways[i]!), peakRssMb: peakRssMb(g.pid) })),
      brokerCpu: meters.broker.read().percent,
      chainCpu: meters.chain.read().percent,
      postgresCpu: meters.postgres?.read().percent ?? null,
      generatorCpu: meters.generator.read().percent,
      loadAfter: loadavg(),
      // The histogram holds whole timer intervals: what is beyond the sampling period is delay.
      generatorLagP99: Math.max(0, lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS),
    };
    await Promise.all(fleet.map((r) => r.end()));
    await Promise.all(gws.map((g) => g.stop()));
    const brokerDrops = readFileSync(brokerLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('messages are being dropped')).length;
    const store = await p.openStore();
    try {
      const check = await checkExactlyOnce(
        store,
        fleet.map((r) => r.sim),
      );
      const resolvedGaps = (await store.reports.anomalies({ status: 'resolved', limit: 1_000_000 })).filter((a) => a.kind === 'gap').length;
      return {
        name: p.name,
        routers: fleet.length,
        ...result,
        connectMs,
        warmUp: warm,
        sealed: run.sealed,
        missing: run.missing,
        ms: run.ms,
        tally: run.tally,
        brokerDrops,
        offeredPerS: fleet.length / (p.load.intervalMs / 1000),
        stored: { ...check, resolvedGaps },
      };
    } finally {
      await store.close();
    }
  } finally {
    // Ending and stopping twice is harmless; on failure this is the first time.
    await Promise.all(fleet.map((r) => r.end().catch(() => undefined)));
    await Promise.all(gws.map((g) => g.stop()));
    await broker.stop();
    process.off('exit', killBroker);
  }
}
