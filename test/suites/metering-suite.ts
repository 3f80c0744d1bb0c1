import type { Test } from 'tap';
import * as tb from '../../scripts/lib/testbed/index.js';
import type { BackendUnderTest } from './backends.js';
import { client, curlArgs, qlink, sampleWire, sh, shellJoin, sleep, useTestbed } from '../helpers/testbed.js';

const MB = 1_000_000;

/** Metering from kernel counters (the gate issue), against one backend. */
export async function meteringSuite(t: Test, ID: string, backend: BackendUnderTest): Promise<void> {
  const bed = await useTestbed(t, ID, { clients: 2, agent: true, agentConfig: backend.agentConfig });
  const [c1, c2] = bed.clients as [tb.ClientInfo, tb.ClientInfo];
  const up = bed.upstream;
  for (const c of [c1, c2]) t.equal((await qlink(ID, ['auth', c.mac])).code, 0);

  await t.test('a 20 MB download and a 5 MB upload are counted within [payload, payload x 1.05]', async (t) => {
    for (const [who, v6] of [
      [c1, false],
      [c2, true],
    ] as const) {
      const host = v6 ? `[${up.ip6}]` : up.ip4;
      const before = await client(ID, who.mac);
      const dl = await tb.exec(ID, who.name, curlArgs(`http://${host}/bytes/${20 * MB}`), { timeoutMs: 60_000 });
      t.match(dl.stdout, new RegExp(`^200 ${20 * MB} `), dl.stderr);
      const mid = await client(ID, who.mac);
      const ul = await sh(ID, who.name, `head -c ${5 * MB} /dev/zero | ${shellJoin(curlArgs(`http://${host}/upload`, ['--data-binary', '@-']))}`);
      t.match(ul.stdout, new RegExp(`^200 \\d+ ${5 * MB}$`), ul.stderr);
      const after = await client(ID, who.mac);
      const down = mid.bytesDown - before.bytesDown;
      const upBytes = after.bytesUp - mid.bytesUp;
      const label = v6 ? 'IPv6' : 'IPv4';
      t.ok(down >= 20 * MB && down <= 20 * MB * 1.05, `${label} download counted ${down} bytes for ${20 * MB}`);
      t.ok(upBytes >= 5 * MB && upBytes <= 5 * MB * 1.05, `${label} upload counted ${upBytes} bytes for ${5 * MB}`);
    }
  });

  await t.test('kill -9 of the agent during a download loses no byte', async (t) => {
    const before = await client(ID, c1.mac);
    const payload = 30 * MB;
    const dl = tb.exec(ID, 'c1', curlArgs(`http://${up.ip4}/bytes/${payload}`, ['--limit-rate', '8M']), { timeoutMs: 60_000 });
    await sleep(1200);
    const killed = await tb.agentKill(ID);
    t.ok(killed.pid, `agent ${killed.pid} killed with SIGKILL`);
    await sleep(800);
    await tb.agentStart(ID);
    const r = await dl;
    t.match(r.stdout, new RegExp(`^200 ${payload} `), 'the download went on through the restart');
    const after = await client(ID, c1.mac);
    t.equal(after.sessionId, before.sessionId, 'the session went on');
    const counted = after.bytesDown - before.bytesDown;
    t.ok(counted >= payload && counted <= payload * 1.05, `counted ${counted} bytes for ${payload} across the kill`);
  });

  await t.test(`${backend.flushAll.label} during a download: gate back within 5 s, loss within the bound`, async (t) => {
    const before = await client(ID, c2.mac);
    const rate = 4 * MB;
    const payload = 24 * MB;
    // What crossed the router's port to c2, and when: the loss is bounded by the window's real traffic.
    const wire = sampleWire(ID, 'router', c2.port, 'tx');
    const dl = tb.exec(ID, 'c2', curlArgs(`http://${up.ip4}/bytes/${payload}?rate=${rate}`), { timeoutMs: 60_000 });
    await sleep(2000);
    t.equal(await backend.flushAll.run(ID), 0);
    const flushedAt = Date.now();
    let back = false;
    while (Date.now() - flushedAt < 5000) {
      if (await backend.gateBack(ID)) {
        back = true;
        break;
      }
      await sleep(50);
    }
    const restoreMs = Date.now() - flushedAt;
    t.ok(back, `the gate is back after ${restoreMs} ms (< 5000)`);
    const held = await sh(ID, 'c1', `curl -sS -m 5 -D - -o /dev/null http://${up.ip4}/`);
    t.ok(held.code === 0, 'the other guest is served again');
    const r = await dl;
    const samples = await wire.stop();
    t.match(r.stdout, new RegExp(`^200 ${payload} `), 'the download finished');
    const after = await client(ID, c2.mac);
    const status = JSON.parse((await qlink(ID, ['status', '--json'])).stdout);
    const gate = status.gate as { lastLossWindowMs: number; lastRestoreAt: number; recentPolls: Array<{ at: number; ms: number }> };
    const windowMs = gate.lastLossWindowMs;
    const counted = after.bytesDown - before.bytesDown;
    const lost = payload - counted;
    // The window opens when the last good poll began reading (its counters are from then on) and closes at the rebuild.
    const lastGood = gate.lastRestoreAt - windowMs;
    const goodPoll = gate.recentPolls.find((p) => p.at === lastGood);
    t.ok(goodPoll, `the last good poll (at ${lastGood}) is among the agent's recent polls`);
    const readStart = lastGood - (goodPoll?.ms ?? 0);
    const crossed = samples.between(readStart, gate.lastRestoreAt);
    t.ok(counted <= payload * 1.05, `counted ${counted} for ${payload}`);
    t.ok(
      lost <= crossed,
      `lost ${lost} bytes; bound ${crossed} = what crossed to c2 from the last good read to the rebuild (${gate.lastRestoreAt - readStart} ms; at the paced ${rate} B/s it would be ${Math.round((rate * (gate.lastRestoreAt - readStart)) / 1000)})`,
    );
    t.equal(status.gate.restores, 1);
  });

  await t.test(`${backend.flushHooks.label}: rules back within 5 s, counters kept`, async (t) => {
    const before = await client(ID, c1.mac);
    t.equal(await backend.flushHooks.run(ID), 0);
    const flushedAt = Date.now();
    let back = false;
    while (Date.now() - flushedAt < 5000) {
      if (await backend.hooksBack(ID)) {
        back = true;
        break;
      }
      await sleep(100);
    }
    t.ok(back, `rules back after ${Date.now() - flushedAt} ms (< 5000)`);
    const after = await client(ID, c1.mac);
    t.ok(after.bytesDown >= before.bytesDown, 'no counted byte went missing');
    t.equal(after.state, 'authorized');
  });
}
