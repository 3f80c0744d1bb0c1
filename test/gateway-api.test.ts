import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t from 'tap';
import { startApi } from '../gateway/src/api/server.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { StatusBook } from '../gateway/src/ingest/status.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { deployment, SimRouter } from './gateway-sim.js';
import { ApiAudit } from './helpers/api-audit.js';

const store = await openSqliteStore(':memory:');
const statuses = new StatusBook();
const counters = ingestCounters();
const TOKEN = 'operator-token-0123456789';
// Every answer is checked against the OpenAPI document the gateway serves.
const audit = new ApiAudit();
const api = await startApi(
  { stores: store, statuses, counters, deployment, clock: () => 1_700_000_000_000 },
  { port: 0, host: '127.0.0.1', token: TOKEN, onReply: audit.onReply },
  pino({ level: 'silent' }),
);
t.teardown(async () => {
  await new Promise((r) => api.close(r));
  await store.close();
  audit.assertClean();
});
const port = (api.address() as AddressInfo).port;

// Reads are the operator's unless a test says otherwise (token: null reads as nobody).
const call = (path: string, o: { method?: string; token?: string | null; raw?: boolean } = {}) =>
  new Promise<{ status: number; body: string; json: any }>((ok, fail) => {
    const token = o.token === undefined ? TOKEN : o.token;
    const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        ok({ status: res.statusCode ?? 0, body, json });
      });
    });
    req.on('error', fail);
    req.end();
  });

const owner = '0x' + '33'.repeat(20);
const [a, b] = [new SimRouter(), new SimRouter()];
await store.routers.putRouter({ address: a.address, publicKey: a.publicKey, owner, active: true, checkedAt: 1 });
await store.routers.putRouter({ address: b.address, publicKey: b.publicKey, owner, active: true, checkedAt: 1 });
await store.ingest.storeBatch(a.address, a.next(4, 9, 50), 1);
await store.ingest.storeBatch(b.address, b.next(2), 1);
statuses.update(`qlink/v1/${a.address}/status`, Buffer.from(JSON.stringify({ v: 1, router: a.address, online: true, at: 5, guests: 3 })), 10);
statuses.update(`qlink/v1/${b.address}/status`, Buffer.from(JSON.stringify({ v: 1, router: b.address, online: false })), 11);
await store.ingest.report({ router: a.address, kind: 'malformed', seq: 0, hash: '', detail: 'not JSON', payload: null, at: 3 }, 'reported');

t.test('reads: routers with online status, sessions, usage per day, earnings, transactions', async (t) => {
  const routers = (await call('/routers')).json.routers as Array<{ address: string; online: boolean; status: { guests?: number } }>;
  t.match(
    routers.find((r) => r.address === a.address),
    { online: true, status: { guests: 3 } },
  );
  t.match(
    routers.find((r) => r.address === b.address),
    { online: false },
  );
  t.equal((await call(`/sessions?router=${a.address}`)).json.sessions.length, 3);
  const daily = (await call('/usage/daily')).json as { days: Array<{ day: string; records: number }>; today: string };
  t.same(
    daily.days.map((d) => [d.day, d.records]).sort(),
    [
      ['2023-11-14', 2],
      ['2023-11-14', 4],
    ],
    'a row per day and router',
  );
  t.equal(daily.today, '2023-11-14');
  t.match((await call(`/usage/daily?router=${b.address}&from=0&to=1700000000001&limit=5`)).json.days, [{ records: 1, router: b.address }]);
  t.match((await call('/earnings')).json.owners, [{ owner, routers: 2, metered: 40, settled: 0 }]);
  t.same((await call('/transactions?status=pending')).json.transactions, []);
  t.match((await call('/anomalies')).json.anomalies, [{ kind: 'malformed', held: false }]);
  t.match((await call('/health')).json, { ok: true, totals: { batches: 2, records: 6 } });
});

t.test('metrics in Prometheus text', async (t) => {
  counters.inc('qlink_gateway_batches_total', { result: 'stored' }, 2);
  const m = await call('/metrics');
  t.equal(m.status, 200);
  t.match(m.body, /qlink_gateway_batches_total\{result="stored"\} 2/);
  t.match(m.body, /qlink_gateway_stored_records 6/);
  t.match(m.body, /qlink_gateway_routers_online 1/);
});

t.test('bad requests are 4xx JSON errors, and the server lives on', async (t) => {
  const cases: Array<[string, number, string?]> = [
    ['/nope', 404],
    ['/sessions?limit=0', 400],
    ['/sessions?limit=abc', 400],
    ['/sessions?router=xyz', 400],
    ['/sessions?from=-5', 400],
    ['/sessions?bogus=1', 400],
    ['/sessions?limit=1&limit=2', 400],
    ['/transactions?status=lost', 400],
    ['/routers?x=1', 400],
    ['/earnings', 405, 'DELETE'],
    ['/%zz', 404],
  ];
  for (const [path, status, method] of cases) {
    const r = await call(path, { method });
    t.equal(r.status, status, `${method ?? 'GET'} ${path} → ${status}`);
    t.type(r.json?.error, 'string');
  }
  t.equal((await call('/anomalies/1/resolve', { method: 'POST', token: null })).status, 401, 'no token');
  t.equal((await call('/anomalies/1/resolve', { method: 'POST', token: 'wrong-token-0123456789' })).status, 401);
  t.equal((await call('/anomalies/x/resolve', { method: 'POST', token: TOKEN })).status, 400);
  t.equal((await call('/health')).status, 200, 'still serving');
});

t.test('writes need the bearer token', async (t) => {
  const [an] = (await call('/anomalies')).json.anomalies as Array<{ id: number }>;
  t.equal((await call(`/anomalies/${an!.id}/resolve`, { method: 'POST', token: TOKEN })).status, 200);
  t.same((await call('/anomalies?status=reported')).json.anomalies, []);
});

t.test('without a token configured nobody is the operator: no write, no fleet-wide read', async (t) => {
  const ro = await startApi(
    { stores: store, statuses, counters, deployment },
    { port: 0, host: '127.0.0.1', onReply: audit.onReply },
    pino({ level: 'silent' }),
  );
  t.teardown(() => new Promise((r) => ro.close(r)));
  const p = (ro.address() as AddressInfo).port;
  const status = (path: string, method = 'GET') =>
    new Promise<number>((ok) =>
      request({ host: '127.0.0.1', port: p, path, method, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      }).end(),
    );
  t.equal(await status('/anomalies/1/resolve', 'POST'), 401);
  t.equal(await status('/earnings'), 401);
  t.equal(await status('/health'), 200, 'a liveness check stays public');
});

t.test('no login reads nothing but /health, which tells nothing of the fleet', async (t) => {
  for (const path of ['/routers', '/sessions', '/usage/daily', '/earnings', '/transactions', '/anomalies', '/metrics', '/', '/owner']) {
    t.equal((await call(path, { token: null })).status, 401, `${path} without a login`);
  }
  t.same((await call('/health', { token: null })).json, { ok: true }, 'no totals for the public');
});
