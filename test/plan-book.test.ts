import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { answerCommand, type CommandContext } from '../agent/src/commands.js';
import { formatStatus } from '../agent/src/cli/format.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { planSchema } from '../agent/src/plans.js';
import { GuestStore } from '../agent/src/store/guests.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { PlanBook, type PlanSource, PlanUnavailable } from '../agent/src/plans/book.js';
import { planDrift, planIdOfLabel, planLabel, sessionLimits } from '../agent/src/plans/offer.js';
import { sessionPricing } from '../agent/src/plans/pricing.js';
import { PlanStore } from '../agent/src/plans/store.js';
import { openMemoryStore, openStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { UsageRecorder } from '../agent/src/usage/recorder.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { encodePlanTerms, type PlanTerms } from '../protocol/src/index.js';
import { testPlan } from './helpers/plans.js';

// The router's plan book: versions read once and kept for good in the
// store, the current list read again after its TTL and kept for when the
// source is down, and sessions priced by the version they were opened
// under. The source here is a table the test changes (the real ones, the
// gateway and the chain, are in test/plans.chain.test.ts).
const OWNER = '0x' + 'ab'.repeat(20);

class TableSource implements PlanSource {
  current = new Map<number, { version: number; terms: PlanTerms }>();
  versions = new Map<string, PlanTerms>();
  reads = { current: 0, version: 0 };
  down = false;
  publish(planId: number, terms: PlanTerms): number {
    const version = (this.current.get(planId)?.version ?? 0) + 1;
    this.current.set(planId, { version, terms });
    this.versions.set(`${planId}:${version}`, terms);
    return version;
  }
  async currentPlans() {
    this.reads.current++;
    if (this.down) throw new Error('gateway: no answer');
    return { owner: OWNER, plans: [...this.current].map(([planId, p]) => ({ planId, version: p.version, terms: encodePlanTerms(p.terms) })) };
  }
  async planVersion(_owner: string, planId: number, version: number) {
    this.reads.version++;
    if (this.down) throw new Error('gateway: no answer');
    const v = this.versions.get(`${planId}:${version}`);
    return v ? encodePlanTerms(v) : null;
  }
}

t.test('a version is read once and kept; an unknown one is refused and not kept', async (t) => {
  const src = new TableSource();
  src.publish(1, testPlan({ pricePerMB: 1000n }));
  const book = new PlanBook(new PlanStore(openMemoryStore()), src);
  const v = await book.ensure(OWNER, 1, 1);
  t.equal(v.terms.pricePerMB, 1000n);
  t.same(await book.ensure(OWNER.toUpperCase().replace('0X', '0x'), 1, 1), v, 'owner case does not matter');
  t.equal(src.reads.version, 1, 'read once');
  t.equal(book.terms(OWNER, 1, 1)?.version, 1, 'and there for the metering, synchronously');
  await t.rejects(book.ensure(OWNER, 1, 2), PlanUnavailable, 'never published');
  src.publish(1, testPlan({ pricePerMB: 2000n }));
  t.equal((await book.ensure(OWNER, 1, 2)).terms.pricePerMB, 2000n, 'read when it is published');
  t.equal(book.terms(OWNER, 1, 1)?.terms.pricePerMB, 1000n, 'version 1 stays as it was');
  src.down = true;
  await t.rejects(
    new PlanBook(new PlanStore(openMemoryStore()), src, { timeoutMs: 200 }).ensure(OWNER, 1, 1),
    /no answer/,
    'a source that fails: the caller hears why',
  );
});

t.test('the current list: kept for ttlMs, read again after; the stored list when the source fails', async (t) => {
  let now = 1_000_000;
  const src = new TableSource();
  src.publish(1, testPlan({ name: 'One' }));
  src.publish(2, testPlan({ name: 'Two' }));
  const changes: string[] = [];
  const book = new PlanBook(new PlanStore(openMemoryStore()), src, { ttlMs: 5_000, clock: () => now });
  book.onChange((p) => changes.push(p.plans.map((x) => `${x.planId}:${x.version}`).join(',')));
  t.same(
    (await book.current()).plans.map((p) => [p.planId, p.version, p.terms.name]),
    [
      [1, 1, 'One'],
      [2, 1, 'Two'],
    ],
  );
  await Promise.all([book.current(), book.current()]);
  t.equal(src.reads.current, 1, 'fresh within the TTL');
  src.publish(1, testPlan({ name: 'One b' }));
  now += 4_999;
  t.equal((await book.current()).plans[0]!.version, 1, 'a change waits for the TTL');
  now += 1;
  t.equal((await book.current()).plans[0]!.version, 1, 'a page load after the TTL gets the list last read at once, and starts a read');
  const [x, y] = await Promise.all([book.current({ wait: true }), book.current({ wait: true })]);
  t.equal(src.reads.current, 2, 'one read for every caller');
  t.same(x, y);
  t.equal(x.plans[0]!.version, 2, 'seen after it');
  t.equal(x.stale, false);
  t.same(changes, ['1:1,2:1', '1:2,2:1'], 'each change heard once');
  t.equal(book.terms(OWNER, 1, 2)?.terms.name, 'One b', 'a listed version is kept like one a session named');

  src.down = true;
  now += 10_000;
  const down = await book.current({ wait: true });
  t.equal(down.stale, true, 'the source failed: the stored list');
  t.same(
    down.plans.map((p) => [p.planId, p.version]),
    [
      [1, 2],
      [2, 1],
    ],
  );
  t.equal(down.readAt, now - 10_000, 'as read then');
  const reads = src.reads.current;
  await book.current();
  t.equal(src.reads.current, reads, 'and not asked again within the TTL');
  src.down = false;
  now += 5_000;
  t.equal((await book.current({ wait: true })).stale, false, 'fresh again once it answers');

  // A source that answers with terms that do not decode: nothing of it is kept, the list stays.
  const good = src.currentPlans.bind(src);
  src.currentPlans = async () => {
    const r = await good();
    return { ...r, plans: [...r.plans, { planId: 3, version: 1, terms: Uint8Array.of(9, 9, 9) }] };
  };
  now += 5_000;
  const bad = await book.current({ wait: true });
  t.same([bad.stale, bad.plans.map((p) => p.planId)], [true, [1, 2]], 'malformed terms from the source: the stored list');
  t.equal(book.terms(OWNER, 3, 1), undefined);
});

t.test('persisted: a restarted router without a source has the versions and the list', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-planbook-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = new TableSource();
  src.publish(1, testPlan({ pricePerMB: 1000n }));
  let db = openStore(dir);
  const book = new PlanBook(new PlanStore(db), src);
  await book.ensure(OWNER, 1, 1);
  await book.current();
  db.close();
  db = openStore(dir);
  t.teardown(() => db.close());
  const after = new PlanBook(new PlanStore(db), undefined);
  t.equal(after.terms(OWNER, 1, 1)?.terms.pricePerMB, 1000n, 'the version, from the file');
  t.equal((await after.ensure(OWNER, 1, 1)).version, 1, 'ensure needs no source for a kept version');
  await t.rejects(after.ensure(OWNER, 1, 2), /no gateway or chain RPC/);
  const list = await after.current();
  t.same([list.stale, list.owner, list.plans.map((p) => p.planId)], [true, OWNER, [1]]);
  t.same(
    after.last()?.plans.map((p) => p.version),
    [1],
  );
});

t.test('sessions are priced by the version they name, UCI only for a session no channel opened', async (t) => {
  const db = openMemoryStore();
  const store = new PlanStore(db);
  const src = new TableSource();
  src.publish(1, testPlan({ pricePerMB: 1000n, pricePerMinute: 0n, downKbps: 4000, upKbps: 1000, dataCapBytes: 50_000_000n, timeCapSeconds: 600 }));
  src.publish(1, testPlan({ pricePerMB: 5000n, pricePerMinute: 0n }));
  const book = new PlanBook(store, src);
  const uci = [planSchema.parse({ id: 'data', name: 'Data', pricePerMb: '0.001', chainPlan: 1 })];
  const pricing = sessionPricing(store, () => uci);
  const sessions = new SessionStore(db, new UsageRecorder(db, { intervalMs: 1_000, pricingOf: pricing }));
  const ledger = new ChannelLedger(db, pricing);
  const v1 = await book.ensure(OWNER, 1, 1);
  const limits = sessionLimits(v1, planLabel(uci, 1), 0);
  t.same(
    limits,
    { endsAt: 600_000, quotaBytes: 50_000_000, plan: 'data', downBps: 4_000_000, upBps: 1_000_000, planRef: { owner: OWNER, planId: 1, version: 1 } },
    'caps and rates from the terms',
  );
  const s1 = sessions.start('02:00:00:00:00:01', limits, 0);
  t.equal(store.forSession(s1)?.terms.dataCapBytes, 50_000_000n, 'the terms a session named, for the gate (zero-rated destinations with them)');
  const s2 = sessions.start('02:00:00:00:00:02', sessionLimits(await book.ensure(OWNER, 1, 2), 'data', 0), 0);
  const admin = sessions.start('02:00:00:00:00:03', { endsAt: null, quotaBytes: null, plan: 'data' }, 0);
  t.equal(store.forSession(admin), undefined);
  for (const [s, ch] of [
    [s1, 1n],
    [s2, 2n],
    [admin, 3n],
  ] as const)
    ledger.link(s.id, ch);
  const mb = { down: { handle: 1, bytes: 1_000_000, packets: 1 } };
  sessions.applyReadings(
    new Map([
      [s1.id, mb],
      [s2.id, mb],
      [admin.id, mb],
    ]),
    2_000,
  );
  t.equal(ledger.cost(1n, 2_000), 1000n, 'version 1: 1000 a MB');
  t.equal(ledger.cost(2n, 2_000), 5000n, 'version 2: 5000 a MB');
  t.equal(ledger.cost(3n, 2_000), 100_000n, "the admin's session: its UCI plan");
  const cost = db.prepare<[number], { c: number }>('SELECT SUM(cost) AS c FROM usage_records WHERE session_id = ?');
  t.equal(cost.get(s1.id)?.c, 1000, 'usage records by the same terms');
  t.equal(cost.get(s2.id)?.c, 5000);
});

t.test('labels, and the report of UCI plans the chain prices otherwise', async (t) => {
  const uci = [
    planSchema.parse({ id: 'hour', name: 'Hour', pricePerMinute: '0.0001', minutes: 60 }),
    planSchema.parse({ id: 'mb', name: 'MB', pricePerMb: '0.0001', chainPlan: 9 }),
  ];
  t.same([planLabel(uci, 1), planLabel(uci, 9), planLabel(uci, 4)], ['hour', 'mb', 'plan-4']);
  t.same(
    [planIdOfLabel(uci, 'hour'), planIdOfLabel(uci, 'mb'), planIdOfLabel(uci, 'plan-4'), planIdOfLabel(uci, 'plan-0'), planIdOfLabel(uci, 'nope')],
    [1, 9, 4, undefined, undefined],
  );
  const src = new TableSource();
  src.publish(1, testPlan({ pricePerMB: 0n, pricePerMinute: 10_000n, timeCapSeconds: 3600 }));
  const book = new PlanBook(new PlanStore(openMemoryStore()), src);
  const drift = planDrift(uci, (await book.current()).plans);
  t.same(drift, [{ plan: 'mb', chainPlan: 9, chainVersion: null, differs: ['unpublished'] }], 'hour matches; mb is not on chain');
  src.publish(1, testPlan({ pricePerMB: 0n, pricePerMinute: 20_000n, timeCapSeconds: 1800 }));
  const later = new PlanBook(new PlanStore(openMemoryStore()), src);
  t.same(planDrift(uci, (await later.current()).plans)[0], { plan: 'hour', chainPlan: 1, chainVersion: 2, differs: ['pricePerMinute', 'timeCapSeconds'] });
});

t.test("qlink status lists the chain's plans and warns of a UCI plan that differs", async (t) => {
  const config = parseConfig({
    plans: [
      { id: 'data', name: 'Data', pricePerMb: '0.0001' },
      { id: 'extra', name: 'Extra', pricePerMinute: '0.001' },
    ],
  });
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const src = new TableSource();
  src.publish(1, testPlan({ name: 'Data', pricePerMB: 1000n, pricePerMinute: 0n }));
  const ctx = {
    config,
    sessions,
    guests: new GuestStore(db),
    backendKind: 'memory',
    startedAt: Date.now(),
    refreshGuests: async () => {},
    gatekeeper: new Gatekeeper(
      new MemoryGate(),
      sessions,
      { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: [], blocked6: [] },
      createLogger('silent'),
    ),
    shaper: null,
    warnings: [],
    repair: async () => {},
    clock: Date.now,
    plans: new PlanBook(new PlanStore(db), src),
  } as unknown as CommandContext;
  t.equal(((await answerCommand(ctx, { cmd: 'status' })) as { plans: unknown }).plans, null, 'before the first read: status does not wait for one');
  await ctx.plans!.current({ wait: true });
  const status = (await answerCommand(ctx, { cmd: 'status' })) as { plans: { onChain: unknown[]; drift: unknown[]; stale: boolean } };
  t.match(status.plans, { stale: false, onChain: [{ planId: 1, version: 1, name: 'Data', pricePerMB: '1000' }] });
  t.same(status.plans.drift, [
    { plan: 'data', chainPlan: 1, chainVersion: 1, differs: ['pricePerMB'] },
    { plan: 'extra', chainPlan: 2, chainVersion: null, differs: ['unpublished'] },
  ]);
  const text = formatStatus(status as unknown as Record<string, unknown>);
  t.match(text, /plans on chain\s+1 "Data" v1/);
  t.match(text, /WARNING\s+UCI plan data differs from chain plan 1 v1 \(pricePerMB\): guests pay the chain's terms/);
  t.match(text, /WARNING\s+UCI plan extra \(chain plan 2\) is not published on chain: not sold/);
});
