import t from 'tap';
import { roundRoot } from '../protocol/src/index.js';
import {
  checkBatches,
  checkBytes,
  checkOwner,
  checkRefunds,
  type BatchEvidence,
  type BookRound,
  type CountEvidence,
  type PayEvidence,
  type RefundEvidence,
} from '../scripts/lib/faults/checks.js';
import type { Audit } from '../scripts/lib/faults/chain-view.js';
import { KernelCounters } from '../scripts/lib/faults/counters.js';
import type { Guest } from '../scripts/lib/faults/scenario.js';

// The fault suite's four checks on made-up evidence: each holds on whole
// books and fails on the fault it is there to catch.
const reading = (down: number, up: number, handles = [1, 2]) =>
  new Map([[7, { down: { handle: handles[0]!, bytes: down, packets: 1 }, up: { handle: handles[1]!, bytes: up, packets: 1 } }]]);

function counted(): KernelCounters {
  const k = new KernelCounters('unused');
  k.add(1_000, reading(100, 10));
  k.add(2_000, reading(900, 90));
  k.add(3_000, reading(1_000, 100)); // the last reading before the flush, in the same command
  k.nextGeneration();
  k.add(4_000, reading(500, 50)); // the rebuilt counters: their handles may be the old ones again
  return k;
}

const bytes = (records: { down: number; up: number }, over: Partial<CountEvidence> = {}): CountEvidence => ({
  counters: counted(),
  sessions: [
    {
      id: 7,
      mac: 'm',
      plan: 'mb',
      channelId: 1,
      state: 'ended',
      endReason: 'logout',
      bytesDown: records.down,
      bytesUp: records.up,
      startedAt: 0,
      endedAt: 5_000,
    },
  ],
  records: new Map([[7, { ...records, records: 3 }]]),
  ids: { n: 3, min: 1, max: 3 },
  strays: 0,
  lastRecordMade: 3,
  flushAt: 3_000,
  restores: [{ at: 3_100, lossWindowMs: 200 }],
  ...over,
});

t.test('(1) bytes: records equal to the kernel, bar a flush window within its bound', async (t) => {
  t.ok(checkBytes(bytes({ down: 1_500, up: 150 })).ok, 'every byte in a record');
  const c = checkBytes(bytes({ down: 1_450, up: 145 }));
  t.ok(c.ok, 'the flush wiped 50 / 5 unread: within what the counters gained since the agent read them');
  t.match(c.details.join('\n'), /50 \/ 5 bytes wiped by the flush/);
  t.notOk(checkBytes(bytes({ down: 1_501, up: 150 })).ok, 'a byte recorded twice');
  t.notOk(checkBytes(bytes({ down: 500, up: 150 })).ok, 'the pre-flush total lost: far beyond the window');
  t.notOk(checkBytes(bytes({ down: 1_450, up: 145 }, { flushAt: null, restores: [] })).ok, 'a difference with no flush to explain it');
  t.notOk(checkBytes(bytes({ down: 1_500, up: 150 }, { ids: { n: 2, min: 1, max: 3 } })).ok, 'a record id missing');
  t.notOk(checkBytes(bytes({ down: 1_500, up: 150 }, { lastRecordMade: 4 })).ok, "the router's last record not at the gateway");
});

const H = (n: number) => n.toString(16).padStart(64, '0');
const batch = (seq: number) => ({
  seq,
  hash: H(100 + seq),
  prev: seq === 1 ? H(0) : H(99 + seq),
  root: H(200 + seq),
  firstRecord: seq,
  lastRecord: seq,
  records: 1,
});
// The router's two batches: batch 1 in round 1 (with another router's batch), batch 2 in round 2.
const OTHER = H(999);
const books = (): BookRound[] => [
  { anchorer: A, round: 1, root: roundRoot([H(101), OTHER]), hashes: [H(101), OTHER], txid: '0x' + 'a1'.repeat(32) },
  { anchorer: A, round: 2, root: roundRoot([H(102)]), hashes: [H(102)], txid: '0x' + 'a2'.repeat(32) },
];
const A = '0x' + '77'.repeat(20);
const anchoredTx = (txid: string, round: number, root: string) => ({
  txid,
  vmstate: 'HALT',
  events: [{ name: 'RoundAnchored', params: { anchorer: A, round: String(round), root } }],
});
const onChain = (rs = books()) => rs.map((r) => anchoredTx(r.txid!.slice(2), r.round, r.root));
const audit = (o: Partial<Audit> = {}): Audit => ({
  balances: {},
  roundHead: { round: 2n, root: books()[1]!.root },
  channels: [{ id: 1n, guest: 'g', owner: 'o', deposit: 1_000n, redeemed: 300n, expiry: 0n, closed: true }],
  txs: onChain(),
  ...o,
});
const placed = [
  { seq: 1, round: 1, idx: 0, confirmed: 1 },
  { seq: 2, round: 2, idx: 0, confirmed: 1 },
];
const batches = (o: Partial<BatchEvidence> = {}): BatchEvidence => ({
  agent: [1, 2].map((s) => ({ ...batch(s), ackedAt: 1 })),
  gateway: [batch(1), batch(2)],
  anomalies: [],
  placed,
  rounds: books(),
  audit: audit(),
  ...o,
});

t.test('(2) batches: stored once, chained, each in exactly one round anchored exactly once', async (t) => {
  const c = checkBatches(batches());
  t.ok(c.ok, c.details.join('\n'));
  t.notOk(checkBatches(batches({ gateway: [batch(1)] })).ok, 'a batch missing at the gateway');
  t.notOk(checkBatches(batches({ gateway: [batch(1), { ...batch(2), prev: H(5) }] })).ok, 'a broken hash chain');
  t.notOk(checkBatches(batches({ anomalies: [{ kind: 'fork', seq: 2, status: 'reported', count: 1 }] })).ok, 'a fork reported');
  t.notOk(checkBatches(batches({ audit: audit({ txs: [...onChain(), anchoredTx('b'.repeat(64), 2, books()[1]!.root)] }) })).ok, 'a round anchored twice');
  t.notOk(checkBatches(batches({ audit: audit({ txs: onChain().slice(0, 1), roundHead: { round: 1n, root: '' } }) })).ok, 'a round never anchored');
  t.notOk(checkBatches(batches({ placed: placed.slice(0, 1) })).ok, 'a batch in no round');
  t.notOk(checkBatches(batches({ placed: [...placed, { seq: 2, round: 1, idx: 1, confirmed: 1 }] })).ok, 'a batch in two rounds');
  t.notOk(checkBatches(batches({ placed: [placed[0]!, { ...placed[1]!, confirmed: 0 }] })).ok, 'a round the books do not hold confirmed');
  t.notOk(checkBatches(batches({ audit: audit({ txs: [onChain()[0]!, anchoredTx('a2'.repeat(32), 2, H(5))] }) })).ok, 'the chain anchored another root');
  const bad = books();
  bad[0]!.hashes = [H(101), H(998)];
  t.notOk(checkBatches(batches({ rounds: bad })).ok, 'the stored batches no longer give the anchored root');
  t.notOk(checkBatches(batches({ audit: audit({ roundHead: { round: 3n, root: '' } }) })).ok, 'the chain has a round the books do not');
  t.notOk(checkBatches(batches({ placed: [placed[0]!, { ...placed[1]!, idx: 1 }] })).ok, 'a batch at the wrong leaf');
});

const guest = { client: 'c1', wallet: 'guest1', plan: 'mb', flow: { client: 'c1', down: 1 }, end: 'logout', channelId: 1, fees: 40n } as unknown as Guest;
const closed = (paid: bigint, refunded: bigint) => [
  { txid: 'b'.repeat(64), vmstate: 'HALT', events: [{ name: 'ChannelClosed', params: { id: '1', paid: String(paid), refunded: String(refunded) } }] },
];
const pay = (o: Partial<PayEvidence> = {}): PayEvidence => ({
  ownerBefore: 5_000n,
  ownerAfter: 5_300n,
  newest: new Map([[1, 300n]]),
  guests: [guest],
  audit: audit({ txs: closed(300n, 700n) }),
  killedTx: null,
  txs: [],
  ...o,
});

t.test("(3) the owner: paid the newest vouchers' sum, once", async (t) => {
  t.ok(checkOwner(pay()).ok);
  t.notOk(checkOwner(pay({ newest: new Map([[1, 350n]]) })).ok, 'the newest voucher never redeemed');
  t.notOk(checkOwner(pay({ ownerAfter: 5_600n })).ok, 'paid twice');
  t.notOk(checkOwner(pay({ killedTx: 'c'.repeat(64), txs: [{ txid: 'c'.repeat(64), status: 'pending' }] })).ok, 'the tx in flight at the kill never settled');
});

const refund = (o: Partial<RefundEvidence> = {}): RefundEvidence => ({
  guests: [guest],
  audit: audit({ txs: closed(300n, 700n) }),
  refunds: [],
  before: new Map([['A', 10_000n]]),
  after: new Map([['A', 10_000n - 1_000n - 40n + 700n]]),
  address: () => 'A',
  ...o,
});

t.test('(4) refunds: deposit − redeemed back, and the wallet shows it', async (t) => {
  t.ok(checkRefunds(refund()).ok, 'closed at log out');
  const expired = audit({ txs: [], channels: [{ id: 1n, guest: 'g', owner: 'o', deposit: 1_000n, redeemed: 300n, expiry: 0n, closed: false }] });
  t.ok(
    checkRefunds(refund({ audit: expired, refunds: [{ channelId: 1n, txid: 'd', vmstate: 'HALT', exception: null, refunded: 700n }] })).ok,
    'refunded after expiry',
  );
  t.notOk(checkRefunds(refund({ audit: audit({ txs: closed(300n, 690n) }) })).ok, 'ten units short');
  t.notOk(checkRefunds(refund({ after: new Map([['A', 10_000n - 1_000n - 40n]]) })).ok, 'the wallet never saw it');
  t.notOk(checkRefunds(refund({ audit: expired })).ok, 'neither closed nor refunded');
});
