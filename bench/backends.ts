/**
 * The gate backends side by side, same testbed, same method (scripts/bench-backends):
 *  - 500 guests with shaping in one batch (gate rules + tc classes), then all removed
 *  - auth with shaping at 500 sessions: control socket -> first datagram of the guest forwarded
 *  - counters with 1,000 sessions: the bare read, and the agent's whole poll
 */
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import * as tb from '../scripts/lib/testbed/index.js';
import type { GateBackend, Grant } from '../agent/src/gate/backend.js';
import { IptablesGate } from '../agent/src/gate/iptables.js';
import { NftablesGate } from '../agent/src/gate/nftables.js';
import { runProcess, type CommandRunner } from '../agent/src/kernel/run.js';
import { TcShaper } from '../agent/src/shaper/tc.js';
import { call, fakeLeases, fakeMac, summary, udpArrivals } from './lib.js';

const ID = 'bench_be';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(s + '\n');
const now = () => performance.now();

interface Candidate {
  name: string;
  config: 'nftables' | 'iptables';
  variant?: 'legacy' | 'nft';
  make(r: CommandRunner): GateBackend;
}
const CANDIDATES: Candidate[] = [
  { name: 'nftables', config: 'nftables', make: (r) => new NftablesGate(r) },
  { name: 'iptables-legacy', config: 'iptables', variant: 'legacy', make: (r) => new IptablesGate(r, 'legacy') },
  { name: 'iptables-nft', config: 'iptables', variant: 'nft', make: (r) => new IptablesGate(r, 'nft') },
];
const POLICY = { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: ['10.0.0.0/8', '192.168.0.0/16'], blocked6: ['fc00::/7'] };

const grants = (n: number): Grant[] => Array.from({ length: n }, (_, i) => ({ sessionId: i + 1, mac: fakeMac(fakeLeases(n, 0)[i]!), classMinor: 0x10 + i }));

/** Batch figures straight through the backend and the shaper, in the router namespace. */
async function batches(c: Candidate, ns: string): Promise<void> {
  const runner: CommandRunner = { run: (argv, input) => runProcess(['nsenter', `--net=/run/netns/${ns}`, ...argv], input) };
  const gate = c.make(runner);
  const shaper = await TcShaper.create(runner, pino({ level: 'silent' }), { lan: 'br-lan', wan: 'wan', totalDownBps: null, totalUpBps: null });
  const g500 = grants(500);
  await gate.ensure(POLICY, [], []);
  let t0 = now();
  await gate.ensure(POLICY, g500, []);
  const gateAdd = now() - t0;
  await shaper.ensure(g500.map((g) => ({ minor: g.classMinor, downBps: 5e6, upBps: 1e6 })));
  const add = now() - t0;
  t0 = now();
  await gate.ensure(POLICY, [], []);
  const gateDel = now() - t0;
  await shaper.ensure([]);
  const del = now() - t0;
  say(
    `${c.name}: 500 guests with shaping in one batch: add ${add.toFixed(0)} ms (gate ${gateAdd.toFixed(0)}, tc ${(add - gateAdd).toFixed(0)}), remove ${del.toFixed(0)} ms (gate ${gateDel.toFixed(0)}, tc ${(del - gateDel).toFixed(0)})`,
  );
  await gate.ensure(POLICY, grants(1000), []);
  const reads: number[] = [];
  for (let i = 0; i < 30; i++) {
    t0 = now();
    await gate.readCounters();
    reads.push(now() - t0);
  }
  const reader = gate instanceof NftablesGate ? `${gate.counters.kind} reader` : 'iptables-save -c x2';
  say(`${c.name}: counter read with 1,000 sessions (${reader}), ms: ${summary(reads)}`);
  await gate.remove();
  await shaper.remove();
}

/** Auth latency and the agent's poll, as bench/gate.ts measures them. */
async function agent(c: Candidate): Promise<void> {
  const bed = await tb.up({ id: ID, clients: 1, fakeGuests: true });
  try {
    const c1 = bed.clients[0]!;
    await batches(c, bed.router.ns);
    if (c.variant) process.env.QLINK_IPTABLES = c.variant;
    const leases = `${bed.stateDir}/bench.leases`;
    const expiry = Math.floor(Date.now() / 1000) + 86_400;
    const fakes = fakeLeases(1000, expiry);
    writeFileSync(leases, [`${expiry} ${c1.mac} ${c1.ip4} c1 *`, ...fakes].join('\n') + '\n');
    const info = await tb.agentStart(ID, { leasesFile: leases, pollIntervalMs: 2000, backend: c.config, idleTimeoutSeconds: null });
    const sock = info.agent!.socket;
    const rates = { down: 20_000_000, up: 20_000_000 };
    for (const line of fakes.slice(0, 500)) await call(sock, { cmd: 'auth', guest: fakeMac(line), ...rates });
    await call(sock, { cmd: 'auth', guest: c1.mac, ...rates });
    const udp = udpArrivals(tb, ID, 'c1', '203.0.113.10');
    const firstAfter = udp.firstAfter;
    await sleep(500);
    const lat: number[] = [];
    for (let i = 0; i < 100; i++) {
      await call(sock, { cmd: 'deauth', guest: c1.mac });
      await sleep(30);
      const t0 = performance.timeOrigin + performance.now();
      const arrived = firstAfter(t0);
      await call(sock, { cmd: 'auth', guest: c1.mac, ...rates });
      lat.push((await arrived) - t0);
    }
    udp.stop();
    say(`${c.name}: auth with shaping at 500 sessions, control socket -> first packet forwarded (ms, ${lat.length} runs): ${summary(lat)}`);
    for (const line of fakes.slice(500)) await call(sock, { cmd: 'auth', guest: fakeMac(line) });
    const walls: number[] = [];
    let last = -1;
    while (walls.length < 20) {
      const st = (await call(sock, { cmd: 'status' })) as { gate: { lastPollAt: number; lastPollMs: number } };
      if (st.gate.lastPollAt !== last) {
        if (last !== -1) walls.push(st.gate.lastPollMs);
        last = st.gate.lastPollAt;
      }
      await sleep(100);
    }
    say(`${c.name}: agent poll with 1,001 sessions (counters read + metered + limits), wall ms: ${summary(walls)}`);
    await tb.agentStop(ID);
  } finally {
    await tb.down(ID);
  }
}

const only = process.argv[2];
for (const c of CANDIDATES) if (!only || c.name === only) await agent(c);
