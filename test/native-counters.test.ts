import t from 'tap';
import {
  chooseCounterReader,
  INSTALLED_NATIVE_READER,
  NativeCounterReader,
  NftCounterReader,
  parseNativeCounters,
  TREE_NATIVE_READER,
} from '../agent/src/gate/counter-reader.js';
import { CommandError, type CommandRunner } from '../agent/src/kernel/run.js';

/** Answers each command from a table (argv joined by spaces); records what ran. */
function scripted(answers: Record<string, string | CommandError>): CommandRunner & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    async run(argv) {
      const key = argv.join(' ');
      ran.push(key);
      const a = answers[key];
      if (a === undefined) throw new Error(`unexpected command ${key}`);
      if (a instanceof CommandError) throw a;
      return a;
    },
  };
}

const NATIVE = '/opt/qlink-counters --table qlink';
const NFT = 'nft -j list counters table inet qlink';

t.test('native lines become per-session readings', async (t) => {
  const got = parseNativeCounters(['s7_up 12 3 180', 's7_dn 13 40 60000', 's42_dn 99 0 0', 's1_up 5 9007199254740991 123456789012', ''].join('\n'));
  t.same(
    [...got.entries()],
    [
      [7, { up: { handle: 12, packets: 3, bytes: 180 }, down: { handle: 13, packets: 40, bytes: 60000 } }],
      [42, { down: { handle: 99, packets: 0, bytes: 0 } }],
      [1, { up: { handle: 5, packets: 9007199254740991, bytes: 123456789012 } }],
    ],
  );
});

t.test("empty output is an empty gate, and others' counters are not sessions", async (t) => {
  t.equal(parseNativeCounters('').size, 0);
  t.same([...parseNativeCounters('total 1 2 3\ns3_sideways 2 0 0\ns3_up 4 1 64\n')], [[3, { up: { handle: 4, packets: 1, bytes: 64 } }]]);
});

t.test('a malformed line throws rather than meter wrongly', async (t) => {
  for (const bad of ['s1_up 1 2', 's1_up 1 2 3 4', 's1_up x 2 3', 's1_up 1 -2 3', 's1_up  1 2 3', 's1_up 1 2 3.5']) {
    t.throws(() => parseNativeCounters(bad + '\n'), /malformed line/, bad);
  }
});

t.test('the native reader: its lines, exit 3 = gate gone', async (t) => {
  const ok = scripted({ [NATIVE]: 's2_up 7 1 100\ns2_dn 8 2 200\n' });
  const r = new NativeCounterReader(ok, '/opt/qlink-counters');
  t.same([...(await r.read())!], [[2, { up: { handle: 7, packets: 1, bytes: 100 }, down: { handle: 8, packets: 2, bytes: 200 } }]]);
  t.same(ok.ran, [NATIVE]);
  t.equal(r.kind, 'native');

  const gone = scripted({ [NATIVE]: new CommandError(['/opt/qlink-counters'], 3, 'qlink-counters: table inet qlink does not exist\n') });
  const g = new NativeCounterReader(gone, '/opt/qlink-counters');
  t.equal(await g.read(), null);
  t.equal(g.kind, 'native', 'a missing table is news, not a broken reader');
});

t.test('any other failure hands over to nft for good', async (t) => {
  const json = JSON.stringify({ nftables: [{ counter: { family: 'inet', table: 'qlink', name: 's5_dn', handle: 3, packets: 4, bytes: 500 } }] });
  const runner = scripted({ [NATIVE]: new CommandError(['/opt/qlink-counters'], 1, 'qlink-counters: netlink socket: Operation not permitted\n'), [NFT]: json });
  const r = new NativeCounterReader(runner, '/opt/qlink-counters');
  t.same([...(await r.read())!], [[5, { down: { handle: 3, packets: 4, bytes: 500 } }]]);
  await r.read();
  t.same(runner.ran, [NATIVE, NFT, NFT]);
  t.equal(r.kind, 'nft');
  t.match(r.fallbackReason, /Operation not permitted/);
});

t.test('the nft reader: missing table is null too', async (t) => {
  const runner = scripted({ [NFT]: new CommandError(['nft'], 1, 'Error: No such file or directory\n') });
  t.equal(await new NftCounterReader(runner).read(), null);
});

t.test('choosing a reader: config, then installed, then in-tree, then nft', async (t) => {
  const runner = scripted({});
  const pick = (configured: string | false | undefined, present: string[]) => {
    const { reader, reason } = chooseCounterReader(runner, configured, (p) => present.includes(p));
    return [reader.kind, reader instanceof NativeCounterReader ? reader.path : null, reason];
  };
  t.match(pick(false, [INSTALLED_NATIVE_READER]), ['nft', null, /disabled/]);
  t.match(pick('/x/reader', ['/x/reader', INSTALLED_NATIVE_READER]), ['native', '/x/reader', /configured/]);
  t.match(pick('/x/reader', [INSTALLED_NATIVE_READER]), ['nft', null, /not found/]);
  t.match(pick(undefined, [INSTALLED_NATIVE_READER, TREE_NATIVE_READER]), ['native', INSTALLED_NATIVE_READER, /native reader/]);
  t.match(pick(undefined, [TREE_NATIVE_READER]), ['native', TREE_NATIVE_READER, /native reader/]);
  t.match(pick(undefined, []), ['nft', null, /no native reader/]);
  t.match(TREE_NATIVE_READER, /\/agent\/native\/build\/qlink-counters$/);
});
