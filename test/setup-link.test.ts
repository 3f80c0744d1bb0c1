import { createServer } from 'node:net';
import { pino } from 'pino';
import t from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { startLanPage } from '../agent/src/setup/lan-page.js';
import { claimedLink, registrationLink } from '../agent/src/setup/link.js';
import { RegistrationWatch } from '../agent/src/setup/registration.js';
import { ChainRegistry } from '../gateway/src/registry/chain.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { claimMessage, fromHex, linkPlans, planSpecsToTerms, registerQuery, scriptHashOfAddress, type Router } from '../protocol/src/index.js';
import { newKeyPair, verifyP256 } from '../protocol/src/node/index.js';

// The router's half of the owner's first ten minutes, without a chain: the
// registration link and the claim it signs (the real chain accepts it in
// test/owner-onboarding.netns.test.ts), the owner-LAN page refusing the guest
// network, the watch that sees a registration, and the gateway's registry
// forgetting a "not registered" once the registration page saw the router.
const log = pino({ level: 'silent' });
const key = newKeyPair();
const identity = identityFromKey(key.privateKey);
const chain = { networkMagic: 1903980139, contract: '0x' + 'ab'.repeat(20) };
const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const config = parseConfig({
  chain,
  plans: [
    { id: 'hour', name: 'One hour', pricePerMinute: '0.001', minutes: 60, down: '10mbit' },
    { id: 'mb', name: 'Per MB', pricePerMb: '0.0001', chainPlan: 4 },
  ],
  setup: { gatewayUrl: 'https://gw.example.net/', listen: '127.0.0.1', port },
});
const OWNER = 'NhgtBfV56212AkiwWozCnkKn7Hdk99gi66';
const ownerHash = scriptHashOfAddress(OWNER);

t.test('the link: the router key, the UCI plans as chain terms, the claim page; nothing signed', async (t) => {
  const u = new URL(registrationLink(config, identity)!);
  t.equal(`${u.origin}${u.pathname}`, 'https://gw.example.net/register');
  const q = registerQuery.parse(Object.fromEntries(u.searchParams));
  t.equal(q.router, identity.publicKey);
  t.equal(q.lan, `http://127.0.0.1:${port}/claim`);
  t.equal(q.sig, undefined);
  const plans = planSpecsToTerms(linkPlans(q.plans));
  t.match(plans, [
    { planId: 1, terms: { name: 'One hour', pricePerMinute: 100_000n, timeCapSeconds: 3600, downKbps: 10_000 } },
    { planId: 4, terms: { name: 'Per MB', pricePerMB: 10_000n } },
  ]);
  t.equal(registrationLink(parseConfig({}), identity), null, 'no setup section: no link');
});

t.test("the claimed link: the router's signature over the contract's claim message for that owner, an hour long", async (t) => {
  const now = 1_800_000_000_000;
  const q = registerQuery.parse(Object.fromEntries(new URL(claimedLink(config, identity, ownerHash, now)).searchParams));
  t.equal(q.owner, ownerHash);
  t.equal(q.until, String(now + 3_600_000));
  t.ok(verifyP256(claimMessage(chain, identity.publicKey, ownerHash, BigInt(q.until!)), fromHex(q.sig!, 64), identity.publicKey), 'verifies for this owner');
  t.notOk(
    verifyP256(claimMessage(chain, identity.publicKey, '0x' + '11'.repeat(20), BigInt(q.until!)), fromHex(q.sig!, 64), identity.publicKey),
    'and for no other',
  );
  t.throws(() => registerQuery.parse({ router: identity.publicKey, owner: ownerHash }), 'a claim without time and signature is refused');
});

t.test('the owner-LAN page: the link and the claim to anyone else, 403 to a client seen on the guest network', async (t) => {
  let guest: string | undefined;
  const page = await startLanPage({
    config,
    identity,
    log,
    macOf: async () => guest,
    registration: () => ({ registered: false, owner: null, checkedAt: 1, error: null }),
  });
  t.teardown(() => page.close());
  const base = `http://127.0.0.1:${page.port}`;
  const home = await fetch(`${base}/`);
  t.equal(home.status, 200);
  const html = await home.text();
  t.match(html, /Not registered yet/);
  t.match(html, /href="https:\/\/gw\.example\.net\/register\?router=/);
  t.match(home.headers.get('content-security-policy'), /default-src 'none'/);
  const claim = await fetch(`${base}/claim?owner=${OWNER}`, { redirect: 'manual' });
  t.equal(claim.status, 303);
  const q = registerQuery.parse(Object.fromEntries(new URL(claim.headers.get('location')!).searchParams));
  t.equal(q.owner, ownerHash, 'an address becomes the script hash the claim names');
  t.equal((await fetch(`${base}/claim?owner=nobody`)).status, 400);
  t.equal((await fetch(`${base}/elsewhere`)).status, 404);
  guest = '02:00:00:00:00:01';
  t.equal((await fetch(`${base}/`)).status, 403, 'a guest gets no page');
  t.equal((await fetch(`${base}/claim?owner=${OWNER}`, { redirect: 'manual' })).status, 403, 'and no claim');
});

t.test('the watch sees a registration and a retirement, and keeps the last answer when the source fails', async (t) => {
  let owner: string | null = null;
  let fail = false;
  const w = new RegistrationWatch(
    {
      routerOwner: async () => {
        if (fail) throw new Error('gateway not answering');
        return owner;
      },
    },
    log,
    1_000,
    () => 5,
  );
  t.match(await w.check(), { registered: false, owner: null, error: null });
  owner = ownerHash;
  t.match(await w.check(), { registered: true, owner: ownerHash });
  fail = true;
  t.match(await w.check(), { registered: true, owner: ownerHash, error: 'gateway not answering' });
  fail = false;
  owner = null;
  t.match(await w.check(), { registered: false, owner: null });
});

t.test("the gateway's registry: a remembered 'not registered' is forgotten when the registration page saw the router", async (t) => {
  const store = await openSqliteStore(':memory:');
  t.teardown(() => store.close());
  let onChain: Router | null = null;
  let reads = 0;
  const reg = new ChainRegistry(
    {
      getRouter: async () => {
        reads++;
        return onChain;
      },
    },
    store.routers,
    { ttlMs: 60_000, negativeTtlMs: 60_000, clock: () => 1_000 },
  );
  t.equal(await reg.lookup(identity.publicKey), null);
  onChain = { key: identity.publicKey, owner: ownerHash, active: true };
  t.equal(await reg.lookup(identity.publicKey), null, 'within the negative TTL the miss is remembered');
  t.equal(reads, 1);
  reg.forgetUnknown(identity.publicKey);
  t.match(await reg.lookup(identity.publicKey), { owner: ownerHash, active: true }, 'read again at once');
  reg.forgetUnknown(identity.publicKey);
  await reg.lookup(identity.publicKey);
  t.equal(reads, 2, 'a known router is not forgotten');
});
