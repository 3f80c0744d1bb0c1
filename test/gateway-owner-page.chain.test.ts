import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Page } from 'playwright-core';
import { pino } from 'pino';
import t from 'tap';
import { type Batch, offlineStatus, routerTopics, statusSchema, walletSignedMessage } from '../protocol/src/index.js';
import { newKeyPair, privateKeyFromHex, privateKeyHex, signP256 } from '../protocol/src/node/index.js';
import { gas } from '../gateway/src/api/owner/format.js';
import { account } from '../chain/src/index.js';
import { gatewayConfigSchema } from '../gateway/src/config.js';
import { startGateway } from '../gateway/src/main.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { GAS, settleFixture } from './gateway-settle-fixture.js';
import { TEST_PLANS } from './helpers/plans.js';
import { routerClient, SimRouter } from './gateway-sim.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { CHROMIUM_ARGS } from './portal-browser.js';

// The owner's page from a whole gateway (startGateway: MQTT ingest, the chain
// registry, settlement, the API) on a real neo-go chain, in chromium: routers
// sign usage with real vouchers, the gateway settles twice on chain, and the
// page must show what the chain shows.
const SHOTS = 'test-output/screenshots';
mkdirSync(SHOTS, { recursive: true });
const DAY = 86_400_000;
const COST = 500_000; // 0.005 GAS a record
const OPERATOR_TOKEN = 'operator-token-of-the-owner-page-test';

const f = await settleFixture();
t.teardown(() => f.chain.stop());
const { state } = f.chain;
const dir = mkdtempSync(join(tmpdir(), 'qlink-owner-chain-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
await broker.start();
t.teardown(() => broker.stop());

// Three routers: router1 and router2 of the owner, a third of another owner (the spare wallet).
const [owner, spare] = [f.w('owner'), f.w('spare')];
const router2 = f.w('router2');
const router3 = account(privateKeyHex(newKeyPair().privateKey));
await f.client.registerRouter(owner, router2); // plan 1 of the owner is on chain already (router1's registration)
await f.client.registerRouter(spare, router3, TEST_PLANS);
const deployment = { networkMagic: state.networkMagic, contract: state.contract.toLowerCase() };
const r1 = f.router;
const r2 = new SimRouter(privateKeyFromHex(router2.privateKey), deployment);
const r3 = new SimRouter(privateKeyFromHex(router3.privateKey), deployment);
const [chA, chB] = [await f.open(GAS), await f.open(GAS)];

const db = join(dir, 'gateway.db');
const config = gatewayConfigSchema.parse({
  broker: { url: broker.url, clientId: 'gw-owner-page' },
  store: { sqlite: db },
  chain: { rpc: state.rpc, networkMagic: state.networkMagic, contract: state.contract },
  api: { port: await freePort(), host: '127.0.0.1', token: OPERATOR_TOKEN },
  settlement: { wif: f.w('gateway').WIF, intervalMs: 1000, roundIntervalMs: 1000, checkMs: 500 },
  log: { level: process.env.QLINK_TEST_LOG ?? 'silent' },
});
const gw = await startGateway(config, pino({ level: config.log.level }));
t.teardown(() => gw.stop());
const base = `http://127.0.0.1:${(gw.api.address() as AddressInfo).port}`;
const books = await openSqliteStore(db); // a second connection, to wait on the gateway's books
t.teardown(() => books.close());

const clients = await Promise.all([r1, r2, r3].map((r) => routerClient(broker.url, r)));
t.teardown(async () => {
  for (const c of clients) await c.end();
});
const [c1, c2, c3] = clients as [(typeof clients)[number], (typeof clients)[number], (typeof clients)[number]];

/** A batch of two records on day `d` back, each costing COST and carrying the channel's cumulative voucher. */
const paid = new Map<number, number>();
function dayBatch(r: SimRouter, d: number, ch: typeof chA | null, seq?: number): Batch {
  // Noon of the day before day d: a batch's records never straddle midnight, whatever the hour the test runs.
  const at = Math.floor(Date.now() / DAY) * DAY - d * DAY - DAY / 2;
  const records = r.records(2, ch?.id ?? null).map((x, i) => {
    const amount = ch ? (paid.get(ch.id) ?? 0) + COST : 0;
    if (ch) paid.set(ch.id, amount);
    return {
      ...x,
      startMs: at + i * 600_000,
      endMs: at + i * 600_000 + 540_000,
      seconds: 540,
      bytesDown: (40 + ((d * 37 + i * 11) % 60)) * 4_000_000,
      bytesUp: (3 + (d % 5)) * 1_000_000,
      cost: ch ? COST : 0,
      voucher: ch ? { amount, signature: ch.sign(amount) } : null,
    };
  });
  return seq === undefined ? r.build(records) : r.build(records, { seq, advance: false });
}

async function settled(what: string): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    const [v, b, p, o] = await Promise.all([
      books.settlement.vouchersToRedeem(10),
      books.settlement.roundQueue(10),
      books.settlement.pendingRaw(),
      books.settlement.openRounds('0x' + f.w('gateway').scriptHash),
    ]);
    if (!v.length && !b.length && !p.length && !o.length && (await books.reports.transactions({ status: 'confirmed' })).length) return;
    if (Date.now() > end) throw new Error(`${what}: not settled (${v.length} vouchers, ${b.length} batches, ${p.length} pending)`);
    await sleep(500);
  }
}

const ownerBalance = async () => Number(await f.client.balanceOf(owner.address));
const before = await ownerBalance();

// Eight days of router1, two batches of router2, one of router3; settled; then two more days of router1.
for (let d = 9; d >= 2; d--) await c1.send(dayBatch(r1, d, chA));
await c2.send(dayBatch(r2, 6, chB));
await c2.send(dayBatch(r2, 3, chB));
await c3.send(dayBatch(r3, 4, null));
await until('first acks', () => c1.acks.length === 8 && c2.acks.length === 2 && c3.acks.length === 1, 60_000);
await settled('first settlement');
for (const d of [1, 0]) await c1.send(dayBatch(r1, d, chA));
await c2.send(dayBatch(r2, 0, chB, 4)); // batch 3 never comes: 4 is held
await until('second acks', () => c1.acks.length === 10, 60_000);
await settled('second settlement');
const after = await ownerBalance();
const txs = await books.reports.transactions({});

// Statuses as the agent publishes them: retained, router2's is its last will.
const { connectAsync } = await import('mqtt');
const statusClient = await connectAsync(broker.url, { clientId: 'status-publisher' });
t.teardown(() => statusClient.endAsync());
const online = (r: SimRouter, guests: number) =>
  JSON.stringify(
    statusSchema.parse({
      v: 1,
      router: r.address,
      online: true,
      at: Date.now(),
      uptimeSeconds: 86_400,
      agentUptimeSeconds: 80_000,
      load: [0.2, 0.1, 0.1],
      memory: { totalKb: 512_000, availableKb: 300_000, agentRssKb: 80_000 },
      interfaces: {},
      guests,
      sessions: guests,
      outbox: 0,
    }),
  );
await statusClient.publishAsync(`qlink/v1/${r1.address}/status`, online(r1, 2), { qos: 1, retain: true });
await statusClient.publishAsync(routerTopics(r2.address).status, offlineStatus(r2.address), { qos: 1, retain: true });
await statusClient.publishAsync(`qlink/v1/${r3.address}/status`, online(r3, 1), { qos: 1, retain: true });
const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
const routersJson = async () =>
  ((await (await fetch(`${base}/routers`, { headers: operator })).json()) as { routers: Array<{ address: string; status: unknown }> }).routers;
for (let i = 0; i < 100 && (await routersJson()).filter((r) => r.status).length < 3; i++) await sleep(100);

// Someone edits a record of router3's after it was anchored: the page must say so.
const editor = new Database(db);
editor.prepare('UPDATE records SET bytes_down = bytes_down * 2 WHERE router = ? AND id = 1').run(r3.address);
editor.close();

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
t.teardown(() => browser.close());

/** The owner logs in as the page's wallet button does: the wallet signs the gateway's challenge (signMessage's salted form). */
async function ownerSession(): Promise<string> {
  const { challenge } = (await (await fetch(`${base}/login/challenge?owner=${owner.address}`)).json()) as { challenge: string };
  const salt = '00112233445566778899aabbccddeeff';
  const signature = signP256(privateKeyFromHex(owner.privateKey), walletSignedMessage(salt, challenge)).toString('hex');
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ owner: owner.address, challenge, publicKey: owner.publicKey, salt, signature }),
  });
  if (r.status !== 200) throw new Error(`owner login: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

/** A page as the owner (logged in with the wallet) or as the operator (the bearer token) sees it. */
async function open(path: string, viewport: { width: number; height: number }, as: 'owner' | 'operator' = 'owner') {
  const context = await browser.newContext({ viewport, ...(as === 'operator' ? { extraHTTPHeaders: operator } : {}) });
  if (as === 'owner') await context.addCookies([{ name: 'qlink_session', value: await ownerSession(), url: base }]);
  const page = await context.newPage();
  const complaints: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') complaints.push(m.text());
  });
  page.on('pageerror', (e) => complaints.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  const res = await page.goto(base + path);
  return { page, res, complaints, requests };
}
/** Each row of a table as {column label: the cell's text}; the labels are the cells' own data-label. */
async function cells(page: Page, table: number): Promise<Array<Record<string, string>>> {
  const out: Array<Record<string, string>> = [];
  for (const row of await page.locator('table').nth(table).locator('tbody tr').all()) {
    const r: Record<string, string> = {};
    for (const td of await row.locator('td').all()) r[(await td.getAttribute('data-label')) ?? ''] = (await td.innerText()).trim();
    out.push(r);
  }
  return out;
}

t.test("the owner's page on a laptop: routers, charts and the chain's own transactions", async (t) => {
  const ownerPath = `/owner?owner=${owner.address}`;
  const { page, res, complaints, requests } = await open(ownerPath, { width: 1366, height: 900 });
  t.teardown(() => page.close());
  t.equal(res?.status(), 200);
  t.match(res?.headers()['content-security-policy'], /^default-src 'none'; style-src 'sha256-/);
  t.same(complaints, [], 'no console errors: the style passed the CSP, nothing was blocked');
  t.same(requests, [base + ownerPath], 'one request: the page needs nothing else');
  t.equal(await page.locator('h1').innerText(), 'Your Wi-Fi hotspots');

  const routers = await cells(page, 0);
  t.equal(routers.length, 2, "the owner's two routers, not the other owner's");
  const newest = (await books.settlement.lastRound('0x' + f.w('gateway').scriptHash))!.round;
  t.match(routers[0], {
    Router: r1.address,
    Status: 'Online',
    'Guests now': '2',
    Batches: /^10\s+last #10$/,
    'Batch chain': /Verified\s+batches 1–10/,
    'On chain': new RegExp(`^✔ Anchored round ${newest} batches to #10`),
    Problems: 'none',
  });
  t.match(routers[1], {
    Router: r2.address,
    Status: 'Offline',
    'Guests now': '—',
    Batches: /^2\s+last #2$/,
    'Batch chain': /Verified\s+batches 1–2/,
    'On chain': /^✔ Anchored round \d+ batches to #2/,
    Problems: /Batch 4 held: an earlier batch has not arrived yet/,
  });
  t.equal(
    await page.locator('td[data-label="On chain"] .ok').first().getAttribute('title'),
    "batch 10's proof: 10 checks against the chain held",
    "router1's newest batch's proof, checked against the chain with the stored batch and the pinned anchorer",
  );

  const rows = await cells(page, 1);
  t.equal(rows.length, txs.length, 'every settlement transaction');
  t.ok(rows.length >= 2, `two settlements at least (${rows.length})`);
  for (const row of rows) {
    const tx = txs.find((x) => x.txid === row.Transaction);
    t.ok(tx, `${row.Transaction} is a transaction of the books`);
    t.equal(row.State, 'Confirmed');
    const block = await f.client.rpc.getBlock(Number(row.Block), true);
    t.ok(
      block.tx.some((x) => x.hash === row.Transaction),
      `block ${row.Block} holds ${row.Transaction}`,
    );
    t.equal(row.Fee, `${gas(tx!.gasFee!)} GAS`);
  }
  const paidOnPage = rows.reduce((n, r) => n + Math.round(Number(r['Paid to owner']!.replace(/[^\d.]/g, '')) * 1e8), 0);
  t.equal(paidOnPage, after - before, "the rows add up to what the owner's wallet gained on chain");
  t.equal(after - before, 24 * COST, 'the newest vouchers: 0.1 GAS on channel A, 0.02 on B (its held batch not yet)');
  t.equal(await page.locator('.tile .big').nth(3).getAttribute('title'), `${gas(after - before)} GAS`, 'the "paid in 30 days" tile');
  t.equal(await page.locator('.tile .big').nth(2).getAttribute('title'), `${gas(24 * COST)} GAS`, 'metered: 24 stored records of 0.005 GAS');
  t.equal(await page.locator('svg.chart').count(), 2);
  t.equal(await page.locator('svg.chart rect.down').count(), 10, "a data bar for each of the ten days with usage (router2's two are among them)");
  t.ok((await page.locator('svg.chart rect.paid').count()) >= 1, 'payments drawn on their days');
  await page.screenshot({ path: `${SHOTS}/owner-laptop.png`, fullPage: true });
});

t.test('on a phone the tables become cards and nothing runs off the side', async (t) => {
  const { page, complaints } = await open(`/owner?owner=${owner.address}&days=14`, { width: 390, height: 844 });
  t.teardown(() => page.close());
  t.same(complaints, []);
  t.ok(await page.evaluate('document.documentElement.scrollWidth <= 390'), 'no sideways scrolling');
  t.equal(await page.locator('table thead').first().isVisible(), false, 'headers hidden; each cell carries its label');
  t.match((await cells(page, 0))[0], { Router: r1.address, Status: 'Online' });
  await page.screenshot({ path: `${SHOTS}/owner-phone.png`, fullPage: true });
});

t.test('the fleet view: every router, each owner linked, a tampered chain shown broken', async (t) => {
  const { page, complaints } = await open('/', { width: 1366, height: 900 }, 'operator');
  t.teardown(() => page.close());
  t.same(complaints, []);
  const routers = await cells(page, 0);
  t.equal(routers.length, 3);
  t.match(
    routers.find((r) => r.Router?.startsWith(r3.address)),
    {
      Status: 'Online',
      'Guests now': '1',
      'Batch chain': /Broken\s+batch 1: Merkle root does not match the records/,
      'On chain':
        /Proof failed\s+round \d+ batches to #1[\s\S]*batch 1's proof: the batch verifies \(records root, hash, router signature\): Merkle root does not match the records/,
    },
  );
  t.equal(await page.locator('.owners li').count(), 2, 'two owners, each a link to their view');
  await page.locator(`.owners a[href="?owner=${spare.address}"]`).click();
  await page.waitForURL(/owner=/);
  t.equal((await cells(page, 0)).length, 1, "the other owner's view: one router");
  await page.goto(base + '/');
  await page.screenshot({ path: `${SHOTS}/fleet-laptop.png`, fullPage: true });
});
