import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import { FetchJsonRpc } from '../chain/src/json-rpc.js';
import { verifyProof } from '../chain/src/verify-proof.js';
import { type Batch, type Proof, fromHex, sha256, toHex } from '../protocol/src/index.js';
import { ProofBuilder } from '../gateway/src/api/proof.js';
import { startApi } from '../gateway/src/api/server.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { StatusBook } from '../gateway/src/ingest/status.js';
import { neonSettleChain } from '../gateway/src/settle/chain.js';
import { Settler, type TickResult } from '../gateway/src/settle/settler.js';
import { settlementConfigSchema } from '../gateway/src/settle/config.js';
import { startHoldingProxy } from '../scripts/lib/chain-proxy.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { GAS, settleFixture } from './gateway-settle-fixture.js';

// Settlement against a real neo-go chain: one anchor per round over every
// router's batches, each batch's inclusion proof checked against the chain;
// the owner paid exactly the newest vouchers' rises, once, through a kill -9
// between send and confirmation and through a minute with the chain's RPC gone.
const f = await settleFixture();
t.teardown(() => f.chain.stop());
const { state } = f.chain;
const dir = mkdtempSync(join(tmpdir(), 'qlink-settle-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'gw.sqlite');
const store = await openSqliteStore(db);
t.teardown(() => store.close());
const [owner, gateway] = [f.w('owner'), f.w('gateway')];
const bal = async (a: { address: string }) => Number(await f.client.balanceOf(a.address));
const log = pino({ level: process.env.QLINK_TEST_LOG ?? 'silent' });
const cfg = settlementConfigSchema.parse({ wif: gateway.WIF, intervalMs: 1000, roundIntervalMs: 1000, checkMs: 500 });
const anchorer = '0x' + gateway.scriptHash;
const rpc = new FetchJsonRpc(state.rpc);
const proofs = new ProofBuilder(store.proofs, { networkMagic: state.networkMagic, contract: state.contract });
const asWire = (b: Omit<Batch, 'v' | 'networkMagic' | 'contract'>): Batch => ({
  v: 1,
  networkMagic: state.networkMagic,
  contract: state.contract.toLowerCase(),
  ...b,
});
const settler = new Settler(
  store.settlement,
  neonSettleChain(f.client, gateway, 5000),
  { networkMagic: state.networkMagic, contract: state.contract },
  cfg,
  log,
);

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Ticks until nothing is pending and nothing is owed. */
async function settleAll(ms = 60_000): Promise<TickResult[]> {
  const seen: TickResult[] = [];
  const end = Date.now() + ms;
  for (;;) {
    const r = await settler.tick(true);
    seen.push(r);
    if (r.kind === 'idle') return seen;
    if (Date.now() > end) throw new Error(`not settled: ${JSON.stringify(seen.slice(-3))}`);
    await sleep(500);
  }
}

const [a, b, c] = [await f.open(GAS), await f.open(GAS), await f.open(GAS)];

t.test("20 routers' batches over three rounds: three anchoring transactions; every proof verifies; tampering is refused", async (t) => {
  const routers = await f.routers(20);
  const chA = await f.open(GAS, routers[0]);
  const sent: Array<{ router: (typeof routers)[number]; batch: Batch }> = [];
  for (let wave = 1; wave <= 3; wave++) {
    for (const [i, r] of routers.entries()) {
      // Two batches a router a wave, and on router 0 a voucher each wave.
      for (let k = 0; k < 2; k++) {
        const recs = r.records(1 + ((i + k) % 3), i === 0 && k === 0 ? chA.id : null);
        if (i === 0 && k === 0) recs[0] = { ...recs[0]!, voucher: { amount: wave * 1000, signature: chA.sign(wave * 1000) } };
        const b = r.build(recs);
        t.match(await store.ingest.storeBatch(r.address, b, Date.now()), { kind: 'stored' });
        sent.push({ router: r, batch: b });
      }
    }
    const ticks = await settleAll();
    t.match(
      ticks.filter((x) => x.kind === 'sent'),
      [{ kind: 'sent', vouchers: 1, round: wave }],
      `wave ${wave}: one transaction, its voucher and round ${wave}`,
    );
  }
  t.same(
    await f.client.getRound(anchorer),
    { round: 3n, root: (await store.settlement.lastRound(anchorer))!.root },
    "the chain's head: round 3, the books' root",
  );
  const anchoring = (await store.reports.transactions({ status: 'confirmed' })).filter((x) => x.round !== null);
  t.same(anchoring.map((x) => x.round).sort(), [1, 2, 3], 'three anchoring transactions, one a round');
  t.equal((await store.proofs.roundHashes(anchorer, 2)).length, 40, 'round 2: the 40 batches stored after round 1');
  t.same(await store.settlement.roundQueue(10), []);

  const pinned = { anchorer: gateway.address, contract: state.contract };
  let verified = 0;
  const kept: Proof[] = [];
  for (const { router, batch } of sent) {
    const p = await proofs.proof(router.address, batch.seq);
    const r = await verifyProof(rpc, p, { ...pinned, batch });
    if (r.ok) verified++;
    else t.fail(`batch ${batch.seq} of ${router.address}: ${JSON.stringify(r.steps.filter((x) => !x.ok))}`);
    if (kept.length < 3 && p.round === kept.length + 1) kept.push(p);
  }
  t.equal(verified, 120, "all 120 batches' proofs verify against the chain, with their batches and the pinned anchorer");

  const failing = async (p: unknown, batch?: Batch) =>
    (await verifyProof(rpc, p, { ...pinned, ...(batch ? { batch } : {}) })).steps.filter((x) => !x.ok).map((x) => x.what);
  const { router: r0, batch: b0 } = sent[0]!;
  const p0 = kept[0]!;
  t.equal(p0.seq, b0.seq);
  const tampered = { ...b0, records: b0.records.map((x, i) => (i === 0 ? { ...x, bytesDown: x.bytesDown + 1 } : x)) };
  t.match(await failing(p0, tampered), ['the batch verifies (records root, hash, router signature)'], 'a tampered batch');
  const other = kept[1]!;
  t.match(await failing({ ...p0, round: other.round, txid: other.txid }), [/it anchored round 2 with this root/], 'a proof of round 1 passed off as round 2');
  t.match(await failing({ ...p0, txid: other.txid }), [/it anchored round 1 with this root/], "round 1 with round 2's transaction");
  const forged = toHex(sha256(fromHex(p0.root)));
  t.match(await failing({ ...p0, root: forged }), ['the path leads from the leaf to the root', /it anchored round 1 with this root/], 'a forged root');
  t.match(await failing(p0, { ...sent[2]!.batch }), ['it is the batch the proof is for', 'its hash is the leaf'], 'another batch');
  t.match(
    await failing(p0, undefined).then(async () =>
      (await verifyProof(rpc, p0, { anchorer: f.w('owner').address })).steps.filter((x) => !x.ok).map((x) => x.what),
    ),
    ['the anchorer is the pinned one'],
    'pinned to another anchorer',
  );
  t.equal(r0.address, p0.router);
  // The stored batch, read back, is the batch the proof is for.
  const [stored] = await store.owner.storedBatches(r0.address, b0.seq - 1, 1);
  t.ok((await verifyProof(rpc, p0, { ...pinned, batch: asWire(stored!) })).ok, 'the stored batch verifies against the chain too');

  // The same through the API and the command line, as an owner would check it.
  const api = await startApi(
    { stores: store, statuses: new StatusBook(), counters: ingestCounters(), deployment: { networkMagic: state.networkMagic, contract: state.contract } },
    { port: 0, host: '127.0.0.1' },
    log,
  );
  t.teardown(() => new Promise((r) => api.close(r)));
  const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const url = `${base}/api/proof?router=${r0.address}&seq=${b0.seq}`;
  t.same(await (await fetch(url)).json(), p0, 'GET /api/proof: the same proof');
  const missing = await fetch(`${base}/api/proof?router=${r0.address}&seq=999`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { error: `no batch 999 of router ${r0.address} is stored here` });
  const late = r0.build(r0.records(1));
  await store.ingest.storeBatch(r0.address, late, Date.now());
  const waiting = await fetch(`${base}/api/proof?router=${r0.address}&seq=${late.seq}`);
  t.equal(waiting.status, 404);
  t.match(await waiting.json(), { error: /is in no settlement round yet/ });
  const batchFile = join(dir, 'batch.json');
  writeFileSync(batchFile, JSON.stringify(b0));
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((ok) => {
      const p = spawn(process.execPath, [join(import.meta.dirname, '..', 'gateway', 'src', 'main.js'), 'verify', ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      p.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      p.on('exit', (code) => ok({ code, out }));
    });
  const good = await cli(['--proof', url, '--batch', batchFile, '--rpc', state.rpc, '--anchorer', gateway.address]);
  t.equal(good.code, 0, good.out);
  t.match(good.out, /✓ the path leads from the leaf to the root[\s\S]*✓ transaction 0x[0-9a-f]{64} HALTed[\s\S]*proof holds: batch 1 of/);
  writeFileSync(batchFile, JSON.stringify(tampered));
  const bad = await cli(['--proof', url, '--batch', batchFile, '--rpc', state.rpc, '--anchorer', gateway.address]);
  t.equal(bad.code, 1, 'a tampered batch: exit 1');
  t.match(bad.out, /✗ the batch verifies[\s\S]*PROOF REFUSED/);
  t.equal((await cli(['--rpc', state.rpc])).code, 2, 'no proof: usage, exit 2');
  await settleAll(); // the late batch goes into round 4, for the tests after this one
});

t.test('the owner gains exactly the newest vouchers; the gateway pays the fees; batches are anchored in a round', async (t) => {
  await f.vouchers(store, [
    { id: a.id, amount: GAS / 10, sig: a.sign(GAS / 10) },
    { id: c.id, amount: GAS / 20, sig: c.sign(GAS / 20) },
  ]);
  await f.vouchers(store, [
    { id: a.id, amount: (3 * GAS) / 10, sig: a.sign((3 * GAS) / 10) },
    { id: b.id, amount: GAS / 4, sig: b.sign(GAS / 4) },
    { id: c.id, amount: (7 * GAS) / 100, sig: c.sign((7 * GAS) / 100) },
  ]);
  const [owner0, gw0] = [await bal(owner), await bal(gateway)];
  const head0 = (await f.client.getRound(anchorer)).round;
  const ticks = await settleAll();
  const sent = ticks.filter((x) => x.kind === 'sent');
  t.match(sent, [{ kind: 'sent', vouchers: 3, round: Number(head0) + 1 }], 'one transaction: three channels, and the round of both batches');
  const txs = await store.reports.transactions({ limit: 1 });
  t.match(txs, [{ status: 'confirmed', vmstate: 'HALT', items: 3, round: Number(head0) + 1 }]);
  t.equal(await bal(owner), owner0 + (3 * GAS) / 10 + GAS / 4 + (7 * GAS) / 100, 'owner: +0.62 GAS, the newest vouchers');
  t.equal(await bal(gateway), gw0 - txs[0]!.gasFee!, 'gateway: minus the fee it recorded, nothing else');
  t.equal((await f.client.getRound(anchorer)).round, head0 + 1n, 'the round anchored');
  t.equal((await store.proofs.roundHashes(anchorer, Number(head0) + 1)).length, 2, 'both batches in it');
  t.equal((await f.client.getChannel(BigInt(a.id)))?.redeemed, BigInt((3 * GAS) / 10));
  t.same(await store.settlement.vouchersToRedeem(10), [], 'nothing left to redeem');

  // A newer voucher pays only its rise; a repeat of an old one is never built.
  await f.vouchers(store, [{ id: a.id, amount: GAS / 2, sig: a.sign(GAS / 2) }]);
  const owner1 = await bal(owner);
  const confirmed0 = (await store.reports.transactions({ status: 'confirmed' })).length;
  await settleAll();
  t.equal(await bal(owner), owner1 + GAS / 5, 'owner: +0.2 GAS, the rise from 0.3 to 0.5');
  t.equal((await store.reports.transactions({ status: 'confirmed' })).length, confirmed0 + 1);
});

t.test('kill -9 of qlink-gateway between relay and confirmation, restart: paid exactly once', async (t) => {
  await f.vouchers(store, [
    { id: b.id, amount: GAS / 2, sig: b.sign(GAS / 2) },
    { id: c.id, amount: GAS / 5, sig: c.sign(GAS / 5) },
  ]);
  const owner0 = await bal(owner);
  // The real qlink-gateway, settling from the shared SQLite file; its broker is a closed port (ingest retries, settlement does not care).
  // The first gateway reaches the chain through a proxy that answers no application log of what it relayed: caught between relay and block.
  const proxy = await startHoldingProxy(state.rpc);
  t.teardown(() => proxy.close());
  const broker = `mqtt://127.0.0.1:${await closedPort()}`;
  const config = (rpc: string) => {
    const file = join(dir, `gateway-${rpc === state.rpc ? 'direct' : 'proxied'}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        broker: { url: broker },
        store: { sqlite: db },
        rpc: { enabled: false },
        chain: { rpc, networkMagic: state.networkMagic, contract: state.contract },
        api: { port: 0 },
        settlement: { wifEnv: 'QLINK_TEST_SETTLE_WIF', intervalMs: 1000, roundIntervalMs: 1000, checkMs: 500 },
      }),
    );
    return file;
  };
  const env = { ...process.env, QLINK_TEST_SETTLE_WIF: gateway.WIF };
  const run = (rpc: string) => {
    const main = join(import.meta.dirname, '..', 'gateway', 'src', 'main.js');
    const p = spawn(process.execPath, [main, '--config', config(rpc)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => void p.kill('SIGKILL'));
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    return { p, out: () => out };
  };
  const waitFor = async (c: { p: ChildProcess; out(): string }, msg: string) => {
    const end = Date.now() + 60_000;
    while (!c.out().includes(`"msg":"${msg}"`)) {
      if (Date.now() > end || c.p.exitCode !== null) throw new Error(`no "${msg}" from the child:\n${c.out()}`);
      await sleep(20);
    }
  };
  const first = run(proxy.url);
  const txid = await proxy.held;
  first.p.kill('SIGKILL');
  await new Promise((r) => first.p.once('exit', r));
  const pending = await store.reports.transactions({ status: 'pending' });
  t.equal(pending.length, 1, 'the killed gateway left its transaction pending');
  t.equal(pending[0]?.txid, txid, 'the one the proxy saw relayed');
  const second = run(state.rpc);
  await waitFor(second, 'settlement tx confirmed');
  await sleep(3000); // let it run a few more rounds: it must build nothing new
  second.p.kill('SIGKILL');
  await new Promise((r) => second.p.once('exit', r));
  t.notMatch(second.out(), /settlement tx recorded/, 'the restarted gateway built no new transaction');
  t.notOk((first.out() + second.out()).includes(gateway.WIF) || (first.out() + second.out()).includes(gateway.privateKey), 'the wallet key is in no log line');
  t.match(first.out(), /"payer":"/, 'the payer is logged by address');
  const txs = await store.reports.transactions({});
  t.match(
    txs.filter((x) => x.txid === pending[0]!.txid),
    [{ status: 'confirmed' }],
    'the same transaction, confirmed',
  );
  t.equal(txs.filter((x) => x.status === 'pending').length, 0);
  t.equal(await bal(owner), owner0 + (GAS / 2 - GAS / 4) + (GAS / 5 - (7 * GAS) / 100), 'owner paid the two rises, once');
});

t.test('a pending transaction that expires unsent is rebuilt: its items go into a new one', async (t) => {
  await f.vouchers(store, [{ id: b.id, amount: (6 * GAS) / 10, sig: b.sign((6 * GAS) / 10) }]);
  const owner0 = await bal(owner);
  const chain = neonSettleChain(f.client, gateway, 5000);
  const v = (await store.settlement.vouchersToRedeem(10))[0]!;
  // What a gateway that died before sending would leave: recorded, never relayed, valid for two blocks.
  const { settlementScript, txItems } = await import('../gateway/src/settle/script.js');
  const picks = [{ ...v, owner: '0x' + owner.scriptHash }];
  const built = await chain.build(settlementScript(state.contract, picks, null), 2);
  await store.settlement.addPending({
    txid: built.txid,
    kind: 'redeem',
    raw: built.raw.toString('hex'),
    validUntilBlock: built.validUntilBlock,
    items: txItems(picks),
    at: Date.now(),
  });
  while ((await chain.height()) <= built.validUntilBlock + 1) await sleep(300);
  const fresh = new Settler(store.settlement, chain, { networkMagic: state.networkMagic, contract: state.contract }, cfg, log);
  for (let i = 0; i < 120; i++) {
    const r = await fresh.tick(true);
    if (r.kind === 'idle' && (await store.reports.transactions({ status: 'pending' })).length === 0) break;
    await sleep(500);
  }
  const txs = await store.reports.transactions({});
  t.match(
    txs.find((x) => x.txid === built.txid),
    { status: 'expired' },
    'the stale one expired in the books',
  );
  t.equal(txs.filter((x) => x.status === 'pending').length, 0);
  t.equal(await bal(owner), owner0 + (6 * GAS) / 10 - GAS / 2, 'its voucher was paid by the rebuilt transaction, once');
});

t.test('chain RPC down for a minute: batches still stored, settlement waits, then resumes and confirms', async (t) => {
  const pid = Number(readFileSync(join(f.chain.dir, 'chain', 'node.pid'), 'utf8').trim());
  const owner0 = await bal(owner);
  const before = (await store.reports.transactions({})).length;
  const confirmed0 = (await store.reports.transactions({ status: 'confirmed' })).length;
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  t.teardown(() => {
    if (!resumed) process.kill(pid, 'SIGCONT');
  });
  await f.vouchers(store, [{ id: c.id, amount: GAS / 2, sig: c.sign(GAS / 2) }]);
  settler.start();
  await sleep(60_000);
  t.equal((await store.reports.transactions({})).length, before, 'nothing recorded while the chain is away');
  t.equal((await store.settlement.vouchersToRedeem(10)).length, 1, 'the voucher waits');
  process.kill(pid, 'SIGCONT');
  resumed = true;
  const end = Date.now() + 90_000;
  while ((await store.reports.transactions({ status: 'confirmed' })).length < confirmed0 + 1 && Date.now() < end) await sleep(500);
  await settler.stop();
  t.equal((await store.reports.transactions({ status: 'confirmed' })).length, confirmed0 + 1, 'settled after the chain came back');
  t.equal(await bal(owner), owner0 + (GAS / 2 - GAS / 5), 'owner paid the rise');
});
