import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { GuestDiscovery, guestLeases } from '../agent/src/guests/discovery.js';
import { parseLeases } from '../agent/src/guests/leases.js';
import type { CommandRunner } from '../agent/src/kernel/run.js';

// One lease file for every interface dnsmasq serves, as on OpenWrt: the guest
// network's two subnets, the owner's LAN and a leftover from a subnet since removed.
const LEASES = [
  '0 02:00:00:00:00:01 10.250.0.100 guest-phone *',
  '0 02:00:00:00:00:02 10.251.7.9 guest-laptop *',
  '0 02:00:00:00:00:03 192.168.1.50 owners-nas *',
  '0 02:00:00:00:00:04 10.250.1.5 * *',
].join('\n');
const GUEST_SUBNETS = [
  { address: '10.250.0.1', prefixLength: 24 },
  { address: '10.251.0.1', prefixLength: 16 },
];

t.test("leases outside the guest interface's subnets are not guests", async (t) => {
  const macs = guestLeases(parseLeases(LEASES, 0), GUEST_SUBNETS).map((s) => s.mac);
  t.same(macs, ['02:00:00:00:00:01', '02:00:00:00:00:02'], 'the two guests; the NAS on the LAN and 10.250.1.5 (outside 10.250.0.0/24) left out');
  t.same(guestLeases(parseLeases(LEASES, 0), []), [], 'a guest interface without an IPv4 address has no lease of its own');
  t.same(
    guestLeases(parseLeases(LEASES, 0), [{ address: '192.168.1.1', prefixLength: 24 }]).map((s) => s.ip),
    ['192.168.1.50'],
    'a guest network on 192.168.1.0/24 is the one that NAS is on',
  );
});

t.test('GuestDiscovery lists the guest subnets’ leases and the guest interface’s neighbours, nothing of the LAN', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-discovery-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dhcp.leases');
  writeFileSync(file, LEASES);
  const asked: string[][] = [];
  const runner: CommandRunner = {
    run: async (argv) => {
      asked.push([...argv]);
      return JSON.stringify([{ dst: '2001:db8:1::5', lladdr: '02:00:00:00:00:01', state: ['REACHABLE'] }]);
    },
  };
  const discovery = new GuestDiscovery(runner, 'br-guest', file, null, (name) => (name === 'br-guest' ? GUEST_SUBNETS : []));
  const seen = await discovery.sightings(Date.now());
  t.same(
    seen.map((s) => `${s.source} ${s.mac} ${s.ip}`),
    ['lease 02:00:00:00:00:01 10.250.0.100', 'lease 02:00:00:00:00:02 10.251.7.9', 'neigh 02:00:00:00:00:01 2001:db8:1::5'],
  );
  t.same(asked, [['ip', '-j', 'neigh', 'show', 'dev', 'br-guest']], "the neighbours asked for are the guest interface's only");
});
