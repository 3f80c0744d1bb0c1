import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import t from 'tap';
import { startApi } from '../gateway/src/api/server.js';
import { OwnerSessions } from '../gateway/src/api/sessions.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { StatusBook } from '../gateway/src/ingest/status.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { addressOfKey, scriptHashOf, walletSignedMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { REPO_ROOT } from '../scripts/lib/testbed/paths.js';
import { deployment, SimRouter } from './gateway-sim.js';
import { ApiAudit } from './helpers/api-audit.js';

// docs/examples/owner-earnings.mjs, run as a developer would, against a
// gateway holding two owners' routers: it lists its owner's routers and
// today's earnings, and nobody else's.
const run = promisify(execFile);
const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
const NOW = Date.UTC(2026, 11, 1, 15, 0);
const sessions = new OwnerSessions('a shared secret of at least thirty-two chars', 'example test', () => NOW);
const audit = new ApiAudit();
const api = await startApi(
  { stores: store, statuses: new StatusBook(), counters: ingestCounters(), deployment, sessions, clock: () => NOW },
  { port: 0, host: '127.0.0.1', token: 'operator-token-0123456789', onReply: audit.onReply },
  pino({ level: 'silent' }),
);
t.teardown(async () => {
  await new Promise((r) => api.close(r));
  audit.assertClean();
});
const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

const [alice, bob] = [newKeyPair(), newKeyPair()];
const [ra, rb] = [new SimRouter(), new SimRouter()];
for (const [r, k] of [
  [ra, alice],
  [rb, bob],
] as const) {
  await store.routers.putRouter({ address: r.address, publicKey: r.publicKey, owner: '0x' + scriptHashOf(k.publicKey), active: true, checkedAt: 1 });
}
/** n records of a channel's session starting at `at`, each costing `cost`. */
const batch = (r: SimRouter, n: number, at: number, cost: number) =>
  r.build(r.records(n, 7).map((x, i) => ({ ...x, startMs: at + i * 60_000, endMs: at + (i + 1) * 60_000, cost })));
// Today: two records of Alice's router costing 25 each; yesterday's and Bob's do not count.
await store.ingest.storeBatch(ra.address, batch(ra, 1, NOW - 86_400_000, 1_000), NOW);
await store.ingest.storeBatch(ra.address, batch(ra, 2, NOW - 3_600_000, 25), NOW);
await store.ingest.storeBatch(rb.address, batch(rb, 3, NOW - 3_600_000, 90), NOW);

async function ownerToken(k: typeof alice): Promise<string> {
  const owner = addressOfKey(k.publicKey);
  const { challenge } = sessions.challenge(owner);
  return sessions.login({
    owner,
    challenge,
    publicKey: k.publicKey,
    salt: '',
    signature: signP256(k.privateKey, walletSignedMessage('', challenge)).toString('hex'),
  }).token;
}
const example = join(REPO_ROOT, 'docs/examples/owner-earnings.mjs');

t.test("the example lists the owner's routers and what they earned today", async (t) => {
  const token = await ownerToken(alice);
  const out = JSON.parse((await run('node', [example, '--url', url, '--token', token, '--json'])).stdout) as {
    today: string;
    routers: Array<{ router: string; earnedToday: number; sessions: number }>;
    earnedToday: number;
  };
  t.equal(out.today, '2026-12-01');
  t.same(
    out.routers.map((r) => r.router),
    [ra.address],
    "Alice's router alone",
  );
  t.equal(out.earnedToday, 50, 'two records at 25 today');
  const text = (await run('node', [example, '--url', url, '--token', token])).stdout;
  t.match(text, new RegExp(`${ra.address} +offline +\\d+ session\\(s\\) .* 0\\.00000050 GAS today`));
  t.match(text, /today: 0\.00000050 GAS metered; settled on chain to date: 0\.00000000 GAS/);
});

t.test('a bad token is a clear error and exit 1', async (t) => {
  const e = await run('node', [example, '--url', url, '--token', 'forged']).catch((x: { code: number; stderr: string }) => x);
  t.match(e, { code: 1, stderr: /\/routers: 401 log in/ });
  const usage = await run('node', [example]).catch((x: { code: number; stderr: string }) => x);
  t.match(usage, { code: 2, stderr: /usage:/ });
});
