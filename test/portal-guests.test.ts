import t from 'tap';
import { newKeyPair, signMessage } from '../gateway/src/chain/keys.js';
import { voucherMessage } from '../gateway/src/chain/messages.js';
import { parseConfig } from '../agent/src/config.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { PaymentDesk } from '../agent/src/portal/desk.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { MemoryChannelSource } from '../agent/src/vouchers/channel-source.js';
import { VoucherChecker } from '../agent/src/vouchers/check.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { MemoryGate } from './fakes/memory-gate.js';

const ROUTER = '03' + 'aa'.repeat(32);
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const domain = { magic: chain.networkMagic, contract: chain.contract };
const [A, B, C] = ['02:00:00:00:00:0a', '02:00:00:00:00:0b', '02:00:00:00:00:0c'];

async function setup() {
  const config = parseConfig({ chain, plans: [{ id: 'mb', name: 'MB', pricePerMb: '0.0001' }], portal: { rpcUrl: 'http://127.0.0.1:1' } });
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const gate = new MemoryGate();
  const log = createLogger('silent');
  const gatekeeper = new Gatekeeper(gate, sessions, { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: [], blocked6: [] }, log);
  await gatekeeper.start();
  const source = new MemoryChannelSource();
  const keys = [newKeyPair(), newKeyPair()];
  keys.forEach((k, i) => source.set({ id: BigInt(i + 1), owner: '0x' + '11'.repeat(20), router: ROUTER, voucherKey: k.publicKey, deposit: 1_000_000n,
    redeemed: 0n, expiry: BigInt(Date.now() + 86_400_000), closed: false, confirmed: true }));
  const vouchers = new VoucherStore(db);
  const ledger = new ChannelLedger(db, (id) => config.plans.find((p) => p.id === id));
  const checker = new VoucherChecker({ domain, routerKey: ROUTER, expiryMarginMs: 60_000 }, source, vouchers);
  const closed: bigint[] = [];
  const deps = { config, gatekeeper, sessions, log, clock: Date.now, checker, vouchers, ledger, channels: source,
    close: async (id: bigint) => { closed.push(id); return { state: 'closed' as const, txid: null, charged: '100', refunded: '999900' }; } };
  const desk = new PaymentDesk(deps);
  const v = (ch: number, amount: bigint) => ({ channelId: BigInt(ch), amount, signature: signMessage(keys[ch - 1]!.privateKey, voucherMessage(domain, BigInt(ch), amount)).toString('hex') });
  return { desk, gate, keys, v, sessions, closed, restarted: () => new PaymentDesk(deps) };
}

t.test('log out closes the session\'s channel, also after a restart of the agent', async (t) => {
  const { desk, keys, v, closed, restarted } = await setup();
  desk.start(A, 'mb', keys[0]!.publicKey);
  t.ok((await desk.voucher(A, v(1, 100n))).ok);
  const out = await restarted().logout(A);
  t.same(closed, [1n], 'the channel bound to the session is closed, though the new desk never saw a voucher');
  t.match(out, { online: false, channelId: '1', paid: '100', close: { state: 'closed', refunded: '999900' } });
  t.same((await desk.logout(B)).close, null, 'a guest without a channel: nothing to close');
  t.same(closed, [1n]);
});

t.test('two guests paying at once each get their own session', async (t) => {
  const { desk, keys, v, gate } = await setup();
  desk.start(A, 'mb', keys[0]!.publicKey);
  desk.start(B, 'mb', keys[1]!.publicKey);
  const [ra, rb] = await Promise.all([desk.voucher(A, v(1, 100n)), desk.voucher(B, v(2, 100n))]);
  t.ok(ra.ok && rb.ok);
  t.ok(desk.online(A) && desk.online(B));
  t.ok(gate.traffic(A, 1, 1) && gate.traffic(B, 1, 1));
  t.equal(desk.state(A).channelId, '1');
  t.equal(desk.state(B).channelId, '2');
  const cross = await desk.voucher(A, v(2, 200n));
  t.notOk(cross.ok, "A cannot pay with B's channel while on its own");
  t.equal(!cross.ok && cross.reason, 'other-channel');
});

t.test('a rotated MAC: a new device is a new guest; the key holder moves the session without paying again', async (t) => {
  const { desk, keys, v, sessions } = await setup();
  desk.start(A, 'mb', keys[0]!.publicKey);
  t.ok((await desk.voucher(A, v(1, 100n))).ok);
  const first = sessions.openFor(A)!;
  t.notOk(desk.online(C), 'the new MAC starts held');
  const replay = await desk.voucher(C, v(1, 100n));
  t.equal(!replay.ok && replay.reason, 'not-above-newest', "an overheard voucher does not take A's session");
  t.ok(desk.online(A), 'A unchanged');
  const forged = await desk.voucher(C, { ...v(1, 150n), signature: signMessage(newKeyPair().privateKey, voucherMessage(domain, 1n, 150n)).toString('hex') });
  t.equal(!forged.ok && forged.reason, 'bad-signature', 'nor does a voucher signed by another key');
  t.ok(desk.online(A), 'A unchanged');
  const moved = await desk.voucher(C, v(1, 150n));
  t.ok(moved.ok, "a fresh voucher signed with the channel's key moves the session");
  t.ok(desk.online(C));
  t.notOk(desk.online(A), 'the old MAC is let go');
  t.equal(sessions.get(first.id)!.endReason, 'moved');
  t.equal(desk.state(C).paid, '150', 'no second payment: the same channel, the voucher rises');
});
