import t from 'tap';
import type { Channel } from '../protocol/src/index.js';
import { agreement, refundOf, type GuestFacts } from '../scripts/lib/demo/accounts.js';

const channel = (id: bigint, deposit: bigint, redeemed: bigint, closed = false): Channel => ({
  id,
  guest: '0x' + '1'.repeat(40),
  owner: '0x' + '2'.repeat(40),
  token: '0x' + '3'.repeat(40),
  planId: 1,
  planVersion: 1,
  voucherKey: '03' + 'b'.repeat(64),
  deposit,
  redeemed,
  expiry: 1_800_000_000_000n,
  closed,
});
const before = 1_000n * 100_000_000n;
// c1: 0.0032 deposited (with a top up), 0.0028 redeemed, fees 0.65, channel open; c2: closed at log-out, 0.009 came back.
const guests = (): GuestFacts[] => [
  {
    name: 'c1',
    wallet: 'guest1',
    channel: channel(1n, 320_000n, 280_000n),
    before,
    after: before - 320_000n - 65_000_000n,
    fees: 65_000_000n,
    voucher: 280_000n,
  },
  {
    name: 'c2',
    wallet: 'guest2',
    channel: channel(2n, 1_000_000n, 100_000n, true),
    before,
    after: before - 1_000_000n - 39_000_000n + 900_000n,
    fees: 39_000_000n,
    voucher: 100_000n,
  },
];
const owner = { address: 'N', before, after: before + 380_000n, fees: 0n };

t.test('numbers that agree with the chain: every check holds', async (t) => {
  const checks = agreement(owner, guests());
  t.equal(checks.length, 4);
  t.ok(
    checks.every((c) => c.ok),
    checks.map((c) => c.text).join('\n'),
  );
  t.match(checks[3]!.text, /\+ 0\.009 GAS refunded/, "a closed channel's refund is counted as back");
});

t.test('the owner paying fees (a close it sent) is allowed for, and said', async (t) => {
  const checks = agreement({ ...owner, after: owner.after - 2_000_000n, fees: 2_000_000n }, guests());
  t.ok(checks[0]!.ok);
  t.match(checks[0]!.text, /0\.02 GAS of fees it paid/);
});

t.test('each disagreement is caught', async (t) => {
  t.notOk(agreement({ ...owner, after: owner.after + 1n }, guests())[0]!.ok, 'owner one unit richer than redeemed');
  const g = guests();
  g[0]!.voucher = 290_000n;
  const c = agreement(owner, g);
  t.notOk(c[1]!.ok, 'redeemed below the newest voucher the router holds');
  t.ok(
    c.some((x) => !x.ok && /channel 1 redeemed/.test(x.text)),
    'and the channel is named',
  );
  const h = guests();
  h[1]!.channel = { ...h[1]!.channel, closed: false };
  t.notOk(agreement(owner, h).at(-1)!.ok, 'a refund the chain never paid');
  const f = guests();
  f[0]!.fees -= 1n;
  t.notOk(agreement(owner, f)[2]!.ok, 'a fee not accounted for');
});

t.test('refund: deposit less redeemed, returned when closed, else after expiry + settlement window', async (t) => {
  const open = refundOf(channel(1n, 320_000n, 280_000n), 10_000n);
  t.same([open.amount, open.returned, open.at.getTime()], [40_000n, false, 1_800_000_010_000]);
  t.equal(refundOf(channel(2n, 100n, 40n, true), 10_000n).returned, true);
});
