import t from 'tap';
import type { Test } from 'tap';
import { useTestbed, type Testbed } from './helpers/testbed.js';
import { ensurePortalBuilt, selfSigned } from './helpers/portal.js';
import { publicKeyFromHex, verifyMessage } from '../gateway/src/chain/keys.js';
import { voucherMessage } from '../agent/src/vouchers/message.js';
import { guestBrowser, SHOTS } from './portal-browser.js';

const ID = 'pbr';
const PORT = 8088;
const HOST = 'portal.qlink.test';
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };

t.test('in chromium from a guest: the probe lands on the portal, en and zh, page weight, no secure context', async (t) => {
  ensurePortalBuilt();
  const bed = await useTestbed(t, ID, {
    clients: 1, agent: true,
    agentConfig: {
      chain,
      // No chain answers here: the vouchers are checked by their signatures in this test, not accepted.
      portal: { port: PORT, name: { en: 'Café Lumen', zh: '流明咖啡' }, terms: { en: 'Be kind to the Wi-Fi.', zh: '请善待网络。' }, hostname: HOST, ...selfSigned(HOST), rpcUrl: 'http://203.0.113.99:1' },
      plans: [{ id: 'hour', name: 'Hour', pricePerMinute: '0.0001', minutes: 60 }, { id: 'data', name: '1 GB', pricePerMb: '0.00001', quotaBytes: 1_000_000_000 }],
    },
  });
  // Chromium prefers IPv6 when the guest has it: the probe is held and sent to the portal either way.
  const portalUrls = [`http://${bed.router.lan4}:${PORT}/`, `http://[${bed.router.lan6}]:${PORT}/`];
  for (const [locale, lang, heading] of [['en-US', 'en', 'Choose a plan'], ['zh-CN', 'zh-CN', '选择套餐']] as const) {
    const b = await guestBrowser(bed.clients[0]!.ns, locale);
    try {
      const page = await b.context.newPage();
      const bytes: number[] = [];
      page.on('response', (r) => { if (r.request().resourceType() === 'document') void r.body().then((x) => bytes.push(x.length)).catch(() => {}); });
      const res = await page.goto('http://connectivitycheck.gstatic.com/generate_204', { waitUntil: 'load' });
      t.ok(portalUrls.includes(page.url()), `${locale}: the Android probe URL lands on the portal (${page.url()})`);
      t.equal(res?.status(), 200);
      await page.getByRole('heading', { name: heading }).waitFor({ timeout: 10_000 });
      t.equal(await page.getAttribute('html', 'lang'), lang, `${locale}: page language`);
      t.equal(await page.locator('.plan').count(), 2, `${locale}: both plans render`);
      t.equal(await page.evaluate('window.isSecureContext'), false, 'plain HTTP on a LAN address is no secure context');
      t.equal(await page.evaluate('typeof crypto.subtle'), 'undefined', 'so no WebCrypto: the page signs in pure JS');
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
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
  await t.test('vouchers signed in the page: pure JS on plain HTTP, WebCrypto over HTTPS, both verify', (t) => signatures(t, bed));
});

async function signatures(t: Test, bed: Testbed): Promise<void> {
  const cases = [
    { url: `http://${bed.router.lan4}:${PORT}/`, secure: false, signer: 'noble', extra: {} },
    { url: `https://${HOST}:${PORT}/`, secure: true, signer: 'webcrypto', extra: { ignoreHTTPSErrors: true, args: [`--host-resolver-rules=MAP ${HOST} ${bed.router.lan4}`] } },
  ];
  for (const c of cases) {
    const b = await guestBrowser(bed.clients[0]!.ns, 'en-US', c.extra);
    try {
      const page = await b.context.newPage();
      await page.goto(c.url, { waitUntil: 'load' });
      t.equal(await page.evaluate('window.isSecureContext'), c.secure, `${c.url}: secure context ${c.secure}`);
      await page.click('#choose-hour');
      const request = JSON.parse((await page.locator('#pay-request').textContent({ timeout: 10_000 })) ?? '{}') as { data: [string, string, string, number] };
      await page.fill('#channel-id', '7');
      const sent = page.waitForRequest((r) => r.url().endsWith('/api/voucher') && r.method() === 'POST');
      await page.click('#paid');
      const body = JSON.parse((await sent).postData() ?? '{}') as { channelId: string; amount: string; signature: string };
      t.equal(await page.getAttribute('html', 'data-signer'), c.signer, `${c.url}: signed by ${c.signer}`);
      const message = voucherMessage({ magic: chain.networkMagic, contract: chain.contract }, BigInt(body.channelId), BigInt(body.amount));
      t.ok(verifyMessage(publicKeyFromHex(request.data[2]), message, Buffer.from(body.signature, 'hex')), `${c.signer}: the voucher verifies with the page's voucher key`);
      await page.screenshot({ path: `${SHOTS}/voucher-${c.signer}.png`, fullPage: true });
    } finally {
      await b.close();
    }
  }
}
