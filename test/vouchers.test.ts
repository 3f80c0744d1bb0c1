import t from 'tap';
import { readFileSync } from 'node:fs';
import { type Deployment as Domain, toHex, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 as signMessage } from '../protocol/src/node/index.js';
import { signWithNoble } from './helpers/signers.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import type { ChannelInfo } from '../agent/src/vouchers/channel-source.js';
import { MemoryChannelSource } from './fakes/memory-channels.js';
import { ChainChannelSource } from '../agent/src/vouchers/chain-source.js';
import { VoucherChecker, type CheckContext, type VoucherClaim } from '../agent/src/vouchers/check.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';

const DOMAIN: Domain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const ROUTER = '03' + 'aa'.repeat(32);
const OWNER = '0x' + '11'.repeat(20);
const NOW = 1_800_000_000_000;

function setup() {
  const guest = newKeyPair();
  const source = new MemoryChannelSource(() => BigInt(NOW), undefined, OWNER);
  const channel: ChannelInfo = {
    id: 7n,
    owner: OWNER,
    planId: 1,
    planVersion: 1,
    voucherKey: guest.publicKey,
    deposit: 1_000_000n,
    redeemed: 0n,
    expiry: BigInt(NOW + 3_600_000),
    closed: false,
    confirmed: true,
  };
  source.set(channel);
  const store = new VoucherStore(openMemoryStore());
  const checker = new VoucherChecker({ deployment: DOMAIN, routerKey: ROUTER, owner: OWNER, expiryMarginMs: 60_000 }, source, store);
  const sign = (amount: bigint, id = 7n, domain = DOMAIN, key = guest.privateKey): VoucherClaim => ({
    channelId: id,
    amount,
    signature: signMessage(key, voucherMessage(domain, id, amount)).toString('hex'),
  });
  const ctx = (over: Partial<CheckContext> = {}): CheckContext => ({ sessionChannel: 7n, sessionId: 1, meteredCost: 0n, now: NOW, ...over });
  return { guest, source, channel, store, checker, sign, ctx };
}

t.test('a good voucher is stored, and only the newest is kept', async (t) => {
  const { checker, sign, ctx, store } = setup();
  const r = await checker.check(sign(100n), ctx({ sessionChannel: null }));
  t.ok(r.ok);
  t.equal(store.newest(7n)?.amount, 100n);
  t.ok((await checker.check(sign(250n), ctx())).ok);
  t.equal(store.newest(7n)?.amount, 250n, 'the newer replaces the older');
});

t.test('the pure-JS (noble) signature of the page is accepted, and the fixture vector verifies', async (t) => {
  const v = JSON.parse(readFileSync('test/fixtures/chain/vectors.json', 'utf8')).voucher as { privateKey: string; publicKey: string; signature: string };
  const { source, channel, checker } = setup();
  source.set({ ...channel, voucherKey: v.publicKey, deposit: 200_000_000n });
  t.ok(
    (await checker.check({ channelId: 7n, amount: 123456789n, signature: v.signature }, { sessionChannel: 7n, sessionId: 1, meteredCost: 0n, now: NOW })).ok,
    'contract test vector',
  );
  const sig = signWithNoble(v.privateKey, voucherMessage(DOMAIN, 7n, 123456790n)).toString('hex');
  t.ok(
    (await checker.check({ channelId: 7n, amount: 123456790n, signature: sig }, { sessionChannel: 7n, sessionId: 1, meteredCost: 0n, now: NOW })).ok,
    'noble',
  );
});

t.test('refusals leave the newest voucher unchanged', async (t) => {
  const cases: Array<[string, (s: ReturnType<typeof setup>) => Promise<{ ok: boolean; reason?: string }>, string]> = [
    ['forged (another key)', (s) => s.checker.check(s.sign(200n, 7n, DOMAIN, newKeyPair().privateKey), s.ctx()), 'bad-signature'],
    ['forged (amount changed after signing)', (s) => s.checker.check({ ...s.sign(200n), amount: 300n }, s.ctx()), 'bad-signature'],
    ['malformed signature', (s) => s.checker.check({ ...s.sign(200n), signature: 'zz' }, s.ctx()), 'bad-signature'],
    ['replayed', (s) => s.checker.check(s.sign(100n), s.ctx()), 'not-above-newest'],
    ['lower', (s) => s.checker.check(s.sign(50n), s.ctx()), 'not-above-newest'],
    ['over the deposit', (s) => s.checker.check(s.sign(1_000_001n), s.ctx()), 'over-deposit'],
    ['another channel than the session', (s) => s.checker.check(s.sign(200n, 8n), s.ctx()), 'other-channel'],
    ['another network (signed for it)', (s) => s.checker.check(s.sign(200n, 7n, { ...DOMAIN, networkMagic: 860833102 }), s.ctx()), 'bad-signature'],
    ['another network (stated)', (s) => s.checker.check({ ...s.sign(200n), networkMagic: 860833102 }, s.ctx()), 'other-network'],
    ['another contract', (s) => s.checker.check(s.sign(200n, 7n, { ...DOMAIN, contract: '0x' + '22'.repeat(20) }), s.ctx()), 'bad-signature'],
    [
      'another router and owner',
      async (s) => {
        s.source.set({ ...s.channel, owner: '0x' + '33'.repeat(20) });
        return s.checker.check(s.sign(200n), s.ctx());
      },
      'other-router',
    ],
    [
      'unconfirmed channel',
      async (s) => {
        s.source.set({ ...s.channel, confirmed: false });
        return s.checker.check(s.sign(200n), s.ctx());
      },
      'unconfirmed-channel',
    ],
    ['unknown channel', (s) => s.checker.check(s.sign(200n, 9n), s.ctx({ sessionChannel: null })), 'unknown-channel'],
    [
      'expired channel',
      async (s) => {
        s.source.set({ ...s.channel, expiry: BigInt(NOW - 1) });
        return s.checker.check(s.sign(200n), s.ctx());
      },
      'channel-expiring',
    ],
    [
      'channel about to expire',
      async (s) => {
        s.source.set({ ...s.channel, expiry: BigInt(NOW + 30_000) });
        return s.checker.check(s.sign(200n), s.ctx());
      },
      'channel-expiring',
    ],
    [
      'closed channel',
      async (s) => {
        s.source.set({ ...s.channel, closed: true });
        return s.checker.check(s.sign(200n), s.ctx());
      },
      'channel-closed',
    ],
    [
      'already redeemed above it',
      async (s) => {
        s.source.set({ ...s.channel, redeemed: 500n });
        return s.checker.check(s.sign(400n), s.ctx());
      },
      'not-above-newest',
    ],
    ['rise does not cover what was metered', (s) => s.checker.check(s.sign(200n), s.ctx({ meteredCost: 201n })), 'below-cost'],
  ];
  for (const [name, run, reason] of cases) {
    const s = setup();
    t.ok((await s.checker.check(s.sign(100n), s.ctx())).ok, `${name}: first voucher`);
    const r = await run(s);
    t.notOk(r.ok, `${name}: refused`);
    t.equal(r.reason, reason, `${name}: ${reason}`);
    t.equal(s.store.newest(7n)?.amount, 100n, `${name}: newest unchanged`);
  }
});

t.test('roaming: a genuine newest voucher from the gateway raises the bar and counts as spent here; a forged one is ignored', async (t) => {
  const s = setup();
  s.source.set({ ...s.channel, newest: { amount: 500n, signature: s.sign(500n).signature } });
  t.match(await s.checker.check(s.sign(400n), s.ctx({ sessionChannel: null })), { ok: false, reason: 'not-above-newest', minimum: 501n });
  t.match(
    await s.checker.check(s.sign(600n), s.ctx({ sessionChannel: null, meteredCost: 200n })),
    { ok: false, reason: 'below-cost', minimum: 700n },
    'what was metered here comes on top of what the other router took',
  );
  t.ok((await s.checker.check(s.sign(700n), s.ctx({ sessionChannel: null, meteredCost: 200n }))).ok);
  const db = openMemoryStore();
  const store = new VoucherStore(db);
  const ledger = new ChannelLedger(db, () => undefined);
  store.raise({ channelId: 7n, amount: 100n, signature: 'aa', sessionId: null, at: 1 });
  t.ok(store.raise({ channelId: 7n, amount: 700n, signature: 'bb', sessionId: null, at: 2 }, 500n));
  t.equal(ledger.cost(7n, 3), 400n, "the gateway's 500 above the 100 held here: 400 spent elsewhere");
  t.notOk(store.raise({ channelId: 7n, amount: 650n, signature: 'cc', sessionId: null, at: 3 }, 900n), 'a lower one changes nothing');
  t.equal(ledger.cost(7n, 3), 400n);

  const f = setup();
  f.source.set({ ...f.channel, newest: { amount: 500n, signature: f.sign(500n, 7n, DOMAIN, newKeyPair().privateKey).signature } });
  t.ok((await f.checker.check(f.sign(400n), f.ctx({ sessionChannel: null }))).ok, 'a newest voucher not signed by the guest is no bar');
});

t.test('amounts above 2^53 compare exactly', async (t) => {
  const s = setup();
  s.source.set({ ...s.channel, deposit: 1n << 62n });
  const big = (1n << 60n) + 1n;
  t.ok((await s.checker.check(s.sign(big), s.ctx())).ok);
  t.equal((await s.checker.check(s.sign(big - 1n), s.ctx())).ok, false);
  t.ok((await s.checker.check(s.sign(big + 1n), s.ctx())).ok);
  t.equal(s.store.newest(7n)?.amount, big + 1n);
});

t.test('two racing checks of the same amount: one wins', async (t) => {
  const s = setup();
  const v = s.sign(100n);
  const rs = await Promise.all([s.checker.check(v, s.ctx()), s.checker.check(v, s.ctx())]);
  t.equal(rs.filter((r) => r.ok).length, 1);
});

t.test('the chain source: reads count as confirmed, a missing channel is looked up again', async (t) => {
  let reads = 0;
  let present = false;
  const ch = {
    id: 7n,
    owner: OWNER,
    planId: 1,
    planVersion: 1,
    voucherKey: '02' + '00'.repeat(32),
    deposit: 5n,
    redeemed: 0n,
    expiry: 9n,
    closed: false,
    guest: OWNER,
    token: OWNER,
  };
  let clock = 0;
  const reader = {
    getChannel: async () => {
      reads++;
      return present ? ch : null;
    },
    chainTime: async () => 1000n,
    settlementWindow: async () => 60_000n,
    getRouter: async (key: string) => (key === ROUTER ? { key, owner: OWNER, active: true } : null),
    getPlan: async () => null,
    getPlanVersion: async () => null,
    getPlans: async () => [],
  };
  const src = new ChainChannelSource(reader, ROUTER, () => clock);
  t.equal(await src.channel(7n), null);
  present = true;
  t.same(await src.channel(7n), { ...ch, confirmed: true }, 'found once confirmed');
  await src.channel(7n);
  t.equal(reads, 2, 'cached while fresh');
  clock = 5_000;
  await src.channel(7n);
  t.equal(reads, 3, 'read again when stale');
  t.equal(await src.now(), 1000n);
  t.equal(await src.routerOwner(), OWNER, "the router's owner, as the chain registers it");
  t.equal(await src.settlementWindow(), 60_000n);
});

t.test("the voucher bytes match the contract's vector, at the edges of each field too", async (t) => {
  const v = JSON.parse(readFileSync('test/fixtures/chain/vectors.json', 'utf8')).voucher as {
    magic: number;
    contract: string;
    channelId: number;
    amount: number;
    message: string;
  };
  const d = { networkMagic: v.magic, contract: v.contract };
  t.equal(toHex(voucherMessage(d, BigInt(v.channelId), BigInt(v.amount))), v.message);
  const top = toHex(voucherMessage(d, 2n ** 64n - 1n, 2n ** 63n - 1n));
  t.equal(top.slice(80), 'ffffffffffffffff' + 'ffffffffffffff7f', 'largest channel id and amount, little-endian');
  t.equal(voucherMessage(d, 1n, 0n).length, 56);
  t.throws(() => voucherMessage(d, 1n, 2n ** 63n), RangeError, 'amount needs the top bit');
  t.throws(() => voucherMessage(d, 0n, 1n), RangeError, 'channel ids start at 1');
  t.throws(() => voucherMessage(d, 2n ** 64n, 1n), RangeError, 'channel id over 64 bits');
  t.throws(() => voucherMessage({ ...d, networkMagic: 2 ** 32 }, 1n, 1n), RangeError, 'magic over 32 bits');
});
