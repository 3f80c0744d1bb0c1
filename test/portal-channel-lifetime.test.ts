import t from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { planTerms } from '../agent/src/plans.js';
import { decodePlanTerms, encodePlanTerms } from '../protocol/src/index.js';
import { paymentRequest } from '../agent/src/portal/api.js';
import type { PaymentDesk } from '../agent/src/portal/desk.js';

// The expiry the page asks a wallet for: channelHours by default, channelMinutes
// when set (the fault suite needs channels that expire, and refund, within a run).
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const ROUTER = '02' + 'ab'.repeat(32);
const NOW = 1_800_000_000_000;
const terms = encodePlanTerms(planTerms({ id: 'hour', name: 'Hour', pricePerMb: 0, pricePerMinute: 10_000, zeroRated: [], zeroRatedWithoutCredit: false }));
const desk = {} as unknown as PaymentDesk;
const version = (planId: number) => ({ owner: '0x' + '11'.repeat(20), planId, version: 3, terms: decodePlanTerms(terms), bytes: terms });
const expiryWith = async (portal: Record<string, unknown>) => {
  const config = parseConfig({ chain, portal, plans: [{ id: 'hour', name: 'Hour', pricePerMinute: '0.0001' }] });
  const r = await paymentRequest({ config, desk, routerKey: ROUTER, clock: () => NOW }, 'hour', version(1), '03' + 'cd'.repeat(32));
  return r.expiry;
};

t.test('the request names the plan and the version of its terms on chain', async (t) => {
  const config = parseConfig({
    chain,
    plans: [
      { id: 'hour', name: 'Hour', pricePerMinute: '0.0001' },
      { id: 'mb', name: 'MB', pricePerMb: '0.0001', chainPlan: 9 },
    ],
  });
  const r = await paymentRequest({ config, desk, routerKey: ROUTER, clock: () => NOW }, 'mb', version(9), '03' + 'cd'.repeat(32));
  t.same(r.data, [0, ROUTER, '03' + 'cd'.repeat(32), NOW + 7 * 24 * 3_600_000, 9, 3]);
  t.match(r.plan, { id: 'mb', chainId: 9, version: 3, pricePerMinute: '10000' }, 'the terms as the chain has them, for the page to show');
});

t.test('a channel lives channelHours, or channelMinutes when set', async (t) => {
  t.equal(await expiryWith({}), NOW + 7 * 24 * 3_600_000, 'default: a week, so a guest comes back on the channel they hold');
  t.equal(await expiryWith({ channelHours: 2 }), NOW + 2 * 3_600_000);
  t.equal(await expiryWith({ channelHours: 2, channelMinutes: 4 }), NOW + 4 * 60_000, 'minutes win over hours');
  t.throws(() => parseConfig({ chain, portal: { channelMinutes: 0 } }), /channelMinutes/, 'at least a minute');
  t.throws(() => parseConfig({ chain, portal: { channelMinutes: 1.5 } }), /channelMinutes/, 'whole minutes');
});
