import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { decodeChannel, decodePlanTerms, type StackItem } from '../protocol/src/index.js';
import { startWalletBed, WALLET_RPC, type WalletBed } from '../scripts/lib/walletbed/index.js';
import * as tb from '../scripts/lib/testbed/index.js';
import { ensurePortalBuilt } from './helpers/portal.js';
import { sh, sleep, tcpProbe } from './helpers/testbed.js';
import { guestBrowser } from './portal-browser.js';
import { installWallet } from './wallets/inject.js';

// Issue 19 part 4, "the owner's first ten minutes", in chromium on the real
// chain with the NeoLine double (test/wallets/neoline.ts): a router fresh
// from install (a key of its own, not registered, no plan on chain) shows its
// registration link in `qlink status` and on a page on the owner's LAN
// address, which guests do not get; the owner follows it to the gateway's
// page, connects NeoLine, the router signs a claim for that account, one
// confirmation registers the router and publishes the plan; the router
// picks it up without a restart, and a guest then pays under that plan with
// the guest wallet path's own flow. Screenshots for the README in docs/img/.
const ID = 'ob';
const OWNER_LAN = '192.168.77.1';
const GATEWAY = 'http://203.0.113.10:8480';
const PLANS = [{ id: 'mb', name: 'Pay per MB', pricePerMb: '0.0001' }];
const IMG = 'docs/img';

ensurePortalBuilt();
mkdirSync(IMG, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'qlink-onboarding-'));
let bed: WalletBed | undefined;
const browsers: Array<{ close(): Promise<void> }> = [];
t.teardown(async () => {
  for (const b of browsers) await b.close();
  await bed?.stop();
  rmSync(dir, { recursive: true, force: true });
});
bed = await startWalletBed({
  ids: [ID],
  dir,
  plans: PLANS,
  clients: 1,
  fresh: [0],
  ownerLan: `${OWNER_LAN}/24`,
  api: { port: 8480, host: '0.0.0.0' },
  sponsor: { perGuestPerDay: 2, minDeposit: 10_000_000, ownerDailyBudget: 10_000_000_000 },
  agent: { setup: { gatewayUrl: GATEWAY, listen: OWNER_LAN, port: 8089, pollSeconds: 2 } },
});
const { chain } = bed;
const router = bed.beds[0]!;
const SOCKET = join(router.stateDir, 'qlink.sock');
const network = { chainId: 0, magicNumber: chain.networkMagic, name: 'qlink private', rpcUrl: WALLET_RPC };
const status = async () => {
  const r = await tb.exec(ID, 'router', ['node', 'dist/agent/src/cli/main.js', '--socket', SOCKET, 'status', '--json'], {
    env: { NODE_OPTIONS: '' },
    timeoutMs: 20_000,
  });
  if (r.code !== 0) throw new Error(`qlink status: ${r.stderr}`);
  return JSON.parse(r.stdout) as {
    pid: number;
    registration: { registered: boolean | null; owner: string | null; link: string | null; lanPage: string | null };
  };
};
const statusText = async () =>
  (await tb.exec(ID, 'router', ['node', 'dist/agent/src/cli/main.js', '--socket', SOCKET, 'status'], { env: { NODE_OPTIONS: '' }, timeoutMs: 20_000 })).stdout;
const shot = (page: Page, name: string) => page.screenshot({ path: `${IMG}/onboarding-${name}.png`, fullPage: true });
/** The chain as the wallets' node has it (the shim in the internet's namespace). */
const rpc = async <T>(method: string, params: unknown[]) => {
  const r = await tb.exec(
    ID,
    'upstream',
    ['curl', '-sS', '-m', '10', '-H', 'content-type: application/json', '-d', JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), chain.rpc],
    { timeoutMs: 15_000 },
  );
  const j = JSON.parse(r.stdout) as { result?: T; error?: unknown };
  if (j.error) throw new Error(JSON.stringify(j.error));
  return j.result as T;
};
const ownerHash = '0x' + (await import('../chain/src/neon.js')).account(chain.wallets.owner!.wif).scriptHash;

let registeredAt = 0;
let txid = '';
let agentPid = 0;

t.test('a fresh router: not registered, its link in qlink status and on the owner LAN page, never to a guest', async (t) => {
  const s = await status();
  agentPid = s.pid;
  t.equal(s.registration.registered, false, 'the chain does not know the router');
  const link = new URL(s.registration.link!);
  t.equal(`${link.origin}${link.pathname}`, `${GATEWAY}/register`, "the link goes to the gateway's registration page");
  t.match(link.searchParams.get('router'), /^0[23][0-9a-f]{64}$/, "it carries the router's key");
  t.same(
    JSON.parse(link.searchParams.get('plans')!),
    [
      {
        id: 1,
        name: 'Pay per MB',
        pricePerMB: '0.0001',
        pricePerMinute: '0',
        downKbps: 0,
        upKbps: 0,
        dataCapBytes: '0',
        timeCapSeconds: 0,
        validFrom: '0',
        validUntil: '4102444800000',
        zeroRated: [],
        zeroRatedWithoutCredit: false,
      },
    ],
    'and the UCI plan as chain terms',
  );
  t.equal(link.searchParams.get('lan'), `http://${OWNER_LAN}:8089/claim`, 'and where the claim is made');
  t.notOk(link.searchParams.get('sig'), 'no claim in it: a claim names an owner');
  const text = await statusText();
  t.match(text, /registration\s+not registered on chain: not selling/);
  t.match(text, new RegExp(`register at\\s+${GATEWAY}/register\\?router=`));
  // From the owner's side (the router's own namespace stands for the LAN: not the guest bridge).
  const page = await sh(ID, 'router', `curl -sS -m 5 http://${OWNER_LAN}:8089/`);
  t.match(page.stdout, /Set up this hotspot/);
  // A guest: the page does not listen on the guest network's address, and the owner LAN address answers a guest nothing.
  t.not((await tcpProbe(ID, 'c1', '10.250.0.1', 8089)).result, 'open', 'nothing on the guest address');
  const asGuest = await sh(ID, 'c1', `curl -sS -m 5 -o /dev/null -w '%{http_code}' http://${OWNER_LAN}:8089/claim?owner=${chain.wallets.guest1!.address}`);
  t.not(asGuest.stdout, '303', `a guest gets no claim (${asGuest.stdout || asGuest.stderr.trim()})`);
  t.notMatch(asGuest.stdout, /^2|^3/);
});

t.test("the owner's first ten minutes: LAN page → gateway page → NeoLine → the router's claim → one confirmation", async (t) => {
  const b = await guestBrowser(router.router.ns, 'en-US');
  browsers.push(b);
  const page = await b.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') t.comment(`page: ${m.text()}`);
  });
  const wallet = await installWallet(b.context, {
    kind: 'neoline',
    wif: chain.wallets.owner!.wif,
    network,
    rpc: { socket: await bed!.walletSocket(0, 'router') },
  });
  t.equal(wallet.scriptHash, ownerHash);
  await page.goto(`http://${OWNER_LAN}:8089/`);
  await shot(page, '1-router-lan-page');
  await page.click('#register-link');
  await page.waitForURL(/\/register\?/);
  await page.locator('#plans tbody tr').first().waitFor();
  t.equal(await page.locator('[name=name]').first().inputValue(), 'Pay per MB', "the router's plan is in the form");
  await shot(page, '2-gateway-register');
  await page.click('#connect');
  // NeoLine asks to connect the site, the page goes to the router's claim page and comes back with the claim.
  await page.waitForURL(/[?&]sig=[0-9a-f]{128}/, { timeout: 30_000 });
  const back = new URL(page.url());
  t.equal(back.searchParams.get('owner'), ownerHash, "the claim is for the owner's account");
  await page.locator('#register:not([disabled])').waitFor({ timeout: 30_000 });
  await shot(page, '3-connected-with-claim');
  await page.click('#register');
  await page.locator('#done:not([hidden])').waitFor({ timeout: 60_000 });
  registeredAt = Date.now();
  txid = (await page.locator('#txid').textContent()) ?? '';
  await shot(page, '4-registered');
  t.match(await page.locator('#published').textContent(), /Pay per MB \(plan 1, version 1, 0\.0001 GAS\/MB\)/);
  t.same(
    wallet.prompts.seen.map((p) => p.kind),
    ['authorization', 'invoke'],
    'one connection, one confirmation',
  );
  t.same(wallet.prompts.seen[1]!.detail.operations, ['registerRouter', 'publishPlan'], 'both calls in the one transaction');
  const r = await rpc<{ stack: Array<{ type: string; value?: unknown }> }>('invokefunction', [
    chain.contract,
    'getRouter',
    [{ type: 'ByteArray', value: Buffer.from(back.searchParams.get('router')!, 'hex').toString('base64') }],
  ]);
  t.equal(r.stack[0]!.type, 'Array', 'the router is on chain');
  const plan = await rpc<{ stack: Array<{ value: Array<{ value: string }> }> }>('invokefunction', [
    chain.contract,
    'getPlan',
    [
      { type: 'Hash160', value: ownerHash },
      { type: 'Integer', value: '1' },
    ],
  ]);
  t.equal(plan.stack[0]!.value[0]!.value, '1', 'plan 1 at version 1');
  t.match(decodePlanTerms(Buffer.from(plan.stack[0]!.value[3]!.value, 'base64')), { name: 'Pay per MB', pricePerMB: 10_000n });
  const tx = await rpc<{ sysfee: string; netfee: string; size: number }>('getrawtransaction', [txid, true]);
  t.comment(
    `FIGURE register + publish 1 plan from the owner page (NeoLine invokeMultiple, fee '0'): system ${Number(tx.sysfee) / 1e8} + network ${Number(tx.netfee) / 1e8} = ${(Number(tx.sysfee) + Number(tx.netfee)) / 1e8} GAS, ${tx.size} bytes`,
  );
  // The router's own LAN page again, now registered.
  await page.goto(`http://${OWNER_LAN}:8089/`);
});

t.test('the router picks the registration up without a restart, and a guest pays under the published plan', async (t) => {
  let s = await status();
  for (let i = 0; i < 90 && !s.registration.registered; i++) {
    await sleep(1_000);
    s = await status();
  }
  const pickedUp = Date.now() - registeredAt;
  t.equal(s.registration.registered, true, 'qlink status: registered');
  t.equal(s.registration.owner, ownerHash, "to the owner's account");
  t.equal(s.pid, agentPid, 'the same daemon: no restart');
  t.comment(`FIGURE owner page shows "Registered" to qlink status registered: ${pickedUp} ms`);
  t.match(await statusText(), /registration\s+registered to 0x[0-9a-f]{40}: selling/);

  const g = await guestBrowser(router.clients[0]!.ns, 'en-US');
  browsers.push(g);
  const page = await g.context.newPage();
  page.on('response', (r) => {
    if (r.status() >= 400 && r.url().includes('/api/'))
      void r
        .text()
        .then((b) => t.comment(`${r.url().replace(/^.*\/api/, '/api')}: ${r.status()} ${b.slice(0, 300)}`))
        .catch(() => {});
  });
  const w = await installWallet(g.context, { kind: 'neoline', wif: chain.wallets.guest1!.wif, network, rpc: { socket: await bed!.walletSocket(0) } });
  // The gateway's registry may still remember "not registered" for up to its negativeTtlMs (60 s): the page says so until then.
  let online = false;
  const t0 = Date.now();
  for (let attempt = 0; attempt < 4 && !online; attempt++) {
    await page.goto('http://connectivitycheck.gstatic.com/generate_204');
    await page.click('#choose-mb');
    const ready = await page
      .locator('#confirm')
      .waitFor({ timeout: 30_000 })
      .then(
        () => true,
        () => false,
      );
    if (!ready) {
      t.comment(`attempt ${attempt + 1}: not offered yet (${(await page.locator('body').innerText()).slice(0, 200).replace(/\s+/g, ' ')})`);
      await sleep(15_000);
      continue;
    }
    t.match(await page.locator('#plan-terms').textContent(), "Plan “Pay per MB”, version 1 of the owner's terms on chain: 0.0001 GAS / MB");
    await shot(page, '5-guest-statement');
    await page.click('#confirm');
    await page.waitForURL(/\/status$/, { timeout: 60_000 });
    await page.locator('#state.on').waitFor({ timeout: 30_000 });
    online = true;
  }
  t.ok(online, `the guest is online (${Date.now() - t0} ms after the router showed registered)`);
  await shot(page, '6-guest-online');
  t.same(
    w.prompts.seen.map((p) => p.kind),
    ['authorization', 'sign-transaction'],
    "the guest wallet path's one confirmation (sponsored opening)",
  );
  const st = JSON.parse((await sh(ID, 'c1', 'curl -4 -sS -m 5 http://10.250.0.1:8088/api/state')).stdout) as { online: boolean; channelId: string };
  t.equal(st.online, true);
  const ch = await rpc<{ stack: StackItem[] }>('invokefunction', [chain.contract, 'getChannel', [{ type: 'Integer', value: st.channelId }]]);
  t.match(
    decodeChannel(ch.stack[0]),
    { owner: ownerHash, planId: 1, planVersion: 1 },
    `channel ${st.channelId} pays the owner who registered from the page, under plan 1 version 1`,
  );
  t.equal((await sh(ID, 'c1', 'curl -4 -s -o /dev/null -w "%{size_download}" http://203.0.113.10/bytes/1000000', 60_000)).stdout, '1000000', 'and browses');
});

t.test("the owner changes the plan's price on the same page later: publish only, one confirmation, version 2", async (t) => {
  const b = await guestBrowser(router.router.ns, 'en-US');
  browsers.push(b);
  const page = await b.context.newPage();
  const wallet = await installWallet(b.context, {
    kind: 'neoline',
    wif: chain.wallets.owner!.wif,
    network,
    rpc: { socket: await bed!.walletSocket(0, 'router') },
  });
  const link = (await status()).registration.link;
  t.equal(link, null, 'a registered router shows no registration link in qlink status');
  await page.goto(`http://${OWNER_LAN}:8089/`);
  t.match(await page.locator('body').innerText(), /Registered on chain to 0x[0-9a-f]{40}: this hotspot is selling/);
  await page.click('#register-link');
  await page.waitForURL(/\/register\?/);
  t.equal(await page.locator('#register').textContent(), 'Publish plans', 'the page knows the router is registered');
  await page.locator('[name=mb]').first().fill('0.0002');
  await page.click('#connect');
  await page.locator('#register:not([disabled])').waitFor({ timeout: 30_000 });
  t.notMatch(page.url(), /sig=/, 'no claim needed: the router is registered');
  await page.click('#register');
  await page.locator('#done:not([hidden])').waitFor({ timeout: 60_000 });
  t.match(await page.locator('#published').textContent(), /Pay per MB \(plan 1, version 2, 0\.0002 GAS\/MB\)/);
  t.same(
    wallet.prompts.seen.map((p) => p.kind),
    ['authorization', 'invoke'],
  );
  t.same(wallet.prompts.seen[1]!.detail.operations, ['publishPlan'], 'publishPlan alone');
  const tx = await rpc<{ sysfee: string; netfee: string; size: number }>('getrawtransaction', [(await page.locator('#txid').textContent()) ?? '', true]);
  t.comment(
    `FIGURE change 1 plan from the owner page: system ${Number(tx.sysfee) / 1e8} + network ${Number(tx.netfee) / 1e8} = ${(Number(tx.sysfee) + Number(tx.netfee)) / 1e8} GAS, ${tx.size} bytes`,
  );
  await shot(page, '7-plan-changed');
});
