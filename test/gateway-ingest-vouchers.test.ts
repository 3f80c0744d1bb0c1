import { pino } from 'pino';
import t from 'tap';
import { Ingestor } from '../gateway/src/ingest/ingestor.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { VoucherCheck } from '../gateway/src/ingest/vouchers.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { type Batch, routerTopics } from '../protocol/src/index.js';
import { MemoryChainChannels } from './fakes/chain-channels.js';
import { MemoryRegistry } from './fakes/memory-registry.js';
import { deployment, SimRouter } from './gateway-sim.js';

// Vouchers checked at the door (issue 15): a record's voucher is kept as a
// voucher only when the chain's channel pays the router's owner, its key
// signed the amount and the amount is within the deposit. The batch itself
// is the router's signed claim of usage and is stored all the same.
const OWNER_A = '0x' + 'aa'.repeat(20);
const OWNER_B = '0x' + 'bb'.repeat(20);
const MAX = Number.MAX_SAFE_INTEGER;

async function setup() {
  let now = 1_000_000;
  const store = await openSqliteStore(':memory:');
  const chain = new MemoryChainChannels(deployment);
  const registry = new MemoryRegistry();
  const [a, a2, b] = [new SimRouter(), new SimRouter(), new SimRouter()];
  registry.add(a.publicKey, OWNER_A);
  registry.add(a2.publicKey, OWNER_A);
  registry.add(b.publicKey, OWNER_B);
  const counters = ingestCounters();
  const check = new VoucherCheck(chain, deployment, { freshMs: 10_000, backoffMs: 5_000, clock: () => now });
  const ing = new Ingestor(
    store.ingest,
    registry,
    check,
    { deployment, maxPayloadBytes: 1 << 20, ack: () => undefined, clock: () => now },
    counters,
    pino({ level: 'silent' }),
  );
  const send = (r: SimRouter, batch: Batch) => ing.handle(routerTopics(r.address).usage, Buffer.from(JSON.stringify(batch)));
  const withVoucher = (r: SimRouter, channelId: number, amount: number, signature: string) => ({
    ...r.records(1, channelId)[0]!,
    voucher: { amount, signature },
  });
  return {
    store,
    chain,
    a,
    a2,
    b,
    counters,
    send,
    withVoucher,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

t.test("the shadow attack: another owner's router files a record of the channel at 2^53-1 with a zero signature", async (t) => {
  const { store, chain, a, b, counters, send, withVoucher } = await setup();
  t.teardown(() => store.close());
  const ch = chain.open(OWNER_A, 1000n);
  const real = ch.sign(500);
  t.equal(await send(a, a.build([withVoucher(a, ch.id, 500, real)])), 'stored');
  const forged = b.build([withVoucher(b, ch.id, MAX, '00'.repeat(64))]);
  t.equal(await send(b, forged), 'stored', "the batch is stored: its usage is the router's signed claim");
  t.same(await store.settlement.newestVoucher(ch.id), { amount: 500, signature: real, router: a.address }, 'the newest voucher is still the real 500');
  t.same(
    (await store.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount, v.router]),
    [[ch.id, 500, a.address]],
    'settlement redeems 500',
  );
  t.match(await store.reports.anomalies({ router: b.address }), [
    {
      kind: 'bad-voucher',
      seq: 1,
      hash: forged.hash,
      status: 'reported',
      detail: `1 of 1 vouchers refused: record 1 (channel ${ch.id}, ${MAX}): channel pays another owner`,
    },
  ]);
  t.equal(counters.get('qlink_gateway_vouchers_refused_total'), 1);
  const [kept] = await store.owner.storedBatches(b.address, 0, 1);
  t.same(kept?.records, forged.records, 'the stored batch is as signed: it still verifies, and proves what it claims');
});

t.test('each check: bad signature, over the deposit, unknown channel, a voucher without a channel; the good ones kept', async (t) => {
  const { store, chain, a, a2, send, withVoucher } = await setup();
  t.teardown(() => store.close());
  const [c1, c2] = [chain.open(OWNER_A, 1000n), chain.open(OWNER_A, 1000n)];
  const recs = [
    withVoucher(a, c1.id, 100, c1.sign(100)),
    withVoucher(a, c1.id, 200, c1.sign(199)), // signed for another amount
    withVoucher(a, c2.id, 1001, c2.sign(1001)), // over the deposit
    withVoucher(a, 77, 5, c1.sign(5)), // no such channel
    { ...withVoucher(a, c1.id, 300, c1.sign(300)), channelId: null },
    withVoucher(a, c2.id, 400, c1.sign(400)), // another channel's key, but below channel 2's good 900: never needed, never checked
    withVoucher(a, c2.id, 900, c2.sign(900)),
  ];
  const batch = a.build(recs);
  t.equal(await send(a, batch), 'stored');
  const [anomaly] = await store.reports.anomalies({ router: a.address });
  t.equal(
    anomaly?.detail,
    '4 of 7 vouchers refused: record 2 (channel 1, 200): bad voucher signature; record 3 (channel 2, 1001): above deposit; ' +
      'record 4 (channel 77, 5): unknown channel; record 5 (channel —, 300): a voucher without a channel',
    "each channel's highest, down to the first that passes",
  );
  t.same(
    (await store.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]),
    [
      [c1.id, 100],
      [c2.id, 900],
    ],
  );
  t.same((await store.owner.storedBatches(a.address, 0, 1))[0]?.records, batch.records, 'every record kept as signed, the unused 400 included');
  t.equal(
    (await store.reports.sessions({ router: a.address })).find((x) => x.sessionId === recs[5]!.sessionId && x.voucherAmount === 400),
    undefined,
    'the unchecked 400 is not a voucher anywhere in the books',
  );
  t.equal(chain.reads, 3, 'one read per distinct channel of the batch');
  t.equal(await send(a2, a2.build([withVoucher(a2, c1.id, 150, c1.sign(150))])), 'stored', 'another router of the same owner (roaming)');
  t.equal(chain.reads, 3, 'read a moment ago: not asked again');
  t.equal((await store.settlement.newestVoucher(c1.id))?.amount, 150);
});

t.test('the chain away: what was read decides, what was not waits for a resend', async (t) => {
  const { store, chain, a, send, withVoucher, tick } = await setup();
  t.teardown(() => store.close());
  const ch = chain.open(OWNER_A, 1000n);
  const other = chain.open(OWNER_A, 1000n);
  t.equal(await send(a, a.build([withVoucher(a, ch.id, 100, ch.sign(100))])), 'stored');
  chain.down = true;
  tick(60_000);
  t.equal(await send(a, a.build([withVoucher(a, ch.id, 200, ch.sign(200))])), 'stored', 'a channel read before: its key and owner decide');
  t.equal(await send(a, a.build([withVoucher(a, ch.id, 300, '00'.repeat(64))])), 'stored', 'and refuse a forgery');
  t.equal((await store.settlement.newestVoucher(ch.id))?.amount, 200);
  const reads = chain.reads;
  t.equal(
    await send(a, a.build([withVoucher(a, ch.id, 2000, ch.sign(2000))], { advance: false })),
    'retry',
    'above the deposit it had: perhaps topped up since; wait',
  );
  t.equal(await send(a, a.build([withVoucher(a, other.id, 50, other.sign(50))], { advance: false })), 'retry', 'a channel never read: wait');
  t.equal(chain.reads, reads, 'the chain is not asked again while it was just away');
  chain.down = false;
  tick(6_000);
  t.equal(await send(a, a.build([withVoucher(a, other.id, 50, other.sign(50))])), 'stored', 'back: decided');
  t.equal((await store.settlement.newestVoucher(other.id))?.amount, 50);
  t.same(
    (await store.reports.anomalies({})).map((x) => x.kind),
    ['bad-voucher'],
    'only the forgery is an anomaly; waiting is not',
  );
});

t.test('a chain that takes the call and never answers holds no batch of a known channel up', async (t) => {
  const { store, chain, a, send, withVoucher, tick } = await setup();
  t.teardown(() => store.close());
  const ch = chain.open(OWNER_A, 1000n);
  t.equal(await send(a, a.build([withVoucher(a, ch.id, 100, ch.sign(100))])), 'stored');
  chain.hang = true;
  tick(60_000);
  const reads = chain.reads;
  const started = Date.now();
  t.equal(await send(a, a.build([withVoucher(a, ch.id, 200, ch.sign(200))])), 'stored', 'decided by what was read before');
  t.ok(Date.now() - started < 1_000, 'at once: the read goes on behind it');
  t.equal(chain.reads, reads + 1, 'one read in the background');
  t.equal(await send(a, a.build([withVoucher(a, ch.id, 300, ch.sign(300))])), 'stored');
  t.equal(chain.reads, reads + 1, 'not a second while the first is out');
});
