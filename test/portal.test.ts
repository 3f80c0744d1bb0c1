import t from 'tap';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { encodePlanTerms, sessionActionMessage, voucherMessage } from '../protocol/src/index.js';
import { planTerms } from '../agent/src/plans.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { PaymentDesk } from '../agent/src/portal/desk.js';
import { Relayer } from '../agent/src/portal/relay.js';
import { startPortal } from '../agent/src/portal/server.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { MemoryChannelSource } from './fakes/memory-channels.js';
import { VoucherChecker } from '../agent/src/vouchers/check.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { PlanBook } from '../agent/src/plans/book.js';
import { sessionPricing } from '../agent/src/plans/pricing.js';
import { PlanStore } from '../agent/src/plans/store.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { ensurePortalBuilt, selfSigned } from './helpers/portal.js';

const MAC = '02:00:00:00:00:01';
const ROUTER = '03' + 'aa'.repeat(32);
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const port = 20_000 + Math.floor(Math.random() * 20_000);
const HOST = 'portal.example';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function req(path: string, o: { method?: string; host?: string; body?: string; type?: string; lang?: string; tls?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: o.host ?? `127.0.0.1:${port}` };
    if (o.body !== undefined) headers['content-type'] = o.type ?? 'application/json';
    if (o.lang) headers['accept-language'] = o.lang;
    const r = (o.tls ? httpsRequest : httpRequest)(
      { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, rejectUnauthorized: false, servername: HOST },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    r.on('error', reject);
    r.end(o.body);
  });
}

const post = (path: string, value: unknown) => req(path, { method: 'POST', body: JSON.stringify(value) });

t.before(() => ensurePortalBuilt());

t.test('the portal: headers, probes, paying by voucher, malformed requests, RFC 8908 over HTTPS', async (t) => {
  const cert = selfSigned(HOST);
  const config = parseConfig({
    chain,
    plans: [{ id: 'hour', name: 'Hour', pricePerMinute: '0.0001', minutes: 60 }],
    portal: {
      port,
      name: { en: 'Café Lumen', zh: '流明咖啡' },
      terms: 'Be nice.',
      hostname: HOST,
      ...cert,
      rpcUrl: 'http://127.0.0.1:1',
      creditWindow: '0.001',
    },
  });
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const gate = new MemoryGate();
  const log = createLogger('silent');
  const gatekeeper = new Gatekeeper(gate, sessions, { guestInterface: 'br-lan', portalPort: port, walled4: [], walled6: [], blocked4: [], blocked6: [] }, log);
  await gatekeeper.start();
  const guest = newKeyPair();
  const source = new MemoryChannelSource(undefined, undefined, '0x' + '11'.repeat(20));
  source.set({
    id: 5n,
    owner: '0x' + '11'.repeat(20),
    planId: 1,
    planVersion: 1,
    voucherKey: guest.publicKey,
    deposit: 100_000_000n,
    redeemed: 0n,
    expiry: BigInt(Date.now() + 86_400_000),
    closed: false,
    confirmed: true,
  });
  source.plans.set(1, { version: 3, validFrom: 0n, validUntil: 4_102_444_800_000n, terms: encodePlanTerms(planTerms(config.plans[0]!)) });
  const vouchers = new VoucherStore(db);
  const planStore = new PlanStore(db);
  const ledger = new ChannelLedger(
    db,
    sessionPricing(planStore, () => config.plans),
  );
  const plans = new PlanBook(planStore, source);
  const checker = new VoucherChecker(
    { deployment: { networkMagic: chain.networkMagic, contract: chain.contract }, routerKey: ROUTER, expiryMarginMs: 60_000 },
    source,
    vouchers,
  );
  const desk = new PaymentDesk({ config, gatekeeper, sessions, log, clock: Date.now, checker, vouchers, ledger, channels: source, routerKey: ROUTER, plans });
  // The gateway behind the relay is the netns test's (test/portal-relay.netns.test.ts); here only what the portal checks itself.
  const relayed: string[] = [];
  const relayer = new Relayer(
    {
      relay: async (tx) => {
        relayed.push(tx);
        return { state: 'confirmed', txid: '0x' + 'ab'.repeat(32), vmstate: 'HALT', exception: null, channelId: 5n };
      },
    },
    chain.contract,
    log,
  );
  const portal = await startPortal({
    config,
    desk,
    routerKey: ROUTER,
    clock: Date.now,
    log,
    relayer,
    macOf: async (ip) => (ip === '127.0.0.1' ? MAC : undefined),
    limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, idleSocketMs: 1_000 },
  });
  t.teardown(() => portal.close());
  const sign = (amount: bigint) => ({
    channelId: '5',
    amount: String(amount),
    signature: signP256(guest.privateKey, voucherMessage({ networkMagic: chain.networkMagic, contract: chain.contract }, 5n, amount)).toString('hex'),
  });

  const page = await req('/');
  t.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, /default-src 'none'/);
  t.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
  t.notMatch(csp, /https?:|\*|unsafe/, 'no external sources, nothing unsafe');
  t.match(String(page.headers['cache-control']), /no-store/);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.equal(page.headers['referrer-policy'], 'no-referrer');
  t.match(page.body, /<html lang="en">/);
  t.match(page.body, /Café Lumen/);
  t.ok(Buffer.byteLength(page.body) < 100 * 1024, `page weight ${Buffer.byteLength(page.body)} bytes`);
  const zh = await req('/', { lang: 'zh-CN,zh;q=0.9,en;q=0.8' });
  t.match(zh.body, /<html lang="zh-CN">/);
  t.match(zh.body, /流明咖啡/);
  t.match((await req('/?lang=en', { lang: 'zh-CN' })).body, /<html lang="en">/, 'the switch wins');

  // Before payment every probe is sent to the portal.
  for (const [host, path] of [
    ['connectivitycheck.gstatic.com', '/generate_204'],
    ['captive.apple.com', '/hotspot-detect.html'],
    ['www.msftconnecttest.com', '/connecttest.txt'],
    ['detectportal.firefox.com', '/success.txt'],
    ['nmcheck.gnome.org', '/check_network_status.txt'],
    ['example.com', '/'],
  ]) {
    const r = await req(path!, { host });
    t.equal(r.status, 302, `${host}${path}: redirected before payment`);
    t.equal(r.headers.location, `http://127.0.0.1:${port}/`);
  }
  const api = await req('/api/captive', { host: `${HOST}:${port}`, tls: true });
  t.equal(api.status, 200);
  t.match(String(api.headers['content-type']), /^application\/captive\+json/);
  t.same(JSON.parse(api.body), { captive: true, 'user-portal-url': `https://${HOST}:${port}/` });
  t.equal((await req('/api/captive')).status, 404, 'not over plain HTTP');

  // Paying: the payment request, then the payment window answers probes as online.
  const pay = await post('/api/pay', { plan: 'hour', voucherKey: guest.publicKey });
  t.equal(pay.status, 200);
  const request = JSON.parse(pay.body) as {
    data: unknown[];
    uri?: string;
    amount: string;
    plan: { version: number; name: string; pricePerMinute: string };
    sponsored: unknown;
  };
  t.same(request.data.slice(0, 3), [0, ROUTER, guest.publicKey]);
  t.same(request.data.slice(4), [1, 3], 'the plan and the version of its terms on chain');
  t.match(request.plan, { version: 3, name: 'Hour', pricePerMinute: '10000' }, 'the on-chain terms, for the page to show before the prompt');
  t.equal(request.uri, undefined, 'no neo: link: no wallet can honour one');
  t.equal(request.sponsored, null, 'no account given, no gateway: nothing built for a wallet');
  t.equal((await req('/generate_204', { host: 'connectivitycheck.gstatic.com' })).status, 204, 'payment window: online answer');
  t.equal((await req('/api/state')).status, 200);

  const first = await post('/api/voucher', sign(100_000n));
  t.equal(first.status, 200, first.body);
  t.equal(JSON.parse(first.body).online, true);
  t.ok(gate.traffic(MAC, 1, 1), 'the gate lets the guest through');
  const apple = await req('/hotspot-detect.html', { host: 'captive.apple.com' });
  t.equal(apple.body, '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>');
  t.equal((await req('/check_network_status.txt', { host: 'nmcheck.gnome.org' })).headers['x-networkmanager-status'], 'online');
  const online = JSON.parse((await req('/api/captive', { host: `${HOST}:${port}`, tls: true })).body);
  t.equal(online.captive, false);
  t.ok(online['seconds-remaining'] > 3500 && online['can-extend-session'] === true, 'seconds-remaining, can-extend-session');

  for (const [v, reason] of [
    [sign(100_000n), 'not-above-newest'],
    [sign(50_000n), 'not-above-newest'],
    [sign(100_000_001n), 'over-deposit'],
    [{ ...sign(200_000n), amount: '300000' }, 'bad-signature'],
  ] as const) {
    const r = await post('/api/voucher', v);
    t.equal(r.status, 409);
    t.equal(JSON.parse(r.body).reason, reason, reason);
  }
  t.equal((await post('/api/voucher', sign(200_000n))).status, 200, 'a higher one is taken');

  // Malformed requests: a clear 4xx each, and the portal keeps answering.
  t.equal((await req('/api/voucher', { method: 'POST', body: '{"channelId":' })).status, 400, 'bad JSON');
  t.equal((await req('/api/voucher', { method: 'POST', body: 'x'.repeat(20_000) })).status, 413, 'huge body');
  t.equal((await req('/api/voucher', { method: 'POST', body: '{}', type: 'text/plain' })).status, 415, 'wrong type');
  t.equal((await post('/api/voucher', { channelId: 'x' })).status, 422, 'schema');
  t.equal((await req('/../../etc/passwd')).status, 400, 'path climbing');
  t.equal((await req('/%2e%2e/%2e%2e/etc/passwd')).status, 400, 'encoded path climbing');
  t.equal((await req('/nope')).status, 404);
  t.equal((await req('/', { method: 'DELETE' })).status, 405);
  const slow = await new Promise<{ ms: number; reply: string }>((resolve) => {
    const started = Date.now();
    const s = connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    let reply = '';
    s.on('data', (c) => {
      reply += c;
    });
    s.on('close', () => resolve({ ms: Date.now() - started, reply }));
  });
  t.ok(slow.ms < 5_000, `a slow client is cut off (${slow.ms} ms)`);
  t.match(slow.reply, /^HTTP\/1\.1 408|^$/, 'with 408 or a close');
  const idle = await new Promise<number>((resolve) => {
    const started = Date.now();
    const s = connect(port, '127.0.0.1');
    s.on('close', () => resolve(Date.now() - started));
    s.on('error', () => {});
  });
  t.ok(idle < 5_000, `a silent connection is closed (${idle} ms)`);

  // A signed transaction to relay: base64 or hex of a NEO N3 transaction that names this contract; anything else a clear 4xx.
  const contractVm = Buffer.from(chain.contract.slice(2), 'hex').reverse();
  const tx = Buffer.concat([Buffer.alloc(40), contractVm, Buffer.alloc(40, 1)]);
  for (const [body, status, why] of [
    [{ tx: 'not a transaction!' }, 422, /base64 or hex/],
    [{ tx: Buffer.alloc(100, 1).toString('base64') }, 422, /not a signed NEO N3 transaction/],
    [{ tx: Buffer.alloc(100).toString('hex') }, 422, /does not pay this hotspot's contract/],
    [{ tx: 'ab'.repeat(16_500) }, 422, /tx: Too big/],
    [{ tx: Buffer.alloc(16_500, 7).toString('base64') }, 413, /over 16384 bytes/],
    [{ tx: 'x'.repeat(40_000) }, 413, /body over/],
    [{ tx: tx.toString('hex'), extra: 1 }, 422, /extra/],
  ] as const) {
    const r = await post('/api/relay', body);
    t.equal(r.status, status, `relay refused: ${JSON.parse(r.body).error}`);
    t.match(JSON.parse(r.body).error, why);
  }
  t.same(relayed, [], 'nothing bad reached the gateway');
  for (const text of [tx.toString('base64'), '0x' + tx.toString('hex')]) {
    const r = await post('/api/relay', { tx: text });
    t.equal(r.status, 200);
    t.same(JSON.parse(r.body), { state: 'confirmed', txid: '0x' + 'ab'.repeat(32), channelId: '5' });
  }
  t.same(relayed, [tx.toString('base64'), tx.toString('base64')], 'hex or base64, the gateway gets the same bytes');
  t.match((await req('/')).body, /"relay":true/, 'the page offers pasting');

  t.equal((await post('/api/logout', {})).status, 403, 'a session a channel pays for ends only on a signed action');
  const time = (JSON.parse((await req('/api/state')).body) as { time: number }).time;
  const act = (action: 'logout' | 'refund' | 'resume') => signP256(guest.privateKey, sessionActionMessage(chain, 5n, ROUTER, action, time)).toString('hex');
  t.equal((await post('/api/logout', { channelId: '5', time, signature: act('resume') })).status, 403, 'a signature for another action is refused');
  const out = await post('/api/logout', { channelId: '5', time, signature: act('logout') });
  t.equal(out.status, 200, out.body);
  t.match(JSON.parse(out.body), { online: false, close: null, kept: true }, 'kept for next time: nothing closed');
  t.equal((await req('/generate_204', { host: 'connectivitycheck.gstatic.com' })).status, 302, 'held again after log out');
  t.equal((await req('/')).status, 200, 'still serving');
});
