import t from 'tap';
import { parseLeases } from '../agent/src/guests/leases.js';
import { parseNeighbours } from '../agent/src/guests/neighbours.js';
import { normalizeIp, normalizeMac, parseGuestRef } from '../agent/src/net/address.js';

t.test('dnsmasq leases: v4 lines with a MAC, expired and DHCPv6 lines skipped', async (t) => {
  const text = [
    '2000 02:00:00:00:00:01 10.250.0.100 phone *',
    '500 02:00:00:00:00:02 10.250.0.101 * *',
    'duid 00:01:00:01:2c:aa',
    '2000 1234 2001:db8:1::50 * 00:01',
    '0 02:00:00:00:00:03 10.250.0.102 laptop 01:02',
    'garbage',
  ].join('\n');
  t.same(parseLeases(text, 1000), [
    { mac: '02:00:00:00:00:01', ip: '10.250.0.100', family: 4, source: 'lease', hostname: 'phone' },
    { mac: '02:00:00:00:00:03', ip: '10.250.0.102', family: 4, source: 'lease', hostname: 'laptop' },
  ]);
});

t.test('neighbour table: resolved entries only, IPv6 in canonical form', async (t) => {
  const json = JSON.stringify([
    { dst: '2001:DB8:1:0:0:0:0:5', lladdr: '02:00:00:00:00:01', state: ['REACHABLE'] },
    { dst: '10.250.0.9', state: ['FAILED'] },
    { dst: '10.250.0.8', lladdr: '02:00:00:00:00:02', state: ['INCOMPLETE'] },
    { dst: 'fe80::1', lladdr: '02:00:00:00:00:aa', router: null, state: ['STALE'] },
    { dst: '10.250.0.1', lladdr: '02:00:00:00:00:bb', state: ['REACHABLE'] },
  ]);
  t.same(parseNeighbours(json, '02:00:00:00:00:bb'), [{ mac: '02:00:00:00:00:01', ip: '2001:db8:1::5', family: 6, source: 'neigh' }]);
  t.same(parseNeighbours('not json'), []);
});

t.test('guest names: MACs and IPs, nothing else', async (t) => {
  t.equal(normalizeMac('02-00-00-AA-BB-CC'), '02:00:00:aa:bb:cc');
  t.equal(normalizeMac('02:00:00:aa:bb'), null);
  t.same(normalizeIp('2001:db8::0:1'), { ip: '2001:db8::1', family: 6 });
  t.equal(parseGuestRef('; rm -rf /'), null);
  t.equal(parseGuestRef('999.1.1.1'), null);
});
