import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { ensurePortalBuilt } from '../helpers/portal.js';
import { guestBrowser, SHOTS } from '../portal-browser.js';
import { installWallet } from '../wallets/inject.js';
import { LIE } from './lie.js';

// A lying router (issue 16's acceptance): the real agent started through
// test/attacks/lying-router.ts, which rewrites what its payment desk tells
// the page (cost ten times over plus 0.02 GAS, a session start an hour
// early, and a first voucher refused once with a minimum of half the
// deposit). A guest pays in chromium in its network namespace (NeoLine's
// double, a real neo-go chain, the gateway sponsoring the fee) and stays
// online. The page signs no more than the plan's on-chain terms allow for
// the time since its first voucher plus one credit window, and says so on
// the status view. The bound is worked out here from the terms, on the
// test's own clock, not with the page's code.
const here = process.cwd();
process.env.QLINK_AGENT_MAIN = join(here, 'dist/test/attacks/lying-router.js');
const { startWalletBed, WALLET_RPC } = await import('../../scripts/lib/walletbed/index.js');

const ID = 'ly';
// 0.0006 GAS a minute and 0.0001 GAS a MB, 8 Mbit/s down and 1 Mbit/s up: a bound from time alone for both prices.
const PLAN = { id: 'mix', name: 'Mixed', pricePerMinute: '0.0006', pricePerMb: '0.0001', down: '8mbit', up: '1mbit' };
const PER_MINUTE = 60_000n;
const PER_MB = 10_000n;
const KBPS = 9_000n;
const WINDOW = 100_000n;
const ONLINE_MS = 30_000;

/** The plan's terms for `ms` since the first voucher, rounded up, plus one credit window: the most an honest page signs. */
const bound = (ms: number) => {
  const s = BigInt(Math.ceil(ms / 1000));
  return (PER_MINUTE * s + 59n) / 60n + PER_MB * ((KBPS * s + 7_999n) / 8_000n) + WINDOW;
};

ensurePortalBuilt();
const dir = mkdtempSync(join(tmpdir(), 'qlink-lying-router-'));
let bed: Awaited<ReturnType<typeof startWalletBed>> | undefined;
let browser: Awaited<ReturnType<typeof guestBrowser>> | undefined;
t.teardown(async () => {
  await browser?.close();
  await bed?.stop();
  if (t.passing()) rmSync(dir, { recursive: true, force: true });
  else t.comment(`kept for a look: ${dir}`);
});

t.test('the page signs at most the plan for the time online plus one window, whatever the router reports, and warns', async (t) => {
  bed = await startWalletBed({
    ids: [ID],
    dir,
    plans: [PLAN],
    clients: 1,
    sponsor: { perGuestPerDay: 5, minDeposit: 10_000_000, ownerDailyBudget: 10_000_000_000 },
  });
  const { chain } = bed;
  const agentDb = join(bed.beds[0]!.stateDir, 'agent-data', 'qlink.db');
  const held = () => {
    const db = new Database(agentDb, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT channel_id AS channel, amount FROM vouchers ORDER BY amount DESC').all() as Array<{ channel: number; amount: number }>;
    } finally {
      db.close();
    }
  };
  browser = await guestBrowser(bed.beds[0]!.clients[0]!.ns);
  const page = await browser.context.newPage();
  const asked: bigint[] = [];
  const sent: bigint[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/voucher')) sent.push(BigInt((JSON.parse(r.postData() ?? '{}') as { amount: string }).amount));
  });
  page.on('response', (r) => {
    if (r.url().endsWith('/api/state') || r.url().endsWith('/api/voucher'))
      void r
        .json()
        .then((s: { cost?: string }) => {
          if (s.cost) asked.push(BigInt(s.cost) + WINDOW);
        })
        .catch(() => {});
  });
  await installWallet(browser.context, {
    kind: 'neoline',
    wif: chain.wallets.guest1!.wif,
    rpc: { socket: await bed.walletSocket(0) },
    network: { chainId: 0, magicNumber: chain.networkMagic, name: 'qlink private', rpcUrl: WALLET_RPC },
  });
  await page.goto('http://connectivitycheck.gstatic.com/generate_204');
  await page.click('#choose-mix');
  await page.locator('#confirm').waitFor({ timeout: 60_000 });
  // No voucher can be signed before this: the test's clock for the bound starts here.
  const t0 = Date.now();
  await page.click('#confirm');
  await page.waitForURL(/\/status$/, { timeout: 90_000 });
  await page.locator('#state.on').waitFor({ timeout: 30_000 });
  t.equal(held().length, 1, 'one channel');
  t.same(
    sent.slice(0, 2),
    [WINDOW, WINDOW],
    'the first voucher, refused with a minimum of half the deposit, is sent again at one window: the page did not follow a minimum it never signed',
  );

  await page.waitForTimeout(ONLINE_MS);
  const newest = BigInt(held()[0]!.amount);
  const elapsed = Date.now() - t0;
  await page.screenshot({ path: `${SHOTS}/lying-router-status.png`, fullPage: true });
  const most = asked.reduce((a, b) => (a > b ? a : b), 0n);
  t.ok(most > LIE.costPlus && most > bound(elapsed) * 4n, `the router asked for up to ${most} units, over 4 times what the plan allows`);
  t.ok(
    sent.every((a) => a <= bound(elapsed)),
    `every voucher the page sent (${sent.length}) within the bound`,
  );
  t.ok(newest <= bound(elapsed), `the newest voucher ${newest} ≤ the plan's ${bound(elapsed)} for ${elapsed} ms plus a window`);
  t.ok(newest >= bound(elapsed - 10_000), `and the page did sign up to the bound as it rose (≥ ${bound(elapsed - 10_000)}): what this router took`);
  t.ok(newest < LIE.firstMinimum, 'nothing near the minimum it claimed');
  t.match(await page.locator('#plan-cap').textContent(), /asked for more than the plan allows/, 'the guest is told');
  t.equal(await page.locator('#state.on').count(), 1, 'and stays online');
  const honest = held()[0]!;
  t.comment(
    `lying-router: ${JSON.stringify({ plan: PLAN, onlineMs: elapsed, asked: String(most), signed: String(newest), bound: String(bound(elapsed)), window: String(WINDOW), vouchersSent: sent.length, channel: honest.channel })}`,
  );
});
