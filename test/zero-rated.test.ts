import t from 'tap';
import { renderGrantElements, renderRevokeElements, renderStatic } from '../agent/src/gate/nft-script.js';
import { nftsetLines, zeroZones } from '../agent/src/gate/zero-rated.js';
import { renderHeldConfig, renderPaidConfig } from '../agent/src/gate/held-dns.js';
import { planSchema, planTerms } from '../agent/src/plans.js';
import {
  decodePlanTerms,
  encodePlanTerms,
  RECORD_BYTES,
  RECORD_BYTES_ZERO,
  recordBytes,
  recordSchema,
  toHex,
  type UsageRecord,
} from '../protocol/src/index.js';

const KEY = '02' + '11'.repeat(32);
const record: UsageRecord = { id: 1, sessionId: 2, channelId: 3, startMs: 4, endMs: 5, bytesDown: 6, bytesUp: 7, seconds: 8, cost: 9, voucher: null };

t.test('a record with zero-rated bytes is version 2 with them at the end; without any it is version 1, byte for byte', async (t) => {
  const v1 = recordBytes(KEY, record);
  t.equal(v1.length, RECORD_BYTES);
  t.equal(v1[0], 1);
  t.equal(toHex(recordBytes(KEY, { ...record, zeroDown: 0, zeroUp: 0 })), toHex(v1), 'zero of each is the same record as none');
  const v2 = recordBytes(KEY, { ...record, zeroDown: 0x0102, zeroUp: 3 });
  t.equal(v2.length, RECORD_BYTES_ZERO);
  t.equal(v2[0], 2);
  t.same([...v2.subarray(1, RECORD_BYTES)], [...v1.subarray(1)], 'the version-1 fields unchanged');
  t.equal(toHex(v2.subarray(RECORD_BYTES)), '0201000000000000' + '0300000000000000', 'zeroDown, zeroUp as u64 little-endian');
  t.ok(recordSchema.safeParse({ ...record, zeroDown: 1, zeroUp: 2 }).success, 'the wire schema takes them');
  t.ok(recordSchema.safeParse(record).success, 'and a record without them, as every batch before');
});

const plans = [
  planSchema.parse({ id: 'a', name: 'A', zeroRated: ['Chat.Example', '192.0.2.0/24', '2001:db8:5::/48'], zeroRatedWithoutCredit: true }),
  planSchema.parse({ id: 'b', name: 'B' }),
  planSchema.parse({ id: 'c', name: 'C', zeroRated: ['chat.example', 'mail.example'] }),
];

t.test('plans name zero-rated host names and prefixes; anything else is refused', async (t) => {
  for (const bad of ['not a host', '192.0.2.0/33', 'http://x.example', '10.0.0.1/8/2', 'localhost']) {
    t.notOk(planSchema.safeParse({ id: 'x', name: 'X', zeroRated: [bad] }).success, `refused: ${bad}`);
  }
  const terms = decodePlanTerms(encodePlanTerms(planTerms(plans[0]!)));
  t.same(
    terms.zeroRated.map((z) => (z.kind === 'host' ? z.host : `${[...z.address].join(',')}/${z.prefix}`)),
    ['chat.example', '192,0,2,0/24', '32,1,13,184,0,5,0,0,0,0,0,0,0,0,0,0/48'],
    "the chain's terms carry them",
  );
  t.equal(terms.zeroRatedWithoutCredit, true);
});

t.test("one zone per plan with zero-rated destinations; one nftset line per name with every zone's sets", async (t) => {
  const zones = zeroZones(plans);
  t.same(
    zones.map((z) => [z.zone, z.plan, z.hosts, z.v4, z.v6, z.withoutCredit]),
    [
      [1, 'a', ['chat.example'], ['192.0.2.0/24'], ['2001:db8:5::/48'], true],
      [2, 'c', ['chat.example', 'mail.example'], [], [], false],
    ],
  );
  t.same(nftsetLines(zones, null), [
    'nftset=/chat.example/4#inet#qlink#zd4_1,6#inet#qlink#zd6_1,4#inet#qlink#zd4_2,6#inet#qlink#zd6_2',
    'nftset=/mail.example/4#inet#qlink#zd4_2,6#inet#qlink#zd6_2',
  ]);
  const paid = renderPaidConfig({ guestInterface: 'br-lan', zeroSets: nftsetLines(zones, null) });
  t.match(paid, /^port=5454$/m);
  t.match(paid, /^server=127\.0\.0\.1#53$/m, "paying guests' names all go to the router's resolver");
  t.match(paid, /^cache-size=0$/m, 'with no cache of its own, so every answer passes the sets');
  const kept = zones.filter((z) => z.withoutCredit);
  const held = renderHeldConfig({
    guestInterface: 'br-lan',
    gardenNames: [],
    portal: ['10.0.0.1'],
    dir: '/tmp',
    zeroNames: kept.flatMap((z) => z.hosts),
    zeroSets: nftsetLines(kept, null),
  });
  t.match(held, /^server=\/chat\.example\/127\.0\.0\.1#53$/m, "held guests get the kept zone's names answered");
  t.notMatch(held, /mail\.example/, 'and not the names of zones that need credit');
});

t.test('a zoned grant: the charged half and the zero-rated half; an uncharged grant only the latter', async (t) => {
  const g = { sessionId: 7, mac: '02:00:00:00:00:01', classMinor: 0x10, zone: 2 };
  const zero = 0x4000_0007;
  t.same(
    renderGrantElements(g).slice(5),
    [
      `add element inet qlink up_ctr { 02:00:00:00:00:01 . ${zero} : "s7_zup" }`,
      `add element inet qlink dn_ctr { ${zero} : "s7_zdn" }`,
      `add element inet qlink cls_of { ${zero} : 1:10 }`,
      `add element inet qlink zmark_of { 02:00:00:00:00:01 : ${zero} }`,
      'add element inet qlink zone_of { 02:00:00:00:00:01 : jump zr_2 }',
      'add element inet qlink zpre_of { 02:00:00:00:00:01 : jump zpre_2 }',
    ],
    "the zero-rated mark picks the session's own counters and the same class",
  );
  t.equal(renderGrantElements({ ...g, charged: false }).length, 6, 'uncharged: no auth_mac, mark_of or charged counters');
  t.notOk(renderGrantElements({ ...g, charged: false }).some((l) => /auth_mac| mark_of |"s7_(up|dn)"/.test(l)));
  t.equal(renderRevokeElements(g).length, 11);
  const s = renderStatic({
    guestInterface: 'br-lan',
    portalPort: 8088,
    walled4: [],
    walled6: [],
    blocked4: [],
    blocked6: [],
    paidDnsPort: 5454,
    zeroZones: [{ zone: 2, v4: ['192.0.2.0/24'], v6: [] }],
  });
  t.match(s, /add element inet qlink zp4_2 \{ 192\.0\.2\.0\/24 \}/);
  t.match(s, /set zd4_2 \{ type ipv4_addr; flags timeout; timeout 1d; \}/, "the resolver's set ages its addresses out");
  t.notMatch(s, /flush set inet qlink zd4_2/, 'and a rebuild keeps what the resolver put there');
  t.match(s, /add rule inet qlink prerouting ether saddr @auth_mac meta l4proto \{ tcp, udp \} th dport 53 redirect to :5454/);
  const order = ['ip daddr @blocked4 jump refuse', 'ether saddr vmap @zone_of', 'ct mark set ether saddr map @mark_of'].map((r) =>
    s.indexOf(`from_guest ${r}`),
  );
  t.ok(
    order.every((x, i) => x > 0 && (i === 0 || x > order[i - 1]!)),
    "the zone after the owner's blocked prefixes, before the session's mark",
  );
});
