/**
 * openNDS's figures, measured as bench/gate.ts measures the agent's, in the
 * same testbed and namespaces: auth -> first packet forwarded (ndsctl auth)
 * with 500 guests authenticated, forwarding with 500 against no gate, RSS at
 * 500 and 1,000. openNDS v10 gates IPv4 only, so every figure is IPv4.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tb from '../scripts/lib/testbed/index.js';
import { fakeLeases, fakeMac, percentile, udpArrivals } from './lib.js';
import { type Figure, forwardingRounds, median, spread } from './gate-figures.js';
import { fakeNeighbours, readVersion, startOpenNds, type OpenNds } from './opennds.js';

const ID = 'peers';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PeerOptions {
  rounds: number;
  auths: number;
  /** 500 or 1,000: authenticating 1,000 guests through ndsctl takes 15-60 minutes here. */
  max?: number;
  checkInterval?: number;
  say(s: string): void;
}

async function authAll(nds: OpenNds, lines: readonly string[], say: (s: string) => void): Promise<{ ms: number[]; retries: number; failed: number }> {
  const ms: number[] = [];
  let retries = 0;
  let failed = 0;
  for (const [i, l] of lines.entries()) {
    const t0 = performance.now();
    const r = await nds.ndsctl(['auth', fakeMac(l)]);
    ms.push(performance.now() - t0);
    retries += r.retries;
    if (r.code !== 0) failed++;
    if ((i + 1) % 50 === 0) say(`openNDS: ${i + 1} of ${lines.length} guests authenticated (last ${ms.at(-1)!.toFixed(0)} ms)`);
  }
  return { ms, retries, failed };
}

/** The figures keyed as bench/gate.ts names its own, so each can sit beside the agent's. */
export async function openNdsFigures(dir: string, o: PeerOptions): Promise<Map<string, NonNullable<Figure['opennds']>>> {
  const out = new Map<string, NonNullable<Figure['opennds']>>();
  const version = readVersion(dir);
  // No second guest subnet (testbed option fakeGuests): openNDS refuses to start on an interface with two
  // addresses ("IP address aliasing forbidden"); its fakes are on-link by a route instead (fakeNeighbours).
  const bed = await tb.up({ id: ID, clients: 1 });
  let nds: OpenNds | null = null;
  try {
    const c1 = bed.clients[0]!;
    const leases = join(bed.stateDir, 'bench.leases');
    const expiry = Math.floor(Date.now() / 1000) + 86_400;
    const max = o.max ?? 1000;
    const fakes = fakeLeases(max, expiry);
    writeFileSync(leases, [`${expiry} ${c1.mac} ${c1.ip4} c1 *`, ...fakes].join('\n') + '\n');
    await fakeNeighbours(tb, ID, fakes.slice(0, 500));
    nds = await startOpenNds(dir, { routerNs: bed.router.ns, stateDir: bed.stateDir, leases, checkInterval: o.checkInterval, log: o.say });
    await tb.exec(ID, 'c1', ['ping', '-c1', '-W1', bed.router.lan4]);
    const bulk = await authAll(nds, fakes.slice(0, 500), o.say);
    const bulkNote = `bulk ndsctl auth p50 ${median(bulk.ms).toFixed(0)} ms, ${bulk.failed} failed, ${bulk.retries} busy retries`;
    out.set('agent RSS, 500 sessions', { value: Math.round(nds.rssKb() / 102.4) / 10, unit: 'MB', note: `opennds process VmRSS, ${version}; ${bulkNote}` });

    const udp = udpArrivals(tb, ID, 'c1', bed.upstream.ip4);
    const lat: number[] = [];
    const wall: number[] = [];
    try {
      await nds.ndsctl(['auth', c1.mac]);
      await udp.firstAfter(performance.timeOrigin + performance.now());
      for (let i = 0; i < o.auths; i++) {
        await nds.ndsctl(['deauth', c1.mac]);
        await sleep(20 + Math.random() * 250);
        const t0 = performance.timeOrigin + performance.now();
        const arrived = udp.firstAfter(t0);
        const r = await nds.ndsctl(['auth', c1.mac]);
        wall.push(performance.timeOrigin + performance.now() - t0);
        if (r.code !== 0) throw new Error(`ndsctl auth: ${r.stdout}`);
        lat.push((await arrived) - t0);
      }
    } finally {
      udp.stop();
    }
    const s = [...lat].sort((a, b) => a - b);
    out.set('auth -> first packet forwarded, 500 sessions, shaped, polls running', {
      value: Math.round(percentile(s, 99)),
      unit: 'ms p99',
      note: `ndsctl auth, no rates; p50 ${percentile(s, 50).toFixed(0)} / max ${s.at(-1)!.toFixed(0)} ms over ${lat.length}; ndsctl itself p50 ${median(wall).toFixed(0)} ms; its poll every ${o.checkInterval ?? 15} s`,
    });

    // Frozen while its tables are taken out and put back, so its watchdog sees nothing.
    nds.pause(true);
    let fwd;
    try {
      fwd = await forwardingRounds(tb, ID, 'c1', o.rounds, /^table ip nds_/);
    } finally {
      nds.pause(false);
    }
    for (const d of ['down', 'up'] as const) {
      const ratios = fwd.map((r) => r.gate[d] / r.none[d]);
      out.set(`forwarding ${d}, gate + 500 sessions / no gate`, {
        value: Number(median(ratios).toFixed(3)),
        unit: 'ratio',
        note: `median of ${ratios.length} rounds, spread ${spread(ratios, 3)}; openNDS ${spread(
          fwd.map((r) => r.gate[d]),
          2,
        )} Gbit/s, none ${spread(
          fwd.map((r) => r.none[d]),
          2,
        )} Gbit/s`,
      });
    }

    if (max > 500) {
      await fakeNeighbours(tb, ID, fakes.slice(500));
      const more = await authAll(nds, fakes.slice(500), o.say);
      out.set('agent RSS, 1,000 sessions', {
        value: Math.round(nds.rssKb() / 102.4) / 10,
        unit: 'MB',
        note: `opennds VmRSS; guests 501-1,000: ndsctl auth p50 ${median(more.ms).toFixed(0)} ms, ${more.failed} failed`,
      });
    }
  } finally {
    await nds?.stop().catch(() => {});
    await tb.down(ID);
  }
  return out;
}
