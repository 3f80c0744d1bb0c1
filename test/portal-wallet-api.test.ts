import t from 'tap';
import { request as httpRequest } from 'node:http';
import { encodePlanTerms, sessionActionMessage, type OfferAnswer } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { planTerms } from '../agent/src/plans.js';
import { PaymentDesk } from '../agent/src/portal/desk.js';
import { startPortal } from '../agent/src/portal/server.js';
import { WalletDesk } from '../agent/src/portal/wallet.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { RpcFailure } from '../agent/src/uplink/rpc-client.js';
import { VoucherChecker } from '../agent/src/vouchers/check.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { PlanBook } from '../agent/src/plans/book.js';
import { sessionPricing } from '../agent/src/plans/pricing.js';
import { PlanStore } from '../agent/src/plans/store.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { MemoryChannelSource } from './fakes/memory-channels.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { ensurePortalBuilt } from './helpers/portal.js';

// The router's side of the wallet path with a gateway standing in: what the
// page's /api/* calls pass on, and how each answer of the gateway becomes
// one for the page (a plain message, a reason it can act on).
const MAC = '02:00:00:00:00:01';
const ROUTER = '03' + 'aa'.repeat(32);
const OWNER = '0x' + '11'.repeat(20);
const GUEST = '0x' + '22'.repeat(20);
const chain = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const port = 20_000 + Math.floor(Math.random() * 20_000);

const post = (path: string, body: unknown) =>
  new Promise<{ status: number; json: Record<string, unknown> }>((ok, fail) => {
    const r = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json' } },
      (res) => {
        let b = '';
        res.on('data', (c) => {
          b += c;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, json: JSON.parse(b) as Record<string, unknown> }));
      },
    );
    r.on('error', fail);
    r.end(JSON.stringify(body));
  });
const get = (path: string) =>
  new Promise<Record<string, unknown>>((ok, fail) => {
    httpRequest({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      let b = '';
      res.on('data', (c) => {
        b += c;
      });
      res.on('end', () => ok(JSON.parse(b) as Record<string, unknown>));
    })
      .on('error', fail)
      .end();
  });

t.before(() => ensurePortalBuilt());

t.test('the wallet endpoints: offer, sponsored, opened, channels, resume, cancel', async (t) => {
  const config = parseConfig({
    chain,
    plans: [{ id: 'mb', name: 'MB', pricePerMb: '0.0001' }],
    portal: {
      port,
      deposit: '0.5',
      creditWindow: '0.001',
      // One guest calls every wallet endpoint here, more often than a page does: the limits are test/limits-portal.test.ts's.
      limits: { relays: { perSecond: 10, burst: 50 } },
    },
  });
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const log = createLogger('silent');
  const gatekeeper = new Gatekeeper(
    new MemoryGate(),
    sessions,
    { guestInterface: 'br-lan', portalPort: port, walled4: [], walled6: [], blocked4: [], blocked6: [] },
    log,
  );
  await gatekeeper.start();
  const source = new MemoryChannelSource(undefined, undefined, OWNER);
  source.plans.set(1, { version: 2, validFrom: 0n, validUntil: 4_102_444_800_000n, terms: encodePlanTerms(planTerms(config.plans[0]!)) });
  const key = newKeyPair();
  source.set({
    id: 7n,
    owner: OWNER,
    planId: 1,
    planVersion: 2,
    voucherKey: key.publicKey,
    deposit: 50_000_000n,
    redeemed: 0n,
    expiry: BigInt(Date.now() + 86_400_000),
    closed: false,
    confirmed: true,
  });
  const vouchers = new VoucherStore(db);
  const planStore = new PlanStore(db);
  const ledger = new ChannelLedger(
    db,
    sessionPricing(planStore, () => config.plans),
  );
  const plans = new PlanBook(planStore, source);
  const checker = new VoucherChecker({ deployment: chain, routerKey: ROUTER, expiryMarginMs: 60_000 }, source, vouchers);
  const desk = new PaymentDesk({ config, gatekeeper, sessions, log, clock: Date.now, checker, vouchers, ledger, channels: source, routerKey: ROUTER, plans });
  const asked: Array<[string, unknown]> = [];
  let offerAnswer: () => Promise<OfferAnswer> = async () => ({
    balance: 900_000_000n,
    refusal: null,
    invoke: {
      scriptHash: '0x' + 'cf'.repeat(20),
      operation: 'transfer',
      args: [],
      abortOnFail: true,
      signers: [{ account: GUEST, scopes: 'CalledByEntry' }],
      validUntilBlock: 99,
      systemFee: 27_000_000n,
      networkFee: 1_300_000n,
      fee: 28_300_000n,
    },
    sponsored: {
      txid: '0x' + 'ab'.repeat(32),
      transaction: {
        version: 0,
        nonce: 1,
        systemFee: '1',
        networkFee: '2',
        validUntilBlock: 99,
        attributes: [],
        signers: [{ account: 'aa', scopes: 0 }],
        witnesses: [],
        script: '00',
      },
      context: { type: 'Neo.Network.P2P.Payloads.Transaction', hash: '0x00', data: '', items: {}, network: 1 },
      magicNumber: chain.networkMagic,
      sponsor: 'NSponsor',
      fee: 29_500_000n,
      validUntilBlock: 99,
    },
  });
  const gateway = {
    offer: async (p: unknown) => {
      asked.push(['offer', p]);
      return offerAnswer();
    },
    sponsored: async (txid: string, signed: unknown) => {
      asked.push(['sponsored', { txid, signed }]);
      return { state: 'confirmed' as const, txid, vmstate: 'HALT' as const, exception: null, channelId: 7n };
    },
    watch: async (txid: string) => ({ state: 'confirmed' as const, txid, vmstate: 'HALT' as const, exception: null, channelId: 8n }),
    channels: async () => ({
      indexedTo: 40,
      channels: [
        { id: 7n, voucherKey: key.publicKey, deposit: 50_000_000n, redeemed: 100n, newest: 300n, expiry: 1_900_000_000_000n, planId: 1, planVersion: 2 },
      ],
    }),
    rekey: async () => ({ state: 'confirmed' as const, txid: '0x' + 'cd'.repeat(32), vmstate: 'HALT' as const, exception: null, channelId: 7n }),
  };
  const wallet = new WalletDesk({ gateway, contract: chain.contract, log });
  const portal = await startPortal({ config, desk, routerKey: ROUTER, clock: Date.now, log, wallet, macOf: async () => MAC });
  t.teardown(() => portal.close());

  const voucherKey = newKeyPair().publicKey;
  const pay = await post('/api/pay', { plan: 'mb', voucherKey, account: GUEST });
  t.equal(pay.status, 200);
  t.match(pay.json, {
    amount: '50000000',
    router: ROUTER,
    plan: { version: 2, chainId: 1 },
    balance: '900000000',
    sponsorRefusal: null,
    sponsored: { fee: '29500000', magicNumber: chain.networkMagic },
    invoke: { fee: '28300000', systemFee: '27000000' },
  });
  t.match(
    asked[0],
    ['offer', { guest: GUEST, amount: 50_000_000n, voucherKey, planId: 1, planVersion: 2 }],
    'the gateway is asked for this guest, deposit and plan version',
  );
  t.equal((await get('/api/state')).paying, true, 'the payment window is open');
  t.equal((await post('/api/cancel', {})).status, 200);
  t.equal((await get('/api/state')).paying, false, 'a cancelled attempt leaves nothing on the router');

  offerAnswer = async () => {
    throw new RpcFailure('insufficient-funds', 'the wallet holds 0 GAS; the deposit is 0.5 GAS');
  };
  const poor = await post('/api/pay', { plan: 'mb', voucherKey, account: GUEST });
  t.match(poor, { status: 409, json: { reason: 'insufficient-funds', error: 'Not enough GAS: the wallet holds 0 GAS; the deposit is 0.5 GAS.' } });
  t.equal((await get('/api/state')).paying, false, 'refused: no payment window left open');
  offerAnswer = async () => {
    throw new RpcFailure('timeout', 'no answer');
  };
  t.match(
    (await post('/api/pay', { plan: 'mb', voucherKey, account: GUEST })).json,
    { sponsored: null, invoke: null, sponsorRefusal: /gateway did not answer \(timeout\)/ },
    'the gateway down: the wallet may still open the channel itself',
  );

  const signed = {
    txid: '0x' + 'ab'.repeat(32),
    transaction: {
      version: 0,
      nonce: 1,
      systemFee: '1',
      networkFee: '2',
      validUntilBlock: 99,
      attributes: [],
      signers: [{ account: 'aa', scopes: 0 }],
      witnesses: [],
      script: '00',
    },
  };
  t.match(await post('/api/sponsored', signed), { status: 200, json: { state: 'confirmed', channelId: '7' } }, 'the channel id from the application log');
  t.equal(
    (await post('/api/sponsored', { ...signed, context: { type: 'Neo.Network.P2P.Payloads.Transaction', hash: '00', data: '', items: {}, network: 1 } }))
      .status,
    422,
    'not both',
  );
  t.match(await post('/api/opened', { txid: '0x' + 'ef'.repeat(32) }), { status: 200, json: { channelId: '8' } });
  t.match(
    await post('/api/channels', { account: GUEST }),
    { status: 200, json: { channels: [{ id: '7', spent: '300', deposit: '50000000', voucherKey: key.publicKey }] } },
    'spent: the newest voucher any router took, above what was redeemed',
  );

  const time = (await get('/api/state')).time as number;
  const resumeSig = (action: 'resume' | 'logout', at = time) => signP256(key.privateKey, sessionActionMessage(chain, 7n, ROUTER, action, at)).toString('hex');
  t.equal((await post('/api/resume', { channelId: '7', time, signature: resumeSig('logout') })).status, 403, "another action's signature");
  t.equal((await post('/api/resume', { channelId: '7', time: time - 300_000, signature: resumeSig('resume', time - 300_000) })).status, 403, 'too old');
  const resumed = await post('/api/resume', { channelId: '7', time, signature: resumeSig('resume') });
  t.match(resumed, { status: 200, json: { paying: true, plan: 'mb' } }, "resumed: the channel's plan, the payment window open");
});
