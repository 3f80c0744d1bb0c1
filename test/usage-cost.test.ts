import t from 'tap';
import { costOf, planSchema, planTerms } from '../agent/src/plans.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { UsageRecorder } from '../agent/src/usage/recorder.js';

const plan = planSchema.parse({ id: 'cafe', name: 'Café', pricePerMb: '0.00012345', pricePerMinute: '0.001' });

t.test('GAS amounts parse to exact fractions; bad ones are refused', async (t) => {
  t.equal(plan.pricePerMb, 12_345);
  t.equal(plan.pricePerMinute, 100_000);
  for (const bad of ['-1', '0.000000001', '1e-3', 'free', '12345678901']) t.notOk(planSchema.safeParse({ id: 'x', name: 'x', pricePerMb: bad }).success, bad);
});

t.test('records carry the rise of the session cost; their sum is the session cost exactly', async (t) => {
  const db = openMemoryStore();
  const sessions = new SessionStore(db, new UsageRecorder(db, { intervalMs: 10_000, pricingOf: (r) => (r.plan === 'cafe' ? planTerms(plan) : undefined) }));
  let now = 1_000_000;
  const s = sessions.start('02:00:00:00:00:01', { endsAt: null, quotaBytes: null, plan: 'cafe' }, now);
  let down = 0;
  for (let i = 1; i <= 25; i++) {
    now += 3_333;
    down += 777_777 * i;
    sessions.applyReadings(new Map([[s.id, { down: { handle: 1, bytes: down, packets: 0 }, up: { handle: 2, bytes: 1_234 * i, packets: 0 } }]]), now);
  }
  sessions.markEnding(s.id, 'deauth', now);
  sessions.finish(s.id, now);
  const rows = db
    .prepare<[number], { cost: number; bytes: number; seconds: number }>(
      'SELECT cost, bytes_down + bytes_up AS bytes, seconds FROM usage_records WHERE session_id = ?',
    )
    .all(s.id);
  t.ok(rows.length >= 5, `${rows.length} records`);
  const end = sessions.get(s.id)!;
  const seconds = rows.reduce((a, r) => a + r.seconds, 0);
  const total = costOf(planTerms(plan), end.bytesDown + end.bytesUp, seconds);
  t.equal(
    rows.reduce((a, r) => a + r.cost, 0),
    total,
    `sum of record costs = session cost = ${total} fractions`,
  );
  t.ok(rows.every((r) => r.cost >= 0));
});
