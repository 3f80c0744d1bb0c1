/**
 * The gate's figures (issue 20), in one testbed run, each with its goal:
 *  - auth -> first packet forwarded, 500 sessions, with shaping, under running polls
 *  - one whole poll at 1,000 sessions (counter read + metering + limits)
 *  - CPU per 2 s poll interval at 1,000 sessions (the agent and its resident tools, by their own CPU time)
 *  - forwarding with the gate and 500 sessions against no gate, both ways
 *  - RSS at 500 and 1,000 sessions
 * `--json` prints [{ name, value, unit, goal, met }]; `--opennds DIR` adds openNDS's
 * figures measured the same way (bench/peers.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tb from '../scripts/lib/testbed/index.js';
import { call, fakeLeases, fakeMac, percentile, rssMb, udpArrivals } from './lib.js';
import { treeCpuMs } from './proc-stats.js';
import { type Figure, forwardingRounds, median, spread } from './gate-figures.js';

const ID = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { values: opts } = parseArgs({
  options: { json: { type: 'boolean' }, opennds: { type: 'string' }, rounds: { type: 'string' }, auths: { type: 'string' }, max: { type: 'string' } },
});
const say = (s: string) => {
  if (!opts.json) process.stdout.write(s + '\n');
  else process.stderr.write(s + '\n');
};
const ROUNDS = Number(opts.rounds ?? 5);
const AUTHS = Number(opts.auths ?? 60);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function authMany(sock: string, lines: readonly string[]): Promise<void> {
  // Eight at a time: the socket serves guests side by side.
  for (let i = 0; i < lines.length; i += 8) await Promise.all(lines.slice(i, i + 8).map((l) => call(sock, { cmd: 'auth', guest: fakeMac(l) })));
}

async function main(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const bed = await tb.up({ id: ID, clients: 1, fakeGuests: true });
  try {
    const c1 = bed.clients[0]!;
    const leases = `${bed.stateDir}/bench.leases`;
    const expiry = Math.floor(Date.now() / 1000) + 86_400;
    const fakes = fakeLeases(1000, expiry);
    writeFileSync(leases, [`${expiry} ${c1.mac} ${c1.ip4} c1 *`, ...fakes].join('\n') + '\n');
    say(`load average at start: ${loadavg()}`);

    // Forwarding: shaping off (unshaped guests would share HTB's 10 Gbit/s "unlimited" class); the agent stopped between rounds, its tables kept or taken out.
    let info = await tb.agentStart(ID, { leasesFile: leases, pollIntervalMs: 2000, shaping: { enabled: false } });
    let sock = info.agent!.socket;
    await authMany(sock, fakes.slice(0, 500));
    await call(sock, { cmd: 'auth', guest: c1.mac });
    figures.push({ name: 'agent RSS, 500 sessions', value: round(rssMb(info.agent!.pid!)), unit: 'MB', goal: '< 60', met: rssMb(info.agent!.pid!) < 60 });
    await tb.agentStop(ID);
    const fwd = await forwardingRounds(tb, ID, 'c1', ROUNDS);
    for (const dir of ['down', 'up'] as const) {
      const ratios = fwd.map((r) => r.gate[dir] / r.none[dir]);
      const m = median(ratios);
      figures.push({
        name: `forwarding ${dir}, gate + 500 sessions / no gate`,
        value: round(m, 3),
        unit: 'ratio',
        goal: '>= 0.95',
        met: m >= 0.95,
        note: `median of ${ratios.length} interleaved rounds, spread ${spread(ratios, 3)}; no gate ${spread(
          fwd.map((r) => r.none[dir]),
          2,
        )} Gbit/s, gate ${spread(
          fwd.map((r) => r.gate[dir]),
          2,
        )} Gbit/s; load ${loadavg()}`,
      });
    }

    // Auth with shaping, polls running every 250 ms (so many auths land on one); the first datagram forwarded after the request.
    info = await tb.agentStart(ID, { leasesFile: leases, pollIntervalMs: 250, shaping: { enabled: true } });
    sock = info.agent!.socket;
    const udp = udpArrivals(tb, ID, 'c1', '203.0.113.10');
    await sleep(500);
    const lat: number[] = [];
    for (let i = 0; i < AUTHS; i++) {
      await call(sock, { cmd: 'deauth', guest: c1.mac });
      await sleep(20 + Math.random() * 250);
      const t0 = performance.timeOrigin + performance.now();
      const arrived = udp.firstAfter(t0);
      await call(sock, { cmd: 'auth', guest: c1.mac, down: 50_000_000, up: 50_000_000 });
      lat.push((await arrived) - t0);
    }
    udp.stop();
    const sorted = [...lat].sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    figures.push({
      name: 'auth -> first packet forwarded, 500 sessions, shaped, polls running',
      value: round(p99, 2),
      unit: 'ms p99',
      goal: '< 5',
      met: p99 < 5,
      note: `p50 ${percentile(sorted, 50).toFixed(2)} / max ${sorted.at(-1)!.toFixed(2)} ms over ${lat.length} auths (control socket; a 50 Mbit/s class each time); load ${loadavg()}`,
    });
    await tb.agentStop(ID);

    // 1,000 sessions, the default 2 s poll: its wall time from the agent, CPU from /proc over whole intervals.
    info = await tb.agentStart(ID, { leasesFile: leases, pollIntervalMs: 2000, shaping: { enabled: true } });
    sock = info.agent!.socket;
    await authMany(sock, fakes.slice(500));
    const pid = info.agent!.pid!;
    const polls = 40;
    await sleep(2500);
    const cpu0 = treeCpuMs(pid);
    const t0 = performance.now();
    // One status call every 10 s: the agent keeps its last polls (health.recentPolls), so the bench costs it next to nothing.
    while (performance.now() - t0 < polls * 2000) await sleep(Math.min(10_000, polls * 2000 - (performance.now() - t0)));
    const intervals = (performance.now() - t0) / 2000;
    const cpuPerInterval = (treeCpuMs(pid) - cpu0) / intervals;
    const st = (await call(sock, { cmd: 'status' })) as { gate: { recentPolls: Array<{ ms: number; cpuMs: number }> } };
    const recent = st.gate.recentPolls.slice(-polls);
    const walls = recent.map((p) => p.ms);
    const pollCpu = recent.map((p) => p.cpuMs);
    const ws = [...walls].sort((a, b) => a - b);
    figures.push({
      name: 'one whole poll, 1,000 sessions',
      value: percentile(ws, 99),
      unit: 'ms p99',
      goal: '< 10',
      met: percentile(ws, 99) < 10,
      note: `p50 ${percentile(ws, 50)} / max ${ws.at(-1)} ms over ${ws.length} polls (counter read, metering, limits; the agent's own clock); the poll's own CPU p50 ${median(pollCpu).toFixed(1)} ms; load ${loadavg()}`,
    });
    figures.push({
      name: 'CPU per 2 s poll interval, 1,000 sessions',
      value: round(cpuPerInterval, 1),
      unit: 'ms',
      goal: '< 50',
      met: cpuPerInterval < 50,
      note: `utime + stime of the agent and its resident tools (writer, reader, tc, dnsmasq) over ${intervals.toFixed(0)} intervals, guest discovery and the portal's credit check (every 1 s) included; the poll's own CPU p99 ${percentile(
        [...pollCpu].sort((a, b) => a - b),
        99,
      ).toFixed(1)} ms`,
    });
    figures.push({ name: 'agent RSS, 1,000 sessions', value: round(rssMb(pid)), unit: 'MB', goal: '< 60', met: rssMb(pid) < 60 });
  } finally {
    await tb.down(ID);
  }
  if (opts.opennds) {
    const { openNdsFigures } = await import('./peers.js');
    const peer = await openNdsFigures(opts.opennds, { rounds: ROUNDS, auths: Math.min(AUTHS, 30), max: Number(opts.max ?? 1000), say });
    for (const f of figures) {
      const p = peer.get(f.name);
      if (p) f.opennds = p;
    }
  }
  return figures;
}

const round = (v: number, d = 1) => Number(v.toFixed(d));

const figures = await main();
if (opts.json) process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
else {
  for (const f of figures) {
    say(`${f.met === null ? ' ' : f.met ? '✓' : '✗'} ${f.name}: ${f.value} ${f.unit} (goal ${f.goal})${f.note ? ` — ${f.note}` : ''}`);
    if (f.opennds) say(`    openNDS: ${f.opennds.value} ${f.opennds.unit}${f.opennds.note ? ` — ${f.opennds.note}` : ''}`);
  }
}
