import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { Ingestor } from '../gateway/src/ingest/ingestor.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { VoucherCheck } from '../gateway/src/ingest/vouchers.js';
import { ChainRegistry } from '../gateway/src/registry/chain.js';
import { neonRpcChain } from '../gateway/src/rpc/chain.js';
import { dispatch } from '../gateway/src/rpc/handlers.js';
import { neonSettleChain } from '../gateway/src/settle/chain.js';
import { ChannelCloser, type CloseAnswer } from '../gateway/src/settle/closer.js';
import { settlementConfigSchema } from '../gateway/src/settle/config.js';
import { Settler } from '../gateway/src/settle/settler.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { routerTopics } from '../protocol/src/index.js';
import { GAS, settleFixture } from './gateway-settle-fixture.js';
import { checkedAuth } from './helpers/gateway-key.js';

// Issue 15's shadow attack on a real chain through the gateway's own ingest,
// settlement, closer and channel RPC: owner A's router files a real voucher
// of 500; a router registered to another owner files a record of the same
// channel at 2^53-1 with a zero signature. The forged one is kept out:
// settlement redeems 500, the close closes at 500, the RPC answers 500.
const f = await settleFixture();
t.teardown(() => f.chain.stop());
const { state } = f.chain;
const dir = mkdtempSync(join(tmpdir(), 'qlink-shadow-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'gw.sqlite');
const store = await openSqliteStore(db);
t.teardown(() => store.close());
const log = pino({ level: process.env.QLINK_TEST_LOG ?? 'silent' });
const d = { networkMagic: state.networkMagic, contract: state.contract };
const [owner, gateway, closerAcct, spare] = [f.w('owner'), f.w('gateway'), f.w('closer'), f.w('spare')];
await f.client.setCloser(owner, '0x' + closerAcct.scriptHash, true);
const [a] = [f.router];
const b = (await f.routers(1, spare))[0]!;

const registry = new ChainRegistry(f.client, store.routers, { ttlMs: 60_000, negativeTtlMs: 10_000 });
const counters = ingestCounters();
const ingest = new Ingestor(
  store.ingest,
  registry,
  new VoucherCheck(neonRpcChain(f.client), d),
  { deployment: { ...d, contract: d.contract.toLowerCase() }, maxPayloadBytes: 1 << 20, ack: () => undefined },
  counters,
  log,
);
const send = (r: typeof a, records: Parameters<typeof a.build>[0]) =>
  ingest.handle(routerTopics(r.address).usage, Buffer.from(JSON.stringify(r.build(records))));
const settleChain = neonSettleChain(f.client, gateway, 10_000);
const settler = new Settler(store.settlement, settleChain, d, settlementConfigSchema.parse({ wif: gateway.WIF, checkMs: 500 }), log);
const closer = new ChannelCloser(
  store.settlement,
  settleChain,
  neonRpcChain(f.client),
  (fn) => settler.exclusive(fn),
  [closerAcct],
  { deployment: d, validForBlocks: 100, ttlMs: 60_000 },
  log,
);
const rpcDeps = { store: store.settlement, registry, chain: neonRpcChain(f.client, 10_000), deployment: d, log, closer };
const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1

const [ch1, ch2] = [await f.open(GAS / 100), await f.open(GAS / 100)];
const attack = async (t: Test, id: number, sign: (n: number) => string) => {
  const [real, forged] = [a.records(1, id)[0]!, b.records(1, id)[0]!];
  t.equal(await send(a, [{ ...real, voucher: { amount: 500, signature: sign(500) } }]), 'stored', `channel ${id}: the real 500 from owner A's router`);
  t.equal(
    await send(b, [{ ...forged, voucher: { amount: MAX, signature: '00'.repeat(64) } }]),
    'stored',
    `channel ${id}: the forged 2^53-1 from the other owner's router, stored as usage`,
  );
};
const answer = async (id: number) => {
  const out: unknown[] = [];
  await dispatch(
    a.address,
    { v: 1, id: 'q', auth: checkedAuth(a.publicKey), method: 'channel', params: { channelId: id, router: a.publicKey } },
    rpcDeps,
    (r) => out.push(r),
  );
  return out[0] as { voucher: { amount: number } | null };
};

t.test('the forged voucher is refused at the door and filed; the real one stands', async (t) => {
  await attack(t, ch1.id, ch1.sign);
  await attack(t, ch2.id, ch2.sign);
  t.equal(counters.get('qlink_gateway_vouchers_refused_total'), 2);
  t.match(await store.reports.anomalies({ router: b.address }), [{ kind: 'bad-voucher', detail: /channel pays another owner/ }, { kind: 'bad-voucher' }]);
  for (const id of [ch1.id, ch2.id]) t.equal((await answer(id)).voucher?.amount, 500, `channel ${id}: the channel RPC answers 500`);
});

t.test('the close closes with 500', async (t) => {
  const answers: CloseAnswer[] = [];
  const out = await closer.close(ch2.id, 60_000, (x) => answers.push(x));
  t.same(out, { kind: 'answered' });
  t.match(answers.at(-1), { state: 'closed', cumulative: 500n });
  t.match(await f.client.getChannel(BigInt(ch2.id)), { closed: true, redeemed: 500n });
  t.equal((await answer(ch2.id)).voucher?.amount, 500, 'the channel RPC still answers 500');
});

t.test('settlement redeems 500', async (t) => {
  const before = await f.client.balanceOf(owner.address);
  t.same(
    (await store.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]),
    [[ch1.id, 500]],
    'channel 2 was closed at 500: only channel 1 is due',
  );
  let sent = 0;
  for (let i = 0; i < 60; i++) {
    const r = await settler.tick(true);
    if (r.kind === 'sent') sent++;
    if (r.kind === 'idle' && sent && !(await store.settlement.pendingRaw()).length) break;
    await sleep(500);
  }
  t.equal((await f.client.getChannel(BigInt(ch1.id)))?.redeemed, 500n, 'channel 1 redeemed at 500 on chain');
  t.equal((await f.client.balanceOf(owner.address)) - before, 500n, 'the owner was paid 500, exactly');
});

t.test("a gateway configured with an owner's key refuses to start, naming the address", async (t) => {
  await registry.lookup(a.publicKey); // the router is known (cached) with its owner
  const file = join(dir, 'owner-key.json');
  writeFileSync(
    file,
    JSON.stringify({
      broker: { url: 'mqtt://127.0.0.1:9' },
      store: { sqlite: db },
      rpc: { enabled: false },
      api: { port: 0 },
      chain: { rpc: state.rpc, networkMagic: state.networkMagic, contract: state.contract },
      settlement: { wifEnv: 'QLINK_TEST_SETTLE_WIF', closerKeys: [{ wifEnv: 'QLINK_TEST_CLOSER_WIF' }] },
    }),
  );
  const run = () =>
    new Promise<{ code: number | null; err: string }>((ok) => {
      const p = spawn(process.execPath, [join(import.meta.dirname, '..', 'gateway', 'src', 'main.js'), '--config', file], {
        env: { ...process.env, QLINK_TEST_SETTLE_WIF: gateway.WIF, QLINK_TEST_CLOSER_WIF: owner.WIF },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      p.stderr!.on('data', (x: Buffer) => {
        err += x.toString();
      });
      const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
      p.on('exit', (code) => {
        clearTimeout(timer);
        ok({ code, err });
      });
    });
  const r = await run();
  t.equal(r.code, 1, 'exit 1');
  t.match(r.err, new RegExp(`closer key ${owner.address} is the owner of router ${a.address}: an owner's payout wallet must not sit on the gateway`));
  t.notMatch(r.err, new RegExp(owner.WIF), 'the key itself is not printed');
});
