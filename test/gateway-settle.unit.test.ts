import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import { account } from '../chain/src/neon.js';
import { type Channel, type RoundHead, roundOrder, roundRoot, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, privateKeyHex, signP256 } from '../protocol/src/node/index.js';
import type { BuiltTx, Executed, SettleChain } from '../gateway/src/settle/chain.js';
import { ownerKeyProblem } from '../gateway/src/settle/closer.js';
import { settlementConfigSchema } from '../gateway/src/settle/config.js';
import { Settler } from '../gateway/src/settle/settler.js';
import { gatewayConfigSchema } from '../gateway/src/config.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import type { SettlerLock } from '../gateway/src/store/store.js';
import { deployment, SimRouter } from './gateway-sim.js';

// Settlement decisions against a fake chain: rounds cut and anchored in
// order, what is left out, what waits, what is sent again and with what. The
// real-chain test (gateway-settle.chain) proves the payouts and the anchors.
const domain = { networkMagic: deployment.networkMagic, contract: deployment.contract };
const owner = '0x' + '11'.repeat(20);
const PAYER = '0x' + '33'.repeat(20);
const log = pino({ level: 'silent' });
const cfg = settlementConfigSchema.parse({ wif: 'x'.repeat(52), intervalMs: 1000, roundIntervalMs: 1000, checkMs: 100 });
const ANCHOR = Buffer.from('anchorRound').toString('hex');
const REDEEM = Buffer.from('redeemBatch').toString('hex');

class FakeChain implements SettleChain {
  readonly payer = PAYER;
  blocks = 10;
  head: RoundHead = { round: 0n, root: '00'.repeat(32) };
  channels = new Map<number, Channel>();
  logs = new Map<string, Executed>();
  relays: string[] = [];
  scripts = new Map<string, string>();
  relayDown = false;
  /** The exception a test invocation of an anchor gets, or null when it would HALT. */
  anchorFault: string | null = null;
  async height() {
    return this.blocks;
  }
  async build(script: string): Promise<BuiltTx> {
    const raw = Buffer.alloc(40);
    raw.writeBigInt64LE(100n, 5);
    raw.writeBigInt64LE(7n, 13);
    raw.writeUInt32LE(this.blocks + 5, 21);
    const txid = '0x' + randomBytes(32).toString('hex');
    this.scripts.set(txid, script);
    return { txid, raw, size: 40, systemFee: 100n, networkFee: 7n, validUntilBlock: this.blocks + 5 };
  }
  async test(script: string) {
    return script.includes(ANCHOR) ? this.anchorFault : null;
  }
  async relay(raw: Buffer) {
    if (this.relayDown) throw new Error('fetch failed');
    this.relays.push(raw.toString('hex'));
  }
  async executed(txid: string) {
    return this.logs.get(txid) ?? null;
  }
  async channel(id: number) {
    return this.channels.get(id) ?? null;
  }
  async round() {
    return this.head;
  }
  async isCloser() {
    return false;
  }
  /** The newest transaction built, and what its script calls. */
  last(): { txid: string; redeems: boolean; anchors: boolean; script: string } {
    const [txid, script] = [...this.scripts].at(-1)!;
    return { txid, script, redeems: script.includes(REDEEM), anchors: script.includes(ANCHOR) };
  }
}

function channel(id: number, voucherKey: string): Channel {
  return {
    id: BigInt(id),
    guest: owner,
    owner,
    token: owner,
    voucherKey,
    deposit: 10_000n,
    redeemed: 0n,
    expiry: 0n,
    closed: false,
    planId: 1,
    planVersion: 1,
  };
}

async function setup(c = cfg, lock?: SettlerLock, clock?: () => number) {
  const store = await openSqliteStore(':memory:');
  const chain = new FakeChain();
  const key = newKeyPair();
  const sign = (id: number, amount: number) => signP256(key.privateKey, voucherMessage(domain, BigInt(id), BigInt(amount))).toString('hex');
  for (const id of [1, 2]) chain.channels.set(id, channel(id, key.publicKey));
  const routers = [new SimRouter(), new SimRouter()];
  const records = [
    { ...routers[0]!.records(1, 1)[0]!, voucher: { amount: 500, signature: sign(1, 500) } },
    { ...routers[0]!.records(1, 2)[0]!, voucher: { amount: 700, signature: sign(2, 999) } }, // signed for another amount: forged
  ];
  const batches = [routers[0]!.build(records), routers[1]!.next(1), routers[1]!.next(2)];
  await store.ingest.storeBatch(routers[0]!.address, batches[0]!, 1);
  await store.ingest.storeBatch(routers[1]!.address, batches[1]!, 1);
  await store.ingest.storeBatch(routers[1]!.address, batches[2]!, 1);
  const settler = new Settler(store.settlement, chain, domain, c, log, { ...(lock ? { lock } : {}), ...(clock ? { clock } : {}) });
  const root = roundRoot(roundOrder(batches.map((b, i) => ({ router: routers[i === 0 ? 0 : 1]!.address, seq: b.seq, hash: b.hash }))).map((x) => x.hash));
  return { store, chain, routers, batches, settler, sign, root };
}

t.test("one round over every router's batches, anchored in the same transaction as the redeems; a forged voucher left out", async (t) => {
  const { store, chain, settler, root } = await setup();
  t.teardown(() => store.close());
  t.match(await settler.tick(true), { kind: 'sent', vouchers: 1, round: 1 });
  t.match(chain.last(), { redeems: true, anchors: true }, 'redeemBatch and anchorRound in one script');
  t.ok(chain.last().script.includes(root), 'the root of the three batches, in round order');
  t.ok(chain.last().script.includes(PAYER.slice(2).match(/../g)!.reverse().join('')), 'the payer is the anchorer');
  t.same(await store.settlement.roundQueue(10), [], 'every batch is in the round');
  t.same(await store.settlement.openRounds(PAYER), [
    { anchorer: PAYER, round: 1, root, size: 3, createdAt: (await store.settlement.lastRound(PAYER))!.createdAt, pending: chain.last().txid },
  ]);
  t.match(await store.reports.transactions({}), [{ status: 'pending', items: 1, round: 1, validUntilBlock: 15 }]);
  t.equal(chain.relays.length, 1);
});

t.test('relay fails: pending, sent again; FAULT frees its items and the same round goes again; HALT anchors it; the next round is 2', async (t) => {
  const { store, chain, settler, root, routers } = await setup();
  t.teardown(() => store.close());
  chain.relayDown = true;
  t.match(await settler.tick(true), { kind: 'down' });
  const [p] = await store.reports.transactions({ status: 'pending' });
  t.ok(p, 'recorded before the failed send');
  t.same(
    (await store.settlement.vouchersToRedeem(10)).map((v) => v.channelId),
    [2],
    'its voucher is covered while pending (the forged one stays out)',
  );
  chain.relayDown = false;
  t.match(await settler.tick(true), { kind: 'waiting', pending: 1 });
  t.equal(chain.relays.length, 1, 'sent again once the chain answers');
  chain.logs.set(p!.txid, { vmstate: 'FAULT', exception: 'boom' });
  const r = await settler.tick(true);
  t.match(await store.reports.transactions({ status: 'faulted' }), [{ txid: p!.txid, detail: 'boom', gasFee: 107 }]);
  t.match(r, { kind: 'sent', vouchers: 1, round: 1 }, 'its voucher and its round straight into a new transaction');
  t.ok(chain.last().script.includes(root), 'the same root');
  const [q] = await store.reports.transactions({ status: 'pending' });
  t.same(
    (await store.settlement.roundTxs(PAYER, 1)).map((x) => x.txid),
    [p!.txid, q!.txid],
    'both carried round 1',
  );
  chain.logs.set(q!.txid, { vmstate: 'HALT', exception: null });
  chain.head = { round: 1n, root };
  t.match(await settler.tick(true), { kind: 'idle' });
  t.match(await store.reports.transactions({ status: 'confirmed' }), [{ txid: q!.txid, round: 1 }]);
  t.same(await store.settlement.openRounds(PAYER), []);
  await store.ingest.storeBatch(routers[1]!.address, routers[1]!.next(1), 2);
  t.match(await settler.tick(true), { kind: 'sent', vouchers: 0, round: 2 }, 'a batch stored later: round 2, an anchor alone');
  t.match(chain.last(), { redeems: false, anchors: true });
});

t.test('a transaction that expired unsent is rebuilt with the same round and root', async (t) => {
  const { store, chain, settler, root } = await setup();
  t.teardown(() => store.close());
  chain.relayDown = true;
  await settler.tick(true);
  const [p] = await store.reports.transactions({ status: 'pending' });
  chain.blocks = p!.validUntilBlock + 2;
  chain.relayDown = false;
  t.match(await settler.tick(true), { kind: 'sent', round: 1 });
  t.match(await store.reports.transactions({ status: 'expired' }), [{ txid: p!.txid }]);
  t.ok(chain.last().script.includes(root), 'the same root');
  t.equal((await store.settlement.lastRound(PAYER))?.round, 1, 'no new round was cut');
});

t.test('cadence: a round waits for its interval or its threshold; vouchers keep their own, and ride along with a round', async (t) => {
  let now = 1_700_000_000_000;
  const c = { ...cfg, intervalMs: 600_000, roundIntervalMs: 3_600_000, maxPendingVouchers: 5, maxPendingBatches: 5 };
  const { store, chain, settler, routers } = await setup(c, undefined, () => now);
  t.teardown(() => store.close());
  t.match(await settler.tick(), { kind: 'sent', round: 1, vouchers: 1 }, 'the first round is due at once (none before); the owed voucher rides along');
  chain.logs.set(chain.last().txid, { vmstate: 'HALT', exception: null });
  chain.head = { round: 1n, root: '00'.repeat(32) };
  t.match(await settler.tick(), { kind: 'idle' });
  await store.ingest.storeBatch(routers[1]!.address, routers[1]!.next(1), 2);
  now += 600_000;
  t.match(await settler.tick(), { kind: 'idle' }, 'a batch waits: 10 minutes is not the round interval, and no voucher is owed');
  const key = newKeyPair();
  chain.channels.set(3, channel(3, key.publicKey));
  const rec = {
    ...routers[0]!.records(1, 3)[0]!,
    voucher: { amount: 40, signature: signP256(key.privateKey, voucherMessage(domain, 3n, 40n)).toString('hex') },
  };
  await store.ingest.storeBatch(routers[0]!.address, routers[0]!.build([rec]), 3);
  t.match(
    await settler.tick(),
    { kind: 'sent', vouchers: 1, round: null },
    'a voucher owed for the voucher interval: redeemed alone, the batches wait for their round',
  );
  chain.logs.set(chain.last().txid, { vmstate: 'HALT', exception: null });
  t.match(await settler.tick(), { kind: 'idle' });
  for (let i = 0; i < 3; i++) await store.ingest.storeBatch(routers[1]!.address, routers[1]!.next(1), 4);
  t.match(await settler.tick(), { kind: 'sent', vouchers: 0, round: 2 }, 'five batches waiting: the round threshold');
  t.equal((await store.proofs.roundHashes(PAYER, 2)).length, 5);
});

t.test('the chain holds a round these books did not anchor: rounds stop (redeems go on); one they did is settled from its log', async (t) => {
  const { store, chain, settler, root } = await setup();
  t.teardown(() => store.close());
  chain.relayDown = true;
  await settler.tick(true);
  const [p] = await store.reports.transactions({ status: 'pending' });
  chain.blocks = p!.validUntilBlock + 2;
  // The node was behind when the books gave it up: it expired in the books, but the chain ran it.
  const fresh = new Settler(store.settlement, chain, domain, cfg, log);
  chain.relayDown = false;
  chain.logs.set(p!.txid, { vmstate: 'HALT', exception: null });
  await store.settlement.settle(p!.txid, { status: 'expired', vmstate: null, detail: 'not on chain', gasFee: 0, at: 1 });
  chain.logs.delete(p!.txid);
  chain.head = { round: 1n, root };
  chain.logs.set(p!.txid, { vmstate: 'HALT', exception: null });
  t.match(await fresh.tick(true), { kind: 'idle' }, 'reconciled at start: nothing to send');
  t.match(await store.reports.transactions({}), [{ txid: p!.txid, status: 'confirmed', round: 1 }], 'the expired one confirmed from its log');

  const other = await setup();
  t.teardown(() => other.store.close());
  other.chain.head = { round: 1n, root: 'ee'.repeat(32) };
  await other.store.settlement.cutRound({
    anchorer: PAYER,
    round: 1,
    root: other.root,
    at: 1,
    batches: roundOrder(await other.store.settlement.roundQueue(10)),
  });
  t.match(await other.settler.tick(true), { kind: 'sent', vouchers: 1, round: null }, "round 1 is someone else's on chain: the voucher goes alone");
  t.match(other.chain.last(), { redeems: true, anchors: false });
  other.chain.logs.set(other.chain.last().txid, { vmstate: 'HALT', exception: null });
  t.match(await other.settler.tick(true), { kind: 'idle' }, 'and no round after it');
});

t.test('an anchor the test invocation refuses is left out and the books compared again', async (t) => {
  const { store, chain, settler } = await setup();
  t.teardown(() => store.close());
  chain.anchorFault = 'qlink: round out of order';
  t.match(await settler.tick(true), { kind: 'sent', vouchers: 1, round: null });
  t.match(chain.last(), { anchors: false });
  t.same(
    (await store.settlement.openRounds(PAYER)).map((r) => r.round),
    [1],
    'the round stays open, nothing lost',
  );
});

t.test('only the lead settles; a lead taken sends what another left pending', async (t) => {
  let lead = false;
  const lock: SettlerLock = { lead: async () => lead, release: async () => undefined };
  const { store, chain, settler } = await setup(cfg, lock);
  t.teardown(() => store.close());
  t.match(await settler.tick(true), { kind: 'follower' });
  t.equal(chain.scripts.size, 0, 'a follower builds nothing');
  t.same((await store.settlement.roundQueue(10)).length, 3, 'nor cuts a round');
  lead = true;
  chain.relayDown = true;
  t.match(await settler.tick(true), { kind: 'down' });
  lead = false;
  chain.relayDown = false;
  t.match(await settler.tick(true), { kind: 'follower' });
  lead = true;
  t.match(await settler.tick(true), { kind: 'waiting', pending: 1 }, 'the lead again: the pending one is sent, not a new one built');
  t.equal(chain.scripts.size, 1);
  t.equal(chain.relays.length, 1);
});

t.test('config: a wallet key, closer keys, owner keys refused by name, round defaults', async (t) => {
  const base = {
    broker: { url: 'mqtt://127.0.0.1:1883' },
    store: { sqlite: ':memory:' },
    chain: { rpc: 'http://127.0.0.1:1', networkMagic: 1, contract: deployment.contract },
  };
  t.notOk(gatewayConfigSchema.safeParse({ ...base, settlement: {} }).success, 'no wif, no wifEnv: refused');
  const c = gatewayConfigSchema.parse({ ...base, settlement: { wifEnv: 'QLINK_WIF', closerKeys: [{ wifEnv: 'QLINK_CLOSER_WIF' }] } });
  t.match(c.settlement, {
    enabled: true,
    intervalMs: 600_000,
    roundIntervalMs: 3_600_000,
    maxPendingBatches: 50_000,
    maxChannelsPerTx: 450,
    closerKeys: [{ wifEnv: 'QLINK_CLOSER_WIF' }],
  });
  const old = gatewayConfigSchema.safeParse({ ...base, settlement: { wifEnv: 'X', ownerKeys: [{ wifEnv: 'QLINK_OWNER_WIF' }] } });
  t.match(
    old.error?.issues[0],
    { path: ['settlement', 'ownerKeys'], message: /ownerKeys is gone.*closerKeys/ },
    'the old owner keys: refused, saying what to do',
  );
  t.notOk(gatewayConfigSchema.safeParse({ ...base, settlement: { wifEnv: 'X', maxChannelsPerTx: 1000 } }).success, 'over the measured 495');
  t.equal(gatewayConfigSchema.parse(base).settlement, undefined, 'absent: this gateway does not settle');
});

t.test('a configured key that owns a known router is refused, by address', async (t) => {
  const [ownerAcct, closer] = [account(privateKeyHex(newKeyPair().privateKey)), account(privateKeyHex(newKeyPair().privateKey))];
  const r = new SimRouter();
  const routers = [{ address: r.address, publicKey: r.publicKey, owner: '0x' + ownerAcct.scriptHash, active: true, checkedAt: 1 }];
  t.equal(ownerKeyProblem([{ role: 'closer key', account: closer }], routers), null, 'a closer of its own: fine');
  t.match(
    ownerKeyProblem(
      [
        { role: 'closer key', account: closer },
        { role: 'closer key', account: ownerAcct },
      ],
      routers,
    ),
    new RegExp(`^closer key ${ownerAcct.address} is the owner of router ${r.address}: an owner's payout wallet must not sit on the gateway`),
  );
});
