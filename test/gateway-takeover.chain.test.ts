import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { parseEvents } from '../protocol/src/index.js';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { startHoldingProxy } from '../scripts/lib/chain-proxy.js';
import { GAS, settleFixture } from './gateway-settle-fixture.js';
import { freePort } from './helpers/mosquitto.js';
import { createDatabase, startPostgres } from './helpers/postgres.js';

// Two qlink-gateway processes on one PostgreSQL and a real neo-go chain
// (issue 14, item 6). Gateway a takes the settlement lead (an advisory lock
// held on a connection of its own) and reaches the chain through a proxy
// that relays its round's transaction and then answers no application log
// for it; a is killed with SIGKILL right there, between relay and block.
// Gateway b, a follower until then, takes the lead, settles a's transaction
// from its log and settles what comes after. Every channel is paid once and
// every batch anchored in exactly one round, each round once.
const f = await settleFixture();
t.teardown(() => f.chain.stop());
const { state } = f.chain;
const dir = mkdtempSync(join(tmpdir(), 'qlink-takeover-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pg = await startPostgres();
t.teardown(() => pg.stop());
const url = await createDatabase(pg, 'gateway');
const store = await openPgStore(url);
t.teardown(() => store.close());
const [gateway, owner] = [f.w('gateway'), f.w('owner')];
const anchorer = '0x' + gateway.scriptHash;

const routers = [f.router, ...(await f.routers(4))];
const channels = await Promise.all(routers.map((r) => f.open(GAS, r)));
const newest = new Map<number, number>();
/** A batch from each router, each with its channel's next voucher. */
async function wave(amount: number): Promise<void> {
  for (const [i, r] of routers.entries()) {
    const ch = channels[i]!;
    await f.vouchers(store, [{ id: ch.id, amount: amount + i, sig: ch.sign(amount + i) }], r);
    newest.set(ch.id, amount + i);
  }
}

const proxy = await startHoldingProxy(state.rpc);
t.teardown(() => proxy.close());
const broker = `mqtt://127.0.0.1:${await freePort()}`; // nobody listens: ingest waits, settlement does not care

const procs: Array<{ p: ChildProcess; out: () => string }> = [];
t.teardown(() => {
  for (const x of procs) if (x.p.exitCode === null) x.p.kill('SIGKILL');
});
function gatewayProcess(name: string, rpc: string) {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      broker: { url: broker, clientId: `gw-${name}` },
      store: { postgres: url, poolSize: 4 },
      rpc: { enabled: false },
      api: { port: 0 },
      chain: { rpc, networkMagic: state.networkMagic, contract: state.contract },
      settlement: { wifEnv: 'QLINK_TEST_SETTLE_WIF', intervalMs: 1000, roundIntervalMs: 1000, checkMs: 300 },
    }),
  );
  const p = spawn(process.execPath, [join(import.meta.dirname, '..', 'gateway', 'src', 'main.js'), '--config', file], {
    env: { ...process.env, QLINK_TEST_SETTLE_WIF: gateway.WIF },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout!.on('data', (x: Buffer) => {
    out += x.toString();
  });
  const proc = { p, out: () => out };
  procs.push(proc);
  return proc;
}
async function logged(g: { p: ChildProcess; out(): string }, msg: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!g.out().includes(`"msg":"${msg}"`)) {
    if (Date.now() > end || g.p.exitCode !== null) throw new Error(`no "${msg}":\n${g.out().slice(-3000)}`);
    await sleep(50);
  }
}
const idle = async (ms = 90_000) => {
  const end = Date.now() + ms;
  for (;;) {
    const [p, v, q, o] = await Promise.all([
      store.settlement.pendingRaw(),
      store.settlement.vouchersToRedeem(100),
      store.settlement.roundQueue(100),
      store.settlement.openRounds(anchorer),
    ]);
    if (!p.length && !v.length && !q.length && !o.length) return;
    if (Date.now() > end) throw new Error(`not settled: ${p.length} pending, ${v.length} vouchers, ${q.length} batches, ${o.length} rounds`);
    await sleep(300);
  }
};

t.test('the leader killed between relay and block: the other takes over; paid once, anchored once', async (t) => {
  await wave(1_000_000);
  const ownerBefore = await f.client.balanceOf(owner.address);
  const a = gatewayProcess('a', proxy.url);
  await logged(a, 'settlement lead taken');
  const b = gatewayProcess('b', state.rpc);
  await logged(b, 'settlement started');
  await sleep(1_000);
  t.notMatch(b.out(), /settlement lead taken/, 'b follows while a leads');
  const txid = await proxy.held;
  a.p.kill('SIGKILL');
  const killed = Date.now();
  await new Promise((r) => a.p.once('exit', r));
  t.match(await store.reports.transactions({ status: 'pending' }), [{ txid, round: 1 }], 'a left its round-1 transaction pending, relayed');
  await logged(b, 'settlement lead taken', 30_000);
  const led = Date.now() - killed;
  await logged(b, 'settlement tx confirmed', 60_000);
  t.comment(`b took the lead ${led} ms after a's kill -9, and confirmed a's transaction ${Date.now() - killed} ms after it`);
  t.match(await store.reports.transactions({}), [{ txid, status: 'confirmed', round: 1 }], "b settled a's transaction from its log");
  t.same(
    (await store.settlement.roundTxs(anchorer, 1)).map((x) => x.txid),
    [txid],
    'nobody built round 1 again',
  );
  await wave(2_000_000); // after the takeover: b settles these itself
  await idle();

  // The chain's word on everything settled.
  const txs = (await store.reports.transactions({ status: 'confirmed' })).map((x) => x.txid);
  const events = [];
  for (const id of txs) events.push(...parseEvents(state.contract, (await f.client.tx.execution(id, 10_000)).notifications));
  const redeemed = events.filter((e) => e.name === 'ChannelRedeemed');
  for (const ch of channels) {
    const mine = redeemed.filter((e) => Number(e.params.id) === ch.id);
    t.same(
      mine.map((e) => Number(e.params.cumulative)).sort((x, y) => x - y),
      [newest.get(ch.id)! - 1_000_000, newest.get(ch.id)!],
      `channel ${ch.id}: each voucher redeemed once`,
    );
    t.equal((await f.client.getChannel(BigInt(ch.id)))?.redeemed, BigInt(newest.get(ch.id)!));
  }
  const paid = redeemed.reduce((s, e) => s + (e.params.paid as bigint), 0n);
  t.equal((await f.client.balanceOf(owner.address)) - ownerBefore, paid, 'the owner gained exactly what the redeems paid');
  t.equal(
    paid,
    [...newest.values()].reduce((s, x) => s + BigInt(x), 0n),
    "...which is the newest vouchers' sum: nothing twice",
  );
  // The second wave's batches arrive one by one while b settles each second: they may take more than one round.
  const rounds = events
    .filter((e) => e.name === 'RoundAnchored')
    .map((e) => Number(e.params.round))
    .sort((x, y) => x - y);
  const head = Number((await f.client.getRound(anchorer)).round);
  t.ok(head >= 2, `${head} rounds`);
  t.same(
    rounds,
    Array.from({ length: head }, (_, i) => i + 1),
    'rounds 1..head on chain, each anchored once, none skipped',
  );
  let placed = 0;
  for (let r = 1; r <= head; r++) placed += (await store.proofs.roundHashes(anchorer, r)).length;
  t.equal(placed, (await store.reports.totals()).batches, 'every batch in exactly one of them');
  for (const r of routers) {
    for (const seq of [1, 2]) t.ok((await store.proofs.locate(r.address, seq))?.place?.txid, `${r.address} #${seq} in an anchored round`);
  }
  b.p.kill('SIGTERM');
  await new Promise((r) => b.p.once('exit', r));
});
