import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { account } from '../chain/src/index.js';
import * as tb from '../scripts/lib/testbed/index.js';
import { chainInUpstream, RPC, RPC_IP } from './helpers/chain-upstream.js';
import { useTestbed, type Testbed } from './helpers/testbed.js';
import { ensurePortalBuilt, selfSigned } from './helpers/portal.js';
import { voucherMessage } from '../protocol/src/index.js';
import { compressedPublicKey, newKeyPair, privateKeyFromHex, privateKeyHex, verifyP256 } from '../protocol/src/node/index.js';
import { guestBrowser, SHOTS } from './portal-browser.js';

const ID = 'pbr';
const PORT = 8088;
const HOST = 'portal.qlink.test';
const PLANS = [
  { id: 'hour', name: 'Hour', pricePerMinute: '0.0001', minutes: 60 },
  { id: 'data', name: '1 GB', pricePerMb: '0.00001', quotaBytes: 1_000_000_000 },
];

t.test('in chromium from a guest: the probe lands on the portal, en and zh, page weight, no secure context', async (t) => {
  ensurePortalBuilt();
  const bed = await useTestbed(t, ID, { clients: 1 });
  // The page lists the owner's plans as the chain has them: a real chain upstream, the router registered with the two plans.
  const upstream = await chainInUpstream(ID, mkdtempSync(join(tmpdir(), 'qlink-pbr-chain-')));
  t.teardown(() => upstream.down());
  const chain = { networkMagic: upstream.state.networkMagic, contract: upstream.state.contract };
  const reg = await upstream.wallet('upstream', ['register', '--plans', JSON.stringify(PLANS)], {
    QLINK_OWNER_WIF: upstream.wif('owner'),
    QLINK_ROUTER_WIF: upstream.wif('router1'),
  });
  t.equal(reg.code, 0, reg.stderr);
  const dataDir = join(bed.stateDir, 'agent-data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, 'router.key'), privateKeyFromHex(account(upstream.wif('router1')).privateKey).export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  // The vouchers are checked by their signatures in this test (the router's answers stubbed), not accepted.
  await tb.agentStart(ID, {
    chain,
    walledGarden: [RPC_IP],
    plans: PLANS,
    portal: {
      port: PORT,
      name: { en: 'Café Lumen', zh: '流明咖啡' },
      terms: { en: 'Be kind to the Wi-Fi.', zh: '请善待网络。' },
      hostname: HOST,
      ...selfSigned(HOST),
      rpcUrl: RPC,
    },
  });
  // Chromium prefers IPv6 when the guest has it: the probe is held and sent to the portal either way.
  const portalUrls = [`http://${bed.router.lan4}:${PORT}/`, `http://[${bed.router.lan6}]:${PORT}/`];
  for (const [locale, lang, heading] of [
    ['en-US', 'en', 'Choose a plan'],
    ['zh-CN', 'zh-CN', '选择套餐'],
  ] as const) {
    const b = await guestBrowser(bed.clients[0]!.ns, locale);
    try {
      const page = await b.context.newPage();
      const bytes: number[] = [];
      page.on('response', (r) => {
        if (r.request().resourceType() === 'document')
          void r
            .body()
            .then((x) => bytes.push(x.length))
            .catch(() => {});
      });
      const res = await page.goto('http://connectivitycheck.gstatic.com/generate_204', { waitUntil: 'load' });
      t.ok(portalUrls.includes(page.url()), `${locale}: the Android probe URL lands on the portal (${page.url()})`);
      t.equal(res?.status(), 200);
      await page.getByRole('heading', { name: heading }).waitFor({ timeout: 10_000 });
      t.equal(await page.getAttribute('html', 'lang'), lang, `${locale}: page language`);
      t.equal(await page.locator('.plan').count(), 2, `${locale}: both plans render`);
      t.equal(await page.evaluate('window.isSecureContext'), false, 'plain HTTP on a LAN address is no secure context');
      t.equal(await page.evaluate('typeof crypto.subtle'), 'undefined', 'so no WebCrypto: the page signs in pure JS');
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.reload({ waitUntil: 'load' });
      t.same(errors, [], 'no CSP violations or script errors');
      await page.screenshot({ path: `${SHOTS}/plans-${lang}.png`, fullPage: true });
      const weight = bytes.at(-1) ?? 0;
      t.ok(weight > 0 && weight < 100 * 1024, `${locale}: page weight ${weight} bytes`);
      t.comment(`page weight (${locale}): ${weight} bytes`);
      const other = locale === 'en-US' ? '中文' : 'English';
      await page.getByRole('link', { name: other }).click();
      await page.waitForLoadState('load');
      t.equal(await page.getAttribute('html', 'lang'), lang === 'en' ? 'zh-CN' : 'en', `${locale}: the language switch`);
    } finally {
      await b.close();
    }
  }
  await t.test('vouchers signed in the page: pure JS on plain HTTP, WebCrypto over HTTPS, both verify', (t) => signatures(t, bed, chain));
});

async function signatures(t: Test, bed: Testbed, chain: { networkMagic: number; contract: string }): Promise<void> {
  const cases = [
    { url: `http://${bed.router.lan4}:${PORT}/`, secure: false, signer: 'noble', extra: {} },
    {
      url: `https://${HOST}:${PORT}/`,
      secure: true,
      signer: 'webcrypto',
      extra: { ignoreHTTPSErrors: true, args: [`--host-resolver-rules=MAP ${HOST} ${bed.router.lan4}`] },
    },
  ];
  for (const c of cases) {
    const b = await guestBrowser(bed.clients[0]!.ns, 'en-US', c.extra);
    try {
      const page = await b.context.newPage();
      await page.goto(c.url, { waitUntil: 'load' });
      t.equal(await page.evaluate('window.isSecureContext'), c.secure, `${c.url}: secure context ${c.secure}`);
      // A channel this browser holds (as the wallet flow leaves it in localStorage); the router's answers stubbed: only the page's signing is the question here.
      const key = newKeyPair();
      const held = {
        channelId: '7',
        key: privateKeyHex(key.privateKey),
        network: chain.networkMagic,
        contract: chain.contract,
        deposit: '100000000',
        plan: null,
        account: null,
        expiry: Date.now() + 86_400_000,
      };
      await page.evaluate(`localStorage.setItem('qlink.channels', ${JSON.stringify(JSON.stringify({ 7: held }))}); localStorage.setItem('qlink.current', '7')`);
      await page.route('**/api/state', (r) => r.fulfill({ json: { time: Date.now(), online: false, channelId: null } }));
      await page.route('**/api/resume', (r) => r.fulfill({ json: {} }));
      await page.route('**/api/voucher', (r) => r.fulfill({ json: { online: true } }));
      await page.route('**/status', (r) => r.fulfill({ body: 'ok' }));
      const sent = page.waitForRequest((r) => r.url().endsWith('/api/voucher') && r.method() === 'POST');
      await page.click('#choose-hour');
      const body = JSON.parse((await sent).postData() ?? '{}') as { channelId: string; amount: string; signature: string };
      t.equal(await page.getAttribute('html', 'data-signer'), c.signer, `${c.url}: signed by ${c.signer}`);
      const message = voucherMessage({ networkMagic: chain.networkMagic, contract: chain.contract }, BigInt(body.channelId), BigInt(body.amount));
      t.ok(
        verifyP256(message, Buffer.from(body.signature, 'hex'), compressedPublicKey(key.privateKey)),
        `${c.signer}: the voucher verifies with the channel's voucher key`,
      );
      await page.screenshot({ path: `${SHOTS}/voucher-${c.signer}.png`, fullPage: true });
    } finally {
      await b.close();
    }
  }
}
