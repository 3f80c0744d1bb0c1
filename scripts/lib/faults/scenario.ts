import { RemotePhone } from '../guest/remote.js';
import type { System } from '../system/index.js';
import { sleep, waitFor } from '../testbed/proc.js';
import type { KernelCounters } from './counters.js';
import { chainRpcDown, chainRpcUp, flushFirewall, killAgent, killGatewayInSettlement, powerCut } from './faults.js';
import { mb, num, type Narrator } from './report.js';
import type { AgentStore, GatewayStoreReader } from './stores.js';
import { Traffic, type Flow } from './traffic.js';

export interface GuestPlan {
  client: string;
  wallet: string;
  plan: string;
  flow: Flow;
  end: 'logout' | 'leave';
}

/** Three guests: per MB over IPv4, per minute over IPv6 uploading as much as it downloads, and a heavy per-MB one. */
export const GUESTS: readonly GuestPlan[] = [
  { client: 'c1', wallet: 'guest1', plan: 'mb', flow: { client: 'c1', down: 120_000 }, end: 'logout' },
  { client: 'c2', wallet: 'guest2', plan: 'hour', flow: { client: 'c2', down: 60_000, up: 60_000, ipv6: true }, end: 'leave' },
  { client: 'c3', wallet: 'guest3', plan: 'mb', flow: { client: 'c3', down: 200_000, up: 20_000 }, end: 'logout' },
];

export interface Guest extends GuestPlan {
  phone: RemotePhone;
  channelId: number;
  /** What the wallet paid in fees (the open, and any top up). */
  fees: bigint;
}

/** What the faults did, for the report and the checks. */
export interface FaultLog {
  agentKills: number[];
  brokerOutageS: number;
  outboxAtBrokerReturn: number;
  gatewayKilledTx: string | null;
  chainOutageS: number;
  batchesDuringChainOutage: number;
  flush: { at: number; rebuiltMs: number } | null;
  powerCut: { killed: string[]; backMs: number } | null;
  trafficS: number;
  /** What the guests' phones met while it all happened (held, refused vouchers, errors), counted by kind. */
  phoneTrouble: Map<string, number>;
}

interface Deps {
  sys: System;
  say: Narrator;
  counters: KernelCounters;
  agent: AgentStore;
  gateway: GatewayStoreReader;
}

// Faults follow one another, each timed from its own start (restarts take 2-6 s on a busy machine, so
// nothing is scheduled by the clock); they overlap where that means something: kills while the broker
// is away and while the outbox drains after it, the gateway's kill in that drain, the flush while the
// chain is unreachable.
const BROKER_OUTAGE_S = 60;
const AGENT_KILLS = 20;
const CHAIN_OUTAGE_S = 30;
const FLUSH_AFTER_S = 10;
const TAIL_S = 8;

/** The guests arrive one after another, each online (its channel confirmed, its first voucher taken) before the next. */
export async function payingGuests(d: Deps): Promise<Guest[]> {
  const guests: Guest[] = [];
  for (const g of GUESTS) {
    const phone = new RemotePhone(g.client, d.sys, g.client, { plan: g.plan, wallet: g.wallet });
    const opened = await phone.next('opened', 120_000);
    await phone.next('online', 120_000);
    d.say.say(`${g.client} (${g.wallet}, plan ${g.plan}) opened channel ${String(opened.channelId)} and is online`);
    guests.push({ ...g, phone, channelId: Number(opened.channelId), fees: BigInt(String(opened.fee)) });
  }
  return guests;
}

export async function runFaults(d: Deps, guests: Guest[]): Promise<FaultLog> {
  const { sys, say } = d;
  const log: FaultLog = {
    agentKills: [],
    brokerOutageS: 0,
    outboxAtBrokerReturn: 0,
    gatewayKilledTx: null,
    chainOutageS: 0,
    batchesDuringChainOutage: 0,
    flush: null,
    powerCut: null,
    trafficS: 0,
    phoneTrouble: new Map(),
  };
  const traffic = new Traffic(sys.id, sys.dir);
  traffic.start(guests.map((g) => g.flow));
  const t0 = Date.now();
  const eventsFrom = guests.map((g) => g.phone.events.length);
  say.say(
    `traffic: ${guests.map((g) => `${g.client} ${num(g.flow.down)} B/s down${g.flow.up ? ` ${num(g.flow.up)} up` : ''}${g.flow.ipv6 ? ' (IPv6)' : ''}`).join(', ')}`,
  );

  try {
    await sleep(3_000);
    await sys.broker.stop('SIGKILL');
    const brokerDown = Date.now();
    say.say(`broker kill -9: down for ${BROKER_OUTAGE_S} s; the agent is killed over and over meanwhile`);
    const kill = async () => {
      const ms = await killAgent(sys);
      log.agentKills.push(ms);
      say.say(`agent kill -9 #${log.agentKills.length}, back in ${ms} ms`);
    };
    // Up to 4 s between kills, so some strike mid-poll or mid-seal and some after a batch went out.
    while (Date.now() - brokerDown < (BROKER_OUTAGE_S - 8) * 1000 && log.agentKills.length < AGENT_KILLS - 5) {
      await kill();
      await sleep(500 + Math.random() * 3_500);
    }
    await sleep(Math.max(0, brokerDown + BROKER_OUTAGE_S * 1000 - Date.now()));
    log.outboxAtBrokerReturn = d.agent.outbox();
    await sys.broker.start();
    log.brokerOutageS = (Date.now() - brokerDown) / 1000;
    say.say(`broker back after ${log.brokerOutageS.toFixed(1)} s; ${log.outboxAtBrokerReturn} batches waited in the agent's outbox`);
    await Promise.all([
      (async () => {
        // The first lands while the outbox drains into the broker: batches sent, acks maybe not yet taken in.
        while (log.agentKills.length < AGENT_KILLS) {
          await sleep(500 + Math.random() * 1_500);
          await kill();
        }
      })(),
      (async () => {
        const g = await killGatewayInSettlement(sys);
        log.gatewayKilledTx = g.txid;
        say.say(`gateway kill -9 after relaying settlement tx ${g.txid.slice(0, 12)}… and before its application log; started again`);
      })(),
    ]);

    const batchesBefore = d.gateway.batchCount();
    await chainRpcDown(sys);
    const chainDown = Date.now();
    say.say(`chain RPC port dropped in the upstream namespace for ${CHAIN_OUTAGE_S} s (the node runs on)`);
    await sleep(FLUSH_AFTER_S * 1000);
    log.flush = await flushFirewall(sys, d.counters);
    say.say(`nft flush ruleset in the router: the agent's gate was back in ${log.flush.rebuiltMs} ms`);
    await sleep(Math.max(0, chainDown + CHAIN_OUTAGE_S * 1000 - Date.now()));
    log.batchesDuringChainOutage = d.gateway.batchCount() - batchesBefore;
    await chainRpcUp(sys);
    log.chainOutageS = (Date.now() - chainDown) / 1000;
    say.say(`chain RPC back after ${log.chainOutageS.toFixed(1)} s; the gateway stored ${log.batchesDuringChainOutage} batches meanwhile`);

    await sleep(2_000);
    log.powerCut = await powerCut(sys, d.counters);
    say.say(`router power cut: killed ${log.powerCut.killed.join(', ')}; daemons and agent back after ${log.powerCut.backMs} ms`);
    await sleep(TAIL_S * 1000);
  } finally {
    await traffic.stop();
    log.trafficS = (Date.now() - t0) / 1000;
  }
  guests.forEach((g, i) => {
    for (const e of g.phone.events.slice(eventsFrom[i])) {
      if (e.ev !== 'held' && e.ev !== 'voucher-refused' && e.ev !== 'error') continue;
      const kind = `${e.ev}${e.reason ? ` (${String(e.reason)})` : ''}${e.message ? `: ${String(e.message).slice(0, 60)}` : ''}`;
      log.phoneTrouble.set(kind, (log.phoneTrouble.get(kind) ?? 0) + 1);
    }
  });
  say.say(`traffic stopped after ${log.trafficS.toFixed(1)} s`);
  return log;
}

/** The guests go (log out, or walk away and idle out), and everything they used reaches the gateway and the chain. */
export async function windDown(d: Deps, guests: Guest[]): Promise<void> {
  const { say } = d;
  // The last packets of the stopped transfers (FIN, RST) pass within a moment; after this the counters stand still.
  await sleep(3_000);
  await d.counters.sample();
  for (const g of guests) {
    if (g.end === 'logout') {
      const e = await g.phone.logout(60_000);
      const close = e.close as { state?: string; refunded?: string } | null;
      say.say(
        `${g.client} logs out (cost ${String(e.cost)}, paid ${String(e.paid)}); close: ${close ? `${String(close.state)}${close.refunded ? `, ${close.refunded} back` : ''}` : 'none'}`,
      );
    } else {
      await g.phone.leave();
      say.say(`${g.client} walks away; its session ends at the idle timeout`);
    }
  }
  await waitFor('every session to end', 120_000, () => (d.agent.openSessions() === 0 ? true : undefined), 500);
  const t = Date.now();
  await waitFor(
    'the gateway to hold every batch and settlement to be idle',
    180_000,
    async () => {
      const a = d.agent;
      if (a.outbox() > 0 || a.unbatched() > 0) return undefined;
      const s = await d.gateway.settled();
      return s.pending === 0 && s.vouchers === 0 && s.batches === 0 && s.rounds === 0 ? true : undefined;
    },
    1_000,
  );
  say.say(
    `every session ended; the gateway has every batch and settlement is idle (${((Date.now() - t) / 1000).toFixed(1)} s after the last session ended); kernel counted ${mb(totalBytes(d.counters))}`,
  );
}

function totalBytes(c: KernelCounters): number {
  let n = 0;
  for (const t of c.totals().values()) n += t.down + t.up;
  return n;
}
