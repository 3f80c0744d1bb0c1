import t from 'tap';
import { readerFraming, restoreFraming, tcFraming, waitingOnStdin, writerFraming } from '../agent/src/kernel/framings.js';
import { CommandError } from '../agent/src/kernel/run.js';
import { ResidentRunner, writerTakes } from '../agent/src/kernel/transport.js';

t.test('the writer takes set elements, counters and set flushes only; rebuilds go to nft', async (t) => {
  t.ok(writerTakes('add counter inet qlink s7_up\nadd element inet qlink mark_of { 02:00:00:00:00:01 : 7 }\n'));
  t.ok(writerTakes('delete element arp qlink bound4 { 02:00:00:00:00:01 . 10.0.0.5 }\nflush set bridge qlink guest_ports\n'));
  t.notOk(writerTakes('add rule inet qlink input jump refuse\n'), 'a rule');
  t.notOk(writerTakes('table inet qlink {\n}\n'), 'a table block');
  t.notOk(writerTakes('add element inet qlink mark_of { 02:00:00:00:00:01 : 7 }\ndelete table inet qlink\n'), 'one line it does not take is enough');
  t.notOk(writerTakes('\n'), 'nothing');
});

t.test('framings: where each answer ends, and what a failure says', async (t) => {
  const w = writerFraming(['qlink-writer']);
  t.equal(
    w.encode('add counter inet qlink a\n\nadd counter inet qlink b', 1),
    'add counter inet qlink a\nadd counter inet qlink b\n\n',
    'blank lines never end a transaction early',
  );
  t.equal(w.decode('ok\n', '', 1, 1)?.result, '');
  t.equal(w.decode('o', '', 1, 1), undefined, 'half a line: wait');
  const err = w.decode('error 2 No such file or directory\nok\n', '', 1, 1)!;
  t.type(err.result, CommandError);
  t.match((err.result as CommandError).stderr, /line 2: No such file or directory/, "nft's wording, which the backend recognises");
  t.equal(err.outUsed, 'error 2 No such file or directory\n'.length, 'the next answer is left for the next request');

  const r = readerFraming(['qlink-counters']);
  t.equal(r.encode('', 1), 'dump\n');
  t.equal(r.encode('changes', 1), 'changes\n');
  t.same(r.decode('s1_up 5 1 64\n. 0\n', '', 1, 1), { outUsed: 17, errUsed: 0, result: 's1_up 5 1 64\n' });
  t.same(r.decode('. 0\n', '', 1, 1), { outUsed: 4, errUsed: 0, result: '' }, 'an empty reading');
  const gone = r.decode('. 3 table inet qlink does not exist\n', '', 1, 1)!;
  t.equal((gone.result as CommandError).code, 3, 'exit status 3: the gate is gone');

  const tc = tcFraming(['tc']);
  t.equal(tc.encode('class del dev x classid 1:10', 4), 'class del dev x classid 1:10\nqdisc show dev ql/sync4\n');
  t.equal(tc.decode('', 'Cannot find device "ql/sync4"\nCommand failed -:2\n', 4, 1)?.result, '');
  const failed = tc.decode('', 'RTNETLINK answers: No such file or directory\nCommand failed -:1\nCannot find device "ql/sync5"\nCommand failed -:2\n', 5, 1)!;
  t.match((failed.result as CommandError).stderr, /RTNETLINK answers/);
  t.equal(tc.decode('', 'Cannot find device "ql/sync4"\nCommand failed -:2\n', 5, 1), undefined, 'an older marker is not this answer');

  t.equal(restoreFraming().encode('*filter\nCOMMIT', 1), '*filter\nCOMMIT\n');
});

t.test('iptables-restore is done when it sleeps in read(2) on its stdin', async (t) => {
  const proc = (text: string) => () => text;
  t.equal(waitingOnStdin(1, proc('0 0x0 0x55d1 0x1000 0x1000 0x0 0x0 0x7ffd 0x7f08\n')), true, 'x86_64 read(0, ...)');
  t.equal(waitingOnStdin(1, proc('63 0x0 0x55d1 0x1000\n')), true, 'arm64 read(0, ...)');
  t.equal(waitingOnStdin(1, proc('4003 0x0 0x55d1 0x1000\n')), true, 'mips o32 read(0, ...)');
  t.equal(waitingOnStdin(1, proc('running\n')), false, 'still working');
  t.equal(waitingOnStdin(1, proc('73 0x3 0x2 0x0\n')), false, 'waiting for the xtables lock (flock)');
  t.equal(waitingOnStdin(1, proc('0 0x3 0x55d1 0x1000\n')), false, 'reading another file');
  t.equal(
    waitingOnStdin(1, () => {
      throw new Error('ENOENT');
    }),
    null,
    'a kernel that does not say',
  );
});

t.test('the resident runner routes by argv and keeps one process per tool', async (t) => {
  const spawned: string[] = [];
  const r = new ResidentRunner({ writer: false, residentRestore: false }, async (argv) => {
    spawned.push(argv.join(' '));
    return 'x';
  });
  t.equal(await r.run(['nft', '-f', '-'], 'add counter inet qlink a\n'), 'x', 'no writer: nft -f - as before');
  t.equal(await r.run(['iptables-legacy-restore', '-w', '--noflush'], '*filter\nCOMMIT\n'), 'x', 'no resident restore: a process');
  t.same(spawned, ['nft -f -', 'iptables-legacy-restore -w --noflush']);
  t.match(r.transport.nft, /per change/);
});
