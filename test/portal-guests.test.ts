import t from 'tap';
import { encodePlanTerms, sessionActionMessage, type SessionAction, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { PaymentDesk } from '../agent/src/portal/desk.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { MemoryChannelSource } from './fakes/memory-channels.js';
import { VoucherChecker } from '../agent/src/vouchers/check.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { PlanBook } from '../agent/src/plans/book.js';
import { sessionPricing } from '../agent/src/plans/pricing.js';
import { PlanStore } from '../agent/src/plans/store.js';
import { planTerms } from '../agent/src/plans.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { MemoryGate } from './fakes/memory-gate.js';

const ROUTER = '03' + 'aa'.repeat(32);
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const domain = { networkMagic: chain.networkMagic, contract: chain.contract };
const [A, B, C] = ['02:00:00:00:00:0a', '02:00:00:00:00:0b', '02:00:00:00:00:0c'];

async function setup() {
  const config = parseConfig({ chain, plans: [{ id: 'mb', name: 'MB', pricePerMb: '0.0001' }], portal: { rpcUrl: 'http://127.0.0.1:1' } });
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const gate = new MemoryGate();
  const log = createLogger('silent');
  const gatekeeper = new Gatekeeper(gate, sessions, { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: [], blocked6: [] }, log);
  await gatekeeper.start();
  const source = new MemoryChannelSource(undefined, undefined, '0x' + '11'.repeat(20));
  const keys = [newKeyPair(), newKeyPair()];
  keys.forEach((k, i) => {
    source.set({
      id: BigInt(i + 1),
      owner: '0x' + '11'.repeat(20),
      planId: 1,
      planVersion: 1,
      voucherKey: k.publicKey,
      deposit: 1_000_000n,
      redeemed: 0n,
      expiry: BigInt(Date.now() + 86_400_000),
      closed: false,
      confirmed: true,
    });
  });
  // The owner's plan 1 on chain, as the UCI plan says.
  source.plans.set(1, { version: 1, validFrom: 0n, validUntil: 4_102_444_800_000n, terms: encodePlanTerms(planTerms(config.plans[0]!)) });
  const vouchers = new VoucherStore(db);
  const planStore = new PlanStore(db);
  const ledger = new ChannelLedger(
    db,
    sessionPricing(planStore, () => config.plans),
  );
  const plans = new PlanBook(planStore, source);
  const checker = new VoucherChecker({ deployment: domain, routerKey: ROUTER, expiryMarginMs: 60_000 }, source, vouchers);
  const closed: bigint[] = [];
  const deps = {
    config,
    gatekeeper,
    sessions,
    log,
    clock: Date.now,
    checker,
    vouchers,
    ledger,
    channels: source,
    routerKey: ROUTER,
    plans,
    close: async (id: bigint) => {
      closed.push(id);
      return { state: 'closed' as const, txid: null, charged: '100', refunded: '999900' };
    },
  };
  const desk = new PaymentDesk(deps);
  const v = (ch: number, amount: bigint) => ({
    channelId: BigInt(ch),
    amount,
    signature: signP256(keys[ch - 1]!.privateKey, voucherMessage(domain, BigInt(ch), amount)).toString('hex'),
  });
  // A session action signed by channel ch's voucher key, at the router's time now (or `at`).
  const act = (ch: number, action: SessionAction, at = Date.now()) => ({
    channelId: BigInt(ch),
    time: at,
    signature: signP256(keys[ch - 1]!.privateKey, sessionActionMessage(domain, BigInt(ch), ROUTER, action, at)).toString('hex'),
  });
  return { desk, gate, keys, v, act, sessions, closed, restarted: () => new PaymentDesk(deps) };
}

t.test('log out: the channel is kept by default, refunded now when asked, and only on a signature by its voucher key', async (t) => {
  const { desk, keys, v, act, closed, restarted } = await setup();
  await desk.start(A, 'mb', keys[0]!.publicKey);
  t.ok((await desk.voucher(A, v(1, 100n))).ok);
  await t.rejects(desk.logout(A, null), /signature|signed|clock/, 'no signature: the session stays');
  await t.rejects(desk.logout(A, { ...act(2, 'logout'), channelId: 1n, refund: false }), /signature|signed|clock/, "another key's signature: refused");
  await t.rejects(desk.logout(A, { ...act(1, 'logout', Date.now() - 120_000), refund: false }), /signature|signed|clock/, 'a stale one: refused');
  await t.rejects(desk.logout(A, { ...act(1, 'logout'), refund: true }), /signature|signed|clock/, 'signed "log out" does not refund');
  t.ok(desk.online(A), 'still online after every refusal');
  const out = await restarted().logout(A, { ...act(1, 'refund'), refund: true });
  t.same(closed, [1n], 'refund now: the channel bound to the session is closed, though the new desk never saw a voucher');
  t.match(out, { online: false, channelId: '1', paid: '100', kept: false, close: { state: 'closed', refunded: '999900' } });
  t.same((await desk.logout(B, null)).close, null, 'a guest without a channel: nothing to sign, nothing to close');

  await desk.start(A, 'mb', keys[1]!.publicKey);
  t.ok((await desk.voucher(A, v(2, 100n))).ok);
  const kept = await desk.logout(A, { ...act(2, 'logout'), refund: false });
  t.match(kept, { online: false, kept: true, close: null }, 'keep for next time: logged out, the channel open');
  t.same(closed, [1n], 'and not closed');
});

t.test('two guests paying at once each get their own session', async (t) => {
  const { desk, keys, v, gate } = await setup();
  await desk.start(A, 'mb', keys[0]!.publicKey);
  await desk.start(B, 'mb', keys[1]!.publicKey);
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

t.test('a rotated MAC: a new device is a new guest; the key holder moves the session with a signed resume, without paying again', async (t) => {
  const { desk, keys, v, act, sessions } = await setup();
  await desk.start(A, 'mb', keys[0]!.publicKey);
  t.ok((await desk.voucher(A, v(1, 100n))).ok);
  const first = sessions.openFor(A)!;
  t.notOk(desk.online(C), 'the new MAC starts held');
  const replay = await desk.voucher(C, v(1, 100n));
  t.equal(!replay.ok && replay.reason, 'other-device', "an overheard voucher does not take A's session");
  const fresh = await desk.voucher(C, v(1, 150n));
  t.equal(!fresh.ok && fresh.reason, 'other-device', 'nor does a fresh voucher without a resume');
  t.ok(desk.online(A), 'A unchanged');
  await t.rejects(desk.resume(C, { ...act(2, 'resume'), channelId: 1n }), /signature|signed|clock/, "a resume signed by another channel's key is refused");
  await t.rejects(desk.resume(C, act(1, 'logout')), /signature|signed|clock/, 'so is a signature for another action');
  await desk.resume(C, act(1, 'resume'));
  const forged = await desk.voucher(C, { ...v(1, 150n), signature: signP256(newKeyPair().privateKey, voucherMessage(domain, 1n, 150n)).toString('hex') });
  t.equal(!forged.ok && forged.reason, 'bad-signature', 'after the resume, a voucher signed by another key still fails');
  t.ok(desk.online(A), 'A unchanged');
  const moved = await desk.voucher(C, v(1, 150n));
  t.ok(moved.ok, "after a signed resume, a voucher signed with the channel's key moves the session");
  t.ok(desk.online(C));
  t.notOk(desk.online(A), 'the old MAC is let go');
  t.equal(sessions.get(first.id)!.endReason, 'moved');
  t.equal(desk.state(C).paid, '150', 'no second payment: the same channel, the voucher rises');
});
