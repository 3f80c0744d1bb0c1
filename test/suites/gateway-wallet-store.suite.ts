import type { Test } from 'tap';
import type { Sponsored } from '../../gateway/src/store/store.js';
import { freshStores, OTHER_OWNER, OWNER, type OpenStores } from './gateway-store-fixtures.js';

const GUEST = '0x' + 'aa'.repeat(20);
const offer = (n: number, o: Partial<Sponsored> = {}): Sponsored => ({
  txid: '0x' + n.toString(16).padStart(64, '0'),
  kind: 'open',
  router: 'NRouter',
  owner: OWNER,
  guest: GUEST,
  amount: 100,
  raw: 'ab',
  systemFee: 30,
  networkFee: 10,
  validUntilBlock: 500,
  day: '2026-12-02',
  status: 'offered',
  createdAt: 1_000 + n,
  settledAt: null,
  channelId: null,
  detail: null,
  ...o,
});
const LIMITS = { perGuestPerDay: 2, ownerDailyBudget: 100 };

/** SponsorStore: offers, the limits checked as one is claimed, spend; ChannelIndexStore: blocks applied once, in order. */
export function sponsorStoreSuite(t: Test, open: OpenStores): void {
  const fresh = freshStores(open);

  t.test("an offer is claimed once, within the guest's and the owner's limits, and settled once", async (t) => {
    const s = await fresh(t);
    for (const n of [1, 2, 3]) await s.sponsor.addOffer(offer(n));
    t.equal(await s.sponsor.claim(offer(1).txid, LIMITS), null);
    t.match(await s.sponsor.claim(offer(1).txid, LIMITS), /already sent/);
    t.equal(await s.sponsor.claim(offer(2).txid, LIMITS), null);
    t.match(await s.sponsor.claim(offer(3).txid, LIMITS), /had 2 transactions paid/, 'the third of the day for this guest');
    t.match(await s.sponsor.claim(offer(3).txid, { ...LIMITS, perGuestPerDay: 9, ownerDailyBudget: 119 }), /budget/, '40 + 40 + 40 > 119');
    t.equal(await s.sponsor.claim('0x' + 'ff'.repeat(32), LIMITS), 'no such offer');
    await s.sponsor.settle(offer(1).txid, 'confirmed', 5, 7);
    await s.sponsor.settle(offer(1).txid, 'faulted', 6);
    t.match(await s.sponsor.get(offer(1).txid), { status: 'confirmed', channelId: 7, settledAt: 5 }, 'settled once');
    await s.sponsor.settle(offer(2).txid, 'expired', 6);
    t.same(await s.sponsor.spend(OWNER, '2026-12-02'), { fees: 40, opened: 1, sent: 1 }, 'an expired one costs nothing');
    t.same(await s.sponsor.spend(OTHER_OWNER, null), { fees: 0, opened: 0, sent: 0 });
    t.equal(await s.sponsor.guestCount(GUEST, '2026-12-02'), 1);
  });

  t.test('unsettled ones are listed for the reconcile; stale offers pruned', async (t) => {
    const s = await fresh(t);
    await s.sponsor.addOffer(offer(1));
    await s.sponsor.addOffer(offer(2));
    await s.sponsor.claim(offer(2).txid, LIMITS);
    t.same(
      (await s.sponsor.unsettled(10)).map((x) => x.txid),
      [offer(2).txid],
    );
    t.equal(await s.sponsor.pruneOffers(1_500), 1, 'the offer never sent goes');
    t.equal(await s.sponsor.get(offer(1).txid), null);
  });

  t.test('the channel index: opened, topped up, redeemed, rekeyed, closed; a block read twice changes nothing', async (t) => {
    const s = await fresh(t);
    const ch = {
      id: 9,
      guest: GUEST,
      owner: OWNER,
      router: '02' + 'bb'.repeat(32),
      token: '0x' + 'cc'.repeat(20),
      voucherKey: '03' + 'dd'.repeat(32),
      deposit: 100,
      expiry: 5_000,
      planId: 1,
      planVersion: 2,
      openedBlock: 10,
    };
    t.equal(await s.channels.height('q'), -1);
    await s.channels.apply('q', 10, [{ kind: 'opened', channel: ch }]);
    await s.channels.apply('q', 11, [
      { kind: 'topped-up', id: 9, deposit: 150, expiry: 6_000 },
      { kind: 'redeemed', id: 9, cumulative: 20 },
    ]);
    await s.channels.apply('q', 12, [{ kind: 'rekeyed', id: 9, voucherKey: '02' + 'ee'.repeat(32) }]);
    await s.channels.apply('q', 11, [
      { kind: 'topped-up', id: 9, deposit: 150, expiry: 6_000 },
      { kind: 'redeemed', id: 9, cumulative: 20 },
    ]);
    t.equal(await s.channels.height('q'), 12, 'the head does not go back');
    t.match(await s.channels.get(9), { deposit: 150, expiry: 6_000, redeemed: 20, voucherKey: '02' + 'ee'.repeat(32), closed: false, updatedBlock: 12 });
    t.equal((await s.channels.byGuest(GUEST, { open: true })).length, 1);
    t.equal((await s.channels.byVoucherKey('02' + 'EE'.repeat(32))).length, 1, 'keys compared in lower case');
    await s.channels.apply('q', 13, [{ kind: 'closed', id: 9, cumulative: 30 }]);
    t.same(await s.channels.byGuest(GUEST, { open: true }), [], 'closed: no longer open');
    t.match(await s.channels.byGuest(GUEST), [{ id: 9, closed: true, redeemed: 30 }]);
  });
}
