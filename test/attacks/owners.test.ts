import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t from 'tap';
import { startApi } from '../../gateway/src/api/server.js';
import { OwnerSessions } from '../../gateway/src/api/sessions.js';
import { ingestCounters } from '../../gateway/src/ingest/metrics.js';
import { StatusBook } from '../../gateway/src/ingest/status.js';
import { openSqliteStore } from '../../gateway/src/store/sqlite.js';
import { addressOfKey, scriptHashOf, walletSignedMessage } from '../../protocol/src/index.js';
import { newKeyPair, signP256 } from '../../protocol/src/node/index.js';
import { deployment, SimRouter } from '../gateway-sim.js';
import { ApiAudit } from '../helpers/api-audit.js';

// Owners' books behind a login (issue 15): an owner signs the gateway's
// challenge with the wallet (NeoLine's signMessage wrapping, with its salt)
// and sees their own routers, sessions and earnings, never another owner's.
const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
const TOKEN = 'operator-token-0123456789';
const sessions = new OwnerSessions('a shared secret of at least thirty-two chars', 'qlink-gateway test');
const audit = new ApiAudit();
const api = await startApi(
  { stores: store, statuses: new StatusBook(), counters: ingestCounters(), deployment, sessions },
  { port: 0, host: '127.0.0.1', token: TOKEN, onReply: audit.onReply },
  pino({ level: 'silent' }),
);
t.teardown(async () => {
  await new Promise((r) => api.close(r));
  audit.assertClean();
});
const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

const [alice, bob] = [newKeyPair(), newKeyPair()];
const who = (k: typeof alice) => ({ address: addressOfKey(k.publicKey), hash: '0x' + scriptHashOf(k.publicKey) });
const [ra, rb] = [new SimRouter(), new SimRouter()];
await store.routers.putRouter({ address: ra.address, publicKey: ra.publicKey, owner: who(alice).hash, active: true, checkedAt: 1 });
await store.routers.putRouter({ address: rb.address, publicKey: rb.publicKey, owner: who(bob).hash, active: true, checkedAt: 1 });
await store.ingest.storeBatch(ra.address, ra.next(3, 7, 40), 1);
await store.ingest.storeBatch(rb.address, rb.next(2, 8, 90), 1);

const get = async (path: string, auth?: string) => {
  const r = await fetch(base + path, { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
  return { status: r.status, json: (await r.json().catch(() => null)) as any, headers: r.headers };
};
/** What the owner's wallet does: signMessage over the challenge, with a salt of its own (NeoLine: 32 hex characters). */
async function login(k: typeof alice, o: { as?: typeof alice; salt?: string; tamper?: (c: string) => string } = {}) {
  const { challenge } = (await get(`/login/challenge?owner=${who(o.as ?? k).address}`)).json as { challenge: string };
  const c = o.tamper ? o.tamper(challenge) : challenge;
  const salt = o.salt ?? '0123456789abcdef0123456789abcdef';
  const signature = signP256(k.privateKey, walletSignedMessage(salt, c)).toString('hex');
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ owner: who(o.as ?? k).address, challenge: c, publicKey: k.publicKey, salt, signature }),
  });
  return { status: r.status, json: (await r.json()) as any, cookie: r.headers.get('set-cookie') };
}

t.test('an owner logs in with the wallet and sees only their own books', async (t) => {
  const l = await login(alice);
  t.equal(l.status, 200);
  t.match(l.cookie, /^qlink_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/, 'an HttpOnly, SameSite=Strict session cookie');
  const token = l.json.token as string;
  t.same(
    (await get('/earnings', token)).json.owners.map((o: { owner: string }) => o.owner),
    [who(alice).hash],
    'earnings: hers alone',
  );
  t.same(
    (await get('/routers', token)).json.routers.map((r: { address: string }) => r.address),
    [ra.address],
    'routers: hers alone',
  );
  const s = (await get('/sessions', token)).json.sessions as Array<{ router: string }>;
  t.ok(s.length > 0 && s.every((x) => x.router === ra.address), 'sessions: hers alone');
  t.equal((await get(`/sessions?router=${rb.address}`, token)).status, 403, "Bob's router's sessions: refused");
  t.equal((await get(`/owner?owner=${who(bob).address}`, token)).status, 403, "Bob's page: refused");
  t.equal((await get('/owner', token)).status, 200, 'her own page');
  t.equal((await get('/transactions', token)).status, 401, "the fleet-wide settlement list is the operator's");
  t.equal((await fetch(`${base}/earnings`, { headers: { cookie: l.cookie!.split(';')[0]! } })).status, 200, 'the cookie works as the token does');
  const all = (await get('/earnings', TOKEN)).json.owners as unknown[];
  t.equal(all.length, 2, 'the operator sees both');
});

t.test('the log-in page takes a pasted token (qlink-gateway owner-login) and sets the session cookie', async (t) => {
  const page = await fetch(`${base}/owner`);
  t.equal(page.status, 401);
  t.match(await page.text(), /owner-login/, 'nobody yet: the log-in page');
  const { token } = (await login(alice)).json as { token: string };
  const form = (v: string) =>
    fetch(`${base}/login/token`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(v)}`,
    });
  const ok = await form(token);
  t.equal(ok.status, 303);
  t.equal(ok.headers.get('location'), './owner');
  t.match(ok.headers.get('set-cookie'), /^qlink_session=/);
  const bad = await form('N' + 'x'.repeat(33) + '.1.' + 'A'.repeat(43));
  t.equal(bad.status, 403);
  t.notOk(bad.headers.get('set-cookie'), 'no cookie for a forged token');
});

t.test('what does not log in', async (t) => {
  t.equal((await login(bob, { as: alice })).status, 403, "Bob's key for Alice's address");
  t.match((await login(alice, { tamper: (c) => c.replace('nonce', 'nonce ') })).json.error, /not a challenge of this gateway/, 'a tampered challenge');
  const forged = `qlink owner login to qlink-gateway test as ${who(alice).address} until 2999-01-01T00:00:00.000Z nonce 0011223344556677 mac ${'A'.repeat(43)}`;
  t.match((await login(alice, { tamper: () => forged })).json.error, /not a challenge of this gateway/, 'a made-up challenge');
  const other = new OwnerSessions('another gateway secret of thirty-two or more', 'qlink-gateway test');
  const theirs = other.challenge(who(alice).address).challenge;
  t.match((await login(alice, { tamper: () => theirs })).json.error, /not a challenge of this gateway/, "another gateway's challenge");
  const wrongSalt = await (async () => {
    const { challenge } = (await get(`/login/challenge?owner=${who(alice).address}`)).json;
    const signature = signP256(alice.privateKey, walletSignedMessage('x'.repeat(32), challenge)).toString('hex');
    const r = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ owner: who(alice).address, challenge, publicKey: alice.publicKey, salt: 'y'.repeat(32), signature }),
    });
    return r.status;
  })();
  t.equal(wrongSalt, 403, 'a signature over another salt');
  t.equal((await get('/earnings', 'N' + 'x'.repeat(33) + '.99999999999999.' + 'A'.repeat(43))).status, 401, 'a forged session token');
});

t.test('challenges and sessions expire', async (t) => {
  let now = 1_800_000_000_000;
  const s = new OwnerSessions('a shared secret of at least thirty-two chars', 'clocked', () => now);
  const sign = (c: string) => ({
    owner: who(alice).address,
    challenge: c,
    publicKey: alice.publicKey,
    salt: '',
    signature: signP256(alice.privateKey, walletSignedMessage('', c)).toString('hex'),
  });
  const late = s.challenge(who(alice).address).challenge;
  now += 6 * 60_000;
  t.throws(() => s.login(sign(late)), /challenge expired/, 'a challenge is good for five minutes');
  const { token } = s.login(sign(s.challenge(who(alice).address).challenge));
  t.same(s.verify(token), { address: who(alice).address, owner: who(alice).hash }, 'signMessageWithoutSalt works too (empty salt)');
  now += 12 * 3_600_000 + 1;
  t.equal(s.verify(token), null, 'a session ends after 12 hours');
});
