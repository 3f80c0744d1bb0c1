import type { ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import * as tb from '../scripts/lib/testbed/index.js';
import { voucherMessage } from '../protocol/src/index.js';
import { compressedPublicKey, privateKeyFromHex, signP256 } from '../protocol/src/node/index.js';
import { account } from '../chain/src/neon.js';
import { chainInUpstream, RPC, type UpstreamChain } from './helpers/chain-upstream.js';
import { mosquittoConf } from './helpers/mosquitto.js';
import { ensurePortalBuilt } from './helpers/portal.js';
import { sh, shellJoin, sleep } from './helpers/testbed.js';
import { guestBrowser, SHOTS } from './portal-browser.js';

const PLANS = [{ id: 'mb', name: 'Pay per MB', pricePerMb: '0.0001' }];

// Paying through the gateway, on a real chain, in chromium. The chain, the
// broker and the gateway (holding the owner's key) live on "the internet"
// (testbed A's upstream namespace). Router A's agent reads channels only
// through the gateway: its guest cannot reach the chain, so their wallet's
// signed transaction is pasted into the page and relayed agent → gateway →
// chain. Router B (a second testbed, the same owner; its uplink bridged to
// the broker through a Unix socket) is where the guest roams to: it refuses a
// voucher not above the newest the gateway knows, takes the next, and at log
// out the gateway closes the channel cooperatively: the guest's refund shows
// on chain at once, to the unit.
const [A, B] = ['relay', 'roam'];
const PORT = 8088;
const BROKER = 'mqtt://203.0.113.10:1883';
const DEPOSIT = 1_000_000n; // 0.01 GAS
const WINDOW = 100_000n; // 0.001 GAS: 10 MB at 0.0001 GAS a MB

interface State {
  online: boolean;
  channelId: string | null;
  paid: string;
  cost: string;
  credit: string;
  endReason: string | null;
}

const stopProc = async (p: ChildProcess | undefined) => {
  if (!p || p.exitCode !== null || p.signalCode) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await gone;
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

t.test('relay a signed open through the gateway, roam to a second router, log out with a cooperative close', async (t) => {
  ensurePortalBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'qlink-relay-'));
  const procs: ChildProcess[] = [];
  let upstream: UpstreamChain | undefined;
  const browsers: Array<{ close(): Promise<void> }> = [];
  t.teardown(async () => {
    for (const b of browsers) await b.close();
    for (const p of procs.reverse()) await stopProc(p);
    // On failure the gateway's and the agents' logs are kept for a look.
    if (!t.passing()) {
      mkdirSync(SHOTS, { recursive: true });
      const logs: Array<[() => string, string]> = [
        [() => join(dir, 'gateway.log'), 'relay-gateway.log'],
        ...[A, B].map((id): [() => string, string] => [() => join(tb.info(id).stateDir, 'agent.log'), `relay-agent-${id}.log`]),
      ];
      for (const [from, to] of logs) {
        try {
          copyFileSync(from(), join(SHOTS, to));
        } catch {
          /* never started */
        }
      }
    }
    await upstream?.down();
    for (const id of [A, B]) await tb.down(id).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  for (const id of [A, B]) await tb.down(id).catch(() => {});
  const bedA = await tb.up({ id: A, clients: 1 });
  const bedB = await tb.up({ id: B, clients: 1 });

  // The internet: the chain, the broker, a bridge for router B, the gateway.
  upstream = await chainInUpstream(A, dir);
  const { state: chain, wif } = upstream;
  const wallet = (args: string[], env: Record<string, string> = {}) =>
    upstream!.wallet('upstream', args, env).then((r) => {
      if (r.code !== 0) throw new Error(`guest-wallet ${args[0]}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    });
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, mosquittoConf(1883, bedA.upstream.ip4));
  procs.push(tb.spawn(A, 'upstream', ['/usr/sbin/mosquitto', '-c', conf], { stdio: 'ignore' }));
  const sock = join(dir, 'broker.sock');
  procs.push(tb.spawn(A, 'upstream', ['socat', `UNIX-LISTEN:${sock},fork,unlink-early`, `TCP:${bedA.upstream.ip4}:1883`], { stdio: 'ignore' }));
  procs.push(tb.spawn(B, 'upstream', ['socat', `TCP-LISTEN:1883,bind=${bedB.upstream.ip4},reuseaddr,fork`, `UNIX-CONNECT:${sock}`], { stdio: 'ignore' }));

  // The owner authorises the gateway's closer key once (with the first router); the gateway never holds the owner's key.
  for (const r of ['router1', 'router2']) {
    await wallet(['register', '--plans', JSON.stringify(PLANS), ...(r === 'router1' ? ['--closer', chain.wallets.closer!.address] : [])], {
      QLINK_OWNER_WIF: wif('owner'),
      QLINK_ROUTER_WIF: wif(r),
    });
  }
  const gwDb = join(dir, 'gateway.db');
  const gwLog = join(dir, 'gateway.log');
  writeFileSync(
    join(dir, 'gateway.json'),
    JSON.stringify({
      broker: { url: BROKER, clientId: 'gw-relay-test' },
      store: { sqlite: gwDb },
      chain: { rpc: RPC, networkMagic: chain.networkMagic, contract: chain.contract },
      api: { port: 0 },
      settlement: { wifEnv: 'QLINK_GATEWAY_WIF', closerKeys: [{ wifEnv: 'QLINK_CLOSER_WIF' }], checkMs: 1_000 },
    }),
  );
  const logFd = openSync(gwLog, 'a');
  procs.push(
    tb.spawn(A, 'upstream', ['node', 'dist/gateway/src/main.js', '--config', join(dir, 'gateway.json')], {
      stdio: ['ignore', logFd, logFd],
      env: { NODE_OPTIONS: '', QLINK_GATEWAY_WIF: wif('gateway'), QLINK_CLOSER_WIF: wif('closer') },
    }),
  );
  closeSync(logFd);
  await waitFor('gateway started', () => readFileSync(gwLog, 'utf8').includes('qlink-gateway started'), 20_000);
  t.notMatch(readFileSync(gwLog, 'utf8'), new RegExp(wif('closer')), "the closer's key never reaches the log");

  // Two routers of one owner, each reading channels only through the gateway (no portal.rpcUrl, no walled garden to the chain).
  const owner = '0x' + account(wif('owner')).scriptHash;
  const agentConfig = {
    chain: { networkMagic: chain.networkMagic, contract: chain.contract },
    uplink: { gatewayKey: account(wif('gateway')).publicKey, url: BROKER, reconnectMs: 500 },
    plans: PLANS,
    portal: { port: PORT, name: 'Café Lumen', owner, deposit: '0.01', creditWindow: '0.001', channelHours: 1, expiryMarginSeconds: 60 },
  };
  for (const [bed, key] of [
    [bedA, 'router1'],
    [bedB, 'router2'],
  ] as const) {
    const data = join(bed.stateDir, 'agent-data');
    mkdirSync(data, { recursive: true, mode: 0o700 });
    writeFileSync(join(data, 'router.key'), privateKeyFromHex(account(wif(key)).privateKey).export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await tb.agentStart(bed.id, agentConfig);
  }
  const state = async (id: string) => JSON.parse((await sh(id, 'c1', `curl -4 -sS -m 5 http://${bedA.router.lan4}:${PORT}/api/state`)).stdout) as State;
  const api = async (id: string, path: string, body: object) => {
    const r = await sh(
      id,
      'c1',
      `curl -4 -sS -m 20 -w '\\n%{http_code}' -H 'content-type: application/json' -d ${shellJoin([JSON.stringify(body)])} http://${bedA.router.lan4}:${PORT}${path}`,
    );
    const [json = '', status = ''] = r.stdout.split(/\n(?=\d+$)/);
    return { status: Number(status), body: JSON.parse(json) as Record<string, string> };
  };

  // Router A: pay by pasting a signed transaction the guest's wallet could not send itself.
  const browserA = await guestBrowser(bedA.clients[0]!.ns);
  browsers.push(browserA);
  const page = await browserA.context.newPage();
  const joined = Date.now();
  await page.goto('http://connectivitycheck.gstatic.com/generate_204');
  await page.click('#choose-mb');
  const request = (await page.locator('#pay-request').textContent({ timeout: 10_000 }))!;
  t.equal((await sh(A, 'c1', `curl -4 -s -m 3 -o /dev/null -w '%{http_code}' ${RPC} || true`)).stdout, '000', 'the guest cannot reach the chain itself');
  const signed = await wallet(['open', '--sign-only', '--request', request], { QLINK_WIF: wif('guest1') });
  t.match(signed, { tx: /^[A-Za-z0-9+/]+=*$/, txid: /^0x[0-9a-f]{64}$/ }, `the wallet signed ${signed.bytes} bytes and sent nothing`);
  // No wallet in this browser: the page says how to get into one, and for a wallet that signs offline shows the request and takes the result.
  await page.locator('#no-wallet').waitFor({ timeout: 20_000 });
  await page.click('#offline > summary');
  await page.click('#relay summary');
  await page.fill('#relay-tx', 'garbage');
  await page.click('#relay-send');
  t.match(await page.locator('.error').textContent({ timeout: 10_000 }), /base64 or hex/, 'a bad paste: a clear error');
  await page.click('main a[href="/"]');
  await page.click('#choose-mb');
  await page.locator('#no-wallet').waitFor({ timeout: 20_000 });
  // The page made a new voucher key for this request: the wallet signs the new request.
  const request2 = (await page.locator('#pay-request').textContent({ timeout: 10_000 }))!;
  const signed2 = await wallet(['open', '--sign-only', '--request', request2], { QLINK_WIF: wif('guest1') });
  await page.click('#offline > summary');
  await page.click('#relay summary');
  await page.fill('#relay-tx', String(signed2.tx));
  await page.screenshot({ path: `${SHOTS}/relay-1-pasted.png`, fullPage: true });
  const sent = Date.now();
  await page.click('#relay-send');
  await page.waitForURL(/\/status$/, { timeout: 60_000 });
  await page.locator('#state.on').waitFor({ timeout: 30_000 });
  t.comment(
    `paste sent to online (relay, chain confirmation, first voucher): ${Date.now() - sent} ms; join to online ${Date.now() - joined} ms with a bad paste on the way`,
  );
  await page.screenshot({ path: `${SHOTS}/relay-2-online.png`, fullPage: true });
  t.match(readFileSync(gwLog, 'utf8'), new RegExp(`guest tx relayed.*${signed2.txid}|${signed2.txid}.*guest tx relayed`), 'the gateway sent it to the chain');
  const s1 = await state(A);
  const channelId = s1.channelId!;
  t.match(s1, { online: true, paid: String(WINDOW) }, `online on channel ${channelId}, the first voucher a credit window`);

  // Use: the page signs ahead, and each newest voucher reaches the gateway at once.
  t.equal((await sh(A, 'c1', 'curl -4 -s -o /dev/null -w "%{size_download}" http://203.0.113.10/bytes/7000000', 60_000)).stdout, '7000000');
  const paidA = await waitFor(
    'a voucher above the first',
    async () => {
      const s = await state(A);
      return BigInt(s.paid) > WINDOW && BigInt(s.paid);
    },
    20_000,
  );
  const gatewayNewest = () => {
    const db = new Database(gwDb, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT amount FROM vouchers WHERE channel_id = ?').get(Number(channelId)) as { amount: number } | undefined)?.amount;
    } finally {
      db.close();
    }
  };
  await waitFor("the gateway holding router A's newest voucher", () => gatewayNewest() === Number(paidA), 10_000);
  t.equal(gatewayNewest(), Number(paidA), `the gateway holds router A's newest voucher (${paidA}) as soon as A took it`);

  // The guest walks to router B with the key in their browser; the page at A is gone.
  // Run in the page, so the store is spelled out (the tests compile without the DOM's types).
  type Ls = { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } };
  const [channels, current] = await page.evaluate(() => {
    const l = (globalThis as unknown as Ls).localStorage;
    return [l.getItem('qlink.channels'), l.getItem('qlink.current')];
  });
  const key = (JSON.parse(channels ?? '{}') as Record<string, { key: string }>)[current ?? '']?.key;
  await browserA.close();
  const sign = (amount: bigint) => ({
    channelId,
    amount: amount.toString(),
    signature: signP256(privateKeyFromHex(key!), voucherMessage(chain, BigInt(channelId), amount)).toString('hex'),
  });
  t.equal((await api(B, '/api/pay', { plan: 'mb', voucherKey: compressedPublicKey(privateKeyFromHex(key!)) })).status, 200);
  for (const amount of [paidA, paidA - 1_000n, WINDOW]) {
    const r = await api(B, '/api/voucher', sign(amount));
    t.match(
      r,
      { status: 409, body: { reason: 'not-above-newest', minimum: String(paidA + 1n) } },
      `router B refuses ${amount}: not above the ${paidA} router A took`,
    );
  }
  t.equal((await state(B)).online, false, 'and the guest stays held there');

  const browserB = await guestBrowser(bedB.clients[0]!.ns);
  browsers.push(browserB);
  const pageB = await browserB.context.newPage();
  // Not through a probe: the payment window opened by the request above answers probes as online (a 204 chromium does not show).
  await pageB.goto(`http://${bedB.router.lan4}:${PORT}/`);
  await pageB.evaluate(
    ([k, c]) => {
      const l = (globalThis as unknown as Ls).localStorage;
      l.setItem('qlink.channels', k!);
      l.setItem('qlink.current', c!);
    },
    [channels, current],
  );
  await pageB.reload();
  await pageB.click('#choose-mb');
  await pageB.waitForURL(/\/status$/, { timeout: 30_000 });
  await pageB.locator('#state.on').waitFor({ timeout: 30_000 });
  await pageB.screenshot({ path: `${SHOTS}/relay-3-roamed.png`, fullPage: true });
  const sB = await state(B);
  t.ok(
    BigInt(sB.paid) > paidA && BigInt(sB.cost) >= paidA && BigInt(sB.credit) <= WINDOW,
    `online at router B with its own channel: paid ${sB.paid}, of which ${paidA} counts as spent at A, credit ${sB.credit}`,
  );

  // Log out at B: the gateway closes the channel with the newest voucher; the rest is back in the guest's wallet now.
  const guest = chain.wallets.guest1!.address;
  const before = BigInt(String((await wallet(['balance', '--address', guest])).gas));
  const loggingOut = Date.now();
  await pageB.click('#logout-refund');
  const refundText = await pageB.locator('#refund').textContent({ timeout: 90_000 });
  t.comment(`log out to the refund on chain (cooperative close confirmed): ${Date.now() - loggingOut} ms`);
  await pageB.screenshot({ path: `${SHOTS}/relay-4-logged-out.png`, fullPage: true });
  const spent = await pageB.locator('#spent').textContent();
  const charged = await pageB.locator('#charged').textContent();
  t.match(refundText, /came back to your wallet/, `log out: ${spent} ${refundText} ${charged}`);
  const ch = await wallet(['channel', '--channel', channelId]);
  const after = BigInt(String((await wallet(['balance', '--address', guest])).gas));
  t.equal(ch.closed, true, 'the channel is closed on chain');
  const redeemed = BigInt(String(ch.redeemed));
  t.ok(redeemed >= BigInt(sB.paid), `the owner redeemed router B's newest voucher (${redeemed})`);
  t.equal(after - before, DEPOSIT - redeemed, `the guest's balance rose by exactly the unspent deposit: ${after - before} units`);
  const gas = (units: bigint) => (Number(units) / 1e8).toFixed(8).replace(/\.?0+$/, '');
  t.match(refundText, gas(DEPOSIT - redeemed), 'and the page said how much');
  t.match(charged, gas(redeemed));
  t.equal(
    (await sh(B, 'c1', `curl -4 -s -o /dev/null -w '%{http_code}' http://connectivitycheck.gstatic.com/generate_204`)).stdout,
    '302',
    'held after log out',
  );
});
