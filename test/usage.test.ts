import { readFileSync } from 'node:fs';
import { wallet } from '@cityofzion/neon-js';
import t from 'tap';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { createLogger } from '../agent/src/log.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import type { Db } from '../agent/src/store/driver.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { UsageBatcher } from '../agent/src/usage/batcher.js';
import { batchHeader, batchProblem, batchSchema, toHex, ZERO_HASH } from '../protocol/src/index.js';
import { verifyP256 } from '../protocol/src/node/index.js';
import { UsageRecorder } from '../agent/src/usage/recorder.js';
import { Outbox } from '../agent/src/uplink/outbox.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { generateKeyPairSync } from 'node:crypto';

const policy = { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: [], blocked6: [] };
const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';
const deployment = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);

function setup(intervalMs = 60_000, db: Db = openMemoryStore(), gate = new MemoryGate()) {
  const now = { t: 1_700_000_000_000 };
  const sessions = new SessionStore(db, new UsageRecorder(db, { intervalMs }));
  const gk = new Gatekeeper(gate, sessions, policy, createLogger('silent'), () => now.t);
  return { db, sessions, gate, gk, now };
}

const records = (db: Db) => db.prepare('SELECT * FROM usage_records ORDER BY id').all() as Array<Record<string, number | null>>;

t.test('records are cut per interval and at the end, and add up to the metered totals', async (t) => {
  const { db, gate, gk, now, sessions } = setup(10_000);
  await gk.start();
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  for (let i = 0; i < 7; i++) {
    gate.traffic(A, 1000 + i, 10 * i);
    now.t += 4_000;
    await gk.poll();
  }
  t.equal(records(db).length, 2, 'two whole intervals of 12 s so far');
  gate.traffic(A, 5, 5);
  now.t += 1_500;
  await gk.deauth(A, 'deauth');
  const rs = records(db);
  t.equal(rs.length, 3, 'the tail is closed when the session ends');
  const total = sessions.get(s.id)!;
  t.equal(
    rs.reduce((a, r) => a + r.bytes_down!, 0),
    total.bytesDown,
  );
  t.equal(
    rs.reduce((a, r) => a + r.bytes_up!, 0),
    total.bytesUp,
  );
  t.equal(
    rs.reduce((a, r) => a + r.seconds!, 0),
    29,
    'seconds add up to the session length',
  );
  for (let i = 1; i < rs.length; i++) t.equal(rs[i]!.start_ms, rs[i - 1]!.end_ms, 'intervals are contiguous');
  t.equal(rs[0]!.start_ms, s.startedAt);
  t.same([rs[0]!.channel_id, rs[0]!.cost, rs[0]!.voucher_amount], [null, 0, null]);
});

t.test("records carry the newest voucher the router holds for the session's channel", async (t) => {
  const { db, gate, gk, now } = setup(5_000);
  const vouchers = new VoucherStore(db);
  await gk.start();
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  new ChannelLedger(db, () => undefined).link(s.id, 7n);
  vouchers.raise({ channelId: 7n, amount: 120_000n, signature: 'aa'.repeat(64), sessionId: s.id, at: now.t });
  gate.traffic(A, 1000, 10);
  now.t += 6_000;
  await gk.poll();
  vouchers.raise({ channelId: 7n, amount: 250_000n, signature: 'bb'.repeat(64), sessionId: s.id, at: now.t });
  now.t += 1_000;
  await gk.deauth(A, 'logout');
  t.same(
    records(db).map((r) => [r.channel_id, r.voucher_amount, (r.voucher_sig as unknown as string).slice(0, 4)]),
    [
      [7, 120_000, 'aaaa'],
      [7, 250_000, 'bbbb'],
    ],
    'each record has the voucher held when it was cut; the last one the newest',
  );
});

t.test('a failed record write rolls back the metering too: nothing advances alone', async (t) => {
  const db = openMemoryStore();
  const gate = new MemoryGate();
  let fail = false;
  const rec = new UsageRecorder(db, { intervalMs: 1_000 });
  const sessions = new SessionStore(db, {
    cut: (id, now, final) => {
      if (fail) throw new Error('disk full');
      rec.cut(id, now, final);
    },
  });
  let clock = 1_000_000;
  const gk = new Gatekeeper(gate, sessions, policy, createLogger('silent'), () => clock);
  await gk.start();
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  gate.traffic(A, 500, 50);
  clock += 2_000;
  fail = true;
  await t.rejects(gk.poll(), /disk full/);
  t.equal(sessions.get(s.id)!.bytesDown, 0, 'totals not advanced without their record');
  fail = false;
  await gk.poll();
  t.equal(sessions.get(s.id)!.bytesDown, 500);
  t.same(
    records(db).map((r) => [r.bytes_down, r.bytes_up]),
    [[500, 50]],
    'one record, once',
  );
});

t.test('a restart re-reads kernel counters without doubling a record', async (t) => {
  const first = setup(5_000);
  await first.gk.start();
  await first.gk.auth(A, { endsAt: null, quotaBytes: null });
  await first.gk.auth(B, { endsAt: null, quotaBytes: null });
  first.gate.traffic(A, 100, 1);
  first.now.t += 6_000;
  await first.gk.poll();
  first.gate.traffic(A, 50, 2); // the agent dies here; the kernel keeps counting
  const again = setup(5_000, first.db, first.gate);
  again.now.t = first.now.t + 6_000;
  await again.gk.start();
  await again.gk.start();
  const a = records(first.db).filter((r) => r.session_id === 1);
  t.same(
    a.map((r) => r.bytes_down),
    [100, 50],
  );
  t.equal(records(first.db).filter((r) => r.session_id === 2).length, 2, 'an idle session still bills its seconds');
});

t.test('batches: signed, chained, Merkle-rooted; verify with neon-js and the checker', async (t) => {
  const { db, gate, gk, now } = setup(1_000);
  await gk.start();
  await gk.auth(A, { endsAt: null, quotaBytes: null });
  for (let i = 0; i < 10; i++) {
    gate.traffic(A, 100, 1);
    now.t += 1_000;
    await gk.poll();
  }
  const batcher = new UsageBatcher(db, identity, deployment);
  t.equal(batcher.sealAll(now.t, 4), 3, '10 records in batches of 4');
  t.equal(batcher.seal(now.t, 4), null, 'nothing left to seal');
  const outbox = new Outbox(db);
  const batches = outbox.after(0, 100).map((e) => batchSchema.parse(JSON.parse(e.payload)));
  t.same(
    batches.map((b) => [b.seq, b.records.length]),
    [
      [1, 4],
      [2, 4],
      [3, 2],
    ],
  );
  t.equal(batches[0]!.prev, ZERO_HASH);
  for (let i = 1; i < batches.length; i++) t.equal(batches[i]!.prev, batches[i - 1]!.hash, 'hash chain');
  for (const b of batches) {
    t.equal(batchProblem(b, verifyP256), null);
    const msg = toHex(batchHeader(deployment, b.router, b.seq, b.prev, b.root));
    t.ok(wallet.verify(msg, b.signature, b.router), 'neon-js verifies the router signature');
    t.equal(wallet.getAddressFromScriptHash(wallet.getScriptHashFromPublicKey(b.router)), identity.address);
  }
  const bad = structuredClone(batches[1]!);
  bad.records[0]!.bytesDown += 1;
  t.equal(batchProblem(bad, verifyP256), 'Merkle root does not match the records');
  t.same(outbox.ack([1, 3, 99], now.t), [1, 3]);
  t.same(
    outbox.after(0, 10).map((e) => e.seq),
    [2],
  );
  t.equal(records(db).length, 4, 'acked records pruned');
  t.equal(batcher.seal(now.t, 4), null);
});

t.test('anchor message matches the contract vector', async (t) => {
  const v = JSON.parse(readFileSync(new URL('../../test/fixtures/chain/vectors.json', import.meta.url), 'utf8')).anchor;
  const msg = batchHeader({ networkMagic: v.magic, contract: v.contract }, v.publicKey, v.seq, v.prev, v.root);
  t.equal(toHex(msg), v.message);
});
