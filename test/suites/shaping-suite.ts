import type { Test } from 'tap';
import * as tb from '../../scripts/lib/testbed/index.js';
import type { BackendUnderTest } from './backends.js';
import { client, qlink, sh, sleep, useTestbed } from '../helpers/testbed.js';

const UP = '203.0.113.10';

interface IperfResult {
  mbps: number;
  intervals: number[];
}

async function iperf(ID: string, who: string, reverse: boolean, seconds: number, extra: string[] = []): Promise<IperfResult> {
  const r = await tb.exec(ID, who, ['iperf3', '-c', UP, '-t', String(seconds), '-J', ...(reverse ? ['-R'] : []), ...extra], {
    timeoutMs: (seconds + 20) * 1000,
  });
  const j = JSON.parse(r.stdout) as {
    error?: string;
    end: { sum_received: { bits_per_second: number } };
    intervals: Array<{ sum: { bits_per_second: number } }>;
  };
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  return { mbps: j.end.sum_received.bits_per_second / 1e6, intervals: j.intervals.map((i) => i.sum.bits_per_second / 1e6) };
}

const within = (got: number, want: number, tol: number) => Math.abs(got - want) / want <= tol;
const pct = (got: number, want: number) => `${(((got - want) / want) * 100).toFixed(1)} %`;

/** Shaping each guest with HTB classes, against one backend. */
export async function shapingSuite(t: Test, ID: string, backend: BackendUnderTest): Promise<void> {
  const bed = await useTestbed(t, ID, {
    clients: 2,
    agent: true,
    agentConfig: {
      ...backend.agentConfig,
      plans: [
        { id: 'cafe', name: 'Café', down: '5mbit', up: '1mbit', pricePerMb: '0.0001' },
        { id: 'tiny', name: '10 MB', down: '20mbit', up: '20mbit', quotaBytes: 10_000_000 },
      ],
    },
  });
  const [c1, c2] = bed.clients as [tb.ClientInfo, tb.ClientInfo];

  await t.test('5 Mbit/s down and 1 Mbit/s up, 10 s of TCP each way, within 10 %', async (t) => {
    const a = await qlink(ID, ['auth', c1.mac, '--plan', 'cafe', '--json']);
    t.equal(a.code, 0, a.stderr);
    t.same([JSON.parse(a.stdout).downBps, JSON.parse(a.stdout).upBps], [5e6, 1e6]);
    const down = await iperf(ID, 'c1', true, 10);
    const up = await iperf(ID, 'c1', false, 10);
    t.ok(within(down.mbps, 5, 0.1), `download ${down.mbps.toFixed(3)} Mbit/s for 5 (${pct(down.mbps, 5)}; goal 5 %)`);
    t.ok(within(up.mbps, 1, 0.1), `upload ${up.mbps.toFixed(3)} Mbit/s for 1 (${pct(up.mbps, 1)}; goal 5 %)`);
  });

  await t.test("two guests at once get their own rates; the other one's ping stays low", async (t) => {
    t.equal((await qlink(ID, ['set-rate', c1.mac, '--down', '2mbit'])).code, 0);
    t.equal((await qlink(ID, ['auth', c2.mac, '--down', '8mbit', '--up', '8mbit'])).code, 0);
    const [a, b] = await Promise.all([
      iperf(ID, 'c1', true, 8),
      (async () => {
        await sleep(50);
        return iperf(ID, 'c2', true, 8, ['-p', '5202']).catch(() => null);
      })(),
    ]);
    // One iperf3 server serves one test at a time; the second runs right after when the port is busy.
    const b2 = b ?? (await iperf(ID, 'c2', true, 8));
    t.ok(within(a.mbps, 2, 0.1), `guest at 2 Mbit/s got ${a.mbps.toFixed(3)} (${pct(a.mbps, 2)})`);
    t.ok(within(b2.mbps, 8, 0.1), `guest at 8 Mbit/s got ${b2.mbps.toFixed(3)} (${pct(b2.mbps, 8)})`);
    const load = tb.exec(ID, 'c2', ['iperf3', '-c', UP, '-t', '6', '-R'], { timeoutMs: 30_000 });
    await sleep(1500);
    const ping = await sh(ID, 'c1', `ping -c 10 -i 0.2 ${UP}`);
    t.match(ping.stdout, / 0% packet loss/, 'c1 pings the upstream');
    await load;
    const max = Number(/= [\d.]+\/[\d.]+\/([\d.]+)/.exec(ping.stdout)?.[1] ?? NaN);
    t.ok(max < 50, `c1's ping max ${max} ms while c2 saturates 8 Mbit/s (< 50 ms)`);
  });

  await t.test('a live rate change shows within 2 s', async (t) => {
    const t0 = Date.now();
    const run = iperf(ID, 'c1', true, 10);
    await sleep(3000);
    t.equal((await qlink(ID, ['set-rate', c1.mac, '--down', '6mbit'])).code, 0);
    const applied = (Date.now() - t0) / 1000;
    const r = await run;
    // One-second intervals from iperf's start (a little after t0): those starting 2 s or more after the command returned.
    const first = Math.ceil(applied + 2);
    const after = r.intervals.slice(first);
    t.ok(
      after.length >= 2 && after.every((m) => within(m, 6, 0.15)),
      `from ${first} s (set-rate returned at ${applied.toFixed(2)} s): ${after.map((m) => m.toFixed(2)).join(', ')} Mbit/s (6 wanted)`,
    );
    t.ok(
      r.intervals.slice(0, 2).every((m) => within(m, 2, 0.2)),
      `before: ${r.intervals
        .slice(0, 2)
        .map((m) => m.toFixed(2))
        .join(', ')} Mbit/s (2)`,
    );
  });

  await t.test('restart (kill -9) and flush with shaping on: classes adopted, rates hold, nothing doubles', async (t) => {
    const before = (await tb.exec(ID, 'router', ['tc', 'class', 'show', 'dev', 'br-lan'])).stdout;
    await tb.agentKill(ID);
    await tb.agentStart(ID);
    const after = (await tb.exec(ID, 'router', ['tc', 'class', 'show', 'dev', 'br-lan'])).stdout;
    t.equal(after.split('\n').filter(Boolean).sort().join('\n'), before.split('\n').filter(Boolean).sort().join('\n'), 'the same classes, adopted');
    const r1 = await iperf(ID, 'c1', true, 4);
    t.ok(within(r1.mbps, 6, 0.1), `after kill -9: ${r1.mbps.toFixed(3)} Mbit/s (6)`);
    t.equal(await backend.flushAll.run(ID), 0);
    await sleep(2500);
    const r2 = await iperf(ID, 'c1', true, 4);
    t.ok(within(r2.mbps, 6, 0.1), `after ${backend.flushAll.label}: ${r2.mbps.toFixed(3)} Mbit/s (6)`);
    const classes = (await tb.exec(ID, 'router', ['tc', 'class', 'show', 'dev', 'br-lan'])).stdout.split('\n').filter((l) => / 1:1[0-9a-f] /.test(l));
    t.equal(classes.length, 2, `one class per shaped guest, no doubles: ${classes.length}`);
  });

  await t.test('a 10 MB quota sends the guest back to the portal after about 10 MB', async (t) => {
    t.equal((await qlink(ID, ['deauth', c2.mac])).code, 0);
    const a = await qlink(ID, ['auth', c2.mac, '--plan', 'tiny', '--json']);
    t.equal(JSON.parse(a.stdout).bytesLeft, 10_000_000);
    const dl = await tb.exec(ID, 'c2', ['curl', '-sS', '-m', '30', '-o', '/dev/null', '-w', '%{size_download}', `http://${UP}/bytes/40000000`], {
      timeoutMs: 40_000,
    });
    const got = Number(dl.stdout);
    t.not(dl.code, 0, 'the download was cut');
    const ended = await client(ID, c2.mac);
    t.equal(ended.state, 'pending');
    // At 20 Mbit/s one poll interval (1 s here) is 2.5 MB: the most the quota can be overshot.
    const overshoot = got - 10_000_000;
    t.ok(got >= 10_000_000 * 0.95 && overshoot <= 2_500_000 * 1.2, `cut after ${got} bytes: overshoot ${overshoot} bytes (one poll at 20 Mbit/s is 2,500,000)`);
    const portal = await sh(ID, 'c2', `curl -sS -m 5 -D - -o /dev/null http://${UP}/`);
    t.match(portal.stdout, /x-qlink-portal/i, 'back at the portal');
  });

  await t.test('bad rates, quotas and plans: a clear error, nothing changed', async (t) => {
    const before = await client(ID, c1.mac);
    const cases: Array<[string[], RegExp]> = [
      [['set-rate', c1.mac, '--down', 'fast'], /expected a rate between 8kbit and 10gbit/],
      [['set-rate', c1.mac, '--down', '0mbit'], /expected a rate/],
      [['set-rate', c1.mac, '--up', '99gbit'], /expected a rate/],
      [['set-rate', c1.mac], /set-rate needs --down and\/or --up/],
      [['set-rate', c2.mac, '--down', '1mbit'], /has no session/],
      [['auth', c2.mac, '--quota-bytes', '-5'], /ambiguous|--quota-bytes must be/],
      [['auth', c2.mac, '--quota-bytes', '99999999999999999999'], /--quota-bytes must be a whole number/],
      [['auth', c2.mac, '--plan', 'gold'], /unknown plan "gold" \(plans: cafe, tiny\)/],
    ];
    for (const [args, re] of cases) {
      const r = await qlink(ID, args);
      t.not(r.code, 0, `qlink ${args.join(' ')} fails`);
      t.match(r.stderr, re, `qlink ${args.join(' ')}: ${r.stderr.split('\n')[0]}`);
    }
    const after = await client(ID, c1.mac);
    t.same([after.downBps, after.upBps, after.sessionId], [before.downBps, before.upBps, before.sessionId], 'c1 unchanged');
    t.equal((await client(ID, c2.mac)).state, 'pending', 'c2 still held');
  });
}
