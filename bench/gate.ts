/**
 * The gate's figures, in one testbed run:
 *  - auth latency: control-socket call -> first datagram of the guest forwarded (and via the qlink CLI process)
 *  - one poll (counters + metering + limits) with 1,000 sessions: wall and CPU
 *  - agent RSS with 500 sessions
 *  - unshaped forwarding throughput with 500 sessions, against no agent
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as tb from '../scripts/lib/testbed/index.js';
import { call, cpuMs, fakeLeases, fakeMac, rssMb, summary, udpArrivals } from './lib.js';

const ID = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(s + '\n');

async function iperf(reverse: boolean, seconds: number): Promise<number> {
  const args = ['iperf3', '-c', '203.0.113.10', '-t', String(seconds), '-J', ...(reverse ? ['-R'] : [])];
  const r = await tb.exec(ID, 'c1', args, { timeoutMs: (seconds + 15) * 1000 });
  const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return j.end.sum_received.bits_per_second / 1e9;
}

async function main() {
  const bed = await tb.up({ id: ID, clients: 1 });
  try {
    const c1 = bed.clients[0]!;
    const leases = `${bed.stateDir}/bench.leases`;
    const expiry = Math.floor(Date.now() / 1000) + 86_400;
    const fakes = fakeLeases(1000, expiry);
    writeFileSync(leases, [`${expiry} ${c1.mac} ${c1.ip4} c1 *`, ...fakes].join('\n') + '\n');
    const noAgent = { down: await iperf(true, 5), up: await iperf(false, 5) };
    // Shaping off: this measures the gate's own cost (with shaping on, unshaped guests share a 10 Gbit/s HTB class).
    const info = await tb.agentStart(ID, { leasesFile: leases, pollIntervalMs: 2000, shaping: { enabled: false } });
    const sock = info.agent!.socket;
    const pid = info.agent!.pid!;
    for (const line of fakes.slice(0, 500)) await call(sock, { cmd: 'auth', guest: fakeMac(line) });
    await call(sock, { cmd: 'auth', guest: c1.mac });
    say('sessions in the table: 500 (plus the measured guest)');

    // A UDP stream from the guest, one datagram a millisecond; the upstream notes when each arrives.
    const udp = udpArrivals(tb, ID, 'c1', '203.0.113.10');
    const firstAfter = udp.firstAfter;
    await sleep(500);
    const viaSocket: number[] = [];
    const viaCli: number[] = [];
    for (let i = 0; i < 60; i++) {
      await call(sock, { cmd: 'deauth', guest: c1.mac });
      await sleep(30);
      const t0 = performance.timeOrigin + performance.now();
      const arrived = firstAfter(t0);
      if (i % 2 === 0) {
        await call(sock, { cmd: 'auth', guest: c1.mac });
        viaSocket.push((await arrived) - t0);
      } else {
        const cli = spawn('node', ['dist/agent/src/cli/main.js', '--socket', sock, 'auth', c1.mac], { stdio: 'ignore' });
        viaCli.push((await arrived) - t0);
        await new Promise((r) => cli.on('exit', r));
      }
    }
    udp.stop();
    say(`auth latency, control socket -> first packet forwarded (ms, ${viaSocket.length} runs): ${summary(viaSocket)}`);
    say(`auth latency, qlink CLI process -> first packet forwarded (ms, ${viaCli.length} runs): ${summary(viaCli)}`);
    say(`agent RSS with 501 sessions: ${rssMb(pid).toFixed(1)} MB`);

    const gated = { down: await iperf(true, 5), up: await iperf(false, 5) };
    say(`forwarding, no agent:        down ${noAgent.down.toFixed(2)} Gbit/s, up ${noAgent.up.toFixed(2)} Gbit/s`);
    say(`forwarding, gate + 501 sess: down ${gated.down.toFixed(2)} Gbit/s, up ${gated.up.toFixed(2)} Gbit/s`);
    say(`throughput ratio (gate / none): down ${(gated.down / noAgent.down).toFixed(2)}, up ${(gated.up / noAgent.up).toFixed(2)}`);

    for (const line of fakes.slice(500)) await call(sock, { cmd: 'auth', guest: fakeMac(line) });
    const walls: number[] = [];
    const cpu0 = cpuMs(pid);
    const polls = 40;
    let last = -1;
    while (walls.length < polls) {
      const st = (await call(sock, { cmd: 'status' })) as { gate: { lastPollAt: number; lastPollMs: number } };
      if (st.gate.lastPollAt !== last) { if (last !== -1) walls.push(st.gate.lastPollMs); last = st.gate.lastPollAt; }
      await sleep(100);
    }
    const cpuPerTick = (cpuMs(pid) - cpu0) / polls;
    say(`one poll with 1,001 sessions (counters read + metered + limits checked), wall ms: ${summary(walls)}`);
    say(`CPU per poll interval with 1,001 sessions (agent + its nft/ip children, incl. guest discovery): ${cpuPerTick.toFixed(1)} ms`);
    say(`agent RSS with 1,001 sessions: ${rssMb(pid).toFixed(1)} MB`);
  } finally {
    await tb.down(ID);
  }
}

await main();
