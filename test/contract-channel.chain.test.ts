import t from 'tap';
import { startChain } from '../scripts/lib/chain.js';
import { account, openScript, QlinkClient, type Account, type Result } from '../chain/src/index.js';
import { voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { PLAN_1, TEST_PLANS } from './helpers/plans.js';

// One private chain for this file: open → redeem twice → top up → expiry →
// refund, every balance checked to the last 1e-8 GAS, fees included.
const WINDOW_MS = 3000;
const chain = await startChain({ windowMs: WINDOW_MS });
t.teardown(() => chain.stop());

const { state } = chain;
const client = new QlinkClient(state);
const w = (name: string): Account => {
  const k = state.wallets[name];
  if (!k) throw new Error(`no wallet ${name}`);
  return account(k.wif);
};
const [owner, router, guest, gateway] = [w('owner'), w('router1'), w('guest1'), w('gateway')];
const GAS_1 = 100_000_000n;
const fees = (r: Result) => r.systemFee + r.networkFee;
const bal = (a: Account | string) => client.balanceOf(typeof a === 'string' ? a : a.address);

t.test('open, redeem twice, top up, expire, refund', async (t) => {
  const reg = await client.registerRouter(owner, router, TEST_PLANS);
  t.equal(reg.vmstate, 'HALT');
  t.same(
    reg.events.map((e) => e.name),
    ['RouterRegistered', 'PlanPublished'],
    'registered and its plan published in one transaction',
  );
  const r = await client.getRouter(router.publicKey);
  t.equal(r?.owner, '0x' + owner.scriptHash);
  t.equal(r?.active, true);

  const voucher = newKeyPair();
  const expiry = (await client.chainTime()) + 15_000n;
  const guest0 = await bal(guest);
  const open = await client.openChannel(guest, { router: router.publicKey, voucherKey: voucher.publicKey, expiry, amount: 5n * GAS_1, ...PLAN_1 });
  t.equal(open.vmstate, 'HALT');
  const opened = open.events.find((e) => e.name === 'ChannelOpened');
  const id = opened?.params.id as bigint;
  t.ok(id > 0n, `channel ${id} opened`);
  t.equal(await bal(guest), guest0 - 5n * GAS_1 - fees(open), 'guest paid deposit plus fees');
  t.equal(await bal(state.contract), 5n * GAS_1, 'contract holds the deposit');
  t.comment(`open: system fee ${open.systemFee}, network fee ${open.networkFee}, ${open.size} bytes`);

  const domain = { networkMagic: state.networkMagic, contract: state.contract };
  const sig = (amount: bigint) => signP256(voucher.privateKey, voucherMessage(domain, id, amount));
  const owner0 = await bal(owner);
  const gw0 = await bal(gateway);
  const r1 = await client.redeem(gateway, { id, amount: GAS_1, signature: sig(GAS_1) });
  t.equal(r1.events[0]?.params.paid, GAS_1);
  const r2 = await client.redeem(gateway, { id, amount: (5n * GAS_1) / 2n, signature: sig((5n * GAS_1) / 2n) });
  t.equal(r2.events[0]?.params.paid, (3n * GAS_1) / 2n, 'second redeem pays only the rise');
  t.equal(await bal(owner), owner0 + (5n * GAS_1) / 2n, 'owner got exactly the newest voucher');
  t.equal(await bal(gateway), gw0 - fees(r1) - fees(r2), 'gateway paid only fees');

  await t.rejects(
    client.redeem(gateway, { id, amount: 2n * GAS_1, signature: sig(2n * GAS_1) }),
    { name: 'ChainError', message: /not above what was redeemed/ },
    'older voucher refused',
  );

  const guest1 = await bal(guest);
  const top = await client.topUp(guest, id, GAS_1);
  t.equal(top.events[0]?.params.deposit, 6n * GAS_1);
  t.equal(await bal(guest), guest1 - GAS_1 - fees(top));
  const ch = await client.getChannel(id);
  t.equal(ch?.deposit, 6n * GAS_1);
  t.equal(ch?.redeemed, (5n * GAS_1) / 2n);

  await t.rejects(client.refund(guest, id), /refund opens after/, 'no refund before expiry');
  while ((await client.chainTime()) <= expiry + BigInt(WINDOW_MS)) await new Promise((r) => setTimeout(r, 500));

  const guest2 = await bal(guest);
  const ref = await client.refund(guest, id);
  t.equal(ref.events[0]?.params.refunded, (7n * GAS_1) / 2n, 'refund is deposit minus redeemed');
  t.equal(await bal(guest), guest2 + (7n * GAS_1) / 2n - fees(ref), 'guest got the rest back, less the fee');
  t.equal(await bal(state.contract), 0n, 'nothing left locked');
  await t.rejects(client.refund(guest, id), /channel closed/, 'no double refund');
  t.equal((await client.getChannel(id))?.closed, true);
});

t.test('malformed open data: the transfer faults and the GAS stays with the guest', async (t) => {
  const guest = w('guest2');
  const before = await bal(guest);
  const locked = await bal(state.contract);
  const bad = await client.openChannel(
    guest,
    { router: '02' + '11'.repeat(32), voucherKey: newKeyPair().publicKey, expiry: 1n, amount: GAS_1, ...PLAN_1 },
    { forceSystemFee: GAS_1 },
  );
  t.equal(bad.vmstate, 'FAULT');
  t.match(bad.exception, /unknown router|expiry/);
  t.equal(await bal(guest), before - fees(bad), 'only the fees were spent');
  t.equal(await bal(state.contract), locked, 'nothing locked');
});

t.test('a guest-signed open, relayed as bytes, keeps the id it was built with', async (t) => {
  const guest = w('guest3');
  const expiry = (await client.chainTime()) + 60_000n;
  const script = openScript(state.contract, guest.address, { router: router.publicKey, voucherKey: newKeyPair().publicKey, expiry, amount: GAS_1, ...PLAN_1 });
  const built = await client.tx.build(script, [guest]);
  const before = await bal(guest);
  const r = await client.relay(built.raw);
  t.equal(r.txid, built.txid, 'id known before sending');
  t.equal(r.vmstate, 'HALT');
  t.equal(r.events[0]?.name, 'ChannelOpened');
  t.equal(await bal(guest), before - GAS_1 - built.systemFee - built.networkFee);
});
