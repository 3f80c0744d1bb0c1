import Database from 'better-sqlite3';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { addressOf, roundOrder, roundRoot } from '../protocol/src/index.js';
import { ChainAuditor } from '../gateway/src/api/owner/chain-audit.js';
import { axis, barChart } from '../gateway/src/api/owner/chart.js';
import { ago, bytes, gas } from '../gateway/src/api/owner/format.js';
import { html } from '../gateway/src/api/owner/html.js';
import { STYLE_HASH } from '../gateway/src/api/owner/style.js';
import { TxBlocks } from '../gateway/src/api/owner/tx-blocks.js';
import { startApi } from '../gateway/src/api/server.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { StatusBook } from '../gateway/src/ingest/status.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import type { RouterCache } from '../gateway/src/store/store.js';
import { deployment, SimRouter } from './gateway-sim.js';
import { ApiAudit } from './helpers/api-audit.js';

// The owner's page without a browser: escaping, an empty store, chart scales, the batch chain check and the route.
const dir = mkdtempSync(join(tmpdir(), 'qlink-owner-page-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const NOW = Date.UTC(2026, 10, 25, 12, 0);
const OWNER = '0x' + '5a'.repeat(20);
const OWNER_ADDRESS = addressOf(OWNER.slice(2));
const TOKEN = 'operator-token-0123456789';

async function gateway(t: Test, o: { statuses?: StatusBook; blockOf?: (id: string) => Promise<number | null> } = {}) {
  const store = await openSqliteStore(join(dir, `gw-${++n}.db`));
  const statuses = o.statuses ?? new StatusBook();
  const audit = new ApiAudit();
  const api = await startApi(
    { stores: store, statuses, counters: ingestCounters(), deployment, clock: () => NOW, blockOf: o.blockOf },
    { port: 0, host: '127.0.0.1', token: TOKEN, onReply: audit.onReply },
    pino({ level: 'silent' }),
  );
  t.teardown(async () => {
    await new Promise((r) => api.close(r));
    await store.close();
    audit.assertClean();
  });
  const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const get = async (path: string) => {
    const r = await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: r.status, headers: r.headers, body: await r.text() };
  };
  return { store, statuses, get };
}

const register = (store: { routers: RouterCache }, r: SimRouter, owner = OWNER) =>
  store.routers.putRouter({ address: r.address, publicKey: r.publicKey, owner, active: true, checkedAt: 1 });

/** Bars of an SVG chart as [class, height]. */
const bars = (svg: string) => [...svg.matchAll(/<rect class="(\w+)"[^>]* height="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])] as const);

t.test('html`` escapes every value, attributes too; nested html passes as it is', async (t) => {
  const evil = `"><script>alert(1)</script>'&`;
  t.equal(
    html`<a title="${evil}">${evil}</a>`.text,
    '<a title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;</a>',
  );
  t.equal(html`<ul>${['<a>', html`<li>${'<b>'}</li>`, null, false, 3]}</ul>`.text, '<ul>&lt;a&gt;<li>&lt;b&gt;</li>3</ul>');
});

t.test('figures: GAS exact, bytes in SI units, time ago', async (t) => {
  t.equal(gas(62_000_000), '0.62');
  t.equal(gas(123_456_789_012), '1,234.56789012');
  t.equal(gas(0), '0');
  t.same([bytes(0), bytes(999), bytes(1000), bytes(1_234_567), bytes(4.2e12)], ['0 B', '999 B', '1 kB', '1.23 MB', '4.2 TB']);
  t.same(
    [ago(0, NOW), ago(NOW - 5_000, NOW), ago(NOW - 300_000, NOW), ago(NOW - 7_200_000, NOW), ago(NOW - 86_400_000, NOW)],
    ['never', 'just now', '5 min ago', '2 h ago', '1 day ago'],
  );
});

t.test('charts: the axis is a round step above the largest value, bars scale to it', async (t) => {
  t.same(axis(0), { step: 0.25, top: 1 }, 'no data: an empty 0..1 axis');
  t.same(axis(100), { step: 50, top: 100 });
  t.same(axis(7), { step: 2, top: 8 });
  t.same(axis(3.2e9), { step: 1e9, top: 4e9 });
  t.same(axis(1), { step: 0.5, top: 1 });
  const days = ['2026-11-23', '2026-11-24', '2026-11-25'];
  const svg = barChart({ title: 't', days, stacked: false, format: String, series: [{ name: 'x', cls: 'paid', values: [0, 50, 100] }] }).text;
  const hs = bars(svg);
  t.equal(hs.length, 2, 'a zero day draws no bar');
  t.equal(hs[1]![1], 158, 'the largest value reaches the top of a 0..100 axis (158 units of plot)');
  t.equal(hs[0]![1], 79, 'half the value, half the height');
  t.match(svg, />100<\/text>/, 'the top tick is labelled');
  t.match(svg, /<title>Nov 24: x 50<\/title>/, 'each bar says its day and value');
  const stacked = bars(
    barChart({
      title: 't',
      days: days.slice(0, 1),
      stacked: true,
      format: String,
      series: [
        { name: 'down', cls: 'down', values: [30] },
        { name: 'up', cls: 'up', values: [10] },
      ],
    }).text,
  );
  t.same(
    stacked.map((b) => b[0]),
    ['down', 'up'],
  );
  t.equal(stacked[0]![1] + stacked[1]![1], 158, "stacked: the day's total reaches the top (axis 0..40)");
  t.equal(stacked[0]![1], 3 * stacked[1]![1], '30 : 10');
  const huge = barChart({ title: 't', days, stacked: false, format: bytes, series: [{ name: 'x', cls: 'down', values: [1e15, 2e15, 3e15] }] }).text;
  t.match(huge, />3 PB<\/text>/, 'very large values still get a round axis');
  t.equal(bars(barChart({ title: 't', days, stacked: true, format: String, series: [{ name: 'x', cls: 'up', values: [0, 0, 0] }] }).text).length, 0);
});

t.test('an empty store: the page explains there is nothing yet, with a strict CSP', async (t) => {
  const g = await gateway(t);
  for (const path of ['/', '/owner', `/owner?owner=${OWNER_ADDRESS}&days=14`]) {
    const r = await g.get(path);
    t.equal(r.status, 200, path);
    t.match(r.headers.get('content-type'), /^text\/html/);
    t.equal(
      r.headers.get('content-security-policy'),
      `default-src 'none'; style-src '${STYLE_HASH}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    t.match(r.body, /No routers yet/);
    t.match(r.body, /No settlement transactions yet/);
    t.notMatch(r.body, /<script/i, 'no script at all');
    t.notMatch(r.body, /<rect /, 'no bars');
  }
  t.equal((await g.get('/owner?days=14')).body.match(/class="tick" x="[\d.]+" y="184"/g)?.length, 2 * 7, 'two charts, a label every second day of 14');
});

t.test('everything from the network is escaped: router ids from status topics, anomaly details, status fields', async (t) => {
  const statuses = new StatusBook();
  const g = await gateway(t, { statuses });
  const evilId = '<img src=x onerror=alert(1)>';
  t.notOk(
    statuses.update(`qlink/v1/${evilId}/status`, Buffer.from(JSON.stringify({ v: 1, router: evilId, online: true })), NOW),
    'a topic that names no router address is refused at the door',
  );
  const r = new SimRouter();
  await register(g.store, r);
  t.ok(statuses.update(`qlink/v1/${r.address}/status`, Buffer.from(JSON.stringify({ v: 1, router: r.address, online: true, guests: '<b>7</b>' })), NOW));
  await g.store.ingest.storeBatch(r.address, r.next(2), NOW);
  await g.store.ingest.report(
    { router: r.address, kind: 'bad-batch', seq: 9, hash: '', detail: '<script>alert("x")</script>', payload: null, at: NOW },
    'reported',
  );
  await g.store.ingest.report({ router: evilId, kind: 'malformed', seq: 0, hash: '', detail: '<iframe>', payload: null, at: NOW }, 'reported');
  const page = (await g.get('/owner')).body;
  t.notMatch(page, /<img|<script|<iframe|<b>7/i, 'no markup got through');
  t.match(page, /&lt;img src=x onerror=alert\(1\)&gt;/);
  t.match(page, /Batch 9 refused: &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  t.match(page, /data-label="Guests now" class="num"><div>—</, 'a guests count that is not a number is not shown');
});

t.test('the page: routers with guests and chain checks, charts, settlement transactions with blocks; one owner or the fleet', async (t) => {
  const statuses = new StatusBook();
  const asked: string[] = [];
  const g = await gateway(t, { statuses, blockOf: async (id) => (asked.push(id), id === '0xc1' ? 4242 : null) });
  const [a, b, c] = [new SimRouter(), new SimRouter(), new SimRouter()];
  await register(g.store, a);
  await register(g.store, b);
  await register(g.store, c, '0x' + '77'.repeat(20));
  const day = (d: number) => NOW - d * 86_400_000;
  // a: one batch a day for three days ending today; 1 GB down on the last.
  for (const d of [2, 1, 0]) {
    const recs = a.records(2, 3, 1_000_000 * (3 - d)).map((x, i) => ({
      ...x,
      startMs: day(d) - 60_000 + i,
      endMs: day(d) - 1000 + i,
      bytesDown: d === 0 ? 5e8 : 1e6,
      cost: 1_000_000,
      ...(d === 0 ? { zeroDown: 2e8, zeroUp: 0 } : {}),
    }));
    await g.store.ingest.storeBatch(a.address, a.build(recs), day(d));
  }
  await g.store.ingest.storeBatch(b.address, b.next(1), day(3));
  await g.store.ingest.storeBatch(c.address, c.next(1), day(3));
  await g.store.ingest.report({ router: b.address, kind: 'gap', seq: 3, hash: 'ab'.repeat(32), detail: 'head is 1', payload: null, at: NOW }, 'held');
  statuses.update(
    `qlink/v1/${a.address}/status`,
    Buffer.from(JSON.stringify({ v: 1, router: a.address, online: true, at: NOW, guests: 2, sessions: 2 })),
    NOW - 1000,
  );
  statuses.update(`qlink/v1/${b.address}/status`, Buffer.from(JSON.stringify({ v: 1, router: b.address, online: false })), NOW - 1000);
  // Round 1 holds every batch stored so far (a's three, b's and c's); its transaction also redeems.
  const queued = roundOrder(await g.store.settlement.roundQueue(100));
  const anchorer = '0x' + '66'.repeat(20);
  await g.store.settlement.cutRound({ anchorer, round: 1, root: roundRoot(queued.map((x) => x.hash)), batches: queued, at: day(1) });
  await g.store.settlement.addPending({
    txid: '0xc1',
    kind: 'redeem',
    raw: '00',
    validUntilBlock: 9,
    at: day(1),
    items: [{ kind: 'redeem', channelId: 3, amount: 2_000_001, owner: OWNER }],
    round: { anchorer, round: 1 },
  });
  await g.store.settlement.settle('0xc1', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 1_234_567, at: day(1) + 5000 });
  await g.store.settlement.addPending({
    txid: '0xc2',
    kind: 'redeem',
    raw: '00',
    validUntilBlock: 9,
    at: day(0),
    items: [{ kind: 'redeem', channelId: 3, amount: 3_000_001, owner: OWNER }],
  });

  const page = (await g.get(`/owner?owner=${OWNER_ADDRESS}&days=14`)).body;
  const rows = page.split('<tbody>')[1]!.split('</tbody>')[0]!.split('<tr>').slice(1);
  t.equal(rows.length, 2, "the owner's two routers, not the other owner's");
  t.notMatch(page, new RegExp(c.address));
  t.match(
    rows[0],
    new RegExp(
      `${a.address}[\\s\\S]*Online[\\s\\S]*just now[\\s\\S]*>2<[\\s\\S]*>3 <span class="muted small">last #3[\\s\\S]*✔ Verified</span> <span class="muted">batches 1–3`,
    ),
    'online first, with guests and a verified chain',
  );
  t.match(
    rows[1],
    new RegExp(`${b.address}[\\s\\S]*Offline[\\s\\S]*3 days ago[\\s\\S]*✔ Verified[\\s\\S]*Batch 3 held`),
    'offline, last seen by its batch, its held batch a problem',
  );
  t.match(page, /<div class="big">1 <span class="of">of 2<\/span><\/div>routers online/);
  t.match(page, /<div class="big">2<\/div>guests online now/);
  t.match(page, /title="0.06 GAS">0.06 <span class="of">GAS<\/span><\/div>earned in 14 days/, 'six records of 0.01 GAS');
  t.match(page, /title="0.02000001 GAS">0.02 <span class="of">GAS<\/span><\/div>paid to you on chain in 14 days/);
  t.match(page, /<title>Nov 25: downloaded 1 GB<\/title>/, "today's data bar");
  t.match(page, /<title>Nov 25: zero-rated \(free\) 400 MB<\/title>/, "today's zero-rated bytes, apart (two records of 200 MB)");
  t.match(page, /charged and 400 MB zero-rated in 14 days/);
  t.match(page, /<title>Nov 24: paid on chain 0.02<\/title>/, "yesterday's payment bar");
  const txs = page.split('<tbody>')[2]!.split('<tr>').slice(1);
  t.match(
    txs[0],
    /0xc2[\s\S]*Pending[\s\S]*Block" class="num"><div>—<[\s\S]*1 payment channel[\s\S]*claims 0.01 GAS/,
    'newest first; pending: no block, claims the rise',
  );
  t.match(
    txs[1],
    /0xc1[\s\S]*Confirmed[\s\S]*>4242<[\s\S]*1 payment channel, round 1: 4 batches anchored[\s\S]*0.02000001 GAS[\s\S]*0.01234567 GAS/,
    "the owner's four batches of the round (not the other owner's)",
  );
  t.match(
    rows[0],
    /data-label="On chain"><div><span class="warn" title="no chain to ask">Checking…<\/span> round 1 <span class="muted">batches to #3/,
    'its newest anchored round; without a chain to ask, its proof is not checked',
  );
  t.same(asked, ['0xc1'], 'only a transaction in a block is looked up');
  await g.get(`/owner?owner=${OWNER_ADDRESS}`);
  t.same(asked, ['0xc1'], 'and only once');

  const fleet = (await g.get('/owner')).body;
  t.match(fleet, new RegExp(c.address), 'the fleet sees every router');
  t.match(fleet, new RegExp(`<a href="\\?owner=${OWNER_ADDRESS}"><code class="addr">${OWNER_ADDRESS}</code></a> · 2 routers`), "and links each owner's view");
});

t.test('bad queries get an HTML error page, not a crash', async (t) => {
  const g = await gateway(t);
  const cases: Array<[string, RegExp]> = [
    ['/owner?owner=xyz', /owner: a NEO N3 address/],
    [`/owner?owner=${OWNER_ADDRESS.slice(0, -1)}${OWNER_ADDRESS.endsWith('a') ? 'b' : 'a'}`, /checksum/],
    ['/owner?days=0', /days/],
    ['/owner?days=abc', /days/],
    ['/owner?bogus=1', /bogus/],
    ['/?days=7&days=8', /given twice/],
  ];
  for (const [path, why] of cases) {
    const r = await g.get(path);
    t.equal(r.status, 400, path);
    t.match(r.headers.get('content-type'), /^text\/html/);
    t.match(r.body, why);
  }
  t.equal((await g.get('/owner/x')).status, 404);
});

t.test('the chain check re-verifies stored batches: links, hashes, roots, signatures; remembers what it verified', async (t) => {
  const path = join(dir, `audit-${++n}.db`);
  const store = await openSqliteStore(path);
  t.teardown(() => store.close());
  // Rows changed behind the gateway's back, through a connection of the test's own.
  const raw = new Database(path);
  t.teardown(() => raw.close());
  raw.pragma('foreign_keys = OFF'); // whoever edits the file by hand need not respect the schema (a dropped batch leaves its round_queue row)
  const sql = (q: string, params: Array<string | number | null>) => raw.prepare(q).run(...params);
  const r = new SimRouter();
  for (let i = 0; i < 5; i++) await store.ingest.storeBatch(r.address, r.next(3, 4, 100 * (i + 1)), 1);
  let reads = 0;
  const counting = new Proxy(store.owner, {
    get: (s, k) => (k === 'storedBatches' ? (...a: [string, number, number]) => (reads++, s.storedBatches(...a)) : Reflect.get(s, k)),
  });
  const heads = () => store.owner.chainHeads();
  const slow = new ChainAuditor(counting, deployment, { pageSize: 1, budget: 2 });
  const slowCheck = async () => (await slow.check(await heads())).get(r.address);
  t.match(await slowCheck(), { state: 'checking', checkedTo: 2 }, 'a budget per call');
  t.match(await slowCheck(), { state: 'checking', checkedTo: 4 });
  t.match(await slowCheck(), { state: 'verified', checkedTo: 5, problem: null });
  t.equal(reads, 5);
  await store.ingest.storeBatch(r.address, r.next(2), 1);
  t.match(await slowCheck(), { state: 'verified', checkedTo: 6 });
  t.equal(reads, 6, 'only the new batch is read');

  t.match(
    (await new ChainAuditor(store.owner, deployment, { budgetMs: 0 }).check(await heads())).get(r.address),
    { state: 'checking', checkedTo: 0 },
    'and a time budget per call',
  );
  const check = async () => (await new ChainAuditor(store.owner, deployment).check(await heads())).get(r.address);
  t.match(await check(), { state: 'verified', checkedTo: 6 });
  t.match(
    (await new ChainAuditor(store.owner, { ...deployment, networkMagic: 860833102 }).check(await heads())).get(r.address),
    { state: 'broken', checkedTo: 0, problem: 'batch 1: batch hash does not match' },
    'signed for another network: not this chain',
  );

  const tip = await store.owner.batchHash(r.address, 6);
  sql('UPDATE batches SET hash = ? WHERE router = ? AND seq = 6', ['dd'.repeat(32), r.address]);
  t.match(await slowCheck(), { state: 'checking', checkedTo: 2 }, 'the remembered tip changed: checked again from batch 1');
  await slowCheck();
  t.match(await slowCheck(), { state: 'broken', checkedTo: 5, problem: 'batch 6: batch hash does not match' });
  sql('UPDATE batches SET hash = ? WHERE router = ? AND seq = 6', [tip, r.address]);
  t.match(await slowCheck(), { state: 'verified', checkedTo: 6 }, 'a broken batch is read again, not remembered');

  const tamper = async (what: string, change: string, undo: string | null, problem: string | RegExp, checkedTo: number) => {
    sql(change, [r.address]);
    t.match(await check(), { state: 'broken', checkedTo, problem }, what);
    if (undo) sql(undo, [r.address]);
  };
  // Batches 1-5 hold records 1-3, 4-6, 7-9, 10-12, 13-15.
  await tamper(
    'a record changed',
    'UPDATE records SET bytes_down = bytes_down + 1 WHERE router = ? AND id = 8',
    'UPDATE records SET bytes_down = bytes_down - 1 WHERE router = ? AND id = 8',
    'batch 3: Merkle root does not match the records',
    2,
  );
  await tamper(
    'a record moved into another batch',
    'UPDATE records SET batch_seq = 4 WHERE router = ? AND id = 14',
    'UPDATE records SET batch_seq = 5 WHERE router = ? AND id = 14',
    'batch 4: toMs is not the latest record end',
    3,
  );
  await tamper(
    'a link changed',
    `UPDATE batches SET prev = '${'ee'.repeat(32)}' WHERE router = ? AND seq = 3`,
    `UPDATE batches SET prev = '${(await store.owner.batchHash(r.address, 2))!}' WHERE router = ? AND seq = 3`,
    'batch 3: does not link to batch 2 (previous hash differs)',
    2,
  );
  const sig = (await store.owner.storedBatches(r.address, 0, 1))[0]!.signature;
  await tamper(
    'a signature changed',
    `UPDATE batches SET signature = '${'00'.repeat(64)}' WHERE router = ? AND seq = 1`,
    `UPDATE batches SET signature = '${sig}' WHERE router = ? AND seq = 1`,
    'batch 1: bad router signature',
    0,
  );
  await tamper('a record dropped', 'DELETE FROM records WHERE router = ? AND id = 11', null, 'batch 4: Merkle root does not match the records', 3);
  await tamper('a batch dropped', 'DELETE FROM batches WHERE router = ? AND seq = 2', null, 'batch 2 is missing', 1);
});

t.test('blocks: looked up once, a slow or failing chain leaves them blank', async (t) => {
  let calls = 0;
  const blocks = new TxBlocks(async (id) => {
    calls++;
    if (id === 'slow') return new Promise<number>((ok) => setTimeout(() => ok(7), 5_000).unref());
    if (id === 'down') throw new Error('connect ECONNREFUSED');
    return id === 'new' ? null : 12;
  }, 100);
  const t0 = Date.now();
  t.same([...(await blocks.blocks(['a', 'slow', 'down', 'new']))], [['a', 12]]);
  t.ok(Date.now() - t0 < 2_000, 'not held up by the slow lookup');
  t.same([...(await blocks.blocks(['a']))], [['a', 12]]);
  t.equal(calls, 4, 'a known block is not asked for again');
});

t.test("the network fees the gateway paid for an owner's guests (sponsoring), today and all time", async (t) => {
  const gw = await gateway(t);
  const row = (n: number, day: string, fee: number) => ({
    txid: '0x' + n.toString(16).padStart(64, '0'),
    kind: 'open' as const,
    router: 'NRouter',
    owner: OWNER,
    guest: '0x' + '22'.repeat(20),
    amount: 50_000_000,
    raw: 'ab',
    systemFee: fee - 2_000_000,
    networkFee: 2_000_000,
    validUntilBlock: 9,
    day,
    status: 'offered' as const,
    createdAt: n,
    settledAt: null,
    channelId: null,
    detail: null,
  });
  for (const [n, day, fee] of [
    [1, '2026-11-25', 29_500_000],
    [2, '2026-11-24', 29_000_000],
    [3, '2026-11-25', 30_000_000],
  ] as const) {
    const r = row(n, day, fee);
    await gw.store.sponsor.addOffer(r);
    if (n < 3) {
      await gw.store.sponsor.claim(r.txid, { perGuestPerDay: 9, ownerDailyBudget: 1e12 });
      await gw.store.sponsor.settle(r.txid, 'confirmed', n, n);
    }
  }
  const page = await gw.get(`/owner?owner=${OWNER_ADDRESS}`);
  t.match(
    page.body,
    /id="sponsored">Network fees this gateway paid for your guests, so that each paid exactly their deposit:\s+today 0\.295 GAS \(1 channel opened, 1 transaction\);\s+all time 0\.585 GAS for 2 channels\./,
    'an offer never sent costs nothing; confirmed ones count on their day',
  );
  t.notMatch((await gw.get('/owner')).body, /id="sponsored"/, "the fleet view does not sum owners' budgets");
});
