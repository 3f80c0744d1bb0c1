import t from 'tap';
import type { CommandRunner } from '../agent/src/kernel/run.js';
import { createLogger } from '../agent/src/log.js';
import { formatRate, parseRate, parseTcRate } from '../agent/src/shaper/rate.js';
import { parseClasses, renderClass, renderRoot } from '../agent/src/shaper/tc-script.js';
import { TcShaper } from '../agent/src/shaper/tc.js';

t.test('rates: parsed, bounded, printed back', async (t) => {
  t.equal(parseRate('5mbit'), 5_000_000);
  t.equal(parseRate('1.5Gbit'), 1_500_000_000);
  t.equal(parseRate('500kbit'), 500_000);
  t.equal(parseRate(64_000), 64_000);
  for (const bad of ['0mbit', '7kbit', '11gbit', 'fast', '-5mbit', '5 mbps', '']) t.equal(parseRate(bad), null, bad);
  t.equal(formatRate(5_000_000), '5mbit');
  t.equal(parseTcRate('5Mbit'), 5_000_000);
  t.equal(parseTcRate('800bit'), 800);
});

t.test('exact tc lines: root and a guest class', async (t) => {
  t.same(renderRoot('br-lan', null, 'pfifo'), [
    'qdisc replace dev br-lan root handle 1: htb default 2',
    'class replace dev br-lan parent 1: classid 1:1 htb rate 10000000000bit ceil 10000000000bit burst 12500000 cburst 12500000 quantum 200000',
    'class replace dev br-lan parent 1: classid 1:2 htb rate 10000000000bit ceil 10000000000bit burst 12500000 cburst 12500000 quantum 200000',
    'qdisc replace dev br-lan parent 1:2 handle 2: pfifo limit 300',
  ]);
  t.same(renderClass('wan', 0x1f, 5_000_000, 'fq_codel', true), [
    'class replace dev wan parent 1:1 classid 1:1f htb rate 5000000bit ceil 5000000bit burst 6250 cburst 6250 quantum 62500',
    'qdisc replace dev wan parent 1:1f handle 1f: fq_codel',
  ]);
});

t.test("tc class show is parsed for the agent's classes only", async (t) => {
  const text = [
    'class htb 1:10 parent 1:1 leaf 10: prio 0 rate 5Mbit ceil 5Mbit burst 1600b cburst 1600b ',
    'class htb 1:1 root rate 10Gbit ceil 10Gbit burst 0b cburst 0b ',
    'class htb 7:10 root rate 1Mbit ceil 1Mbit burst 0b cburst 0b ',
  ].join('\n');
  t.same(parseClasses(text, parseTcRate), [
    { minor: 0x10, bps: 5_000_000 },
    { minor: 1, bps: 10_000_000_000 },
  ]);
});

/** Answers tc's queries from a script of outputs and records every batch. */
function recorder(classShow: Record<string, string>, roots: Record<string, string>) {
  const batches: string[] = [];
  const runner: CommandRunner = {
    async run(argv, input) {
      const a = argv.join(' ');
      if (a.startsWith('tc qdisc add dev lo')) throw new Error('no fq_codel');
      if (a === 'tc -batch -') {
        batches.push(input ?? '');
        return '';
      }
      const dev = argv[4] ?? '';
      if (a.startsWith('tc qdisc show dev')) return roots[dev] ?? '';
      if (a.startsWith('tc class show dev')) return classShow[dev] ?? '';
      return '';
    },
  };
  return { runner, batches };
}

t.test('ensure adopts matching classes, fixes changed ones, drops stale ones, all in one batch', async (t) => {
  const { runner, batches } = recorder(
    {
      'br-lan':
        'class htb 1:1 root rate 10Gbit ceil 10Gbit\nclass htb 1:10 parent 1:1 leaf 10: prio 0 rate 5Mbit ceil 5Mbit\nclass htb 1:11 parent 1:1 leaf 11: prio 0 rate 2Mbit ceil 2Mbit\nclass htb 1:12 parent 1:1 leaf 12: prio 0 rate 2Mbit ceil 2Mbit',
      wan: 'class htb 1:1 root rate 10Gbit ceil 10Gbit',
    },
    { 'br-lan': 'qdisc htb 1: root refcnt 2 r2q 10 default 0x2', wan: 'qdisc htb 1: root refcnt 2' },
  );
  const shaper = await TcShaper.create(runner, createLogger('silent'), { lan: 'br-lan', wan: 'wan', totalDownBps: null, totalUpBps: null });
  t.equal(shaper.info.leafQdisc, 'pfifo', 'fq_codel missing: pfifo leaves');
  await shaper.ensure([
    { minor: 0x10, downBps: 5_000_000, upBps: 1_000_000 },
    { minor: 0x11, downBps: 3_000_000, upBps: null },
  ]);
  t.equal(batches.length, 1, 'one tc -batch');
  const lines = batches[0]!.trim().split('\n');
  t.notOk(
    lines.some((l) => l.includes('classid 1:10 ') && l.includes('br-lan')),
    'the 5 Mbit/s class is adopted untouched',
  );
  t.ok(lines.includes('class del dev br-lan classid 1:12'), 'a stale class goes');
  t.ok(
    lines.some((l) => l.startsWith('class replace dev br-lan parent 1:1 classid 1:11 htb rate 3000000bit')),
    'a changed rate is replaced in place',
  );
  t.notOk(
    lines.some((l) => l.includes('qdisc replace dev br-lan parent 1:11')),
    'its queue is kept',
  );
  t.ok(
    lines.some((l) => l.startsWith('class replace dev wan parent 1:1 classid 1:10 htb rate 1000000bit')),
    'upload class made',
  );
  t.ok(lines.includes('qdisc replace dev wan parent 1:10 handle 10: pfifo limit 300'), 'with its leaf');
});

t.test('an interface with a root qdisc of its own (SQM) is left alone', async (t) => {
  const { runner, batches } = recorder({}, { wan: 'qdisc cake 8001: root refcnt 2 bandwidth 100Mbit' });
  const shaper = await TcShaper.create(runner, createLogger('silent'), { lan: 'br-lan', wan: 'wan', totalDownBps: null, totalUpBps: null });
  t.equal(shaper.info.wanInterface, null);
  await shaper.ensure([{ minor: 0x10, downBps: 5_000_000, upBps: 1_000_000 }]);
  t.notMatch(batches.join(''), /dev wan/);
});

t.test('under a total cap an unlimited guest still gets a class, at the cap', async (t) => {
  const { runner, batches } = recorder({}, {});
  const shaper = await TcShaper.create(runner, createLogger('silent'), { lan: 'br-lan', wan: null, totalDownBps: 50_000_000, totalUpBps: null });
  await shaper.ensure([{ minor: 0x10, downBps: null, upBps: null }]);
  t.match(batches[0]!, /classid 1:1 htb rate 50000000bit/);
  t.match(batches[0]!, /classid 1:10 htb rate 50000000bit/);
});
