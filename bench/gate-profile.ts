/**
 * What a forwarded packet costs in the gate (issue 20, item 2): the share of
 * the forwarding path's CPU spent in netfilter and in the gate's own rules,
 * from `perf record -e cpu-clock` samples of the iperf3 processes (and the
 * softirq threads) while a guest moves data, with the gate's nftables table
 * at 0, 500 and 1,000 sessions and with no table at all. Shares are of the
 * iperf3 path's own samples, so other load on the machine changes them far
 * less than it changes throughput. Hardware counters are not available in
 * this VM (`perf stat -e instructions true` says <not supported>).
 *
 *   node dist/bench/gate-profile.js [--sessions 0,500,1000] [--seconds 4]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tb from '../scripts/lib/testbed/index.js';
import { renderAddCounters, renderGrantElements, renderStatic } from '../agent/src/gate/nft-script.js';
import { fakeLeases, fakeMac } from './lib.js';
import { iperf, median } from './gate-figures.js';

const ID = 'gprof';
const { values: o } = parseArgs({ options: { sessions: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' } } });
const LEVELS = (o.sessions ?? '0,500,1000').split(',').map(Number);
const SECONDS = Number(o.seconds ?? 4);
const ROUNDS = Number(o.rounds ?? 3);
const NETFILTER = /^(nf_|nft_|__nft|__nf_|br_nf|ipv4_conntrack|ipv6_conntrack|ipv4_confirm|ipv6_confirm|hash_conntrack|nf_nat|ct_)/;
const RULES =
  /^(nft_do_chain|nft_lookup|nft_set_do_lookup|nft_rhash|nft_hash|nft_rbtree|nft_pipapo|nft_objref|nft_counter|nft_meta|nft_ct_|nft_payload|nft_cmp|nft_immediate|nft_bitwise|nft_dynset|nft_range|__nft_)/;

/** The table the agent holds with `n` other sessions and the measured guest c1's (bound to its lease). */
function gateScript(n: number, c1: tb.ClientInfo): string {
  const policy = {
    guestInterface: 'br-lan',
    portalPort: 8088,
    walled4: [],
    walled6: [],
    blocked4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'],
    blocked6: ['fc00::/7', 'fe80::/10'],
    heldDnsPort: 5453,
  };
  const fakes = fakeLeases(n, 0);
  const bound = [{ mac: c1.mac, ip: c1.ip4 }, ...fakes.map((l) => ({ mac: fakeMac(l), ip: l.split(' ')[2]! }))];
  const lines = [renderStatic(policy, bound)];
  fakes.forEach((l, i) => {
    lines.push(...renderAddCounters(i + 1), ...renderGrantElements({ sessionId: i + 1, mac: fakeMac(l), classMinor: 0x10 + i }));
  });
  lines.push(...renderAddCounters(99_999), ...renderGrantElements({ sessionId: 99_999, mac: c1.mac, classMinor: 0x2000 }));
  return lines.join('\n') + '\n';
}

async function measure(seconds: number, reverse: boolean): Promise<{ gbps: number; netfilter: number; rules: number } | null> {
  const dir = mkdtempSync('/tmp/qlink-gprof-');
  const file = join(dir, 'perf.data');
  try {
    // iperf3 runs a second longer on each side so the recording sees only steady traffic.
    const traffic = iperf(tb, ID, 'c1', reverse, seconds + 2);
    await new Promise((r) => setTimeout(r, 1000));
    const rec = spawnSync('perf', ['record', '-q', '-e', 'cpu-clock', '-a', '-o', file, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
    const gbps = await traffic;
    if (rec.status !== 0) return { gbps, netfilter: NaN, rules: NaN };
    const rep = spawnSync(
      'perf',
      ['report', '-i', file, '--comm', 'iperf3,ksoftirqd/0,ksoftirqd/1', '--percentage', 'relative', '--no-children', '--sort', 'symbol', '--stdio'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    let netfilter = 0;
    let rules = 0;
    for (const line of rep.stdout.split('\n')) {
      const m = /^\s+([\d.]+)%\s+\[k\]\s+(\S+)/.exec(line);
      if (!m) continue;
      const pct = Number(m[1]);
      if (NETFILTER.test(m[2]!)) netfilter += pct;
      if (RULES.test(m[2]!)) rules += pct;
    }
    return { gbps, netfilter, rules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bed = await tb.up({ id: ID, clients: 1, fakeGuests: true });
try {
  const c1 = bed.clients[0]!;
  // What every OpenWrt router pays before any portal: firewall4's conntrack and NAT hooks.
  const fw4Like = [
    'table inet fw4like {',
    '  chain fw_forward { type filter hook forward priority filter; policy accept; ct state established,related accept; }',
    '  chain fw_pre { type nat hook prerouting priority dstnat; policy accept; }',
    '  chain fw_post { type nat hook postrouting priority srcnat; policy accept; }',
    '}',
    '',
  ].join('\n');
  const configs: Array<[string, string | null]> = [
    ['no gate', null],
    ['conntrack + NAT hooks only (as firewall4)', fw4Like],
    ...LEVELS.map((n): [string, string] => [`gate, ${n} other sessions`, gateScript(n, c1)]),
  ];
  const rows = new Map<string, Array<{ dir: string; gbps: number; netfilter: number; rules: number }>>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, script] of configs) {
      await tb.exec(ID, 'router', ['nft', 'flush', 'ruleset']);
      await tb.exec(ID, 'router', ['conntrack', '-F']);
      if (script) {
        const res = await tb.exec(ID, 'router', ['nft', '-f', '-'], { input: script });
        if (res.code !== 0) throw new Error(res.stderr);
      }
      for (const [dir, reverse] of [
        ['down', true],
        ['up', false],
      ] as const) {
        const m = await measure(SECONDS, reverse);
        if (m) rows.set(name, [...(rows.get(name) ?? []), { dir, ...m }]);
      }
    }
  }
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ');
  process.stdout.write(
    `| table | direction | Gbit/s (median of ${ROUNDS}) | netfilter, % of the path's CPU | the gate's rules (nft_do_chain and its expressions), % |\n| --- | --- | --: | --: | --: |\n`,
  );
  for (const [name, list] of rows) {
    for (const dir of ['down', 'up']) {
      const l = list.filter((x) => x.dir === dir);
      process.stdout.write(
        `| ${name} | ${dir} | ${median(l.map((x) => x.gbps)).toFixed(2)} | ${median(l.map((x) => x.netfilter)).toFixed(1)} | ${median(l.map((x) => x.rules)).toFixed(1)} |\n`,
      );
    }
  }
  process.stdout.write(`load average at the end: ${load}\n`);
} finally {
  await tb.down(ID);
}
