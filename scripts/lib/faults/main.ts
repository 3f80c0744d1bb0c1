/**
 * The whole-system fault suite (scripts/faults): the system of
 * scripts/lib/system with three guests paying and using traffic, while the
 * agent is killed 20 times, the broker is gone for a minute, the gateway is
 * killed with a settlement transaction in flight, the chain's RPC goes away,
 * the router's firewall is flushed and its power is cut. Then it checks, and
 * prints with ✓ or ✗: bytes counted vs records, batches vs anchors, the
 * owner's pay vs the newest vouchers, each guest's refund. Exit 1 when a
 * check fails, 2 when the run itself could not finish.
 *
 *   node dist/scripts/lib/faults/main.js [--id ID] [--keep]
 */
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scriptHashOfAddress } from '../../../protocol/src/index.js';
import { upSystem, type System } from '../system/index.js';
import { REPO_ROOT } from '../testbed/paths.js';
import { checkBatches, checkBytes, checkOwner, checkRefunds } from './checks.js';
import { chainAudit, chainBalances, chainRefunds } from './chain-view.js';
import { KernelCounters } from './counters.js';
import { mb, num, Narrator, type Check } from './report.js';
import { payingGuests, runFaults, windDown, type FaultLog, type Guest } from './scenario.js';
import { AgentStore, GatewayStoreReader } from './stores.js';

const { values } = parseArgs({ options: { id: { type: 'string', default: 'faults' }, keep: { type: 'boolean', default: false } } });
const say = new Narrator();

async function run(sys: System): Promise<Check[]> {
  const w = (name: string) => sys.chain.wallets[name]!.address;
  const router = sys.chain.wallets.router1!.address;
  const anchorer = scriptHashOfAddress(sys.chain.wallets.gateway!.address);
  const watched = ['owner', 'guest1', 'guest2', 'guest3'].map(w);
  const before = await chainBalances(sys, watched);

  const counters = new KernelCounters(sys.id);
  counters.start();
  const agent = new AgentStore(sys.bed.stateDir);
  const gateway = await GatewayStoreReader.open(sys.gatewayDb);
  try {
    const d = { sys, say, counters, agent, gateway };
    const guests = await payingGuests(d);
    const log = await runFaults(d, guests);
    await windDown(d, guests).catch((e: Error) => say.say(`not everything settled: ${e.message}; checking what there is`));
    await counters.stop();
    for (const g of guests) g.fees += g.phone.events.filter((e) => e.ev === 'topped-up').reduce((s, e) => s + BigInt(String(e.fee)), 0n);

    const agentBatches = agent.batches();
    const gwBatches = gateway.batches(router);
    const txs = gateway.txs();
    say.say('reading the chain: settlement rounds, channels, settlement transactions, balances');
    const audit = await chainAudit(sys, {
      addresses: watched,
      anchorer,
      channels: guests.map((g) => g.channelId),
      txids: txs.filter((t) => t.status === 'confirmed').map((t) => t.txid),
    });
    const checks: Check[] = [
      checkBytes({
        counters,
        sessions: agent.sessions(),
        records: gateway.bySession(router),
        ids: gateway.recordIds(router),
        strays: gateway.strayRecords(router),
        lastRecordMade: agentBatches.at(-1)?.lastRecord ?? 0,
        flushAt: log.flush?.at ?? null,
        restores: agent.restores(),
      }),
      checkBatches({
        agent: agentBatches,
        gateway: gwBatches,
        anomalies: gateway.anomalies(),
        placed: gateway.roundsOf(router),
        rounds: gateway.rounds(),
        audit,
      }),
      checkOwner({
        ownerBefore: before.get(w('owner'))!,
        ownerAfter: audit.balances[w('owner')]!,
        newest: agent.vouchers(),
        guests,
        audit,
        killedTx: log.gatewayKilledTx,
        txs,
      }),
    ];
    const open = guests.filter((g) => !audit.channels.find((c) => c && Number(c.id) === g.channelId)?.closed).map((g) => g.channelId);
    if (open.length)
      say.say(`waiting for channel${open.length > 1 ? 's' : ''} ${open.join(', ')} to expire on chain (plus the settlement window), then refunding`);
    const refunds = open.length ? await chainRefunds(sys, open, 'spare', 300_000) : [];
    const after = await chainBalances(sys, watched);
    checks.push(checkRefunds({ guests, audit, refunds, before, after, address: w }));
    summary(log, guests, counters, agentBatches.length, gateway.recordIds(router).n);
    return checks;
  } finally {
    await counters.stop();
    agent.close();
    await gateway.close();
  }
}

function summary(log: FaultLog, guests: Guest[], counters: KernelCounters, batches: number, records: number): void {
  let bytes = 0;
  for (const t of counters.totals().values()) bytes += t.down + t.up;
  const kills = log.agentKills;
  say.raw('');
  say.raw(
    `faults: ${kills.length} × agent kill -9 (back in ${Math.min(...kills)}–${Math.max(...kills)} ms), broker down ${log.brokerOutageS.toFixed(0)} s ` +
      `(${log.outboxAtBrokerReturn} batches waited), gateway kill -9 with tx ${log.gatewayKilledTx?.slice(0, 10) ?? '—'}… in flight, chain RPC down ` +
      `${log.chainOutageS.toFixed(0)} s (${log.batchesDuringChainOutage} batches stored meanwhile), nft flush ruleset (gate back in ${log.flush?.rebuiltMs ?? '—'} ms), ` +
      `router power cut (${log.powerCut?.killed.length ?? 0} processes; back in ${log.powerCut?.backMs ?? '—'} ms)`,
  );
  say.raw(
    `traffic: ${guests.length} guests for ${log.trafficS.toFixed(0)} s, ${mb(bytes)} counted by the kernel, ${num(records)} records in ${num(batches)} batches`,
  );
  if (log.phoneTrouble.size) say.raw(`the guests' phones meanwhile: ${[...log.phoneTrouble].map(([k, n]) => `${n} × ${k}`).join('; ')}`);
}

/** The gateway's, broker's, agent's, dnsmasq's and traffic logs, copied where CI keeps test output. */
function keepLogs(sys: System): string {
  const to = join(REPO_ROOT, 'test-output', `faults-${sys.id}`);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const dir of [sys.dir, sys.bed.stateDir]) {
    for (const f of readdirSync(dir)) if (f.endsWith('.log')) cpSync(join(dir, f), join(to, f));
  }
  return to;
}

async function main(): Promise<number> {
  // Installed first: a signal during the start waits for it, then tears down (there is nothing to take down before).
  let sys: System | undefined;
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    say.say('interrupted: tearing down');
    if (sys) void sys.down().finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  // A reader that went away (a killed test runner) must not end the run before it cleans up.
  process.stdout.on('error', () => undefined);
  say.say('bringing the system up: testbed, chain, broker, gateway, registered router, agent');
  sys = await upSystem({
    id: values.id!,
    clients: 3,
    say: (l) => say.say(l),
    // Channels that expire within the run, so refunds happen; enough credit ahead to ride out the chain's outage.
    agent: {
      portal: { deposit: '0.01', creditWindow: '0.003', channelMinutes: 4, expiryMarginSeconds: 30 },
      idleTimeoutSeconds: 30,
      usage: { recordIntervalMs: 2_000, batchIntervalMs: 2_000 },
    },
    settlement: { intervalMs: 5_000, roundIntervalMs: 5_000 },
    closeAtLogout: true,
  });
  if (stopping) {
    await sys.down();
    return 130;
  }
  try {
    const checks = await run(sys);
    say.raw('');
    for (const c of checks) say.check(c);
    const failed = checks.filter((c) => !c.ok).length;
    say.raw('');
    say.raw(`fault suite: ${checks.length - failed} of ${checks.length} checks hold, in ${say.now.toFixed(0)} s${failed ? ` — ${failed} FAILED` : ''}`);
    return failed ? 1 : 0;
  } finally {
    try {
      say.say(`logs: ${keepLogs(sys)}`);
    } catch (e) {
      say.say(`logs not kept: ${(e as Error).message}`);
    }
    if (values.keep) say.say(`kept for a look: testbed ${sys.id}, files in ${sys.dir}`);
    else await sys.down();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say.say(`the run failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(2);
  },
);
