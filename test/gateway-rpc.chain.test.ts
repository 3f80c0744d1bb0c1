import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { PLAN_1, TEST_PLANS } from './helpers/plans.js';
import { startChain } from '../scripts/lib/chain.js';
import { account, openScript, QlinkClient } from '../chain/src/index.js';
import { requestSigningBytes, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, privateKeyFromHex, signP256 } from '../protocol/src/node/index.js';
import { ChainRegistry } from '../gateway/src/registry/chain.js';
import { neonRpcChain } from '../gateway/src/rpc/chain.js';
import { startRpc } from '../gateway/src/rpc/service.js';
import { neonSettleChain } from '../gateway/src/settle/chain.js';
import { ChannelCloser } from '../gateway/src/settle/closer.js';
import { settlementConfigSchema } from '../gateway/src/settle/config.js';
import { Settler } from '../gateway/src/settle/settler.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { GatewaySigner } from '../gateway/src/identity/signer.js';
import { GatewayLink } from '../gateway/src/broker/link.js';

// The channel service over a real mosquitto and a real neo-go chain: channel
// look-ups, a guest's transaction relayed and reported confirmed, vouchers
// passed on and stored, cooperative closes (by a closer key the owner
// authorised on chain, never the owner's), and bad requests answered with errors.
const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const w = (n: string) => account(state.wallets[n]!.wif);
const [owner, router, router2, guest, guest2, guest3, spare, gateway, closerAcct] = [
  w('owner'),
  w('router1'),
  w('router2'),
  w('guest1'),
  w('guest2'),
  w('guest3'),
  w('spare'),
  w('gateway'),
  w('closer'),
];
await client.registerRouter(owner, router, TEST_PLANS);
// The owner lets the gateway's closer key close its channels; router2's owner (spare) does not.
await client.setCloser(owner, '0x' + closerAcct.scriptHash, true);
await client.registerRouter(spare, router2, TEST_PLANS);

const dir = mkdtempSync(join(tmpdir(), 'qlink-rpc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
await broker.start();
t.teardown(() => broker.stop());
const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
const log = pino({ level: process.env.QLINK_TEST_LOG ?? 'silent' });
const domain = { networkMagic: state.networkMagic, contract: state.contract };
// Settlement as the gateway runs it (not started: the tests tick it), paying fees from the gateway wallet, closing with the closer key.
const settleChain = neonSettleChain(client, gateway, 10_000);
const settler = new Settler(store.settlement, settleChain, domain, settlementConfigSchema.parse({ wif: gateway.WIF, checkMs: 500 }), log);
const closerOpts = { deployment: domain, validForBlocks: 100, ttlMs: 60_000 };
const closer = new ChannelCloser(store.settlement, settleChain, neonRpcChain(client), (fn) => settler.exclusive(fn), [closerAcct], closerOpts, log);
const gatewaySigner = new GatewaySigner(gateway.WIF);
const gwLink = new GatewayLink({ url: broker.url, clientId: 'gw-rpc-test', maxPayloadBytes: 1 << 20 }, log);
const svc = startRpc(gwLink, gatewaySigner, {
  store: store.settlement,
  registry: new ChainRegistry(client, store.routers, { ttlMs: 60_000, negativeTtlMs: 10_000 }),
  chain: neonRpcChain(client, 10_000),
  deployment: domain,
  log,
  closer,
});
gwLink.start();
t.teardown(async () => {
  await svc.stop();
  await gwLink.stop();
});
await until('rpc connected', () => gwLink.connected);

type Answer = { v: 1; id: string | null; ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } };
const r = await connectAsync(broker.url, { clientId: 'sim-router', protocolVersion: 5 });
t.teardown(() => r.endAsync());
const answers: Answer[] = [];
await r.subscribeAsync([`qlink/v1/${router.address}/rpc/result`, `qlink/v1/${router2.address}/rpc/result`], { qos: 1 });
r.on('message', (_t, p) => answers.push(JSON.parse(p.toString()) as Answer));
await new Promise((ok) => setTimeout(ok, 300)); // the gateway's shared subscription settles
let n = 0;
/** `garbage`: the request is malformed on purpose, so the schema audit leaves it out. */
async function ask(body: object | string | Buffer, count = 1, ms = 60_000, from = router.address, garbage = false): Promise<Answer[]> {
  const id = `q${++n}`;
  // Signed as the router the topic names (routers sign every request; the gateway checks before anything else).
  const acct = from === router2.address ? router2 : router;
  const signed = (o: object) => {
    const req = { v: 1, id, ...o, auth: { key: acct.publicKey, nonce: randomBytes(16).toString('hex'), expires: Date.now() + 60_000 } };
    const sig = signP256(privateKeyFromHex(acct.privateKey), requestSigningBytes(from, req)).toString('hex');
    return JSON.stringify({ ...req, auth: { ...req.auth, sig } });
  };
  const built = typeof body === 'string' || Buffer.isBuffer(body) ? body : signed(body);
  const payload = garbage ? broker.audit.garbage(built) : built;
  const before = answers.length;
  await r.publishAsync(`qlink/v1/${from}/rpc`, payload, { qos: 1 });
  const mine = () => answers.slice(before).filter((a) => (typeof body === 'object' && !Buffer.isBuffer(body) ? a.id === id : true));
  await until(`answer to ${id}`, () => mine().length >= count, ms);
  return mine();
}

const key = newKeyPair();
const expiry = (await client.chainTime()) + 3_600_000n;
const opened = await client.openChannel(guest, { router: router.publicKey, voucherKey: key.publicKey, expiry, amount: 100_000_000n, ...PLAN_1 });
const id = Number(opened.events.find((e) => e.name === 'ChannelOpened')!.params.id);
const sign = (amount: number) => signP256(key.privateKey, voucherMessage(domain, BigInt(id), BigInt(amount))).toString('hex');

t.test("channel look-up: the chain's record, the newest voucher, null for none", async (t) => {
  const [a] = await ask({ method: 'channel', params: { channelId: id, router: router.publicKey } });
  t.match(a, {
    ok: true,
    result: {
      channel: { id: String(id), deposit: '100000000', redeemed: '0', voucherKey: key.publicKey, closed: false },
      voucher: null,
      settlementWindowMs: String(state.settlementWindowMs),
    },
  });
  const time = BigInt(String(a!.result!.time));
  t.ok(time > expiry - 3_700_000n && time < expiry, `block time ${time}`);
  const [b] = await ask({ method: 'channel', params: { channelId: 9999, router: router.publicKey } });
  t.match(b, { ok: true, result: { channel: null } });
});

t.test("relay: a guest's signed open is sent, then reported confirmed with its channel id", async (t) => {
  const k2 = newKeyPair();
  const built = await client.tx.build(
    openScript(state.contract, guest2.address, { router: router.publicKey, voucherKey: k2.publicKey, expiry, amount: 50_000_000n, ...PLAN_1 }),
    [guest2],
  );
  const [relayed, done] = await ask({ method: 'relay', params: { tx: built.raw.toString('base64') } }, 2);
  t.match(relayed, { ok: true, result: { state: 'relayed', txid: built.txid } });
  t.match(done, { ok: true, result: { state: 'confirmed', txid: built.txid, vmstate: 'HALT' } });
  const cid = BigInt(String(done!.result!.channelId));
  t.equal((await client.getChannel(cid))?.voucherKey, k2.publicKey, 'the channel is on chain');
  const [again] = await ask({ method: 'relay', params: { tx: built.raw.toString('base64'), waitMs: 0 } });
  t.match(again, { ok: false, error: { code: 'refused' } }, "the same bytes again: the node's refusal, passed on");
  const [junk] = await ask({ method: 'relay', params: { tx: Buffer.from('not a transaction').toString('base64') } });
  t.match(junk, { ok: false, error: { code: 'refused' } });
});

t.test('vouchers: checked against the chain, newest kept, then settled from the store', async (t) => {
  const [a] = await ask({
    method: 'vouchers',
    params: {
      router: router.publicKey,
      vouchers: [
        { channelId: id, amount: 3000, signature: sign(3000) },
        { channelId: id, amount: 2000, signature: sign(2000) },
        { channelId: id, amount: 5000, signature: sign(4000) },
        { channelId: 9999, amount: 10, signature: sign(10) },
        { channelId: id, amount: 200_000_000, signature: sign(200_000_000) },
      ],
    },
  });
  t.match(a?.result?.results, [
    { channelId: id, amount: 3000, kept: true },
    { amount: 2000, kept: false },
    { amount: 5000, kept: false, error: 'bad voucher signature' },
    { channelId: 9999, kept: false, error: 'unknown channel' },
    { kept: false, error: 'above deposit' },
  ]);
  const [b] = await ask({ method: 'channel', params: { channelId: id, router: router.publicKey } });
  t.match(b?.result?.voucher, { amount: 3000, signature: String });
  t.same(
    (await store.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]),
    [[id, 3000]],
    'due for settlement',
  );
  const [c] = await ask({ method: 'vouchers', params: { router: router2.publicKey, vouchers: [{ channelId: id, amount: 4000, signature: sign(4000) }] } });
  t.match(c, { ok: false, error: { code: 'bad-request' } }, "another router's key on this topic");
});

t.test('malformed, oversized and unknown requests get errors; the service keeps answering', async (t) => {
  const bad = (body: object | string | Buffer) => ask(body, 1, 60_000, router.address, true);
  t.match((await bad('not json'))[0], { id: null, ok: false, error: { code: 'bad-request' } });
  t.match((await bad({ method: 'nope', params: {} }))[0], { id: 'q' + n, ok: false, error: { code: 'bad-request' } });
  t.match((await bad({ method: 'channel', params: { channelId: -1, router: router.publicKey } }))[0], { ok: false, error: { code: 'bad-request' } });
  t.match((await bad(Buffer.alloc(70 * 1024, 0x7b)))[0], { id: null, ok: false, error: { code: 'too-large' } });
  t.match((await ask({ method: 'channel', params: { channelId: id, router: router.publicKey } }))[0], { ok: true });
});

t.test('chain RPC not answering: an error the router can retry on, then answers again', async (t) => {
  const { readFileSync } = await import('node:fs');
  const pid = Number(readFileSync(join(chain.dir, 'chain', 'node.pid'), 'utf8').trim());
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  t.teardown(() => {
    if (!resumed) process.kill(pid, 'SIGCONT');
  });
  t.match((await ask({ method: 'channel', params: { channelId: id, router: router.publicKey } }))[0], { ok: false, error: { code: 'chain-unavailable' } });
  process.kill(pid, 'SIGCONT');
  resumed = true;
  t.match((await ask({ method: 'channel', params: { channelId: id, router: router.publicKey } }))[0], { ok: true, result: { channel: { id: String(id) } } });
});

/** A fresh channel at a router, its voucher signer, and the guest's GAS before. */
async function freshChannel(at: typeof router, deposit: bigint, by = guest3) {
  const k = newKeyPair();
  const o = await client.openChannel(by, { router: at.publicKey, voucherKey: k.publicKey, expiry, amount: deposit, ...PLAN_1 });
  const cid = Number(o.events.find((e) => e.name === 'ChannelOpened')!.params.id);
  const sig = (amount: bigint) => signP256(k.privateKey, voucherMessage(domain, BigInt(cid), amount)).toString('hex');
  return { cid, sig };
}

t.test('close: the newest voucher goes to the owner, the rest back to the guest at once; booked like settlement', async (t) => {
  const { cid, sig } = await freshChannel(router, 100_000_000n);
  t.match(
    (
      await ask({ method: 'vouchers', params: { router: router.publicKey, vouchers: [{ channelId: cid, amount: 20_000_000, signature: sig(20_000_000n) }] } })
    )[0],
    { ok: true, result: { results: [{ kept: true }] } },
  );
  const balances = () => Promise.all([client.balanceOf(guest3.address), client.balanceOf(owner.address), client.balanceOf(gateway.address)]);
  const [guest0, owner0, gw0] = await balances();
  // The router's own newest (30000000) rides along: the close cannot miss it.
  const [sent, closed] = await ask(
    { method: 'close', params: { router: router.publicKey, channelId: cid, voucher: { amount: 30_000_000, signature: sig(30_000_000n) } } },
    2,
  );
  t.match(sent, { ok: true, result: { state: 'sent', txid: String, amount: '30000000' } });
  const txid = String(sent!.result!.txid);
  t.same(closed!.result, { state: 'closed', txid, cumulative: '30000000', paid: '30000000', refunded: '70000000', already: false });
  const [guest1, owner1, gw1] = await balances();
  t.equal(guest1 - guest0, 70_000_000n, 'the guest got the unspent 0.7 GAS back, exactly');
  t.equal(owner1 - owner0, 30_000_000n, 'the owner got the newest voucher, exactly, and paid no fee');
  t.ok(gw1 < gw0, `the gateway paid the fees (${gw0 - gw1} units)`);
  const raw = await client.rpc.getRawTransaction(txid, true);
  t.same(
    raw.signers.map((x) => x.account),
    ['0x' + gateway.scriptHash, '0x' + closerAcct.scriptHash],
    'signed by the settlement wallet (fees) and the closer, not the owner',
  );
  t.match(await client.getChannel(BigInt(cid)), { closed: true, redeemed: 30_000_000n });
  t.match(
    (await store.reports.transactions({})).find((x) => x.txid === txid),
    { kind: 'redeem', status: 'confirmed', items: 1 },
    'recorded, then settled on its log',
  );
  t.equal(await store.settlement.pendingFor(cid), null);
  t.same(
    (await store.settlement.vouchersToRedeem(100)).filter((v) => v.channelId === cid),
    [],
    'settlement will not redeem it again',
  );

  const [again] = await ask({ method: 'close', params: { router: router.publicKey, channelId: cid } });
  t.same(
    again!.result,
    { state: 'closed', txid: null, cumulative: '30000000', paid: '0', refunded: '70000000', already: true },
    'a second close: already closed, nothing sent',
  );
  const [late] = await ask({
    method: 'vouchers',
    params: { router: router.publicKey, vouchers: [{ channelId: cid, amount: 40_000_000, signature: sig(40_000_000n) }] },
  });
  t.match(late!.result, { results: [{ kept: false, error: 'channel closed' }] });
  t.equal(await client.balanceOf(guest3.address), guest1, 'nothing more moved');
});

t.test('close of a channel never paid from: the whole deposit back, no signature needed', async (t) => {
  const { cid } = await freshChannel(router, 50_000_000n);
  const [, closed] = await ask({ method: 'close', params: { router: router.publicKey, channelId: cid } }, 2);
  t.match(closed!.result, { state: 'closed', cumulative: '0', paid: '0', refunded: '50000000' });
});

t.test("close refused: another owner's router, an owner who authorised no closer of the gateway, an unknown channel", async (t) => {
  const { cid } = await freshChannel(router, 10_000_000n);
  t.match((await ask({ method: 'close', params: { router: router2.publicKey, channelId: cid } }, 1, 60_000, router2.address))[0], {
    ok: false,
    error: { code: 'refused', message: 'channel pays another owner' },
  });
  const other = await freshChannel(router2, 10_000_000n);
  t.match((await ask({ method: 'close', params: { router: router2.publicKey, channelId: other.cid } }, 1, 60_000, router2.address))[0], {
    ok: false,
    error: { code: 'no-owner-key' },
  });
  t.match((await ask({ method: 'close', params: { router: router.publicKey, channelId: 99_999 } }))[0], {
    ok: false,
    error: { code: 'refused', message: 'unknown channel' },
  });
  t.notOk((await client.getChannel(BigInt(cid)))?.closed, 'the channel is still open');
});

t.test('a close recorded but not sent (the relay failed, as in a crash): the settler sends those bytes; paid once', async (t) => {
  const { cid, sig } = await freshChannel(router, 40_000_000n);
  await store.settlement.putVoucher({ channelId: cid, amount: 5_000_000, signature: sig(5_000_000n), router: router.address, at: 1 });
  const lost = new ChannelCloser(
    store.settlement,
    {
      ...settleChain,
      relay: async () => {
        throw new Error('connection reset');
      },
    },
    neonRpcChain(client),
    (fn) => settler.exclusive(fn),
    [closerAcct],
    closerOpts,
    log,
  );
  const guest0 = await client.balanceOf(guest3.address);
  await t.rejects(
    lost.close(cid, 5_000, () => t.fail('nothing sent, nothing answered')),
    /connection reset/,
  );
  const txid = await store.settlement.pendingFor(cid);
  t.ok(txid, `recorded as pending before the send: ${txid}`);
  // The router asks again meanwhile: the gateway waits for the recorded close instead of building another.
  const second = ask({ method: 'close', params: { router: router.publicKey, channelId: cid } }, 1, 60_000);
  for (let i = 0; i < 60 && (await store.settlement.pendingFor(cid)); i++) {
    await settler.tick();
    await new Promise((ok) => setTimeout(ok, 500));
  }
  t.match(
    (await store.reports.transactions({})).find((x) => x.txid === txid),
    { status: 'confirmed' },
    'the settler sent the recorded bytes and settled them',
  );
  t.match((await second)[0]?.result, { state: 'closed', already: true, cumulative: '5000000', refunded: '35000000' }, 'the second request sees it closed');
  t.match(await client.getChannel(BigInt(cid)), { closed: true, redeemed: 5_000_000n });
  t.equal((await client.balanceOf(guest3.address)) - guest0, 35_000_000n, 'the guest got the rest back once');
});

t.test('a closer the owner revoked: the contract refuses the close, nothing is recorded; authorised again, it closes', async (t) => {
  const { cid } = await freshChannel(router, 10_000_000n);
  const closerHash = '0x' + closerAcct.scriptHash;
  await client.setCloser(owner, closerHash, false);
  t.match(
    (await ask({ method: 'close', params: { router: router.publicKey, channelId: cid } }))[0],
    { ok: false, error: { code: 'refused', message: /closer not authorised/ } },
    'the gateway still thought it authorised; the chain said no',
  );
  t.equal(await store.settlement.pendingFor(cid), null, 'no transaction recorded');
  await client.setCloser(owner, closerHash, true);
  const [, closed] = await ask({ method: 'close', params: { router: router.publicKey, channelId: cid } }, 2);
  t.match(closed!.result, { state: 'closed', refunded: '10000000' });
});
