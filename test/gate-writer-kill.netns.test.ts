import t from 'tap';
import type { Test } from 'tap';
import * as tb from '../scripts/lib/testbed/index.js';
import { nsName } from '../scripts/lib/testbed/paths.js';
import { IptablesGate } from '../agent/src/gate/iptables.js';
import { binaries, FAMILIES } from '../agent/src/gate/iptables-names.js';
import { emptyBatch, grantRules, push, append, renderBatch } from '../agent/src/gate/iptables-script.js';
import { parseSave, rulesOf } from '../agent/src/gate/iptables-state.js';
import { NftablesGate } from '../agent/src/gate/nftables.js';
import { renderAddCounters, renderGrantElements } from '../agent/src/gate/nft-script.js';
import { parseGateState } from '../agent/src/gate/nft-state.js';
import { ResidentRunner } from '../agent/src/kernel/transport.js';
import { runProcess } from '../agent/src/kernel/run.js';
import { sleep } from './helpers/testbed.js';

/**
 * The resident writer killed while a transaction is in flight: the kernel
 * holds the state from before the transaction or after it, never a part.
 * Each round sends one large change (300 guests let through at once, so
 * there is time to cut it) and kills the writer after a random delay.
 */
const ID = 'wkill';
const N = 300;
const ROUNDS = 24;
const policy = { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: ['10.0.0.0/8'], blocked6: ['fc00::/7'] };
const mac = (i: number) => `02:30:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

t.teardown(() => tb.down(ID).then(() => {}));

async function kill(pid: number | undefined, delayMs: number): Promise<void> {
  await sleep(delayMs);
  if (pid)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* done already */
    }
}

interface Outcome {
  old: number;
  new: number;
  torn: number;
  cut: number;
}

async function rounds(
  t: Test,
  name: string,
  send: (round: number) => Promise<string>,
  pid: () => number | undefined,
  inspect: (round: number) => Promise<'old' | 'new' | string>,
  undo: (round: number) => Promise<void>,
  maxDelayMs: number,
): Promise<Outcome> {
  const o: Outcome = { old: 0, new: 0, torn: 0, cut: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    // Start the writer first, so the kill lands on the transaction, not on its start.
    const sent = send(r).then(
      () => 'answered',
      (e: Error) => `failed: ${e.message.split('\n')[0]}`,
    );
    const delay = (r / ROUNDS) * maxDelayMs;
    const [answer] = await Promise.all([sent, kill(pid(), delay)]);
    if (answer !== 'answered') o.cut++;
    const state = await inspect(r);
    if (state === 'old') o.old++;
    else if (state === 'new') o.new++;
    else {
      o.torn++;
      t.fail(`${name} round ${r} (killed after ${delay.toFixed(1)} ms): ${state}`);
    }
    await undo(r);
  }
  t.equal(o.torn, 0, `${name}: ${o.old} rounds left the old state, ${o.new} the new one, none a part (${o.cut} transactions cut by the kill)`);
  t.ok(o.cut > 0, `${name}: some transactions were in flight when the writer died (${o.cut} of ${ROUNDS})`);
  return o;
}

t.test('the resident writer killed mid-transaction leaves the gate whole', async (t) => {
  const bed = await tb.up({ id: ID, clients: 0 });
  const ns = nsName(ID, 'router');
  const wrap = (argv: readonly string[]) => ['ip', 'netns', 'exec', ns, ...argv];
  const inNs = (argv: readonly string[], input?: string) => runProcess(wrap(argv), input);
  t.ok(bed.router.ns, 'router namespace up');

  await t.test('nftables (qlink-writer)', async (t) => {
    const runner = new ResidentRunner({ wrap });
    const gate = new NftablesGate(runner, false);
    await gate.ensure(policy, [], []);
    const script = (r: number) =>
      Array.from({ length: N }, (_, i) => {
        const g = { sessionId: r * 1000 + i + 1, mac: mac(i), classMinor: 0x10 + i };
        return [...renderAddCounters(g.sessionId), ...renderGrantElements(g)];
      })
        .flat()
        .join('\n') + '\n';
    const inspect = async (r: number) => {
      const st = parseGateState(await inNs(['nft', '-j', 'list', 'table', 'inet', 'qlink']));
      const counters = [...st.counters.keys()].filter((n) => /^s\d+_(up|dn)$/.test(n)).length;
      const ours = [...st.markOf.values()].filter((id) => Math.floor((id - 1) / 1000) === r).length;
      const sizes = [ours, st.upCtr.size, st.dnCtr.size, st.clsOf.size, st.authMac.size, counters / 2];
      if (sizes.every((x) => x === 0)) return 'old';
      if (sizes.every((x) => x === N)) return 'new';
      return `torn: mark_of ${sizes[0]}, up_ctr ${sizes[1]}, dn_ctr ${sizes[2]}, cls_of ${sizes[3]}, auth_mac ${sizes[4]}, counter pairs ${sizes[5]}`;
    };
    const undo = async () => {
      const st = parseGateState(await inNs(['nft', '-j', 'list', 'table', 'inet', 'qlink']));
      if (!st.markOf.size && !st.counters.size) return;
      const lines = [
        'flush set inet qlink auth_mac',
        'flush map inet qlink mark_of',
        'flush map inet qlink up_ctr',
        'flush map inet qlink dn_ctr',
        'flush map inet qlink cls_of',
        ...[...st.counters.keys()].filter((n) => /^s\d+_(up|dn)$/.test(n)).map((n) => `delete counter inet qlink ${n}`),
      ];
      await inNs(['nft', '-f', '-'], lines.join('\n') + '\n');
    };
    // Time one whole transaction first, to spread the kills over it.
    const t0 = performance.now();
    await runner.run(['nft', '-f', '-'], script(99));
    const took = performance.now() - t0;
    t.equal(await inspect(99), 'new', `one transaction of ${N} grants (${N * 7} commands) took ${took.toFixed(1)} ms`);
    await undo();
    await rounds(
      t,
      'nftables',
      (r) => runner.run(['nft', '-f', '-'], script(r)),
      () => runner.pidOf(/qlink-writer/),
      inspect,
      undo,
      took * 1.5,
    );
    // The writer comes back by itself for the next change.
    await gate.grant({ sessionId: 5, mac: mac(5), classMinor: 0x20 });
    t.equal(parseGateState(await inNs(['nft', '-j', 'list', 'table', 'inet', 'qlink'])).markOf.get(mac(5)), 5, 'the next grant goes through a new writer');
    runner.close();
    await gate.remove();
  });

  for (const variant of ['legacy', 'nft'] as const) {
    await t.test(`iptables-${variant} (resident iptables-restore)`, async (t) => {
      const runner = new ResidentRunner({ wrap, residentRestore: true });
      const gate = new IptablesGate(runner, variant, { ports: { isolated: () => null, setIsolated: () => {} } });
      await gate.ensure(policy, [], []);
      // The grant layout for N guests at once: counting rules in filter (inert), then the MAC rules in mangle (the flip).
      const batch = (r: number) => {
        const b = emptyBatch();
        for (let i = 0; i < N; i++) {
          const rules = grantRules({ sessionId: r * 1000 + i + 1, mac: mac(i), classMinor: 0x10 + i, gen: r + 1 });
          for (const rule of [rules.ucls, rules.up, rules.dcls, rules.dn, rules.mark]) push(b, rule, append);
        }
        return renderBatch(b, ['filter', 'mangle']);
      };
      const state = async (fam: 4 | 6) => parseSave(await inNs([binaries(variant, fam).save]));
      const inspect = async (r: number) => {
        const verdicts: string[] = [];
        for (const fam of FAMILIES) {
          const st = await state(fam);
          const ids = Array.from({ length: N }, (_, i) => r * 1000 + i + 1);
          const marked = ids.filter((id) => rulesOf(st, id, 'mark').length === 1);
          const counted = ids.filter((id) => rulesOf(st, id, 'up').length === 1 && rulesOf(st, id, 'dn').length === 1 && rulesOf(st, id, 'cls').length === 2);
          // Whole: no guest marked without its counting rules, and all of them marked or none.
          if (marked.some((id) => !counted.includes(id))) return `torn: IPv${fam} marks a guest without its counting rules`;
          if (marked.length !== 0 && marked.length !== N) return `torn: IPv${fam} marks ${marked.length} of ${N}`;
          verdicts.push(marked.length ? 'new' : 'old');
        }
        // Families commit apart (x_tables has no transaction across them): each must be whole; they may differ for a moment.
        return verdicts.every((v) => v === 'new') ? 'new' : 'old';
      };
      const undo = async () => {
        for (const fam of FAMILIES) {
          const st = await state(fam);
          const b = emptyBatch();
          for (const rules of st.sessions.values()) for (const rl of rules) b[rl.table].push(rl.line.replace(/^-A /, '-D '));
          const text = renderBatch(b, ['mangle', 'filter']);
          if (text) await inNs([binaries(variant, fam).restore, '-w', '--noflush'], text);
        }
      };
      const send = async (r: number) => {
        const text = batch(r);
        for (const fam of FAMILIES) await runner.run([binaries(variant, fam).restore, '-w', '--noflush'], text);
        return '';
      };
      const t0 = performance.now();
      await send(99);
      const took = performance.now() - t0;
      t.equal(await inspect(99), 'new', `${N} grants, both families, took ${took.toFixed(1)} ms`);
      await undo();
      const pid = () => runner.pidOf(new RegExp(`iptables-${variant}-restore`)) ?? runner.pidOf(new RegExp(`ip6tables-${variant}-restore`));
      await rounds(t, `iptables-${variant}`, send, pid, inspect, undo, took * 1.2);
      runner.close();
      await gate.remove();
    });
  }
});
