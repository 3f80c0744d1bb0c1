import t from 'tap';
import type { TxFee } from '../scripts/lib/fees/block-fees.js';
import { profileJson, sessionCosts } from '../scripts/lib/fees/sessions.js';

// bench-fees' model of a session on made-up fees: every part where it belongs, every payer's share, the JSON's exact keys.
const fee = (gas: number, sender = 'N'): TxFee => ({
  txid: '0x',
  sender,
  systemFee: BigInt(Math.round(gas * 1e8)) - 1_000_000n,
  networkFee: 1_000_000n,
  size: 1,
  vmstate: 'HALT',
  gasConsumed: 0n,
});
const m = {
  open: fee(0.3),
  openSponsored: fee(0.31),
  closeFirst: fee(0.33),
  closeAfterRedeem: fee(0.32),
  redeemBatch: fee(4.2),
  channels: 42,
  anchor: fee(0.07),
  refund: fee(0.18),
};

t.test('a session split by what and by who pays', async (t) => {
  const c = sessionCosts(m, { sessionsPerDay: 1000, roundsPerDay: 24 });
  const anchor = (0.07 * 24) / 1000;
  t.match(c.oneOff, { open: 0.3, redeem: 0, closeOrRefund: 0.33, guest: 0.3, sponsor: 0 });
  t.ok(Math.abs(c.oneOff.anchor - anchor) < 1e-12 && Math.abs(c.oneOff.gateway - (0.33 + anchor)) < 1e-12, 'the gateway pays the close and the anchor share');
  t.match(c.oneOffSponsored, { guest: 0, sponsor: 0.31 }, 'sponsored: the guest pays no fee');
  t.ok(
    Math.abs(c.walkedAway.guest - (0.3 + 0.18)) < 1e-12 && Math.abs(c.walkedAway.redeem - 0.1) < 1e-12,
    'walked away: the guest pays its refund; the redeem is a 42nd of the batch',
  );
  t.ok(
    Math.abs(c.reused10.total - (0.3 / 10 + 0.9 * 0.1 + 0.32 / 10 + anchor)) < 1e-12,
    'ten sessions: a tenth of the open and close, nine tenths of a redeem share, a whole anchor share',
  );
  for (const s of [c.oneOff, c.oneOffSponsored, c.walkedAway, c.reused10, c.reused10CloseOnly]) {
    t.ok(
      Math.abs(s.guest + s.sponsor + s.gateway - s.total) < 1e-12 && Math.abs(s.open + s.redeem + s.closeOrRefund + s.anchor - s.total) < 1e-12,
      'payers and parts both add up to the total',
    );
  }
  t.same(Object.keys(profileJson(c)), ['oneOffSession', 'allInPerSessionReused10', 'anchorPerSession', 'guestFee', 'guestFeeSponsored']);
  t.same(profileJson(c).guestFeeSponsored, 0);
});
