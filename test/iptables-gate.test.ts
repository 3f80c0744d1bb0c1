import t from 'tap';
import { GateConflictError } from '../agent/src/gate/backend.js';
import { IptablesGate } from '../agent/src/gate/iptables.js';
import { CommandError, type CommandRunner } from '../agent/src/kernel/run.js';

const policy = { guestInterface: 'br-lan', portalPort: 8088, walled4: ['198.51.100.7'], walled6: [], blocked4: ['10.0.0.0/8'], blocked6: ['fc00::/7'] };
const g7 = { sessionId: 7, mac: '02:00:00:00:00:01', classMinor: 0x10 };

/** Records every command; answers saves from `saves` (per binary), fails restores when told to. */
class Recorder implements CommandRunner {
  calls: Array<{ argv: string[]; input?: string }> = [];
  saves = new Map<string, string>();
  failRestore = false;
  async run(argv: readonly string[], input?: string): Promise<string> {
    this.calls.push({ argv: [...argv], input });
    if (argv[0]!.endsWith('-save')) return this.saves.get(argv[0]!) ?? '';
    if (this.failRestore) throw new CommandError(argv, 1, 'iptables-restore: line 3 failed');
    return '';
  }
}

const noPorts = { isolated: () => null, setIsolated: () => {} };
const gate = (r: Recorder, clock = () => 1000) => new IptablesGate(r, 'legacy', { ports: noPorts, clock });

const GRANT_BATCH = [
  '*filter',
  '-A qlink_up_7 -m connmark --mark 7 -m comment --comment "qlink s7_cls g1000" -j CLASSIFY --set-class 1:10',
  '-A qlink_up_7 -m connmark --mark 7 -m comment --comment "qlink s7_up g1000" -j ACCEPT',
  '-A qlink_dn_7 -m connmark --mark 7 -m comment --comment "qlink s7_cls g1000" -j CLASSIFY --set-class 1:10',
  '-A qlink_dn_7 -m connmark --mark 7 -m comment --comment "qlink s7_dn g1000" -j ACCEPT',
  'COMMIT',
  '*mangle',
  '-A qlink_mac -m mac --mac-source 02:00:00:00:00:01 -m comment --comment "qlink s7_mark g1000" -j CONNMARK --set-mark 7',
  'COMMIT',
  '',
].join('\n');

t.test('a grant is one iptables-restore --noflush per family, the same batch for both: filter (inert) before mangle (the flip)', async (t) => {
  const r = new Recorder();
  await gate(r).grant(g7);
  t.same(
    r.calls.map((c) => c.argv),
    [
      ['iptables-legacy-restore', '-w', '--noflush'],
      ['ip6tables-legacy-restore', '-w', '--noflush'],
    ],
  );
  t.equal(r.calls[0]!.input, GRANT_BATCH);
  t.equal(r.calls[1]!.input, GRANT_BATCH);
});

t.test('a revoke is one mangle COMMIT: the MAC rule goes, the flows take the ended mark; the counters stay', async (t) => {
  const r = new Recorder();
  const g = gate(r);
  await g.grant(g7);
  r.calls = [];
  await g.revoke(g7);
  t.equal(r.calls.length, 2);
  t.equal(
    r.calls[0]!.input,
    [
      '*mangle',
      '-D qlink_mac -m mac --mac-source 02:00:00:00:00:01 -m comment --comment "qlink s7_mark g1000" -j CONNMARK --set-mark 7',
      '-A qlink_ended -m connmark --mark 7 -m comment --comment "qlink s7_rv" -j CONNMARK --set-mark 4294967295',
      'COMMIT',
      '',
    ].join('\n'),
  );
  r.calls = [];
  await g.dropCounters([7]);
  t.equal(
    r.calls[0]!.input,
    [
      '*mangle',
      '-D qlink_ended -m connmark --mark 7 -m comment --comment "qlink s7_rv" -j CONNMARK --set-mark 4294967295',
      'COMMIT',
      '*filter',
      '-D qlink_up_7 -m connmark --mark 7 -m comment --comment "qlink s7_cls g1000" -j CLASSIFY --set-class 1:10',
      '-D qlink_up_7 -m connmark --mark 7 -m comment --comment "qlink s7_up g1000" -j ACCEPT',
      '-D qlink_dn_7 -m connmark --mark 7 -m comment --comment "qlink s7_cls g1000" -j CLASSIFY --set-class 1:10',
      '-D qlink_dn_7 -m connmark --mark 7 -m comment --comment "qlink s7_dn g1000" -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n'),
  );
  t.type(await g.revoke(g7).catch((e: unknown) => e), GateConflictError, 'a session not let through is a conflict');
});

t.test('a failed restore is a conflict for ensure() to repair', async (t) => {
  const r = new Recorder();
  r.failRestore = true;
  t.type(
    await gate(r)
      .grant(g7)
      .catch((e: unknown) => e),
    GateConflictError,
  );
});

const save = (up: [number, number], dn: [number, number], gen = 55) =>
  [
    '*mangle',
    ':PREROUTING ACCEPT [0:0]',
    ':qlink_mac - [0:0]',
    '[0:0] -A PREROUTING -m comment --comment qlink -j qlink_mark',
    `[0:0] -A qlink_mac -m mac --mac-source 02:00:00:00:00:01 -m comment --comment "qlink s7_mark g${gen}" -j CONNMARK --set-xmark 0x7/0xffffffff`,
    `[0:0] -A qlink_mac -m mac --mac-source 02:00:00:00:00:02 -m comment --comment "qlink s8_mark g${gen}" -j CONNMARK --set-xmark 0x8/0xffffffff`,
    'COMMIT',
    '*filter',
    ':FORWARD ACCEPT [0:0]',
    ':qlink_up_7 - [0:0]',
    ':qlink_dn_7 - [0:0]',
    ':qlink_up_8 - [0:0]',
    ':qlink_from_guest - [0:0]',
    ...Array.from({ length: 16 }, (_, i) => `:qlink_up_${i.toString(16)} - [0:0]\n:qlink_dn_${i.toString(16)} - [0:0]`),
    '[12:3400] -A FORWARD -m comment --comment qlink -j qlink_fwd',
    '[0:0] -A qlink_from_guest -o br-lan -j DROP',
    `[${up[0]}:${up[1]}] -A qlink_up_7 -m connmark --mark 0x7 -m comment --comment "qlink s7_cls g${gen}" -j CLASSIFY --set-class 0001:0010`,
    `[${up[0]}:${up[1]}] -A qlink_up_7 -m connmark --mark 0x7 -m comment --comment "qlink s7_up g${gen}" -j ACCEPT`,
    `[${dn[0]}:${dn[1]}] -A qlink_dn_7 -m connmark --mark 0x7 -m comment --comment "qlink s7_cls g${gen}" -j CLASSIFY --set-class 0001:0010`,
    `[${dn[0]}:${dn[1]}] -A qlink_dn_7 -m connmark --mark 0x7 -m comment --comment "qlink s7_dn g${gen}" -j ACCEPT`,
    `[9:900] -A qlink_up_8 -m connmark --mark 0x8 -m comment --comment "qlink s8_up g${gen}" -j ACCEPT`,
    'COMMIT',
  ].join('\n');

t.test('counters: one iptables-save -c per family, both summed, the generation as handle', async (t) => {
  const r = new Recorder();
  r.saves.set('iptables-legacy-save', save([3, 300], [5, 5000]));
  r.saves.set('ip6tables-legacy-save', save([1, 100], [2, 2000]));
  const c = await gate(r).readCounters();
  t.same(
    r.calls.map((x) => x.argv),
    [
      ['iptables-legacy-save', '-c', '-t', 'filter'],
      ['ip6tables-legacy-save', '-c', '-t', 'filter'],
    ],
  );
  t.same(
    [...c!],
    [[7, { up: { handle: 55, bytes: 400, packets: 4 }, down: { handle: 55, bytes: 7000, packets: 7 } }]],
    'session 8 lacks its dn rule: not metered until repaired',
  );
  r.saves.set('ip6tables-legacy-save', save([1, 100], [2, 2000], 56));
  t.same([...(await gate(r).readCounters())!], [], 'families of different generations are not summed');
  r.saves.set('ip6tables-legacy-save', '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n');
  t.equal(await gate(r).readCounters(), null, 'a family without the counting chains: the gate is gone');
});

t.test('ensure adopts intact counters, recreates half-gone ones, hooks only what is missing', async (t) => {
  const r = new Recorder();
  r.saves.set('iptables-legacy-save', save([3, 300], [5, 5000]));
  r.saves.set('ip6tables-legacy-save', save([1, 100], [2, 2000]));
  const g8 = { sessionId: 8, mac: '02:00:00:00:00:02', classMinor: 0x11 };
  const res = await gate(r, () => 2000).ensure(policy, [g7, g8], []);
  t.same(res, { created: false, granted: 1, revoked: 1 });
  const v4 = r.calls.find((c) => c.argv[0] === 'iptables-legacy-restore')!.input!;
  t.notMatch(v4, /:qlink_up_7|:qlink_dn_7/, 'counting chains are not redeclared (that would flush them)');
  t.notMatch(v4, /-D qlink_up_7 .*s7_up/, 'session 7 kept');
  t.match(v4, /-D qlink_up_8 -m connmark --mark 0x8 -m comment --comment "qlink s8_up g55" -j ACCEPT/);
  t.match(v4, /-A qlink_up_8 -m connmark --mark 8 -m comment --comment "qlink s8_up g2000" -j ACCEPT/);
  t.match(v4, /-A qlink_mac -m mac --mac-source 02:00:00:00:00:01 -m comment --comment "qlink s7_mark g55" -j CONNMARK --set-mark 7/);
  t.match(v4, /-A qlink_up -m connmark --mark 0x7\/0xf -j qlink_up_7/, 'the dispatch into the buckets');
  t.notMatch(v4, /-I FORWARD 1 -m comment --comment qlink -j qlink_fwd/, 'the forward hook is there already');
  t.notMatch(v4, /-I PREROUTING 1 -m comment --comment qlink -j qlink_mark/, 'and the mangle one');
  t.match(v4, /-I INPUT 1 -m comment --comment qlink -j qlink_in/);
  t.match(v4, /-I PREROUTING 1 -m comment --comment qlink -j qlink_pre/);
  t.match(v4, /-A qlink_refuse -j REJECT --reject-with icmp-admin-prohibited/);
  t.ok(v4.indexOf('*filter') < v4.indexOf('*mangle'), 'filter commits before mangle');
  const v6 = r.calls.find((c) => c.argv[0] === 'ip6tables-legacy-restore')!.input!;
  t.match(v6, /-A qlink_refuse -j REJECT --reject-with icmp6-adm-prohibited/);
  t.match(v6, /-A qlink_from_guest -d fc00::\/7 -j qlink_refuse/);
  t.notMatch(v6, /198\.51\.100\.7/, 'v4 addresses stay out of ip6tables');
});
