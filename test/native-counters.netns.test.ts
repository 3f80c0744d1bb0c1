import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { NativeCounterReader, NftCounterReader } from '../agent/src/gate/counter-reader.js';
import { runProcess, type CommandRunner } from '../agent/src/kernel/run.js';

// The reader is checked against nft itself on a real kernel, in a namespace of its own.
const NATIVE_DIR = fileURLToPath(new URL('../../agent/native', import.meta.url));
const READER = `${NATIVE_DIR}/build/qlink-counters`;
const NS = `qlnc${process.pid}`;
const inNs = (argv: readonly string[]) => ['nsenter', `--net=/run/netns/${NS}`, ...argv];
const run = (argv: readonly string[], input?: string) => spawnSync(argv[0]!, argv.slice(1), { input: input ?? '', encoding: 'utf8' });
const nsRunner: CommandRunner = { run: (argv, input) => runProcess(inNs(argv), input) };

interface Row {
  name: string;
  handle: number;
  packets: number;
  bytes: number;
}

function viaNft(table = 'qlink'): Row[] {
  const r = run(inNs(['nft', '-j', 'list', 'counters', 'table', 'inet', table]));
  if (r.status !== 0) throw new Error(r.stderr);
  const doc = JSON.parse(r.stdout) as { nftables: Array<{ counter?: Row & { table: string } }> };
  return doc.nftables.flatMap((o) =>
    o.counter && o.counter.table === table ? [{ name: o.counter.name, handle: o.counter.handle, packets: o.counter.packets, bytes: o.counter.bytes }] : [],
  );
}

function viaNative(args: string[] = []): { rows: Row[]; status: number | null; stdout: string; stderr: string } {
  const r = run(inNs([READER, ...args]));
  const rows = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, handle, packets, bytes] = l.split(' ');
      return { name: name!, handle: Number(handle), packets: Number(packets), bytes: Number(bytes) };
    });
  return { rows, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const byName = (rows: Row[]) => [...rows].sort((a, b) => a.name.localeCompare(b.name));

t.test('native counter reader against nft on a real kernel', async (t) => {
  execFileSync('make', ['-s', '-C', NATIVE_DIR], { stdio: 'inherit' });
  execFileSync('ip', ['netns', 'add', NS]);
  t.teardown(() => {
    run(['ip', 'netns', 'del', NS]);
  });
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);

  await t.test('no table: exit 3, nothing on stdout', async (t) => {
    const r = viaNative();
    t.equal(r.status, 3, `exit 3 (${r.stderr.trim()})`);
    t.equal(r.stdout, '');
    t.match(r.stderr, /does not exist/);
    t.equal(await new NativeCounterReader(nsRunner, READER).read(), null, 'the seam says gate gone');
  });

  await t.test('a table without counters: exit 0, nothing printed', async (t) => {
    t.equal(run(inNs(['nft', '-f', '-']), 'add table inet qlink\n').status, 0);
    const r = viaNative();
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, '');
    t.same(await new NativeCounterReader(nsRunner, READER).read(), new Map());
  });

  await t.test("counters with traffic, preset values and others' objects", async (t) => {
    const ruleset = `
table inet qlink {
  counter s1_up { }
  counter s1_dn { }
  counter s2_up { packets 5 bytes 300 }
  counter s2_dn { packets 9007199254740991 bytes 123456789012345 }
  counter other { }
  quota q1 { 100 mbytes }
  chain out {
    type filter hook output priority 0; policy accept;
    udp dport 9999 counter name "s1_up"
    meta l4proto icmp counter name "s1_dn"
  }
}
table inet elsewhere {
  counter s9_up { packets 1 bytes 1 }
}
`;
    const load = run(inNs(['nft', '-f', '-']), ruleset);
    t.equal(load.status, 0, load.stderr);
    // Three datagrams to a closed port: counted going out, and their ICMP errors too.
    const send = `const s=require('dgram').createSocket('udp4');let n=0;const go=()=>s.send(Buffer.alloc(100),9999,'127.0.0.1',()=>{if(++n<3)setTimeout(go,20);else s.close()});go()`;
    const traffic = run(inNs([process.execPath, '-e', send]));
    t.equal(traffic.status, 0, traffic.stderr);

    const native = viaNative();
    t.equal(native.status, 0, native.stderr);
    const nft = viaNft();
    t.same(byName(native.rows), byName(nft), 'names, handles, packets and bytes as nft reports them');
    t.same(native.rows.map((r) => r.name).sort(), ['other', 's1_dn', 's1_up', 's2_dn', 's2_up'], 'only counters, only this table');
    t.equal(native.rows.find((r) => r.name === 's1_up')!.packets, 3, 'the datagrams were counted');

    t.same(await new NativeCounterReader(nsRunner, READER).read(), await new NftCounterReader(nsRunner).read(), 'the seam reads what the nft path reads');
    t.same(byName(viaNative(['--table', 'elsewhere']).rows), byName(viaNft('elsewhere')), '--table picks another table');
  });

  await t.test('2,000 counters span many netlink messages and still match nft', async (t) => {
    const lines = Array.from(
      { length: 1000 },
      (_, i) => `add counter inet qlink s${i + 100}_up\nadd counter inet qlink s${i + 100}_dn { packets ${i} bytes ${i * 1500} }`,
    );
    const load = run(inNs(['nft', '-f', '-']), lines.join('\n') + '\n');
    t.equal(load.status, 0, load.stderr);
    const native = viaNative();
    t.equal(native.status, 0, native.stderr);
    t.equal(native.rows.length, 2005);
    t.same(byName(native.rows), byName(viaNft()));
  });

  await t.test('a deleted table is gone again: exit 3', async (t) => {
    t.equal(run(inNs(['nft', 'delete', 'table', 'inet', 'qlink'])).status, 0);
    t.equal(viaNative().status, 3);
  });

  t.test('usage errors are plain failures (exit 1)', async (t) => {
    t.equal(viaNative(['--bogus']).status, 1);
    t.equal(viaNative(['--table']).status, 1);
  });
});
