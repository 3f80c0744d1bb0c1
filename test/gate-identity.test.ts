import t from 'tap';
import { renderHeldConfig } from '../agent/src/gate/held-dns.js';
import { GateLocks } from '../agent/src/gate/locks.js';
import { renderBindings } from '../agent/src/gate/nft-script.js';
import { leaseBindings } from '../agent/src/guests/bindings.js';
import { parseNativeNeighbours } from '../agent/src/guests/neighbours.js';
import { ipv4Number, networkOf, ownerPrefixes } from '../agent/src/net/prefixes.js';

t.test('bindings come from leases only, one MAC per address', async (t) => {
  const b = leaseBindings([
    { mac: '02:00:00:00:00:01', ip: '10.250.0.5', family: 4, source: 'lease' },
    { mac: '02:00:00:00:00:02', ip: '10.250.0.5', family: 4, source: 'lease' },
    { mac: '02:00:00:00:00:03', ip: '10.250.0.6', family: 4, source: 'neigh' },
    { mac: '02:00:00:00:00:04', ip: '2001:db8::4', family: 6, source: 'lease' },
  ]);
  t.same(b, [{ mac: '02:00:00:00:00:02', ip: '10.250.0.5' }], 'the later lease wins; neighbour entries (what a spoofer writes) and v6 are not sources');
  t.same(
    renderBindings(b, [{ mac: '02:00:00:00:00:01', ip: '10.250.0.5' }]),
    [
      'delete element inet qlink bound4 { 02:00:00:00:00:01 . 10.250.0.5 }',
      'delete element inet qlink owned4 { 10.250.0.5 }',
      'delete element arp qlink bound4 { 02:00:00:00:00:01 . 10.250.0.5 }',
      'delete element arp qlink owned4 { 10.250.0.5 }',
      'add element inet qlink bound4 { 02:00:00:00:00:02 . 10.250.0.5 }',
      'add element inet qlink owned4 { 10.250.0.5 }',
      'add element arp qlink bound4 { 02:00:00:00:00:02 . 10.250.0.5 }',
      'add element arp qlink owned4 { 10.250.0.5 }',
    ],
    'a moved address: deletions first, in the forward table and the ARP table, one transaction',
  );
});

t.test("the native reader's neighbours: no routers, multicast or failed entries, not the router itself", async (t) => {
  const text = [
    '10.250.0.163 02:00:00:00:00:01 STALE',
    'ff02::1 33:33:00:00:00:01 NOARP',
    'fe80::1 8e:6c:cb:57:fb:c4 STALE router',
    '10.250.0.9 02:00:00:00:00:09 FAILED',
    '10.250.0.1 8e:6c:cb:57:fb:c4 REACHABLE',
    '2001:db8:1:0:0:0:0:7 02:00:00:00:00:07 REACHABLE',
    '',
  ].join('\n');
  t.same(parseNativeNeighbours(text, '8e:6c:cb:57:fb:c4'), [
    { mac: '02:00:00:00:00:01', ip: '10.250.0.163', family: 4, source: 'neigh' },
    { mac: '02:00:00:00:00:07', ip: '2001:db8:1::7', family: 6, source: 'neigh' },
  ]);
});

t.test("the owner's prefixes: other LANs' subnets, their routes, unreachable prefixes, the router's own WAN addresses", async (t) => {
  t.equal(networkOf('192.168.1.77', 24), '192.168.1.0/24');
  t.equal(networkOf('2001:db8:2:0:1:2:3:4', 64), '2001:db8:2::/64');
  t.equal(networkOf('10.1.2.3', 0), '0.0.0.0/0');
  // The top bit set: 32-bit arithmetic that forgot to stay unsigned would print a negative octet.
  t.equal(networkOf('203.0.113.200', 25), '203.0.113.128/25');
  t.equal(networkOf('255.255.255.255', 32), '255.255.255.255/32');
  t.equal(ipv4Number('255.255.255.255'), 0xffffffff);
  for (const bad of ['10.0.0', '10.0.0.256', '10..0.1', '10.0.0.1.2', '10.0.0.x']) t.equal(ipv4Number(bad), null, bad);
  const addrs = JSON.stringify([
    { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
    { ifname: 'br-guest', addr_info: [{ family: 'inet', local: '10.250.0.1', prefixlen: 24, scope: 'global' }] },
    {
      ifname: 'br-lan',
      addr_info: [
        { family: 'inet', local: '192.168.1.1', prefixlen: 24, scope: 'global' },
        { family: 'inet6', local: '2001:db8:77:10::1', prefixlen: 64, scope: 'global' },
        { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
      ],
    },
    {
      ifname: 'wan',
      addr_info: [
        { family: 'inet', local: '203.0.113.7', prefixlen: 24, scope: 'global' },
        { family: 'inet6', local: '2001:db8:ff::7', prefixlen: 64, scope: 'global' },
      ],
    },
  ]);
  const routes4 = JSON.stringify([
    { dst: 'default', dev: 'wan' },
    { dst: '172.20.0.0/16', dev: 'vpn0' },
    { dst: '203.0.113.0/24', dev: 'wan' },
  ]);
  const routes6 = JSON.stringify([
    { dst: '2001:db8:77::/56', type: 'unreachable', dev: 'lo' },
    { dst: 'fe80::/64', dev: 'br-lan' },
  ]);
  t.same(
    ownerPrefixes(addrs, [routes4, routes6], 'br-guest', ['wan']),
    {
      own4: ['172.20.0.0/16', '192.168.1.0/24', '203.0.113.7/32'],
      own6: ['2001:db8:77:10::/64', '2001:db8:77::/56', '2001:db8:ff::7/128'],
    },
    "the WAN subnet is the ISP's and stays reachable; the guests' own subnet is theirs",
  );
});

t.test("held guests' resolver: every name the portal, the garden's for real, no TXT", async (t) => {
  const conf = renderHeldConfig({ guestInterface: 'br-lan', gardenNames: ['pay.example'], portal: ['10.250.0.1', '2001:db8:1::1'], dir: '/tmp' });
  t.match(conf, /^port=5453$/m);
  t.match(conf, /^no-resolv$/m, 'nothing forwarded by default');
  t.match(conf, /^address=\/#\/10\.250\.0\.1$/m);
  t.match(conf, /^address=\/#\/2001:db8:1::1$/m);
  t.match(conf, /^server=\/pay\.example\/127\.0\.0\.1#53$/m);
  t.match(conf, /^filter-rr=TXT,/m);
  t.match(conf, /^no-dhcp-interface=br-lan$/m, "the router's own dnsmasq keeps DHCP");
});

t.test("locks: one guest's operations in order, different guests side by side, rebuilds alone", async (t) => {
  const locks = new GateLocks();
  const log: string[] = [];
  const step = (name: string, ms: number) => async () => {
    log.push(`${name}+`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`${name}-`);
    return name;
  };
  const a1 = locks.key('a', step('a1', 30));
  const b1 = locks.key('b', step('b1', 5));
  const a2 = locks.key('a', step('a2', 5));
  const x = locks.exclusive(step('x', 5));
  const b2 = locks.key('b', step('b2', 5));
  await Promise.all([a1, b1, a2, x, b2]);
  t.ok(log.indexOf('b1+') < log.indexOf('a1-'), 'b1 ran while a1 did');
  t.ok(log.indexOf('a2+') > log.indexOf('a1-'), 'a2 waited for a1');
  t.ok(log.indexOf('x+') > log.indexOf('a2-') && log.indexOf('x+') > log.indexOf('b1-'), 'the rebuild waited for everything before it');
  t.ok(log.indexOf('b2+') > log.indexOf('x-'), 'and what came after waited for the rebuild');
  t.equal(await locks.key('a', async () => 'again'), 'again');
  await t.rejects(
    locks.key('a', async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  t.equal(await locks.key('a', async () => 'after a failure'), 'after a failure', 'a failure does not block the key');
});
