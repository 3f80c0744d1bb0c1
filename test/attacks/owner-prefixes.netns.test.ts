import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import * as tb from '../../scripts/lib/testbed/index.js';
import { clients, pollUntil, qlink, sh, tcpProbe, useTestbed } from '../helpers/testbed.js';

/**
 * The owner's own LAN sits behind the router on public prefixes (no default
 * blocklist covers 198.51.100.0/24 or 2001:db8:2::/64): guests, paying or
 * not, reach none of it, nor the router's own LAN and WAN addresses beyond
 * DHCP, DNS and the portal, over IPv4 or IPv6; and a lease dnsmasq gave on
 * the owner's LAN is not a guest (issue 16, item 5).
 */
const ID = 'atk_owner';

t.test("guests reach none of the owner's prefixes", async (t) => {
  const bed = await useTestbed(t, ID, { clients: 2, ownerLan: true, agent: true, agentConfig: { backend: 'nftables' } });
  const [c1] = bed.clients as [tb.ClientInfo, tb.ClientInfo];
  const owner = bed.owner!;
  t.equal((await qlink(ID, ['auth', c1.mac])).code, 0, 'c1 pays; c2 stays held');
  const get = (who: string, addr: string) => sh(ID, who, `curl -sS -g -m 4 http://${addr.includes(':') ? `[${addr}]` : addr}/`);
  for (const addr of [owner.ip4, owner.ip6]) t.match((await get('router', addr)).stdout, /upstream ok/, `the owner's host ${addr} is really there`);
  t.match((await sh(ID, 'c1', `curl -sS -m 5 http://${bed.upstream.ip4}/`)).stdout, /upstream ok/, 'c1 is online');

  for (const [who, state] of [
    ['c1', 'paying'],
    ['c2', 'held'],
  ] as const) {
    for (const addr of [owner.ip4, owner.ip6]) {
      // A held guest's port 80 is the portal wherever it points; what matters is that the owner's host never answers.
      t.notMatch((await get(who, addr)).stdout, /upstream ok/, `${state} ${who} gets nothing from the owner's host at ${addr}`);
      const ping = await sh(ID, who, `ping -c1 -W1 ${addr}`);
      t.match(ping.stdout, /, 100% packet loss/, `${state} ${who} cannot ping ${addr}`);
    }
    // The router's own addresses on its other interfaces: the WAN's, and the owner's LAN's.
    for (const addr of [bed.router.wan4, bed.router.wan6, '198.51.100.1', '2001:db8:2::1']) {
      t.not((await tcpProbe(ID, who, addr, 22)).result, 'open', `${state} ${who} cannot reach the router's ssh at ${addr}`);
    }
  }
  const status = JSON.parse((await qlink(ID, ['status', '--json'])).stdout) as { pid: number };
  t.ok(status.pid, 'the agent runs');
  const ruleset = (await tb.exec(ID, 'router', ['nft', 'list', 'set', 'inet', 'qlink', 'blocked6'])).stdout;
  t.match(ruleset, /2001:db8:2::\/64/, "the owner's IPv6 prefix was found on the router and blocked");
  t.match((await tb.exec(ID, 'router', ['nft', 'list', 'set', 'inet', 'qlink', 'blocked4'])).stdout, /198\.51\.100\.0\/24/, 'and its IPv4 one');

  await t.test("a lease on the owner's LAN is not a guest", async (t) => {
    // One dnsmasq serves every interface on OpenWrt and writes their leases to one file.
    const lan = { mac: '02:0a:0b:0c:0d:0e', ip: owner.ip4 };
    const guest = { mac: '02:0a:0b:0c:0d:0f', ip: '10.250.0.77' };
    appendFileSync(join(bed.stateDir, 'dnsmasq.leases'), `0 ${lan.mac} ${lan.ip} owners-nas *\n0 ${guest.mac} ${guest.ip} visitor *\n`);
    const listed = await pollUntil(
      5000,
      () => clients(ID),
      (l) => l.some((c) => c.mac === guest.mac),
    );
    t.ok(
      listed.some((c) => c.mac === guest.mac),
      'the lease in the guest subnet, written with it, is a guest',
    );
    t.notOk(
      listed.some((c) => c.mac === lan.mac),
      "the owner's NAS is not listed",
    );
    for (const ref of [lan.mac, lan.ip]) {
      const r = await qlink(ID, ['auth', ref]);
      t.not(r.code, 0, `qlink auth ${ref} is refused`);
      t.match(r.stderr, /unknown guest/, 'as an unknown guest');
    }
    const bound = (await tb.exec(ID, 'router', ['nft', 'list', 'set', 'inet', 'qlink', 'bound4'])).stdout;
    t.match(bound, `${guest.mac} . ${guest.ip}`, "the gate binds the visitor's lease");
    t.notMatch(bound, lan.mac, "and nothing for the NAS's MAC");
  });
});
