import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import { newKeyPair, signMessage, voucherMessage, type Channel } from '../gateway/src/chain/index.js';
import type { BuiltTx, Executed, SettleChain } from '../gateway/src/settle/chain.js';
import { settlementConfigSchema } from '../gateway/src/settle/config.js';
import { Settler } from '../gateway/src/settle/settler.js';
import { gatewayConfigSchema } from '../gateway/src/config.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { deployment, SimRouter } from './gateway-sim.js';

// Settlement decisions against a fake chain: what is left out, what waits,
// what is sent again. The real-chain test (gateway-settle.chain) proves the payouts.
const domain = { magic: deployment.networkMagic, contract: deployment.contract };
const owner = '0x' + '11'.repeat(20);
const log = pino({ level: 'silent' });
const cfg = settlementConfigSchema.parse({ wif: 'x'.repeat(52), intervalMs: 1000, checkMs: 100 });

class FakeChain implements SettleChain {
  blocks = 10;
  channels = new Map<number, Channel>();
  logs = new Map<string, Executed>();
  relays: string[] = [];
  relayDown = false;
  badScript: string | null = null;
  async height() { return this.blocks; }
  async build(): Promise<BuiltTx> {
    const raw = Buffer.alloc(40);
    raw.writeBigInt64LE(100n, 5);
    raw.writeBigInt64LE(7n, 13);
    raw.writeUInt32LE(this.blocks + 5, 21);
    return { txid: '0x' + randomBytes(32).toString('hex'), raw, size: 40, systemFee: 100n, networkFee: 7n, validUntilBlock: this.blocks + 5 };
  }
  async test(script: string) { return this.badScript && script.includes(this.badScript) ? 'qlink: bad router signature' : null; }
  async relay(raw: Buffer) {
    if (this.relayDown) throw new Error('fetch failed');
    this.relays.push(raw.toString('hex'));
  }
  async executed(txid: string) { return this.logs.get(txid) ?? null; }
  async channel(id: number) { return this.channels.get(id) ?? null; }
  async anchorHead() { return { seq: 0n, hash: '00'.repeat(32) }; }
}

function channel(id: number, voucherKey: string): Channel {
  return { id: BigInt(id), guest: owner, owner, router: '02'.repeat(33), token: owner, voucherKey, deposit: 10_000n, redeemed: 0n, expiry: 0n, closed: false };
}

async function setup() {
  const store = await openSqliteStore(':memory:');
  const chain = new FakeChain();
  const key = newKeyPair();
  const sign = (id: number, amount: number) => signMessage(key.privateKey, voucherMessage(domain, BigInt(id), BigInt(amount))).toString('hex');
  for (const id of [1, 2]) chain.channels.set(id, channel(id, key.publicKey));
  const router = new SimRouter();
  const records = [
    { ...router.records(1, 1)[0]!, voucher: { amount: 500, signature: sign(1, 500) } },
    { ...router.records(1, 2)[0]!, voucher: { amount: 700, signature: sign(2, 999) } }, // signed for another amount: forged
  ];
  await store.storeBatch(router.address, router.build(records), 1);
  return { store, chain, router, settler: new Settler(store, chain, domain, cfg, log) };
}

t.test('a forged voucher and an anchor the contract would refuse are left out; the rest is sent', async (t) => {
  const { store, chain, router, settler } = await setup();
  t.teardown(() => store.close());
  chain.badScript = router.publicKey; // the router's anchor faults in the test invocation
  const r = await settler.tick(true);
  t.match(r, { kind: 'sent', vouchers: 1, anchors: 0 });
  const [tx] = await store.transactions({});
  t.match(tx, { status: 'pending', items: 1, validUntilBlock: 15 });
  t.equal(chain.relays.length, 1);
});

t.test('relay fails: the tx stays pending and is sent again; FAULT releases its items; HALT settles', async (t) => {
  const { store, chain, settler } = await setup();
  t.teardown(() => store.close());
  chain.relayDown = true;
  t.match(await settler.tick(true), { kind: 'down' });
  const [p] = await store.transactions({ status: 'pending' });
  t.ok(p, 'recorded before the failed send');
  t.same((await store.vouchersToRedeem(10)).map((v) => v.channelId), [2], 'its voucher is covered while pending (the forged one stays out)');
  chain.relayDown = false;
  t.match(await settler.tick(true), { kind: 'waiting', pending: 1 });
  t.equal(chain.relays.length, 1, 'sent again once the chain answers');
  chain.logs.set(p!.txid, { vmstate: 'FAULT', exception: 'boom' });
  const r = await settler.tick(true);
  t.match(await store.transactions({ status: 'faulted' }), [{ txid: p!.txid, detail: 'boom', gasFee: 107 }]);
  t.match(r, { kind: 'sent' }, 'its items went straight into a new transaction');
  const [q] = await store.transactions({ status: 'pending' });
  chain.logs.set(q!.txid, { vmstate: 'HALT', exception: null });
  t.match(await settler.tick(true), { kind: 'idle' });
  t.match(await store.transactions({ status: 'confirmed' }), [{ txid: q!.txid }]);
});

t.test('nothing due before the interval unless a threshold is reached', async (t) => {
  const { store, chain } = await setup();
  t.teardown(() => store.close());
  const at = (c: Partial<typeof cfg>) => new Settler(store, chain, domain, { ...cfg, intervalMs: 3_600_000, ...c }, log, { clock: () => 1000 });
  t.match(await at({ maxPendingVouchers: 5, maxPendingBatches: 5 }).tick(), { kind: 'idle' }, 'two vouchers, one batch, interval not over');
  t.match(await at({ maxPendingVouchers: 2, maxPendingBatches: 5 }).tick(), { kind: 'sent', vouchers: 1 }, 'two vouchers reach the threshold');
});

t.test('config: settlement needs a wallet key, the rpc service is on by default', async (t) => {
  const base = { broker: { url: 'mqtt://127.0.0.1:1883' }, store: { sqlite: ':memory:' }, chain: { rpc: 'http://127.0.0.1:1', magic: 1, contract: deployment.contract } };
  t.notOk(gatewayConfigSchema.safeParse({ ...base, settlement: {} }).success, 'no wif, no wifEnv: refused');
  const c = gatewayConfigSchema.parse({ ...base, settlement: { wifEnv: 'QLINK_WIF' } });
  t.match(c.settlement, { enabled: true, intervalMs: 600_000, maxChannelsPerTx: 450, maxPendingVouchers: 500 });
  t.match(c.rpc, { enabled: true, chainTimeoutMs: 15_000 });
  t.notOk(gatewayConfigSchema.safeParse({ ...base, settlement: { wifEnv: 'X', maxChannelsPerTx: 1000 } }).success, 'over the measured 495');
  t.equal(gatewayConfigSchema.parse(base).settlement, undefined, 'absent: this gateway does not settle');
});
