import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import { neonSettleChain } from '../gateway/src/settle/chain.js';
import { Settler, type TickResult } from '../gateway/src/settle/settler.js';
import { settlementConfigSchema } from '../gateway/src/settle/config.js';
import { PAUSE_AFTER_RELAY_ENV } from '../gateway/src/settle/service.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { GAS, settleFixture } from './gateway-settle-fixture.js';

// Settlement against a real neo-go chain: the owner is paid exactly the
// newest vouchers' rises, once, through a kill -9 between send and
// confirmation and through a minute with the chain's RPC gone.
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
const cfg = settlementConfigSchema.parse({ wif: gateway.WIF, intervalMs: 1000, checkMs: 500 });
const settler = new Settler(store, neonSettleChain(f.client, gateway, 5000), { magic: state.magic, contract: state.contract }, cfg, log);

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

t.test('the owner gains exactly the newest vouchers; the gateway pays the fees; batches are anchored', async (t) => {
  await f.vouchers(store, [{ id: a.id, amount: GAS / 10, sig: a.sign(GAS / 10) }, { id: c.id, amount: GAS / 20, sig: c.sign(GAS / 20) }]);
  await f.vouchers(store, [{ id: a.id, amount: (3 * GAS) / 10, sig: a.sign((3 * GAS) / 10) }, { id: b.id, amount: GAS / 4, sig: b.sign(GAS / 4) },
    { id: c.id, amount: (7 * GAS) / 100, sig: c.sign((7 * GAS) / 100) }]);
  const [owner0, gw0] = [await bal(owner), await bal(gateway)];
  const ticks = await settleAll();
  const sent = ticks.filter((x) => x.kind === 'sent');
  t.match(sent, [{ kind: 'sent', vouchers: 3, anchors: 2 }], 'one transaction: three channels, two anchors');
  const txs = await store.transactions({});
  t.match(txs, [{ status: 'confirmed', vmstate: 'HALT', items: 5 }]);
  t.equal(await bal(owner), owner0 + (3 * GAS) / 10 + GAS / 4 + (7 * GAS) / 100, 'owner: +0.62 GAS, the newest vouchers');
  t.equal(await bal(gateway), gw0 - txs[0]!.gasFee!, 'gateway: minus the fee it recorded, nothing else');
  t.equal((await f.client.getAnchorHead(f.router.publicKey)).seq, 2n, 'both batches anchored');
  t.equal((await f.client.getChannel(BigInt(a.id)))?.redeemed, BigInt((3 * GAS) / 10));
  t.same(await store.vouchersToRedeem(10), [], 'nothing left to redeem');

  // A newer voucher pays only its rise; a repeat of an old one is never built.
  await f.vouchers(store, [{ id: a.id, amount: GAS / 2, sig: a.sign(GAS / 2) }]);
  const owner1 = await bal(owner);
  await settleAll();
  t.equal(await bal(owner), owner1 + GAS / 5, 'owner: +0.2 GAS, the rise from 0.3 to 0.5');
  t.equal((await store.transactions({ status: 'confirmed' })).length, 2);
});

t.test('kill -9 of qlink-gateway between relay and confirmation, restart: paid exactly once', async (t) => {
  await f.vouchers(store, [{ id: b.id, amount: GAS / 2, sig: b.sign(GAS / 2) }, { id: c.id, amount: GAS / 5, sig: c.sign(GAS / 5) }]);
  const owner0 = await bal(owner);
  // The real qlink-gateway, settling from the shared SQLite file; its broker is a closed port (ingest retries, settlement does not care).
  const cfgFile = join(dir, 'gateway.json');
  writeFileSync(cfgFile, JSON.stringify({
    broker: { url: `mqtt://127.0.0.1:${await closedPort()}` }, store: { sqlite: db }, rpc: { enabled: false },
    chain: { rpc: state.rpc, magic: state.magic, contract: state.contract }, api: { port: 0 },
    settlement: { wifEnv: 'QLINK_TEST_SETTLE_WIF', intervalMs: 1000, checkMs: 500 },
  }));
  const env = { ...process.env, QLINK_TEST_SETTLE_WIF: gateway.WIF };
  const run = (extra: Record<string, string>) => {
    const main = join(import.meta.dirname, '..', 'gateway', 'src', 'main.js');
    const p = spawn(process.execPath, [main, '--config', cfgFile], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => void p.kill('SIGKILL'));
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    return { p, out: () => out };
  };
  const waitFor = async (c: { p: ChildProcess; out(): string }, msg: string) => {
    const end = Date.now() + 60_000;
    while (!c.out().includes(`"msg":"${msg}"`)) {
      if (Date.now() > end || c.p.exitCode !== null) throw new Error(`no "${msg}" from the child:\n${c.out()}`);
      await sleep(20);
    }
  };
  const first = run({ [PAUSE_AFTER_RELAY_ENV]: '1' });
  await waitFor(first, 'test hook: paused after relay');
  first.p.kill('SIGKILL');
  await new Promise((r) => first.p.once('exit', r));
  const pending = await store.transactions({ status: 'pending' });
  t.equal(pending.length, 1, 'the killed gateway left its transaction pending');
  const second = run({});
  await waitFor(second, 'settlement tx confirmed');
  await sleep(3000); // let it run a few more rounds: it must build nothing new
  second.p.kill('SIGKILL');
  await new Promise((r) => second.p.once('exit', r));
  t.notMatch(second.out(), /settlement tx recorded/, 'the restarted gateway built no new transaction');
  t.notOk((first.out() + second.out()).includes(gateway.WIF) || (first.out() + second.out()).includes(gateway.privateKey), 'the wallet key is in no log line');
  t.match(first.out(), /"payer":"/, 'the payer is logged by address');
  const txs = await store.transactions({});
  t.match(txs.filter((x) => x.txid === pending[0]!.txid), [{ status: 'confirmed' }], 'the same transaction, confirmed');
  t.equal(txs.filter((x) => x.status === 'pending').length, 0);
  t.equal(await bal(owner), owner0 + (GAS / 2 - GAS / 4) + (GAS / 5 - (7 * GAS) / 100), 'owner paid the two rises, once');
});

t.test('a pending transaction that expires unsent is rebuilt: its items go into a new one', async (t) => {
  await f.vouchers(store, [{ id: b.id, amount: (6 * GAS) / 10, sig: b.sign((6 * GAS) / 10) }]);
  const owner0 = await bal(owner);
  const chain = neonSettleChain(f.client, gateway, 5000);
  const v = (await store.vouchersToRedeem(10))[0]!;
  // What a gateway that died before sending would leave: recorded, never relayed, valid for two blocks.
  const { settlementScript, txItems } = await import('../gateway/src/settle/script.js');
  const picks = [{ ...v, owner: '0x' + owner.scriptHash }];
  const built = await chain.build(settlementScript(state.contract, picks, []), 2);
  await store.addPending({ txid: built.txid, kind: 'redeem', raw: built.raw.toString('hex'), validUntilBlock: built.validUntilBlock, items: txItems(picks, []), at: Date.now() });
  while ((await chain.height()) <= built.validUntilBlock + 1) await sleep(300);
  const fresh = new Settler(store, chain, { magic: state.magic, contract: state.contract }, cfg, log);
  for (let i = 0; i < 120; i++) {
    const r = await fresh.tick(true);
    if (r.kind === 'idle' && (await store.transactions({ status: 'pending' })).length === 0) break;
    await sleep(500);
  }
  const txs = await store.transactions({});
  t.match(txs.find((x) => x.txid === built.txid), { status: 'expired' }, 'the stale one expired in the books');
  t.equal(txs.filter((x) => x.status === 'pending').length, 0);
  t.equal(await bal(owner), owner0 + (6 * GAS) / 10 - GAS / 2, 'its voucher was paid by the rebuilt transaction, once');
});

t.test('chain RPC down for a minute: batches still stored, settlement waits, then resumes and confirms', async (t) => {
  const pid = Number(readFileSync(join(f.chain.dir, 'chain', 'node.pid'), 'utf8').trim());
  const owner0 = await bal(owner);
  const before = (await store.transactions({})).length;
  const confirmed0 = (await store.transactions({ status: 'confirmed' })).length;
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  t.teardown(() => { if (!resumed) process.kill(pid, 'SIGCONT'); });
  await f.vouchers(store, [{ id: c.id, amount: GAS / 2, sig: c.sign(GAS / 2) }]);
  settler.start();
  await sleep(60_000);
  t.equal((await store.transactions({})).length, before, 'nothing recorded while the chain is away');
  t.equal((await store.vouchersToRedeem(10)).length, 1, 'the voucher waits');
  process.kill(pid, 'SIGCONT');
  resumed = true;
  const end = Date.now() + 90_000;
  while ((await store.transactions({ status: 'confirmed' })).length < confirmed0 + 1 && Date.now() < end) await sleep(500);
  await settler.stop();
  t.equal((await store.transactions({ status: 'confirmed' })).length, confirmed0 + 1, 'settled after the chain came back');
  t.equal(await bal(owner), owner0 + (GAS / 2 - GAS / 5), 'owner paid the rise');
});
