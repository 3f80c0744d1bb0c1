import t from 'tap';
import { renderReconcile } from '../agent/src/gate/nft-diff.js';
import { renderGrantElements, renderAddCounters, renderRevokeElements, renderStatic } from '../agent/src/gate/nft-script.js';
import { parseGateState, parseSessionCounters } from '../agent/src/gate/nft-state.js';

const policy = { guestInterface: 'br-lan', portalPort: 8088, walled4: ['198.51.100.7'], walled6: [], blocked4: ['10.0.0.0/8'], blocked6: ['fc00::/7'] };
const empty = () => parseGateState('{"nftables":[]}');

t.test('a grant is one batch: counters, then the four map elements', async (t) => {
  t.same(
    [...renderAddCounters(7), ...renderGrantElements({ sessionId: 7, mac: '02:00:00:00:00:01', classMinor: 0x10 })],
    [
      'add counter inet qlink s7_up',
      'add counter inet qlink s7_dn',
      'add element inet qlink up_ctr { 02:00:00:00:00:01 . 7 : "s7_up" }',
      'add element inet qlink dn_ctr { 7 : "s7_dn" }',
      'add element inet qlink cls_of { 7 : 1:10 }',
      'add element inet qlink mark_of { 02:00:00:00:00:01 : 7 }',
      'add element inet qlink auth_mac { 02:00:00:00:00:01 }',
    ],
  );
  t.same(renderRevokeElements({ sessionId: 7, mac: '02:00:00:00:00:01', classMinor: 0x10 }), [
    'delete element inet qlink auth_mac { 02:00:00:00:00:01 }',
    'delete element inet qlink mark_of { 02:00:00:00:00:01 }',
    'delete element inet qlink up_ctr { 02:00:00:00:00:01 . 7 }',
    'delete element inet qlink dn_ctr { 7 }',
    'delete element inet qlink cls_of { 7 }',
  ]);
});

t.test('the static part flushes its chains before refilling them, and only its own tables', async (t) => {
  const s = renderStatic(policy);
  t.match(s, /flush chain inet qlink from_guest\n/);
  t.match(s, /add rule inet qlink prerouting tcp dport 80 redirect to :8088\n/);
  t.match(s, /add element inet qlink walled4 \{ 198\.51\.100\.7 \}/);
  t.notMatch(s, /walled6 \{ \}/, 'no empty element lists');
  for (const line of s.split('\n').filter((l) => /^(add|flush|delete) /.test(l))) t.match(line, / (inet|arp|bridge) qlink /, line);
  t.ok(s.indexOf('flush chain inet qlink input') < s.indexOf('add rule inet qlink input'));
});

t.test('reconcile from nothing grants everyone', async (t) => {
  const r = renderReconcile(empty(), [{ sessionId: 1, mac: '02:00:00:00:00:01', classMinor: 16 }], []);
  t.equal(r.granted, 1);
  t.equal(r.revoked, 0);
  t.equal(r.lines.length, 7);
});

const adopted = JSON.stringify({
  nftables: [
    { counter: { family: 'inet', table: 'qlink', name: 's1_up', handle: 6, bytes: 100, packets: 1 } },
    { counter: { family: 'inet', table: 'qlink', name: 's1_dn', handle: 7, bytes: 900, packets: 2 } },
    { counter: { family: 'inet', table: 'qlink', name: 's2_up', handle: 8, bytes: 5, packets: 1 } },
    { counter: { family: 'inet', table: 'qlink', name: 's2_dn', handle: 9, bytes: 5, packets: 1 } },
    {
      map: {
        family: 'inet',
        table: 'qlink',
        name: 'up_ctr',
        elem: [
          [{ concat: ['02:00:00:00:00:01', 1] }, 's1_up'],
          [{ concat: ['02:00:00:00:00:02', 2] }, 's2_up'],
        ],
      },
    },
    {
      map: {
        family: 'inet',
        table: 'qlink',
        name: 'mark_of',
        elem: [
          ['02:00:00:00:00:01', 1],
          ['02:00:00:00:00:02', 2],
        ],
      },
    },
    {
      map: {
        family: 'inet',
        table: 'qlink',
        name: 'dn_ctr',
        elem: [
          [1, 's1_dn'],
          [2, 's2_dn'],
        ],
      },
    },
    {
      map: {
        family: 'inet',
        table: 'qlink',
        name: 'cls_of',
        elem: [
          [1, '1:10'],
          [2, '1:11'],
        ],
      },
    },
    { set: { family: 'inet', table: 'qlink', name: 'auth_mac', elem: ['02:00:00:00:00:01', '02:00:00:00:00:02'] } },
    { counter: { family: 'inet', table: 'other', name: 's9_up', handle: 1, bytes: 1, packets: 1 } },
  ],
});

t.test('adopting an intact table changes nothing and keeps its counters', async (t) => {
  const r = renderReconcile(
    parseGateState(adopted),
    [
      { sessionId: 1, mac: '02:00:00:00:00:01', classMinor: 16 },
      { sessionId: 2, mac: '02:00:00:00:00:02', classMinor: 17 },
    ],
    [],
  );
  t.same(r.lines, []);
});

t.test('a session gone from the store is revoked and its counters dropped unless kept', async (t) => {
  const r = renderReconcile(parseGateState(adopted), [{ sessionId: 1, mac: '02:00:00:00:00:01', classMinor: 16 }], []);
  t.same(r.lines, [
    'delete element inet qlink auth_mac { 02:00:00:00:00:02 }',
    'delete element inet qlink mark_of { 02:00:00:00:00:02 }',
    'delete element inet qlink up_ctr { 02:00:00:00:00:02 . 2 }',
    'delete element inet qlink dn_ctr { 2 }',
    'delete element inet qlink cls_of { 2 }',
    'delete counter inet qlink s2_up',
    'delete counter inet qlink s2_dn',
  ]);
  const kept = renderReconcile(parseGateState(adopted), [{ sessionId: 1, mac: '02:00:00:00:00:01', classMinor: 16 }], [2]);
  t.notOk(
    kept.lines.some((l) => l.includes('delete counter')),
    'an ending session keeps its counters for the last reading',
  );
});

t.test('a MAC that moved to a new session is re-pointed after its old elements go', async (t) => {
  const r = renderReconcile(
    parseGateState(adopted),
    [
      { sessionId: 1, mac: '02:00:00:00:00:01', classMinor: 16 },
      { sessionId: 3, mac: '02:00:00:00:00:02', classMinor: 18 },
    ],
    [],
  );
  const del = r.lines.indexOf('delete element inet qlink up_ctr { 02:00:00:00:00:02 . 2 }');
  const add = r.lines.indexOf('add element inet qlink up_ctr { 02:00:00:00:00:02 . 3 : "s3_up" }');
  t.ok(del >= 0 && add > del);
  t.ok(r.lines.includes('add counter inet qlink s3_up'));
});

t.test('counters parse per session and ignore other tables', async (t) => {
  const c = parseSessionCounters(adopted);
  t.same(c.get(1), { up: { handle: 6, bytes: 100, packets: 1 }, down: { handle: 7, bytes: 900, packets: 2 } });
  t.notOk(c.has(9));
});
