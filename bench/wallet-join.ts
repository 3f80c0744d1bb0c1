/**
 * Join to online on the wallet path (issue 18's figures), in chromium inside
 * a guest's network namespace against the real chain, the gateway sponsoring
 * the fee, the NeoLine double confirming at once (a person takes longer; that
 * time is theirs, not the system's): n runs, each a new guest account in a
 * fresh browser. Each run's steps: the probe to the statement (wallet found,
 * site connected, the gateway's offer built), the confirmation to the
 * sponsored transaction relayed, the relay to its block (the gateway's log),
 * the block to online (the first voucher, the status page). Then one opening
 * through the wallet's own invoke with sponsoring off: what the guest pays
 * beyond the deposit. Run at the default fee policy and again at MainNet's
 * (scripts/chain --policy mainnet) for the fees.
 *
 *   node dist/bench/wallet-join.js [--runs 10] [--policy default|mainnet]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startWalletBed, WALLET_RPC } from '../scripts/lib/walletbed/index.js';
import { guestBrowser } from '../test/portal-browser.js';
import { installWallet } from '../test/wallets/inject.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, policy: { type: 'string' } } });
const runs = Number(values.runs ?? 10);
const policy = (values.policy ?? 'default') as 'default' | 'mainnet';
// Funded test accounts no one else in the bed uses (router2's key is a router key only in two-router beds).
const GUESTS = ['guest1', 'guest2', 'guest3', 'guest4', 'guest5', 'owner2', 'spare', 'closer', 'router3', 'router2'];
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
};

const dir = mkdtempSync(join(tmpdir(), 'qlink-bench-wallet-'));
const bed = await startWalletBed({
  ids: ['bw'],
  dir,
  plans: [{ id: 'mb', name: 'Pay per MB', pricePerMb: '0.0001' }],
  policy,
  sponsor: { perGuestPerDay: 10, minDeposit: 10_000_000, ownerDailyBudget: 100_000_000_000 },
});
const ns = bed.beds[0]!.clients[0]!.ns;
const network = { chainId: 0, magicNumber: bed.chain.networkMagic, name: 'qlink private', rpcUrl: WALLET_RPC };
const sock = await bed.walletSocket(0);
const sentAt = (txid: string): number | null => {
  for (const l of readFileSync(bed.gatewayLog, 'utf8').split('\n')) {
    if (!l.includes(txid) || !l.includes('sponsored transaction sent')) continue;
    return (JSON.parse(l) as { time: number }).time;
  }
  return null;
};

async function once(who: string, sponsored: boolean) {
  const b = await guestBrowser(ns);
  try {
    const w = await installWallet(b.context, { kind: 'neoline', wif: bed.chain.wallets[who]!.wif, network, rpc: { socket: sock } });
    const page = await b.context.newPage();
    const g0 = await bed.balance(bed.chain.wallets[who]!.address);
    const t0 = Date.now();
    await page.goto('http://connectivitycheck.gstatic.com/generate_204');
    const offer = page
      .waitForResponse((r) => r.url().endsWith('/api/pay'), { timeout: 120_000 })
      .then((r) => r.json() as Promise<{ sponsored: { txid: string; fee: string } | null; invoke: { fee: string } | null }>);
    offer.catch(() => undefined);
    await page.click('#choose-mb');
    // An account that already holds a channel here is offered it: this run opens a new one.
    await page.locator('#confirm, #new-channel').first().waitFor({ timeout: 60_000 });
    if (await page.locator('#new-channel').count()) await page.click('#new-channel');
    await page.locator('#confirm').waitFor({ timeout: 60_000 });
    const tStatement = Date.now();
    const done = page.waitForResponse((r) => /\/api\/(sponsored|opened)$/.test(r.url()), { timeout: 120_000 });
    await page.click('#confirm');
    await done;
    const tConfirmed = Date.now();
    await page.locator('#state.on').waitFor({ timeout: 60_000 });
    const tOnline = Date.now();
    const o = await offer;
    const relayed = o.sponsored ? sentAt(o.sponsored.txid) : null;
    const paid = g0 - (await bed.balance(bed.chain.wallets[who]!.address));
    await page.click('#logout');
    await page.locator('#kept').waitFor({ timeout: 20_000 });
    return {
      who,
      total: tOnline - t0,
      toStatement: tStatement - t0,
      confirmToRelayed: relayed ? relayed - tStatement : null,
      relayedToBlock: relayed ? tConfirmed - relayed : null,
      blockToOnline: tOnline - tConfirmed,
      beyondDeposit: (paid - 50_000_000n).toString(),
      sponsorFee: o.sponsored?.fee ?? null,
      invokeFee: o.invoke?.fee ?? null,
      prompts: w.prompts.seen.map((p) => p.kind),
      sponsored,
    };
  } finally {
    await b.close();
  }
}

const out: Array<Awaited<ReturnType<typeof once>>> = [];
try {
  for (let i = 0; i < runs; i++) {
    const r = await once(GUESTS[i % GUESTS.length]!, true);
    out.push(r);
    process.stderr.write(`run ${i + 1}: ${JSON.stringify(r)}\n`);
  }
  await bed.restartGateway(null);
  await new Promise((r) => setTimeout(r, 2_000));
  const invoke = await once(GUESTS[runs % GUESTS.length]!, false);
  process.stderr.write(`invoke: ${JSON.stringify(invoke)}\n`);
  const totals = out.map((r) => r.total);
  const block = out.flatMap((r) => (r.relayedToBlock === null ? [] : [r.relayedToBlock]));
  const others = out.map((r) => r.total - (r.relayedToBlock ?? 0));
  console.log(
    JSON.stringify(
      {
        date: new Date().toISOString(),
        policy,
        runs,
        blockMs: 1000,
        joinToOnline: { p50: q(totals, 0.5), p95: q(totals, 0.95), min: Math.min(...totals), max: Math.max(...totals) },
        steps: {
          toStatement: {
            p50: q(
              out.map((r) => r.toStatement),
              0.5,
            ),
            p95: q(
              out.map((r) => r.toStatement),
              0.95,
            ),
          },
          confirmToRelayed: {
            p50: q(
              out.map((r) => r.confirmToRelayed ?? 0),
              0.5,
            ),
            p95: q(
              out.map((r) => r.confirmToRelayed ?? 0),
              0.95,
            ),
          },
          relayedToBlock: { p50: q(block, 0.5), p95: q(block, 0.95) },
          blockToOnline: {
            p50: q(
              out.map((r) => r.blockToOnline),
              0.5,
            ),
            p95: q(
              out.map((r) => r.blockToOnline),
              0.95,
            ),
          },
        },
        // At MainNet's 15 s blocks: everything but the wait for the block as measured, plus a wait uniform over 0–15 s (7.5 s at the median, 14.25 s at p95).
        mainnetByArithmetic: { p50: q(others, 0.5) + 7_500, p95: q(others, 0.95) + 14_250 },
        beyondDeposit: { sponsored: [...new Set(out.map((r) => r.beyondDeposit))], invoke: invoke.beyondDeposit, invokeFeeShown: invoke.invokeFee },
        sponsorFeePerChannel: { min: Math.min(...out.map((r) => Number(r.sponsorFee))), max: Math.max(...out.map((r) => Number(r.sponsorFee))) },
        prompts: [...new Set(out.map((r) => r.prompts.join(',')))],
      },
      null,
      2,
    ),
  );
} finally {
  await bed.stop();
  rmSync(dir, { recursive: true, force: true });
}
