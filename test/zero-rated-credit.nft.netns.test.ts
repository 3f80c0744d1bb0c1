import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import * as tb from '../scripts/lib/testbed/index.js';
import { voucherMessage } from '../protocol/src/index.js';
import { compressedPublicKey, privateKeyFromHex, signP256 } from '../protocol/src/node/index.js';
import { account } from '../chain/src/neon.js';
import { chainInUpstream, RPC, RPC_IP, type UpstreamChain } from './helpers/chain-upstream.js';
import { ensurePortalBuilt } from './helpers/portal.js';
import { client, sh, shellJoin, sleep } from './helpers/testbed.js';

/**
 * Zero-rated destinations once the credit is out (issue 19, item 2), on a
 * real chain: two guests pay (a channel each, a voucher of one credit
 * window), use the credit up on a charged host and are held. The guest whose
 * plan says zeroRatedWithoutCredit still reaches the zero-rated host (by name,
 * through the held guests' resolver, and by its prefix) and nothing else;
 * the other guest reaches neither. Topping up ends the zero-only session.
 */
const ID = 'zrcred';
const PORT = 8088;
const ZR4 = '203.0.113.21';
const PREFIX_HOST = '203.0.113.31';
const WINDOW = 20_000n; // 0.0002 GAS: 2 MB at 0.0001 GAS a MB
const zr = ['zr.test', `${PREFIX_HOST}/32`];
const PLANS = [
  { id: 'keep', name: 'Chat kept', pricePerMb: '0.0001', zeroRated: zr, zeroRatedWithoutCredit: true },
  { id: 'drop', name: 'Chat with credit', pricePerMb: '0.0001', zeroRated: zr },
];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

t.test('with no credit left, the zero-rated host stays reachable only when the plan says so', async (t) => {
  ensurePortalBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'qlink-zrcred-'));
  let upstream: UpstreamChain | undefined;
  t.teardown(async () => {
    await upstream?.down();
    await tb.down(ID).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  await tb.down(ID).catch(() => {});
  const bed = await tb.up({ id: ID, clients: 2, dnsmasqExtra: [`address=/zr.test/${ZR4}`] });
  upstream = await chainInUpstream(ID, dir);
  const { state: chain, wif } = upstream;
  t.equal((await sh(ID, 'upstream', `ip addr add ${ZR4}/24 dev eth0 && ip addr add ${PREFIX_HOST}/24 dev eth0`)).code, 0);
  const reg = await upstream.wallet('upstream', ['register', '--plans', JSON.stringify(PLANS)], {
    QLINK_OWNER_WIF: wif('owner'),
    QLINK_ROUTER_WIF: wif('router1'),
  });
  t.equal(reg.code, 0, `the owner published both plans: ${reg.stderr}`);
  const data = join(bed.stateDir, 'agent-data');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  writeFileSync(join(data, 'router.key'), privateKeyFromHex(account(wif('router1')).privateKey).export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  await tb.agentStart(ID, {
    backend: 'nftables',
    chain: { networkMagic: chain.networkMagic, contract: chain.contract },
    walledGarden: [RPC_IP],
    plans: PLANS,
    portal: { port: PORT, name: 'Café Lumen', rpcUrl: RPC, deposit: '0.003', creditWindow: '0.0002', channelHours: 1, expiryMarginSeconds: 60 },
  });

  const api = async (who: string, path: string, body?: object) => {
    const data = body ? `-H 'content-type: application/json' -d ${shellJoin([JSON.stringify(body)])}` : '';
    const r = await sh(ID, who, `curl -4 -sS -m 20 -w '\\n%{http_code}' ${data} http://${bed.router.lan4}:${PORT}${path}`);
    const [json = '', status = ''] = r.stdout.split(/\n(?=\d+$)/);
    return { status: Number(status), body: JSON.parse(json) as Record<string, unknown> };
  };
  const fetch = async (who: string, url: string) =>
    (await sh(ID, who, `curl -4 -s -m 4 -o /dev/null -w '%{http_code} %{size_download}' ${url} || true`)).stdout.trim();

  // Each guest pays as the page would: a voucher key, the payment request, the wallet's open on chain, a first voucher.
  const guests = [
    { c: bed.clients[0]!, plan: 'keep', wallet: 'guest1' },
    { c: bed.clients[1]!, plan: 'drop', wallet: 'guest2' },
  ];
  const paid: Array<{ channelId: bigint; sign: (n: bigint) => object }> = [];
  for (const g of guests) {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const req = await api(g.c.name, '/api/pay', { plan: g.plan, voucherKey: compressedPublicKey(key) });
    t.equal(req.status, 200, `${g.c.name} asked to pay under ${g.plan}`);
    const opened = await upstream.wallet('upstream', ['open', '--request', JSON.stringify(req.body)], { QLINK_WIF: wif(g.wallet) });
    t.equal(opened.code, 0, opened.stderr);
    const channelId = BigInt((JSON.parse(opened.stdout) as { channelId: string }).channelId);
    const sign = (amount: bigint) => ({
      channelId: channelId.toString(),
      amount: amount.toString(),
      signature: signP256(key, voucherMessage(chain, channelId, amount)).toString('hex'),
    });
    const v = await waitFor(
      'the channel confirmed and the first voucher taken',
      async () => {
        const r = await api(g.c.name, '/api/voucher', sign(WINDOW));
        return r.status === 200 ? r : undefined;
      },
      30_000,
    );
    t.equal(v.body.online, true, `${g.c.name} online on channel ${channelId}`);
    paid.push({ channelId, sign });
  }

  // With credit: both reach the zero-rated host and the prefix; the bytes are free.
  for (const g of guests) {
    t.equal(await fetch(g.c.name, 'http://zr.test/bytes/1000000'), '200 1000000', `${g.c.name} with credit reaches the zero-rated host`);
    t.equal(await fetch(g.c.name, `http://${PREFIX_HOST}/bytes/1000`), '200 1000', `and the zero-rated prefix`);
  }
  // The credit (2 MB) is used up on a charged host: the download stops when the router holds the guest.
  await Promise.all(
    guests.map((g) => sh(ID, g.c.name, `curl -4 -s -m 20 -o /dev/null --limit-rate 2M http://${bed.upstream.ip4}/bytes/6000000 || true`, 30_000)),
  );
  for (const g of guests) {
    const s = await waitFor(
      `${g.c.name} held`,
      async () => {
        const r = await api(g.c.name, '/api/state');
        return r.body.online === false && r.body;
      },
      10_000,
    );
    t.equal(s.endReason, 'credit', `${g.c.name} is held: credit used up`);
  }

  const [keep, drop] = guests;
  t.not(await fetch(keep!.c.name, `http://${bed.upstream.ip4}/bytes/1000`), '200 1000', 'keep: a charged host is out of reach');
  t.equal(
    await fetch(keep!.c.name, 'http://zr.test/bytes/1000000'),
    '200 1000000',
    'keep: the zero-rated host by name stays reachable (the held resolver answers it)',
  );
  t.equal(await fetch(keep!.c.name, `http://${PREFIX_HOST}/bytes/1000`), '200 1000', 'keep: and by its prefix');
  const kv = await client(ID, keep!.c.mac);
  t.ok(kv.zeroOnly && kv.state === 'pending', `keep: a zero-only session (${kv.sessionId}), not authorised`);
  t.ok(kv.zeroDown >= 1_000_000, `keep: its ${kv.zeroDown} zero-rated bytes are counted`);
  // The held guests' resolver is one for all: it answers zr.test to this guest too, but the gate lets nothing through.
  t.not(await fetch(drop!.c.name, 'http://zr.test/bytes/1000'), '200 1000', 'drop: the zero-rated host is out of reach by name');
  t.not(await fetch(drop!.c.name, `http://${ZR4}/bytes/1000`), '200 1000', 'drop: and by its address');
  t.not(await fetch(drop!.c.name, `http://${PREFIX_HOST}/bytes/1000`), '200 1000', 'drop: and the prefix too');
  t.equal((await client(ID, drop!.c.mac)).sessionId, null, 'drop: no session at all');

  // A top up ends the zero-only session and starts a charged one.
  // What the page signs at a top up: the cost so far and one credit window (the zero-rated bytes cost nothing).
  const cost = BigInt(String((await api(keep!.c.name, '/api/state')).body.cost));
  const top = await api(keep!.c.name, '/api/voucher', paid[0]!.sign(cost + WINDOW));
  t.equal(top.status, 200, `keep: a new voucher of ${cost + WINDOW} (cost ${cost}): ${JSON.stringify(top.body).slice(0, 200)}`);
  const after = await client(ID, keep!.c.mac);
  t.ok(after.state === 'authorized' && !after.zeroOnly && after.sessionId !== kv.sessionId, `keep: online again in a charged session (${after.sessionId})`);
  t.equal(await fetch(keep!.c.name, `http://${bed.upstream.ip4}/bytes/1000`), '200 1000', 'keep: the charged host is back');
});
