import { performance } from 'node:perf_hooks';
import { startChain, type RunningChain } from './chain.js';
import {
  account, anchorHash, anchorMessage, newKeyPair, privateKeyFromHex, QlinkClient, signMessage, voucherMessage, ZERO_HASH,
  type Account, type Result,
} from '../../gateway/src/chain/index.js';

// Measures what the README quotes: GAS (system + network fee) and bytes of
// each contract transaction, and how long `scripts/chain up` takes to a
// deployed contract. Every figure comes from a real neo-go private net.

const GAS_1 = 100_000_000n;
const BATCH = Number(process.env.QLINK_BENCH_BATCH ?? 50);
const STARTS = Number(process.env.QLINK_BENCH_STARTS ?? 3);
const rows: string[][] = [];
const gas = (n: bigint) => (Number(n) / 1e8).toFixed(8);

function row(what: string, r: Result, per = 1) {
  halted(r);
  const total = r.systemFee + r.networkFee;
  rows.push([what, gas(r.systemFee), gas(r.networkFee), gas(total), String(r.size), per > 1 ? gas(total / BigInt(per)) : '']);
}

function halted(r: Result): Result {
  if (r.vmstate !== 'HALT') throw new Error(`${r.txid} faulted: ${r.exception}`);
  return r;
}

async function fees(chain: RunningChain): Promise<void> {
  const { state } = chain;
  const c = new QlinkClient(state);
  const w = (n: string): Account => account(state.wallets[n]?.wif ?? '');
  const [owner, router, guest, gw] = [w('owner'), w('router1'), w('guest1'), w('gateway')];
  const domain = { magic: state.magic, contract: state.contract };
  row('registerRouter (owner + router sign)', await c.registerRouter(owner, router, 1000n, 50n));

  const far = (await c.chainTime()) + 3_600_000n;
  const keys = Array.from({ length: BATCH + 1 }, () => newKeyPair());
  const openOne = (k: (typeof keys)[number], extraSystemFee?: bigint) =>
    c.openChannel(guest, { router: router.publicKey, voucherKey: k.publicKey, expiry: far, amount: GAS_1 }, extraSystemFee ? { extraSystemFee } : {});
  const first = await openOne(keys[0]!);
  row('open channel (GAS transfer + data)', first);
  // The rest go out together, so each gets a margin over its test run.
  const opens = [first, ...(await Promise.all(keys.slice(1).map((k) => openOne(k, GAS_1 / 100n))))];
  opens.forEach(halted);
  const ids = opens.map((o) => o.events.find((e) => e.name === 'ChannelOpened')?.params.id as bigint);
  const voucher = (i: number, amount: bigint) => ({ id: ids[i]!, amount, signature: signMessage(keys[i]!.privateKey, voucherMessage(domain, ids[i]!, amount)) });

  row('top up', await c.topUp(guest, ids[0]!, GAS_1));
  row('redeem, 1 channel', await c.redeem(gw, voucher(0, GAS_1 / 10n)));
  row('redeem again (rise only)', await c.redeem(gw, voucher(0, GAS_1 / 5n)));
  const batch = await c.redeemBatch(gw, keys.slice(1).map((_, i) => voucher(i + 1, GAS_1 / 10n)));
  row(`redeemBatch, ${BATCH} channels (per channel in last column)`, batch, BATCH);
  row('close (final voucher + refund)', await c.close([gw, owner], voucher(0, GAS_1 / 4n)));

  const rk = privateKeyFromHex(router.privateKey);
  const root = 'ab'.repeat(32);
  const m = anchorMessage(domain, router.publicKey, 1n, ZERO_HASH, root);
  row('anchorBatch (first)', await c.anchorBatch(gw, { router: router.publicKey, seq: 1n, prev: ZERO_HASH, root, signature: signMessage(rk, m) }));
  const m2 = anchorMessage(domain, router.publicKey, 2n, anchorHash(m), root);
  row('anchorBatch (next)', await c.anchorBatch(gw, { router: router.publicKey, seq: 2n, prev: anchorHash(m), root, signature: signMessage(rk, m2) }));

  const k = newKeyPair();
  const soon = (await c.chainTime()) + 5000n;
  const o = await c.openChannel(w('guest2'), { router: router.publicKey, voucherKey: k.publicKey, expiry: soon, amount: GAS_1 });
  const id = o.events.find((e) => e.name === 'ChannelOpened')?.params.id as bigint;
  while ((await c.chainTime()) <= soon + BigInt(state.settlementWindowMs)) await new Promise((r) => setTimeout(r, 500));
  row('refund after expiry', await c.refund(w('guest2'), id));
}

async function main(): Promise<void> {
  const starts: { wall: number; deployed: number }[] = [];
  let kept: RunningChain | undefined;
  try {
    for (let i = 0; i < STARTS; i++) {
      const t0 = performance.now();
      const chain = await startChain({ windowMs: 2000 });
      starts.push({ wall: performance.now() - t0, deployed: chain.state.deployedMs ?? NaN });
      if (i < STARTS - 1) await chain.stop();
      else kept = chain;
    }
    await fees(kept!);
  } finally {
    await kept?.stop();
  }
  console.log('| transaction | system fee (GAS) | network fee (GAS) | total (GAS) | bytes | per channel (GAS) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('');
  console.log('| `scripts/chain up` run | to contract deployed (ms) | whole `up` incl. funding (ms) |');
  console.log('| --- | ---: | ---: |');
  starts.forEach((s, i) => console.log(`| ${i + 1} | ${s.deployed} | ${Math.round(s.wall)} |`));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
