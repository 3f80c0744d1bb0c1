import t from 'tap';
import { spendBound } from '../captive-portal/src/bound.js';
import type { PlanOffer } from '../protocol/src/index.js';

// The page's own bound on what it signs (issue 16 item 3, captive-portal/src/bound.ts): what the plan's on-chain terms allow
// for the time online, plus one credit window, over what was spent before the session.
const plan = (o: Partial<PlanOffer>): PlanOffer => ({
  id: 'p',
  chainId: 1,
  version: 1,
  name: 'P',
  pricePerMB: '0',
  pricePerMinute: '0',
  downKbps: 0,
  upKbps: 0,
  dataCapBytes: '0',
  timeCapSeconds: 0,
  validUntil: '1',
  ...o,
});

t.test('per minute: the minutes since the session started', async (t) => {
  t.equal(spendBound(plan({ pricePerMinute: '600' }), 1_000n, 30, 100n), 1_000n + 300n + 100n);
  t.equal(spendBound(plan({ pricePerMinute: '600' }), 0n, 0, 100n), 100n, 'at the start: one window');
});

t.test('per MB: what the rate caps let through in that time', async (t) => {
  // 8,000 kbit/s down + 0 up for 10 s = 80,000 kbit = 10 MB.
  t.equal(spendBound(plan({ pricePerMB: '1000', downKbps: 8_000, upKbps: 1 }), 0n, 10, 0n), 1000n * 11n, '10 MB and a bit of the upload, rounded up');
  t.equal(spendBound(plan({ pricePerMB: '1000' }), 0n, 10, 0n), null, 'no rate cap: no bound from time alone (the deposit bounds it)');
});

t.test('no terms known: no bound', async (t) => {
  t.equal(spendBound(null, 0n, 10, 100n), null);
});
