import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import * as tb from '../../scripts/lib/testbed/index.js';
import { statusSchema, type Status } from '../../protocol/src/index.js';
import { TEST_GATEWAY_KEY } from '../helpers/gateway-key.js';
import { mosquittoConf } from '../helpers/mosquitto.js';
import { client, qlink, sh, sleep, useTestbed } from '../helpers/testbed.js';
import { arpPoison, ndPoison, udpFrom, udpSink } from './packets.js';

/**
 * Guest A (c1, itself a paying guest) takes guest B's (c2) IPv4 and IPv6
 * addresses and poisons the router's ARP and neighbour tables with them,
 * then sends traffic from them. B must stay online, the router must keep
 * B's MAC for B's addresses, and nothing A sends from B's addresses may
 * leave the router; the gate counts what it dropped and the agent's status
 * telemetry (MQTT, through a real mosquitto) reports it. A's logout sent from
 * B's address never reaches the portal, so B's session stays (issue 16, item 2).
 */
const ID = 'atk_spoof';
const BROKER_PORT = 1883;
const dir = mkdtempSync(join(tmpdir(), 'qlink-spoof-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
/** Prints each retained or fresh status of any router, one JSON line each, as the gateway would receive it. */
const statusWatch = (url: string) => `import mqtt from 'mqtt';
const c = mqtt.connect(${JSON.stringify(url)});
c.on('connect', () => c.subscribe('qlink/v1/+/status', { qos: 1 }));
c.on('message', (_t, m) => process.stdout.write(m.toString().replace(/\\n/g, ' ') + '\\n'));`;
const py = (id: string, host: string, code: string, timeoutMs = 30_000) => tb.exec(id, host, ['/usr/bin/python3', '-c', code], { timeoutMs });

t.test("a guest that takes another's addresses and poisons ARP and ND", async (t) => {
  const bed = await useTestbed(t, ID, { clients: 2 });
  const [a, b] = bed.clients as [tb.ClientInfo, tb.ClientInfo];
  const up = bed.upstream;
  const url = `mqtt://${up.ip4}:${BROKER_PORT}`;
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, mosquittoConf(BROKER_PORT, up.ip4));
  const broker = tb.spawn(ID, 'upstream', ['/usr/sbin/mosquitto', '-c', conf], { stdio: 'ignore' });
  t.teardown(async () => {
    await tb.agentKill(ID).catch(() => {});
    broker.kill();
  });
  for (let i = 0; (await sh(ID, 'upstream', `exec 3<>/dev/tcp/${up.ip4}/${BROKER_PORT}`)).code !== 0; i++) {
    if (i > 50) throw new Error('mosquitto did not start listening');
    await sleep(100);
  }
  const watch = tb.spawn(ID, 'upstream', ['node', '--input-type=module', '-e', statusWatch(url)], { env: { NODE_OPTIONS: '' } });
  t.teardown(() => {
    watch.kill();
  });
  const statuses: Status[] = [];
  let partial = '';
  watch.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      const s = l.trim() ? statusSchema.safeParse(JSON.parse(l)) : null; // the last will (offline) is not a status
      if (s?.success) statuses.push(s.data);
    }
  });
  await tb.agentStart(ID, {
    backend: 'nftables',
    chain: { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' },
    uplink: { url, gatewayKey: TEST_GATEWAY_KEY, reconnectMs: 300, statusIntervalMs: 1000 },
  });
  /** The spoof counters of the first status published after `since` that has them. */
  const telemetry = async (since: number) => {
    for (let i = 0; i < 100; i++) {
      const s = statuses.find((x) => x.at > since && x.spoofed);
      if (s) return s.spoofed!;
      await sleep(100);
    }
    throw new Error(`no status with spoof counters after ${since} (${statuses.length} statuses seen)`);
  };
  for (const c of [a, b]) t.equal((await qlink(ID, ['auth', c.mac])).code, 0, `${c.name} authorised`);
  const routerMac = (await sh(ID, 'router', `cat /sys/class/net/${bed.router.bridge}/address`)).stdout.trim();
  const neigh = async (ip: string) => {
    const j = JSON.parse((await tb.exec(ID, 'router', ['ip', '-j', 'neigh', 'show', 'dev', bed.router.bridge, 'to', ip])).stdout || '[]') as Array<{
      lladdr?: string;
    }>;
    return j[0]?.lladdr;
  };
  // The gate's poll reads the spoof counters; a status published after the poll that follows `now` carries them.
  const spoofed = async () => {
    const now = Date.now();
    await sleep(1100);
    return telemetry(now + 1100);
  };

  // B is busy: pings out over both families for the whole attack (its first packets also claim its IPv6 address).
  const pings = [up.ip4, up.ip6].map((dst) => sh(ID, b.name, `ping -c 60 -i 0.1 -W 1 ${dst}`, 60_000));
  await sleep(1000);
  t.equal(await neigh(b.ip4), b.mac, "the router has B's MAC for B's IPv4 address");
  t.equal(await neigh(b.ip6), b.mac, "and for B's IPv6 address");
  const before = await spoofed();

  // The upstream listens for anything A manages to send from B's addresses.
  const sink = tb.spawn(ID, 'upstream', ['/usr/bin/python3', '-u', '-c', udpSink(9001)]);
  let leaked = '';
  sink.stdout!.on('data', (d) => {
    leaked += d;
  });
  await sleep(300);

  // A takes B's addresses on its own interface and tells the router they are its own.
  t.equal((await sh(ID, a.name, `ip addr add ${b.ip4}/32 dev eth0 && ip -6 addr add ${b.ip6}/128 dev eth0 nodad`)).code, 0, "A took B's addresses");
  const [arp, nd] = await Promise.all([
    py(ID, a.name, arpPoison({ ifname: 'eth0', mac: a.mac, ip: b.ip4, routerMac, routerIp: bed.router.lan4, count: 40 })),
    py(ID, a.name, ndPoison({ ifname: 'eth0', mac: a.mac, ip6: b.ip6, routerIp6: bed.router.lan6, count: 40 })),
    py(ID, a.name, udpFrom({ src: b.ip4, dst: up.ip4, port: 9001, count: 50 })),
    py(ID, a.name, udpFrom({ src: b.ip6, dst: up.ip6, port: 9001, count: 50 })),
  ]);
  t.match(arp.stdout, /sent 80/, `A sent its ARP: ${arp.stderr.trim()}`);
  t.match(nd.stdout, /sent 120/, `A sent its neighbour advertisements and solicitations: ${nd.stderr.trim()}`);
  // A also tries the router itself from B's address: B's portal page, and B's logout.
  await sh(ID, a.name, `curl -sS -m 2 --interface ${b.ip4} -o /dev/null http://${bed.router.lan4}:8088/ ; true`);
  const logout = await sh(
    ID,
    a.name,
    `curl -sS -m 3 --interface ${b.ip4} -X POST -H 'content-type: application/json' -d '{}' -w '%{http_code}' -o /dev/null http://${bed.router.lan4}:8088/api/logout`,
  );
  t.not(logout.stdout.trim(), '200', `A's logout from B's address got no answer from the portal: ${logout.stdout.trim() || logout.stderr.trim()}`);
  const bView = await client(ID, b.mac);
  t.equal(bView.state, 'authorized', "B is still authorised after A's logout from B's address");
  await sleep(1500);

  t.equal(await neigh(b.ip4), b.mac, "after the attack the router still has B's MAC for B's IPv4 address");
  t.equal(await neigh(b.ip6), b.mac, "and for B's IPv6 address");
  for (const [i, p] of (await Promise.all(pings)).entries()) {
    const loss = Number(/(\d+(?:\.\d+)?)% packet loss/.exec(p.stdout)?.[1] ?? 100);
    t.ok(loss <= 5, `B stayed online over IPv${i ? 6 : 4}: ${loss} % of 60 pings lost during the attack`);
  }
  sink.kill();
  t.equal(leaked.trim(), '', "none of A's datagrams from B's addresses reached the upstream");
  const after = await spoofed();
  t.ok(after.v4 - before.v4 >= 50, `A's IPv4 packets from B's address were counted and dropped: ${after.v4 - before.v4}`);
  t.ok(after.v6 - before.v6 >= 50, `A's IPv6 packets and neighbour messages from B's address were counted and dropped: ${after.v6 - before.v6}`);
  t.ok(after.arp - before.arp >= 40, `A's ARP claiming B's address was counted and dropped: ${after.arp - before.arp}`);
  const aOwn = await tb.exec(ID, a.name, ['curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${up.ip4}/`]);
  t.equal(aOwn.stdout, '200', 'A itself is still served from its own address');
});
