import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tb from '../scripts/lib/testbed/index.js';
import { privateKeyFromHex } from '../protocol/src/node/index.js';
import { account } from '../chain/src/neon.js';
import { chainInUpstream, RPC, RPC_IP, type UpstreamChain } from './helpers/chain-upstream.js';
import { pollUntil, sh, sleep } from './helpers/testbed.js';
import { ensurePortalBuilt } from './helpers/portal.js';
import { guestBrowser, SHOTS } from './portal-browser.js';
import { installWallet } from './wallets/inject.js';
import * as tbs from '../scripts/lib/testbed/index.js';

const PLANS = [{ id: 'mb', name: 'Pay per MB', pricePerMb: '0.0001' }];

// The whole guest journey on a real chain, a router without a gateway (it
// reads the chain itself): join → the probe lands on the portal → pick a plan
// → the guest's wallet (the NeoLine double, test/wallets/) opens the channel
// with its own invoke, the router follows the transaction to its block for
// the channel id → online → vouchers rise with use → credit (the deposit) runs
// out → held → top up on chain → online → log out with the refund asked for.
// The chain lives on "the internet" (the upstream namespace, its own
// address), reached by the guest and its wallet only through the router's
// walled garden.
const ID = 'pay';
const PORT = 8088;
const MB = 10_000; // plan price per MB in GAS units: 0.0001 GAS

t.test('pay, use, run out, top up, log out: in chromium on a real chain', async (t) => {
  ensurePortalBuilt();
  await tb.down(ID).catch(() => {});
  const chainDir = mkdtempSync(join(tmpdir(), 'qlink-pay-chain-'));
  let browser: Awaited<ReturnType<typeof guestBrowser>> | undefined;
  let upstream: UpstreamChain | undefined;
  try {
    const bed = await tb.up({ id: ID, clients: 1 });
    upstream = await chainInUpstream(ID, chainDir);
    const { state: chain, wif } = upstream;

    // The agent's identity is router1's key, registered to the owner on chain.
    const reg = await upstream.wallet('upstream', ['register', '--plans', JSON.stringify(PLANS)], {
      QLINK_OWNER_WIF: wif('owner'),
      QLINK_ROUTER_WIF: wif('router1'),
    });
    t.equal(reg.code, 0, reg.stderr);
    const dataDir = join(bed.stateDir, 'agent-data');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'router.key'), privateKeyFromHex(account(wif('router1')).privateKey).export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await tb.agentStart(ID, {
      chain: { networkMagic: chain.networkMagic, contract: chain.contract },
      walledGarden: [RPC_IP],
      plans: PLANS,
      portal: { port: PORT, name: 'Café Lumen', rpcUrl: RPC, deposit: '0.003', creditWindow: '0.001', channelHours: 1, expiryMarginSeconds: 60 },
    });

    const state = async () =>
      JSON.parse((await sh(ID, 'c1', `curl -4 -sS -m 5 http://${bed.router.lan4}:${PORT}/api/state`)).stdout) as {
        online: boolean;
        paid: string;
        cost: string;
        endReason: string | null;
        deposit: string | null;
        channelId: string | null;
      };
    const shot = (page: import('playwright-core').Page, name: string) => page.screenshot({ path: `${SHOTS}/pay-${name}.png`, fullPage: true });

    // The wallet's node: the test shim (NeoLine's fee estimate against neo-go) beside the chain, reached through the router.
    tbs.spawn(ID, 'upstream', ['node', 'dist/scripts/lib/wallet-shim.js', '--listen', `${RPC_IP}:40340`, '--upstream', RPC], {
      stdio: 'ignore',
      env: { NODE_OPTIONS: '' },
      cwd: process.cwd(),
    });
    const sock = join(chainDir, 'wallet.sock');
    tbs.spawn(ID, 'c1', ['socat', `UNIX-LISTEN:${sock},fork,unlink-early`, `TCP:${RPC_IP}:40340`], { stdio: 'ignore' });
    await sleep(1_000);
    browser = await guestBrowser(bed.clients[0]!.ns);
    const wallet = await installWallet(browser.context, {
      kind: 'neoline',
      wif: wif('guest1'),
      rpc: { socket: sock },
      network: { chainId: 0, magicNumber: chain.networkMagic, name: 'qlink private', rpcUrl: `http://${RPC_IP}:40340` },
    });
    const page = await browser.context.newPage();
    const joined = Date.now();
    await page.goto('http://connectivitycheck.gstatic.com/generate_204');
    t.match(page.url(), new RegExp(`:${PORT}/$`), 'the probe lands on the portal');
    await shot(page, '1-portal');
    await page.click('#choose-mb');
    await page.locator('#confirm').waitFor({ timeout: 30_000 });
    t.match(await page.locator('#fee').textContent(), /You pay the network fee, as NeoLine shows it/, 'no gateway: nobody quoted the fee, the wallet shows it');
    await shot(page, '2-pay');
    const probeWhilePaying = (await sh(ID, 'c1', `curl -4 -s -o /dev/null -w '%{http_code}' http://connectivitycheck.gstatic.com/generate_204`)).stdout;
    t.equal(probeWhilePaying, '204', 'payment window: probes answered as online so the phone keeps the Wi-Fi');
    const before = BigInt(String(JSON.parse((await upstream.wallet('upstream', ['balance', '--address', chain.wallets.guest1!.address])).stdout).gas));
    await page.click('#confirm');
    await page.waitForURL(/\/status$/, { timeout: 60_000 });
    t.same(
      wallet.prompts.seen.map((p) => p.kind),
      ['authorization', 'invoke'],
      'one confirmation in the wallet, no id typed',
    );
    const fees = wallet.prompts.seen[1]!.detail as { systemFee: string; networkFee: string };
    const after = BigInt(String(JSON.parse((await upstream.wallet('upstream', ['balance', '--address', chain.wallets.guest1!.address])).stdout).gas));
    t.equal(
      before - after,
      300_000n + BigInt(fees.systemFee) + BigInt(fees.networkFee),
      `the guest paid the deposit and the fees NeoLine showed (${fees.systemFee} + ${fees.networkFee})`,
    );
    const channelId = (await state()).channelId ?? '';
    await page.locator('#state.on').waitFor({ timeout: 30_000 });
    const joinToOnline = Date.now() - joined;
    t.comment(`join to online (chain confirmation included): ${joinToOnline} ms`);
    await shot(page, '3-online');
    t.match((await sh(ID, 'c1', `curl -4 -s -o /dev/null -w '%{http_code}' http://connectivitycheck.gstatic.com/generate_204`)).stdout, '204', 'probe: online');

    // Use: 12 MB at 1.5 MB/s. The page signs ahead as credit runs down, so the newest voucher rises.
    const seen = new Set<string>();
    const dl = sh(ID, 'c1', 'curl -4 -s -o /dev/null -w "%{size_download}" "http://203.0.113.10/bytes/12000000?rate=1500000"', 60_000);
    for (let i = 0; i < 12; i++) {
      seen.add((await state()).paid);
      await sleep(1000);
    }
    t.equal((await dl).stdout, '12000000', 'the download completed while paying as it went');
    const rising = [...seen].map(BigInt).sort((a, b) => (a < b ? -1 : 1));
    t.ok(rising.length >= 2, `vouchers rose: ${rising.join(' → ')}`);

    // Run out: the deposit (0.003 GAS) buys 30 MB; ask for 30 more.
    // Unpaced: faster than the page can sign, and past the deposit anyway, so the hold does not depend on timing.
    await sh(ID, 'c1', 'curl -4 -s -m 40 -o /dev/null "http://203.0.113.10/bytes/30000000" || true', 60_000);
    const s = await pollUntil(10_000, state, (v) => !v.online, 1000);
    t.equal(s.online, false, 'held when the credit ran out');
    t.equal(s.endReason, 'credit', 'held for credit');
    t.ok(BigInt(s.paid) <= 300_000n, `the newest voucher (${s.paid}) is never above the deposit`);
    t.comment(`metered past the deposit before the hold: ${BigInt(s.cost) - 300_000n} units (a burst between two meter readings)`);
    t.equal(
      (await sh(ID, 'c1', `curl -4 -s -o /dev/null -w '%{http_code}' http://connectivitycheck.gstatic.com/generate_204`)).stdout,
      '302',
      'probe: captive again',
    );
    await page.locator('#topup').waitFor({ timeout: 15_000 });
    await shot(page, '4-held');

    const top = await upstream.wallet('c1', ['topup', '--channel', channelId, '--amount', '300000'], { QLINK_WIF: wif('guest1') });
    t.equal(top.code, 0, top.stderr);
    await page.locator('#state.on').waitFor({ timeout: 30_000 });
    // The page may show online from its own poll a moment before its newest voucher is in the agent's answer.
    const paid = await pollUntil(
      10_000,
      async () => BigInt((await state()).paid),
      (p) => p > 300_000n,
      200,
    );
    t.ok(paid > 300_000n, `a voucher above the old deposit after the top up (${paid})`);
    await shot(page, '5-online-again');

    await page.click('#logout-refund');
    const spent = await page.locator('#spent').textContent({ timeout: 10_000 });
    t.match(spent ?? '', /GAS/, `log out tells what was spent: ${spent}`);
    // No gateway here to close the channel: the page says what comes back and from when.
    t.match(
      await page.locator('#refund').textContent(),
      /The rest of your deposit \([0-9.]+ GAS\) comes back when the channel expires, after/,
      'and what comes back when',
    );
    await shot(page, '6-logged-out');
    await sleep(4_000); // more than one status poll: none may paint the status view over the report
    t.equal(await page.locator('#spent').count(), 1, 'the log-out report stays on the page');
    t.equal(
      (await sh(ID, 'c1', `curl -4 -s -o /dev/null -w '%{http_code}' http://connectivitycheck.gstatic.com/generate_204`)).stdout,
      '302',
      'held after log out',
    );
    // 12 MB, then up to the deposit's 30 MB before the hold, then a little after the top up.
    const spentUnits = Math.round(Number(/([0-9.]+) GAS/.exec(spent ?? '')?.[1] ?? 0) * 1e8);
    t.ok(spentUnits >= 30 * MB && spentUnits <= 600_000, `cost follows the bytes used: ${spentUnits} units`);
  } finally {
    await browser?.close();
    await upstream?.down();
    await tb.down(ID).catch(() => {});
    rmSync(chainDir, { recursive: true, force: true });
  }
});
