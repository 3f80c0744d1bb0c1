import t from 'tap';
import { parseConfig } from '../agent/src/config.js';
import { paymentRequest } from '../agent/src/portal/api.js';
import type { PaymentDesk } from '../agent/src/portal/desk.js';

// The expiry the page asks a wallet for: channelHours by default, channelMinutes
// when set (the fault suite needs channels that expire, and refund, within a run).
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const ROUTER = '02' + 'ab'.repeat(32);
const NOW = 1_800_000_000_000;
const expiryWith = (portal: Record<string, unknown>) => {
  const config = parseConfig({ chain, portal });
  return paymentRequest({ config, desk: {} as PaymentDesk, routerKey: ROUTER, clock: () => NOW }, '03' + 'cd'.repeat(32)).expiry;
};

t.test('a channel lives channelHours, or channelMinutes when set', async (t) => {
  t.equal(expiryWith({}), NOW + 24 * 3_600_000, 'default: 24 hours');
  t.equal(expiryWith({ channelHours: 2 }), NOW + 2 * 3_600_000);
  t.equal(expiryWith({ channelHours: 2, channelMinutes: 4 }), NOW + 4 * 60_000, 'minutes win over hours');
  t.throws(() => parseConfig({ chain, portal: { channelMinutes: 0 } }), /channelMinutes/, 'at least a minute');
  t.throws(() => parseConfig({ chain, portal: { channelMinutes: 1.5 } }), /channelMinutes/, 'whole minutes');
});
