import { connect } from 'node:net';
import { request } from 'node:http';
import t from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { startGuestPortal } from '../agent/src/portal/start.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { GuestStore } from '../agent/src/store/guests.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import type { GatewayRpc } from '../agent/src/uplink/gateway-rpc.js';
import { type ChannelAnswer, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { ensurePortalBuilt } from './helpers/portal.js';

// The per-guest limits as the agent wires them (portal/start.ts: the portal,
// its channel source with the guard, the voucher checker with known keys),
// three guests on three loopback addresses, a gateway that answers channel
// look-ups from a table and counts them. Each limit is hit and named; the
// guest next door is not touched; a miss and a forged voucher cost one
// look-up, not one each. The real gateway over MQTT: limits-rpc.mqtt.test.ts;
// in network namespaces with a chain: test/attacks/guest-flood.netns.test.ts.
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const OWNER = '0x' + '11'.repeat(20);
const ROUTER = '03' + 'aa'.repeat(32);
const port = 20_000 + Math.floor(Math.random() * 20_000);
const guests = {
  a: { ip: '127.0.0.1', mac: '02:00:00:00:00:0a' },
  b: { ip: '127.0.0.2', mac: '02:00:00:00:00:0b' },
  c: { ip: '127.0.0.3', mac: '02:00:00:00:00:0c' },
};

ensurePortalBuilt();
const config = parseConfig({
  chain,
  plans: [{ id: 'mb', name: 'MB', pricePerMb: '0.0001' }],
  portal: {
    port,
    owner: OWNER,
    creditWindow: '0.001',
    limits: {
      requests: { perSecond: 2, burst: 40 },
      voucherChecks: { perSecond: 0.5, burst: 8 },
      lookups: { perSecond: 0.2, burst: 3 },
      connectionsPerGuest: 3,
      missCacheSeconds: 30,
    },
  },
});
const db = openMemoryStore();
const log = createLogger('silent');
const sessions = new SessionStore(db);
const gatekeeper = new Gatekeeper(
  new MemoryGate(),
  sessions,
  { guestInterface: 'br-lan', portalPort: port, walled4: [], walled6: [], blocked4: [], blocked6: [] },
  log,
);
await gatekeeper.start();
const store = new GuestStore(db);
store.record(
  Object.values(guests).map((g) => ({ mac: g.mac, ip: g.ip, family: 4 as const, source: 'lease' as const })),
  Date.now(),
);

const key = newKeyPair();
const reads: bigint[] = [];
const answer = (id: bigint): ChannelAnswer => ({
  channel:
    id === 5n
      ? {
          id: 5n,
          guest: OWNER,
          owner: OWNER,
          token: OWNER,
          voucherKey: key.publicKey,
          deposit: 100_000_000n,
          redeemed: 0n,
          expiry: BigInt(Date.now() + 86_400_000),
          closed: false,
          planId: 1,
          planVersion: 1,
        }
      : null,
  voucher: null,
  time: BigInt(Date.now()),
  settlementWindowMs: 3_600_000n,
  routerOwner: OWNER,
});
const gateway = {
  async channel(id: bigint) {
    if (id !== 1n) reads.push(id);
    return answer(id);
  },
  async plan() {
    return null;
  },
  async vouchers() {
    return [];
  },
} as unknown as GatewayRpc;
const running = await startGuestPortal({ config, db, gatekeeper, sessions, guests: store, log, routerKey: ROUTER, refreshGuests: async () => {}, gateway });
t.teardown(() => running.stop());

interface Reply {
  status: number;
  retryAfter: string | undefined;
  body: Record<string, unknown>;
}
function call(from: keyof typeof guests, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        localAddress: guests[from].ip,
        agent: false,
        headers: { host: `127.0.0.1:${port}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: JSON.parse(text || '{}') as Record<string, unknown>,
          }),
        );
      },
    );
    r.on('error', reject);
    r.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const voucher = (from: keyof typeof guests, channelId: bigint, amount: bigint, signer = key.privateKey) =>
  call(from, 'POST', '/api/voucher', {
    channelId: String(channelId),
    amount: String(amount),
    signature: signP256(signer, voucherMessage(chain, channelId, amount)).toString('hex'),
  });

t.test('a channel that does not exist: asked for again and again, looked up once (the miss is cached)', async (t) => {
  const replies = [];
  for (let i = 0; i < 5; i++) replies.push(await voucher('a', 999n, 1_000n));
  t.same(
    replies.map((r) => r.body.reason),
    Array(5).fill('unknown-channel'),
  );
  t.same(reads, [999n], 'one look-up for five checks');
});

t.test('voucher checks: past the burst a 429 that names the limit, with Retry-After', async (t) => {
  const replies = [];
  for (let i = 0; i < 4; i++) replies.push(await voucher('a', 999n, 1_000n));
  const last = replies.at(-1)!;
  t.equal(last.status, 429, 'the ninth check of the burst of 8');
  t.same(last.body, {
    error: 'too many voucher checks: at most 0.5/s (bursts of 8) per guest',
    reason: 'rate-limit',
    limit: 'voucher-checks',
    retryAfterSeconds: 2,
  });
  t.equal(last.retryAfter, '2', 'Retry-After: 2 s at 0.5/s');
  t.equal((await voucher('b', 999n, 1_000n)).body.reason, 'unknown-channel', 'guest b is not touched');
});

t.test('look-ups: new channel ids cost an RPC each, so the look-up budget runs out first, by name', async (t) => {
  const before = reads.length;
  const replies = [];
  for (let i = 0; i < 5; i++) replies.push(await voucher('b', 2_000n + BigInt(i), 1_000n));
  t.same(
    replies.map((r) => r.status),
    [409, 409, 409, 429, 429],
  );
  t.match(replies[3]!.body, { reason: 'rate-limit', limit: 'lookups', retryAfterSeconds: 5 });
  t.equal(reads.length - before, 3, 'three look-ups went out: the burst');
});

t.test('forged vouchers for a real channel: one look-up, the rest refused on the key known', async (t) => {
  const forger = newKeyPair();
  const before = reads.length;
  const replies = [];
  for (let i = 0; i < 6; i++) replies.push(await voucher('c', 5n, 1_000n + BigInt(i), forger.privateKey));
  t.same(
    replies.map((r) => r.body.reason),
    Array(6).fill('bad-signature'),
  );
  // The first learns the key; the second, failing it, asks again in case of a rekey (the source's 1 s cache answers); the rest are refused before any look-up.
  t.same(reads.slice(before), [5n], 'one look-up of channel 5 for six vouchers');
});

t.test('every portal request counts: a page flood is cut at the burst, the JSON body names the limit', async (t) => {
  let first429: Reply | undefined;
  let ok = 0;
  for (let i = 0; i < 60 && !first429; i++) {
    const r = await call('c', 'GET', '/api/state');
    if (r.status === 429) first429 = r;
    else ok++;
  }
  t.ok(first429, 'refused');
  t.ok(ok >= 30 && ok <= 40, `${ok} requests before the limit (burst 40, less what c spent above)`);
  t.match(first429!.body, { reason: 'rate-limit', limit: 'requests' });
  t.equal(first429!.retryAfter, '1');
  t.equal((await call('a', 'GET', '/api/state')).status, 200, 'guest a still served');
});

t.test('connections: a guest over its cap is answered 429 before any parser, another guest connects', async (t) => {
  const open = (ip: string) =>
    new Promise<import('node:net').Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, localAddress: ip }, () => resolve(s));
      s.on('error', reject);
    });
  const held = [await open(guests.a.ip), await open(guests.a.ip), await open(guests.a.ip)];
  t.teardown(() =>
    held.forEach((s) => {
      s.destroy();
    }),
  );
  await new Promise((r) => setTimeout(r, 100));
  const fourth = await open(guests.a.ip);
  const text = await new Promise<string>((resolve) => {
    let got = '';
    fourth.on('data', (c) => {
      got += c;
    });
    fourth.on('close', () => resolve(got));
    fourth.write(`GET /api/state HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
  });
  t.match(text, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
  t.match(text, /retry-after: 1\r\n/);
  t.match(JSON.parse(text.split('\r\n\r\n')[1]!), { reason: 'rate-limit', limit: 'connections-per-guest' });
  t.equal((await call('b', 'GET', '/api/state')).status, 200, 'guest b connects and is served');
  held[0]!.destroy();
  await new Promise((r) => setTimeout(r, 100));
  t.equal((await call('a', 'GET', '/api/state')).status, 200, 'a closed connection makes room');
});
