/**
 * Voucher checks per second in the agent: each check reads the newest held
 * voucher, looks the channel up (in memory here: the chain read is cached per
 * channel), verifies the P-256 signature and stores the voucher in SQLite.
 * Usage: node dist/bench/vouchers.js [checks] [channels]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { openStore } from '../agent/src/store/db.js';
import { MemoryChannelSource } from '../test/fakes/memory-channels.js';
import { VoucherChecker, type VoucherClaim } from '../agent/src/vouchers/check.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';

const n = Number(process.argv[2] ?? 5_000);
const channels = Number(process.argv[3] ?? 50);
const domain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const router = '03' + 'aa'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'qlink-bench-vouchers-'));
try {
  // A file store in WAL mode, as on the router: the write is part of the cost.
  const db = openStore(dir);
  const source = new MemoryChannelSource(undefined, undefined, '0x' + '11'.repeat(20));
  const keys = Array.from({ length: channels }, (_, i) => {
    const k = newKeyPair();
    source.set({
      id: BigInt(i + 1),
      owner: '0x' + '11'.repeat(20),
      planId: 1,
      planVersion: 1,
      voucherKey: k.publicKey,
      deposit: 1n << 40n,
      redeemed: 0n,
      expiry: BigInt(Date.now() + 86_400_000),
      closed: false,
      confirmed: true,
    });
    return k;
  });
  const claims: VoucherClaim[] = Array.from({ length: n }, (_, i) => {
    const ch = (i % channels) + 1;
    const amount = BigInt(1000 * (Math.floor(i / channels) + 1));
    return { channelId: BigInt(ch), amount, signature: signP256(keys[ch - 1]!.privateKey, voucherMessage(domain, BigInt(ch), amount)).toString('hex') };
  });
  const checker = new VoucherChecker({ deployment: domain, routerKey: router, expiryMarginMs: 60_000 }, source, new VoucherStore(db));
  const started = process.hrtime.bigint();
  let ok = 0;
  for (const c of claims) if ((await checker.check(c, { sessionChannel: c.channelId, sessionId: null, meteredCost: 0n, now: Date.now() })).ok) ok++;
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  if (ok !== n) throw new Error(`only ${ok} of ${n} accepted`);
  console.log(`voucher checks: ${n} over ${channels} channels in ${s.toFixed(2)} s = ${Math.round(n / s)} checks/s (verify + SQLite write each)`);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
