/**
 * scripts/verify-wallet --neoline DIR: the real NeoLine extension pays at the
 * portal as a guest would, sponsored and not, and says what it saw. DIR is a
 * NeoLine build made outside the repository (docs/portal.md "Building
 * NeoLine"); its source never enters it. Not a CI test: the tests in
 * ./scripts/test use the wallet doubles in test/wallets/.
 *
 * It brings up the wallet bed (scripts/lib/walletbed: a router, its guest,
 * a neo-go chain, the gateway sponsoring fees, the wallets' RPC shim on the
 * internet side), starts Debian's chromium headless in the guest's network
 * namespace with the extension loaded, imports a funded test key into
 * NeoLine, adds the private network (NeoLine reads its magic with
 * getversion, through the router), then: (1) joins, picks a plan, connects
 * the site and confirms NeoLine's signTransaction as the second signer of
 * the gateway's transaction; (2) with sponsoring off, opens another channel
 * through NeoLine's invoke and checks the fee the page stated is the fee
 * paid. Screenshots of the page and of each NeoLine window go to
 * test-output/verify-wallet/; the summary is one JSON object on stdout.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startWalletBed, WALLET_RPC, type WalletBed } from '../walletbed/index.js';

const OUT = 'test-output/verify-wallet';
const PASSWORD = 'qlink-verify-only';
const PLANS = [{ id: 'mb', name: 'Pay per MB', pricePerMb: '0.0001' }];
const SPONSOR = { perGuestPerDay: 5, minDeposit: 10_000_000, ownerDailyBudget: 10_000_000_000 };

interface Popup {
  route: string;
  action: string;
  text: string;
  shot: string;
}

const log = (m: string) => process.stderr.write(`verify-wallet: ${m}\n`);
let shots = 0;
const shot = async (p: Page, name: string) => {
  const f = `${OUT}/${String(++shots).padStart(2, '0')}-${name}.png`;
  await p.screenshot({ path: f, fullPage: true }).catch(() => undefined);
  return f;
};

async function launch(ns: string, ext: string, profile: string): Promise<{ ctx: BrowserContext; id: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-verify-'));
  const wrapper = join(dir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: wrapper,
    headless: true,
    viewport: { width: 390, height: 844 },
    args: [
      '--no-sandbox',
      `--disable-extensions-except=${ext}`,
      `--load-extension=${ext}`,
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-gpu',
    ],
  });
  const sw = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker', { timeout: 20_000 }));
  return {
    ctx,
    id: new URL(sw.url()).host,
    close: async () => {
      await ctx.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** NeoLine's windows as they open: connect and confirm each (README of the exploration: "Connect", "Yes"), screenshots first. */
function answerPopups(ctx: BrowserContext, seen: Popup[]): void {
  ctx.on(
    'page',
    (p) =>
      void (async () => {
        await p.waitForLoadState().catch(() => undefined);
        const url = p.url();
        if (!url.startsWith('chrome-extension://') || !/notification/.test(url)) return;
        const route = /notification\/([\w-]+)/.exec(url)?.[1] ?? url;
        await p.waitForTimeout(2_500);
        const text = (
          await p
            .locator('body')
            .innerText()
            .catch(() => '')
        )
          .replace(/\s+/g, ' ')
          .slice(0, 600);
        const f = await shot(p, `neoline-${route}`);
        const button = route === 'authorization' ? 'Connect' : 'Yes';
        await p
          .getByText(button, { exact: true })
          .click({ timeout: 20_000 })
          .catch((e: Error) => log(`no ${button} in ${route}: ${e.message.split('\n')[0]}`));
        seen.push({ route, action: button, text, shot: f });
        // invoke's window stays open on its success dialog, and NeoLine answers nothing else while one is open: close it.
        if (route === 'neo3-invoke') {
          await p.waitForTimeout(3_000);
          await shot(p, 'neoline-invoke-sent');
          await p.close().catch(() => undefined);
        }
      })(),
  );
}

async function setUp(p: Page, id: string, wif: string, magic: number): Promise<string> {
  const popup = (h: string) => `chrome-extension://${id}/index.html#${h}`;
  await p.goto(popup('popup'));
  await p.getByText('Import an existing wallet').click();
  await p.getByText('Neo N3', { exact: true }).click();
  const form = p.locator('form:not([hidden])').filter({ has: p.locator('input[formcontrolname=WIF]') });
  await form.locator('input[formcontrolname=name]').fill('guest');
  await form.locator('input[formcontrolname=WIF]').fill(wif);
  await form.locator('input[formcontrolname=password]').fill(PASSWORD);
  await form.locator('input[formcontrolname=confirmPassword]').fill(PASSWORD);
  await shot(p, 'neoline-import');
  await p.getByRole('button', { name: 'Import' }).click();
  await p.waitForURL(/popup\/home/, { timeout: 60_000 });
  await p.goto(popup('popup/network-list'));
  await p.getByText('Add network').click();
  await p.getByText('Neo N3', { exact: true }).last().click();
  const dlg = p.locator('.cdk-overlay-container');
  await dlg.locator('input[formcontrolname=name]').fill('qlink private');
  await dlg.locator('input[formcontrolname=rpcUrl]').fill(WALLET_RPC);
  // NeoLine reads the network's magic with getversion: from the extension, through the guest's router.
  const magicInput = dlg.locator('input[formcontrolname=magicNumber]');
  let shown = '';
  for (let i = 0; i < 60 && !shown; i++) {
    shown = await magicInput.inputValue();
    if (!shown) await p.waitForTimeout(500);
  }
  await shot(p, 'neoline-add-network');
  if (Number(shown) !== magic) throw new Error(`NeoLine read magic ${shown}, the chain's is ${magic}`);
  await dlg.getByText('Save').click();
  await p.waitForURL(/popup\/home/, { timeout: 30_000 });
  await p.waitForTimeout(2_000);
  await shot(p, 'neoline-home-private');
  return shown;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { neoline: { type: 'string' }, keep: { type: 'boolean' }, guest: { type: 'string' } } });
  const ext = values.neoline ? resolve(values.neoline) : '';
  if (!ext || !existsSync(join(ext, 'manifest.json')))
    throw new Error('usage: scripts/verify-wallet --neoline DIR  (DIR: a NeoLine build, with its manifest.json; docs/portal.md "Building NeoLine")');
  const manifest = JSON.parse(readFileSync(join(ext, 'manifest.json'), 'utf8')) as { version?: string; name?: string };
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'qlink-verify-bed-'));
  const started = new Date();
  let bed: WalletBed | undefined;
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  const summary: Record<string, unknown> = {
    date: started.toISOString(),
    neoline: `${manifest.name ?? 'NeoLine'} ${manifest.version ?? '?'} (${ext})`,
    chromium: '/usr/bin/chromium',
  };
  try {
    log('bringing up the router, the chain, the gateway (about two minutes)');
    bed = await startWalletBed({ ids: ['vw'], dir, plans: PLANS, sponsor: SPONSOR, portal: { walletTimeoutSeconds: 120 } });
    const who = values.guest ?? 'guest1';
    const guest = bed.chain.wallets[who]!;
    const ns = bed.beds[0]!.clients[0]!.ns;
    browser = await launch(ns, ext, join(dir, 'profile'));
    summary.chromiumVersion = browser.ctx.browser()?.version() ?? null;
    const popups: Popup[] = [];
    const setup = await browser.ctx.newPage();
    summary.magicNeoLineRead = await setUp(setup, browser.id, guest.wif, bed.chain.networkMagic);
    await setup.close();
    answerPopups(browser.ctx, popups);

    const pay = async (tag: string, expectSponsored: boolean) => {
      const page = await browser!.ctx.newPage();
      const g0 = await bed!.balance(guest.address);
      const s0 = await bed!.balance(bed!.chain.wallets.sponsor!.address);
      const t0 = Date.now();
      await page.goto('http://connectivitycheck.gstatic.com/generate_204');
      // The second run opens a new channel: this browser forgets the first one's key (the account still holds the channel, so the page offers both).
      if (!expectSponsored) await page.evaluate('localStorage.clear()');
      await shot(page, `${tag}-portal`);
      const offer = page.waitForResponse((r) => r.url().endsWith('/api/pay'), { timeout: 120_000 }).then((r) => r.json() as Promise<Record<string, unknown>>);
      offer.catch(() => undefined);
      await page.click('#choose-mb');
      if (!expectSponsored) {
        await page.locator('#new-channel, #confirm').first().waitFor({ timeout: 120_000 });
        if (await page.locator('#new-channel').count()) await page.click('#new-channel');
      }
      const injected = await page.evaluate('({ n3: typeof window.NEOLineN3, nep21: !!window.NEOLine, secure: isSecureContext })');
      await page.locator('#confirm').waitFor({ timeout: 120_000 });
      const statement = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      const feeShown = await page.locator('#fee').getAttribute('data-fee');
      const payer = await page.locator('#fee').getAttribute('data-payer');
      await shot(page, `${tag}-statement`);
      const o = await offer;
      const before = popups.length;
      const tc = Date.now();
      await page.click('#confirm');
      await page.waitForURL(/\/status$/, { timeout: 180_000 });
      await page.locator('#state.on').waitFor({ timeout: 60_000 });
      const online = Date.now();
      await shot(page, `${tag}-online`);
      const guestPaid = g0 - (await bed!.balance(guest.address));
      const sponsorPaid = s0 - (await bed!.balance(bed!.chain.wallets.sponsor!.address));
      await page.click('#logout');
      await page.locator('#kept').waitFor({ timeout: 30_000 });
      await shot(page, `${tag}-logged-out`);
      await page.close();
      const sponsored = o.sponsored as { fee: string } | null;
      return {
        injected,
        payer,
        statement: statement.slice(0, 700),
        joinToOnlineMs: online - t0,
        confirmToOnlineMs: online - tc,
        neolineWindows: popups.slice(before).map((p) => ({ route: p.route, clicked: p.action, text: p.text.slice(0, 300), shot: p.shot })),
        guestPaid: guestPaid.toString(),
        sponsorPaid: sponsorPaid.toString(),
        deposit: String(o.amount),
        feeShown: feeShown ?? (sponsored ? '0' : null),
        sponsorFee: sponsored?.fee ?? null,
        guestPaidExactlyTheDeposit: guestPaid === BigInt(String(o.amount)),
        feePaidIsFeeShown: feeShown === null ? null : guestPaid - BigInt(String(o.amount)) === BigInt(feeShown),
      };
    };
    log('1. sponsored: connect the site, one signTransaction as the second signer');
    summary.sponsored = await pay('sponsored', true);
    log('2. sponsoring off: NeoLine invoke, the guest pays the fee the page stated');
    await bed.restartGateway(null);
    await new Promise((r) => setTimeout(r, 2_000));
    summary.invoke = await pay('invoke', false);
    summary.shim = readFileSync(join(dir, 'shim.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { method?: string }).method)
      .filter(Boolean)
      .reduce((m: Record<string, number>, k) => {
        m[k!] = (m[k!] ?? 0) + 1;
        return m;
      }, {});
    summary.screenshots = OUT;
    const s = summary.sponsored as { guestPaidExactlyTheDeposit: boolean };
    const i = summary.invoke as { feePaidIsFeeShown: boolean | null };
    summary.ok = s.guestPaidExactlyTheDeposit && i.feePaidIsFeeShown === true;
  } catch (e) {
    summary.ok = false;
    summary.error = (e as Error).message.split('\n').slice(0, 6).join(' ');
    for (const p of browser?.ctx.pages() ?? []) await shot(p, 'at-error');
  } finally {
    summary.seconds = Math.round((Date.now() - started.getTime()) / 1000);
    if (!values.keep) {
      await browser?.close();
      await bed?.stop();
      rmSync(dir, { recursive: true, force: true });
    } else log(`kept: ${dir}`);
  }
  console.log(JSON.stringify(summary, null, 2));
  process.exit(summary.ok ? 0 : 1);
}

main().catch((e: Error) => {
  console.error(`verify-wallet: ${e.message}`);
  process.exit(2);
});
